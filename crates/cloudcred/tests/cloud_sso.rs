//! CloudSSO (spec 6.9) against the fake cloud: the fixture profiles, the request shape, the
//! scheme rule, expired tokens, faults, and no token in errors.

mod common;

use cloudcred::alibaba::CloudSsoProvider;
use cloudcred::engine::RefreshConfig;
use cloudcred::prelude::*;
use cloudcred::{CredentialKind, ErrorKind, ProvideCredentials, SharedProvider};
use cloudcred_fakecloud::{Endpoint, FakeCloud, FakeCloudConfig, Fault, Verdict};
use common::cloud::{self, assert_clean, assert_clean_error, TimeMachine};
use std::time::Duration;

const TOKEN: &str = "fake-sso-access-token-00001";

fn provider(cloud: &FakeCloud, clock: Option<&cloudcred::Clock>) -> CloudSsoProvider {
    let mut ctx = cloud::home(cloud).ctx();
    if let Some(c) = clock {
        ctx = ctx.with_clock(c.clone());
    }
    CloudSsoProvider::builder(&ctx)
        .sign_in_url(cloud.url("/start/login?x=1"))
        .account_id("1000000000000000")
        .access_config("ac-fakeaccessconfig0001")
        .access_token(TOKEN, 4_102_444_800)
        .request_options(cloud::short())
        .refresh(RefreshConfig::default().background(false))
        .build()
        .unwrap()
}

#[tokio::test]
async fn cli_sso_posts_json_with_the_bearer_token() {
    let cloud = cloud::start(FakeCloudConfig::default()).await;
    let home = cloud::with_cli_config(cloud::home(&cloud), &cloud);
    let c = cloud::cli_get(&home, "sso").await.unwrap();
    assert_eq!(c.kind(), CredentialKind::Sts);
    assert_eq!(c.provider_name().as_str(), "cli_profile/cloud_sso");
    let i = cloud.issued().pop().unwrap();
    assert_eq!(i.endpoint, Endpoint::CloudSso);
    assert_eq!(c.access_key_id(), i.access_key_id);
    assert!(c.expiration().is_some());
    let reqs = cloud.requests();
    assert_eq!(reqs.len(), 1);
    let r = &reqs[0];
    // The sign-in URL's path is dropped, its port kept.
    assert_eq!(
        (r.method.as_str(), r.path.as_str()),
        ("POST", "/cloud-credentials")
    );
    assert_eq!(r.verdict, Verdict::Accepted);
    assert_eq!(r.header("authorization"), Some(&*format!("Bearer {TOKEN}")));
    assert_eq!(r.header("content-type"), Some("application/json"));
    let body: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(
        body,
        serde_json::json!({"AccountId": "1000000000000000", "AccessConfigurationId": "ac-fakeaccessconfig0001"})
    );
    assert!(r.query.is_empty());
}

#[tokio::test]
async fn an_expired_token_says_log_in_again() {
    let cloud = cloud::start(FakeCloudConfig::default()).await;
    let home = cloud::with_cli_config(cloud::home(&cloud), &cloud);
    let e = cloud::cli_get(&home, "sso-expired").await.unwrap_err();
    let text = e.to_string();
    assert!(
        text.contains("expired") && text.contains("aliyun"),
        "{text}"
    );
    assert_clean_error(&cloud, &e);
    assert_eq!(cloud.count(Endpoint::CloudSso), 0);

    // A token that expires while the process runs: the next refresh says so, without a request.
    let mut time = TimeMachine::new(&cloud, 0);
    let ctx = cloud::home(&cloud).ctx().with_clock(time.clock.clone());
    let expire = time.clock.now().timestamp() + 1800;
    let p = SharedProvider::new(
        CloudSsoProvider::builder(&ctx)
            .sign_in_url(cloud.base_url())
            .account_id("1000000000000000")
            .access_config("ac-fakeaccessconfig0001")
            .access_token(TOKEN, expire)
            .refresh(RefreshConfig::default().background(false))
            .build()
            .unwrap(),
    );
    p.get().await.unwrap();
    time.advance(3600);
    let e = p.get().await.unwrap_err().to_string();
    assert!(e.contains("expired") && e.contains("log in again"), "{e}");
    assert_eq!(cloud.count(Endpoint::CloudSso), 1);

    // A token the portal refuses (revoked): the Upstream error also says to log in again.
    let p = SharedProvider::new(
        CloudSsoProvider::builder(&cloud::home(&cloud).ctx())
            .sign_in_url(cloud.base_url())
            .account_id("1000000000000000")
            .access_config("ac-fakeaccessconfig0001")
            .access_token("fake-sso-revoked-token-0009", 4_102_444_800)
            .build()
            .unwrap(),
    );
    let e = p.get().await.unwrap_err();
    assert!(
        matches!(e.kind(), ErrorKind::Upstream { status: 401, code: Some(c), .. } if c == "InvalidAccessToken"),
        "{e}"
    );
    let text = format!("{e} {e:?}");
    assert!(text.contains("log in again with aliyun-cli"), "{text}");
    assert!(!text.contains("fake-sso-revoked-token-0009"), "{text}");
}

#[tokio::test]
async fn the_sign_in_url_follows_the_scheme_rule() {
    let ctx = common::Home::new().ctx();
    let b = |url: &str| {
        CloudSsoProvider::builder(&ctx)
            .sign_in_url(url)
            .account_id("1")
            .access_config("ac")
            .access_token(TOKEN, 4_102_444_800)
            .build()
    };
    let e = b("http://signin.example.invalid/login")
        .unwrap_err()
        .to_string();
    assert!(e.contains("https"), "{e}");
    assert!(b("https://signin.example.invalid:8443/start").is_ok());
    assert!(b("http://[::1]:8080/x").is_ok());
    let e = CloudSsoProvider::builder(&ctx)
        .sign_in_url("http://127.0.0.1:1/")
        .access_config("ac")
        .access_token(TOKEN, 4_102_444_800)
        .build()
        .unwrap_err()
        .to_string();
    assert!(e.contains("account id"), "{e}");
}

#[tokio::test]
async fn faults_are_clear_errors_or_served_stale() {
    let cloud = cloud::start(FakeCloudConfig::default()).await;
    let faults = [
        Fault::Status(500),
        Fault::Status(403),
        Fault::Delay(Duration::from_secs(3)),
        Fault::MalformedBody,
        Fault::TruncatedBody,
        Fault::ExpiredCredentials,
        Fault::MissingField("SecurityToken"),
        Fault::DropConnection,
        Fault::Throttle,
    ];
    cloud::check_faults(&cloud, Endpoint::CloudSso, "cloud_sso", &faults, |clock| {
        SharedProvider::new(provider(&cloud, clock))
    })
    .await;
    cloud.clear_faults();
    let p = provider(&cloud, None);
    let c = SharedProvider::new(p.clone()).get().await.unwrap();
    let text = format!("{p:?} {c:?} {:?}", p.inspect());
    assert!(!text.contains(TOKEN), "{text}");
    assert_clean(&cloud, &text);
}
