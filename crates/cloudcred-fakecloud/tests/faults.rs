//! Fault switches (every kind), counters, the Date header and the clock offset, shutdown.

mod common;

use std::time::{Duration, Instant};

use cloudcred_fakecloud::{Endpoint, FakeCloud, Fault, Verdict};
use common::{
    assert_code, client, get_json, put_token, seconds_left, start, status_json, Rpc, AK, SECRET,
};
use serde_json::Value;

async fn get_text(cloud: &FakeCloud, path: &str) -> (u16, String) {
    let resp = client().get(cloud.url(path)).send().await.unwrap();
    (resp.status().as_u16(), resp.text().await.unwrap())
}

const CREDS: &str = "/latest/meta-data/ram/security-credentials/FakeFixtureEcsRole";

#[tokio::test]
async fn status_fault_uses_the_service_error_format_and_spares_the_nonce() {
    let cloud = start().await;
    cloud.set_fault_times(Endpoint::StsAssumeRole, Fault::Status(503), 1);
    let rpc = Rpc::assume_role(AK, None).sign_hmac(SECRET);
    let got = rpc.send(&cloud).await;
    assert!(got.1["RequestId"].is_string() && got.1["HostId"].is_string());
    assert_code(got, 503, "ServiceUnavailable");
    assert!(cloud.issued().is_empty());
    // The identical signed request is a legitimate retry: the fault never reached the nonce check.
    let (status, body) = rpc.send(&cloud).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(cloud.count(Endpoint::StsAssumeRole), 2);
    let reqs = cloud.requests();
    assert_eq!(reqs[0].fault, Some(Fault::Status(503)));
    assert_eq!(reqs[1].fault, None);
}

#[tokio::test]
async fn status_with_body_is_sent_verbatim() {
    let cloud = start().await;
    cloud.set_fault(
        Endpoint::CredentialsUri,
        Fault::StatusWithBody(500, "upstream exploded".into()),
    );
    assert_eq!(
        get_text(&cloud, "/uri/fixture").await,
        (500, "upstream exploded".into())
    );
    assert_eq!(
        get_text(&cloud, "/uri/fixture").await.0,
        500,
        "persistent until cleared"
    );
    cloud.clear_faults();
    assert_eq!(get_text(&cloud, "/uri/fixture").await.0, 200);
}

#[tokio::test]
async fn status_fault_on_metadata_is_plain_text() {
    let cloud = start().await;
    cloud.set_fault_times(Endpoint::ImdsCredentials, Fault::Status(500), 1);
    let (status, body) = get_text(&cloud, CREDS).await;
    assert_eq!(status, 500);
    assert!(serde_json::from_str::<Value>(&body).is_err());
}

#[tokio::test]
async fn delay_slows_the_answer_and_trips_client_timeouts() {
    let cloud = start().await;
    cloud.set_fault_times(
        Endpoint::ImdsCredentials,
        Fault::Delay(Duration::from_millis(300)),
        2,
    );
    let started = Instant::now();
    assert_eq!(get_text(&cloud, CREDS).await.0, 200);
    assert!(started.elapsed() >= Duration::from_millis(300));
    let err = client()
        .get(cloud.url(CREDS))
        .timeout(Duration::from_millis(100))
        .send()
        .await
        .unwrap_err();
    assert!(err.is_timeout(), "{err}");
    assert_eq!(cloud.count(Endpoint::ImdsCredentials), 2);
}

#[tokio::test]
async fn slow_body_sends_headers_at_once_and_trickles_the_rest() {
    let cloud = start().await;
    let over = Duration::from_millis(800);
    cloud.set_fault_times(Endpoint::CredentialsUri, Fault::SlowBody(over), 2);
    let started = Instant::now();
    let resp = client()
        .get(cloud.url("/uri/fixture"))
        .send()
        .await
        .unwrap();
    let headers_after = started.elapsed();
    assert_eq!(resp.status().as_u16(), 200);
    let announced = resp.content_length().unwrap();
    let text = resp.text().await.unwrap();
    assert!(headers_after < over / 2, "{headers_after:?}");
    assert!(started.elapsed() >= over, "{:?}", started.elapsed());
    assert_eq!(text.len() as u64, announced);
    let body: Value = serde_json::from_str(&text).unwrap();
    assert!(body["AccessKeySecret"].is_string(), "the real answer");
    // Only a deadline on the whole exchange trips: the pieces keep an idle timer quiet.
    let err = client()
        .get(cloud.url("/uri/fixture"))
        .timeout(Duration::from_millis(300))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap_err();
    assert!(err.is_timeout() || err.is_body(), "{err:?}");
    let reqs = cloud.requests();
    assert_eq!(reqs[0].fault, Some(Fault::SlowBody(over)));
    assert_eq!(reqs[0].verdict, Verdict::Accepted);
}

