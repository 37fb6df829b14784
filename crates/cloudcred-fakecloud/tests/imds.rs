//! ECS metadata: token flow, the three modes, TTL bounds, token expiry, roles.

mod common;

use cloudcred_fakecloud::{Endpoint, FakeCloud, FakeCloudConfig, ImdsMode};
use common::{client, put_token};

const ROLES: &str = "/latest/meta-data/ram/security-credentials/";

async fn cloud(mode: ImdsMode) -> FakeCloud {
    FakeCloud::start(FakeCloudConfig::default().with_imds_mode(mode))
        .await
        .unwrap()
}

async fn get(cloud: &FakeCloud, path: &str, token: Option<&str>) -> (u16, String) {
    let mut req = client().get(cloud.url(path));
    if let Some(t) = token {
        req = req.header("X-aliyun-ecs-metadata-token", t);
    }
    let resp = req.send().await.unwrap();
    (resp.status().as_u16(), resp.text().await.unwrap())
}

#[tokio::test]
async fn both_mode_full_flow_with_and_without_token() {
    let cloud = cloud(ImdsMode::Both).await;
    let (status, token) = put_token(&cloud, Some("21600")).await;
    assert_eq!(status, 200);
    assert!(token.len() >= 32);
    assert_eq!(
        get(&cloud, ROLES, Some(&token)).await,
        (200, "FakeFixtureEcsRole".into())
    );
    assert_eq!(
        get(&cloud, ROLES, None).await,
        (200, "FakeFixtureEcsRole".into())
    );
    let (status, body) = get(&cloud, &format!("{ROLES}FakeFixtureEcsRole"), Some(&token)).await;
    assert_eq!(status, 200);
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["Code"], "Success");
    for k in [
        "AccessKeyId",
        "AccessKeySecret",
        "SecurityToken",
        "Expiration",
        "LastUpdated",
    ] {
        assert!(v[k].is_string(), "{k}");
    }
    assert!(v["AccessKeyId"].as_str().unwrap().starts_with("STS."));
    // Six hours of validity by default.
    let left = common::seconds_left(&v["Expiration"]);
    assert!((21595..=21600).contains(&left), "{left}");
    // A token that was never issued is refused even where tokens are optional.
    assert_eq!(get(&cloud, ROLES, Some("forged")).await.0, 401);
    assert_eq!(cloud.count(Endpoint::ImdsToken), 1);
    assert_eq!(cloud.count(Endpoint::ImdsRoleList), 3);
    assert_eq!(cloud.count(Endpoint::ImdsCredentials), 1);
    assert_eq!(
        cloud.issued()[0].role_arn.as_deref(),
        Some("acs:ram::1000000000000000:role/FakeFixtureEcsRole")
    );
}

#[tokio::test]
async fn token_required_mode_refuses_v1() {
    let cloud = cloud(ImdsMode::TokenRequired).await;
    assert_eq!(get(&cloud, ROLES, None).await.0, 401);
    assert_eq!(
        get(&cloud, &format!("{ROLES}FakeFixtureEcsRole"), None)
            .await
            .0,
        401
    );
    let (_, token) = put_token(&cloud, Some("60")).await;
    assert_eq!(get(&cloud, ROLES, Some(&token)).await.0, 200);
    assert_eq!(
        get(&cloud, &format!("{ROLES}FakeFixtureEcsRole"), Some(&token))
            .await
            .0,
        200
    );
}

#[tokio::test]
async fn v1_only_mode_has_no_token_endpoint() {
    let cloud = cloud(ImdsMode::V1Only).await;
    assert_eq!(put_token(&cloud, Some("21600")).await.0, 404);
    assert_eq!(get(&cloud, ROLES, None).await.0, 200);
    assert_eq!(
        get(&cloud, &format!("{ROLES}FakeFixtureEcsRole"), None)
            .await
            .0,
        200
    );
}

#[tokio::test]
async fn token_ttl_bounds() {
    let cloud = cloud(ImdsMode::Both).await;
    for ttl in [None, Some("0"), Some("21601"), Some("-1"), Some("abc")] {
        assert_eq!(put_token(&cloud, ttl).await.0, 400, "{ttl:?}");
    }
    for ttl in ["1", "21600"] {
        assert_eq!(put_token(&cloud, Some(ttl)).await.0, 200, "{ttl}");
    }
    let resp = client()
        .get(cloud.url("/latest/api/token"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 405);
}

#[tokio::test]
async fn token_expires_on_the_server_clock() {
    let cloud = cloud(ImdsMode::TokenRequired).await;
    let (_, token) = put_token(&cloud, Some("60")).await;
    assert_eq!(get(&cloud, ROLES, Some(&token)).await.0, 200);
    cloud.set_clock_offset(61);
    assert_eq!(get(&cloud, ROLES, Some(&token)).await.0, 401);
    let (_, fresh) = put_token(&cloud, Some("60")).await;
    assert_eq!(get(&cloud, ROLES, Some(&fresh)).await.0, 200);
}

#[tokio::test]
async fn roles_known_unknown_and_absent() {
    let cloud = cloud(ImdsMode::Both).await;
    assert_eq!(
        get(&cloud, &format!("{ROLES}FakeCliEcsRole"), None).await.0,
        200
    );
    assert_eq!(
        get(&cloud, &format!("{ROLES}NoSuchRole"), None).await.0,
        404
    );
    let none = FakeCloud::start(FakeCloudConfig::default().with_imds_role(None))
        .await
        .unwrap();
    let (status, body) = get(&none, ROLES, None).await;
    assert_eq!(status, 404);
    assert!(
        serde_json::from_str::<serde_json::Value>(&body).is_err(),
        "IMDS errors are not JSON"
    );
    assert_eq!(
        get(&none, "/latest/meta-data/instance-id", None).await.0,
        404
    );
}
