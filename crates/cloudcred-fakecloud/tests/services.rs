//! Credentials URI, CloudSSO and OAuth (token rotation, exchange in both casings and both
//! expiration types).

mod common;

use cloudcred_fakecloud::{Endpoint, FakeCloud, FakeCloudConfig, OAUTH_CLIENT_ID_CN};
use common::{client, start, status_json};
use serde_json::{json, Value};

#[tokio::test]
async fn credentials_uri() {
    let cloud = start().await;
    let (status, body) = common::get_json(&cloud, "/uri/fixture").await;
    assert_eq!(status, 200);
    assert_eq!(body["Code"], "Success");
    for k in [
        "AccessKeyId",
        "AccessKeySecret",
        "SecurityToken",
        "Expiration",
    ] {
        assert!(body[k].is_string(), "{k}");
    }
    assert_eq!(cloud.count(Endpoint::CredentialsUri), 1);
    assert_eq!(cloud.issued()[0].endpoint, Endpoint::CredentialsUri);
    let resp = client()
        .post(cloud.url("/uri/fixture"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 405);
}

async fn sso(cloud: &FakeCloud, token: &str, body: Value) -> (u16, Value) {
    let resp = client()
        .post(cloud.url("/cloud-credentials"))
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    status_json(resp).await
}

#[tokio::test]
async fn cloud_sso() {
    let cloud = start().await;
    let body = json!({"AccountId": "1000000000000000", "AccessConfigurationId": "ac-fakeaccessconfig0001"});
    let (status, v) = sso(&cloud, "fake-sso-access-token-00001", body.clone()).await;
    assert_eq!(status, 200, "{v}");
    assert!(v["RequestId"].is_string());
    for k in [
        "AccessKeyId",
        "AccessKeySecret",
        "SecurityToken",
        "Expiration",
    ] {
        assert!(v["CloudCredential"][k].is_string(), "{k}");
    }
    let (status, v) = sso(&cloud, "fake-sso-access-token-00002", body).await;
    assert_eq!(status, 401, "{v}");
    assert!(v["Code"].is_string());
    let (status, _) = sso(
        &cloud,
        "fake-sso-access-token-00001",
        json!({"AccountId": "1"}),
    )
    .await;
    assert_eq!(status, 400);
    let req = &cloud.requests()[0];
    assert_eq!(
        req.header("Authorization"),
        Some("Bearer fake-sso-access-token-00001")
    );
    assert!(req.body.contains("ac-fakeaccessconfig0001"));
}

async fn refresh(cloud: &FakeCloud, refresh_token: &str, client_id: &str) -> (u16, Value) {
    let form = common::encode_pairs(&[
        ("grant_type".into(), "refresh_token".into()),
        ("refresh_token".into(), refresh_token.into()),
        ("client_id".into(), client_id.into()),
        ("Timestamp".into(), common::timestamp_now()),
    ]);
    let resp = client()
        .post(cloud.url("/v1/token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form)
        .send()
        .await
        .unwrap();
    status_json(resp).await
}

async fn exchange(cloud: &FakeCloud, access_token: &str) -> (u16, Value) {
    let resp = client()
        .post(cloud.url("/v1/exchange"))
        .header("authorization", format!("Bearer {access_token}"))
        .header("content-type", "application/json")
        .send()
        .await
        .unwrap();
    status_json(resp).await
}

#[tokio::test]
async fn oauth_refresh_rotates_and_exchange_works() {
    let cloud = start().await;
    let (status, v) = refresh(&cloud, "fake-oauth-refresh-token-00001", OAUTH_CLIENT_ID_CN).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["token_type"], "Bearer");
    assert_eq!(v["expires_in"], 3600);
    let access = v["access_token"].as_str().unwrap().to_string();
    let rotated = v["refresh_token"].as_str().unwrap().to_string();
    assert_ne!(rotated, "fake-oauth-refresh-token-00001");
    assert_eq!(cloud.oauth_refresh_token(), rotated);
    // The old refresh token is dead after rotation.
    let (status, v) = refresh(&cloud, "fake-oauth-refresh-token-00001", OAUTH_CLIENT_ID_CN).await;
    assert_eq!((status, v["error"].as_str()), (400, Some("invalid_grant")));
    assert!(v["error_description"].is_string() && v["requestId"].is_string());
    // Unknown client id.
    let (status, v) = refresh(&cloud, &rotated, "123").await;
    assert_eq!((status, v["error"].as_str()), (401, Some("invalid_client")));

    let (status, v) = exchange(&cloud, &access).await;
    assert_eq!(status, 200, "{v}");
    for k in [
        "requestId",
        "accessKeyId",
        "accessKeySecret",
        "securityToken",
        "expiration",
    ] {
        assert!(v[k].is_string(), "{k}: {v}");
    }
    assert!(common::seconds_left(&v["expiration"]) > 3500);
    // The fixture's no-refresh profile uses its access token directly.
    assert_eq!(
        exchange(&cloud, "fake-oauth-access-token-00002").await.0,
        200
    );
    let (status, v) = exchange(&cloud, "not-a-token").await;
    assert_eq!((status, v["error"].as_str()), (401, Some("invalid_token")));
}

#[tokio::test]
async fn oauth_exchange_pascal_case_and_epoch_expiration() {
    let config = FakeCloudConfig::default()
        .with_oauth_pascal_case(true)
        .with_oauth_expiration_as_epoch(true);
    let cloud = FakeCloud::start(config).await.unwrap();
    let (status, v) = exchange(&cloud, "fake-oauth-access-token-00001").await;
    assert_eq!(status, 200, "{v}");
    for k in [
        "RequestId",
        "AccessKeyId",
        "AccessKeySecret",
        "SecurityToken",
    ] {
        assert!(v[k].is_string(), "{k}: {v}");
    }
    assert!(v.get("accessKeyId").is_none());
    let epoch = v["Expiration"].as_i64().expect("integer epoch seconds");
    let left = epoch - chrono::Utc::now().timestamp();
    assert!((3595..=3600).contains(&left), "{left}");
}

#[tokio::test]
async fn oauth_access_token_expires_on_server_clock() {
    let cloud = start().await;
    let (_, v) = refresh(&cloud, "fake-oauth-refresh-token-00001", OAUTH_CLIENT_ID_CN).await;
    let access = v["access_token"].as_str().unwrap().to_string();
    cloud.set_clock_offset(3601);
    assert_eq!(exchange(&cloud, &access).await.0, 401);
}