#[tokio::test]
async fn malformed_body() {
    let cloud = start().await;
    cloud.set_fault(Endpoint::CloudSso, Fault::MalformedBody);
    let resp = client()
        .post(cloud.url("/cloud-credentials"))
        .header("authorization", "Bearer fake-sso-access-token-00001")
        .body(r#"{"AccountId":"1","AccessConfigurationId":"ac"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let text = resp.text().await.unwrap();
    assert!(!text.is_empty());
    assert!(serde_json::from_str::<Value>(&text).is_err());
    // The plain-text token endpoint's malformed answer is an empty 200.
    cloud.set_fault(Endpoint::ImdsToken, Fault::MalformedBody);
    assert_eq!(put_token(&cloud, Some("21600")).await, (200, String::new()));
}

#[tokio::test]
async fn truncated_body() {
    let cloud = start().await;
    cloud.set_fault_times(Endpoint::OAuthExchange, Fault::TruncatedBody, 1);
    let resp = client()
        .post(cloud.url("/v1/exchange"))
        .header("authorization", "Bearer fake-oauth-access-token-00001")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let text = resp.text().await.unwrap();
    assert!(text.starts_with("{\"requestId\""), "{text}");
    assert!(serde_json::from_str::<Value>(&text).is_err());
}

#[tokio::test]
async fn expired_credentials() {
    let cloud = start().await;
    cloud.set_fault_times(Endpoint::CredentialsUri, Fault::ExpiredCredentials, 1);
    let (_, body) = get_json(&cloud, "/uri/fixture").await;
    assert!(seconds_left(&body["Expiration"]) < 0);
    // An expired metadata token makes the next GET fail with 401.
    cloud.set_fault_times(Endpoint::ImdsToken, Fault::ExpiredCredentials, 1);
    let (_, token) = put_token(&cloud, Some("21600")).await;
    let resp = client()
        .get(cloud.url(CREDS))
        .header("X-aliyun-ecs-metadata-token", token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 401);
}

#[tokio::test]
async fn missing_field() {
    let cloud = start().await;
    cloud.set_fault_times(
        Endpoint::StsAssumeRole,
        Fault::MissingField("Expiration"),
        1,
    );
    let (status, body) = common::assume_role_as_fixture(&cloud).await;
    assert_eq!(status, 200);
    assert!(body["Credentials"].get("Expiration").is_none(), "{body}");
    assert!(body["Credentials"]["SecurityToken"].is_string());
    cloud.set_fault_times(Endpoint::ImdsCredentials, Fault::MissingField("Code"), 1);
    let (_, text) = get_text(&cloud, CREDS).await;
    let v: Value = serde_json::from_str(&text).unwrap();
    assert!(v.get("Code").is_none() && v["AccessKeyId"].is_string());
}

#[tokio::test]
async fn drop_connection_closes_without_answer() {
    let cloud = start().await;
    cloud.set_fault_times(Endpoint::ImdsToken, Fault::DropConnection, 1);
    let err = client()
        .put(cloud.url("/latest/api/token"))
        .header("X-aliyun-ecs-metadata-token-ttl-seconds", "21600")
        .send()
        .await
        .unwrap_err();
    assert!(err.is_request() || err.is_connect(), "{err:?}");
    assert!(err.status().is_none());
    assert_eq!(cloud.count(Endpoint::ImdsToken), 1);
    assert_eq!(cloud.requests()[0].verdict, Verdict::Dropped);
    // Only the next request was affected.
    assert_eq!(put_token(&cloud, Some("21600")).await.0, 200);
}

#[tokio::test]
async fn throttle_sts_and_oauth() {
    let cloud = start().await;
    cloud.set_fault_times(Endpoint::StsAssumeRole, Fault::Throttle, 1);
    assert_code(
        common::assume_role_as_fixture(&cloud).await,
        400,
        "Throttling.User",
    );
    cloud.set_fault_times(Endpoint::OAuthToken, Fault::Throttle, 1);
    let resp = client().post(cloud.url("/v1/token")).send().await.unwrap();
    assert_eq!(resp.status().as_u16(), 429);
    assert_eq!(resp.headers()["retry-after"], "1");
    let (_, body) = status_json(resp).await;
    assert!(body["error"].is_string());
}

#[tokio::test]
async fn timed_faults_run_before_the_persistent_one() {
    let cloud = start().await;
    cloud.set_fault(Endpoint::CredentialsUri, Fault::Status(404));
    cloud.set_fault_times(Endpoint::CredentialsUri, Fault::Status(500), 2);
    let mut seen = Vec::new();
    for _ in 0..4 {
        seen.push(get_text(&cloud, "/uri/fixture").await.0);
    }
    assert_eq!(seen, [500, 500, 404, 404]);
}

#[tokio::test]
async fn counters_per_endpoint_and_reset() {
    let cloud = start().await;
    for _ in 0..3 {
        get_text(&cloud, "/uri/fixture").await;
    }
    get_text(&cloud, "/latest/meta-data/ram/security-credentials/").await;
    get_text(&cloud, "/nothing/here").await;
    assert_eq!(cloud.count(Endpoint::CredentialsUri), 3);
    assert_eq!(cloud.count(Endpoint::ImdsRoleList), 1);
    assert_eq!(cloud.count(Endpoint::StsAssumeRole), 0);
    assert_eq!(cloud.requests().len(), 5);
    let issued = cloud.issued().len();
    cloud.reset_counters();
    for e in Endpoint::ALL {
        assert_eq!(cloud.count(e), 0);
    }
    assert!(cloud.requests().is_empty());
    assert_eq!(cloud.issued().len(), issued);
}

#[tokio::test]
async fn date_header_follows_clock_offset() {
    let cloud = start().await;
    let date_skew = |resp: &reqwest::Response| {
        let date = resp.headers()["date"].to_str().unwrap().to_string();
        assert!(date.ends_with(" GMT"), "{date}");
        assert!(resp.headers().contains_key("x-acs-request-id"));
        let t = chrono::DateTime::parse_from_rfc2822(&date).unwrap();
        t.timestamp() - chrono::Utc::now().timestamp()
    };
    let resp = client()
        .get(cloud.url("/uri/fixture"))
        .send()
        .await
        .unwrap();
    assert!(date_skew(&resp).abs() <= 2);
    cloud.set_clock_offset(-7200);
    let resp = client()
        .get(cloud.url("/uri/fixture"))
        .send()
        .await
        .unwrap();
    let skew = date_skew(&resp);
    assert!((-7202..=-7198).contains(&skew), "{skew}");
    // Error answers carry it too.
    let resp = client().get(cloud.url("/")).send().await.unwrap();
    assert!(date_skew(&resp) < -7000);
}

#[tokio::test]
async fn server_stops_with_its_last_handle() {
    let cloud = start().await;
    let url = cloud.url("/uri/fixture");
    let clone = cloud.clone();
    drop(cloud);
    assert_eq!(
        client().get(&url).send().await.unwrap().status().as_u16(),
        200
    );
    drop(clone);
    tokio::time::sleep(Duration::from_millis(50)).await;
    // A fresh client: a pooled connection must not hide the shutdown.
    assert!(client().get(&url).send().await.is_err());

    let other = start().await;
    let url = other.url("/uri/fixture");
    other.shutdown();
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(client().get(&url).send().await.is_err());
}

#[tokio::test]
async fn many_concurrent_requests() {
    let cloud = start().await;
    let c = client();
    let tasks: Vec<_> = (0..200)
        .map(|_| {
            let c = c.clone();
            let url = cloud.url("/uri/fixture");
            tokio::spawn(async move { c.get(url).send().await.unwrap().status().as_u16() })
        })
        .collect();
    for t in tasks {
        assert_eq!(t.await.unwrap(), 200);
    }
    assert_eq!(cloud.count(Endpoint::CredentialsUri), 200);
}
