//! The credentials-URI provider through the real HTTP path against the fake cloud (spec 6.6,
//! D3, D14, D25): success, scheme refusals, faults, the default chain and the fixture profile.

mod common;

use chrono::Utc;
use cloudcred::alibaba::{CliProfileProvider, CredentialsUriProvider, DefaultChain};
use cloudcred::prelude::*;

use cloudcred::engine::RefreshConfig;
use cloudcred::http::RequestOptions;
use cloudcred::{Context, ErrorKind, SharedProvider};
use cloudcred_fakecloud::{Endpoint, FakeCloud, FakeCloudConfig, Fault};
use common::fake::{
    assert_clean, assert_fault_error, assert_served_stale, common_faults, manual_ctx,
};
use common::{fixture, Home};
use std::time::Duration;

const VAR: &str = "ALIBABA_CLOUD_CREDENTIALS_URI";

async fn start() -> FakeCloud {
    FakeCloud::start(FakeCloudConfig::default()).await.unwrap()
}

fn provider(ctx: &Context, uri: &str) -> SharedProvider {
    CredentialsUriProvider::builder(ctx)
        .uri(uri)
        .request_options(
            RequestOptions::credential_service()
                .with_timeouts(Duration::from_millis(300), Duration::from_millis(300)),
        )
        .refresh(RefreshConfig::default().background(false))
        .build()
        .unwrap()
        .into()
}

#[tokio::test]
async fn fetches_with_a_json_get() {
    let cloud = start().await;
    let (ctx, _) = manual_ctx(&[]);
    let c = provider(&ctx, &cloud.url("/uri/fixture"))
        .get()
        .await
        .unwrap();
    assert_eq!(c.provider_name().as_str(), "credential_uri");
    assert_eq!(c.access_key_id(), cloud.issued()[0].access_key_id);
    assert!(c.security_token().is_some() && c.expiration().is_some());
    let r = &cloud.requests()[0];
    assert_eq!(r.method, "GET");
    assert_eq!(r.header("accept"), Some("application/json"));
    assert!(r.header("authorization").is_none());
    assert_eq!(cloud.count(Endpoint::CredentialsUri), 1);

    // From the variable; the builder wins over it.
    let (ctx, _) = manual_ctx(&[(VAR, &cloud.url("/uri/fixture"))]);
    let p: SharedProvider = CredentialsUriProvider::builder(&ctx)
        .build()
        .unwrap()
        .into();
    p.get().await.unwrap();
    let p: SharedProvider = CredentialsUriProvider::builder(&ctx)
        .uri(cloud.url("/elsewhere"))
        .build()
        .unwrap()
        .into();
    let e = p.get().await.unwrap_err();
    assert!(e.to_string().contains("/elsewhere"), "{e}");
}

#[tokio::test]
async fn scheme_rules() {
    for bad in [
        "http://example.com/creds",
        "http://10.0.0.1/creds",
        "ftp://127.0.0.1/creds",
        "not a uri",
        "http://user:pw@127.0.0.1/creds",
    ] {
        let (ctx, _) = manual_ctx(&[(VAR, bad)]);
        let e = CredentialsUriProvider::builder(&ctx).build().unwrap_err();
        assert!(e.to_string().contains(VAR), "{bad}: {e}");
        assert!(!e.to_string().contains("pw"), "{e}");
        // The default chain stops with that error.
        let home = Home::new().set(VAR, bad);
        let e = DefaultChain::builder(&home.ctx())
            .build()
            .get()
            .await
            .unwrap_err();
        assert!(e.to_string().contains(VAR), "{bad}: {e}");
    }
    for good in [
        "https://creds.example/c",
        "http://127.0.0.1:8080/c",
        "http://localhost/c",
        "http://[::1]:1/c",
        "http://169.254.170.2/c",
    ] {
        let (ctx, _) = manual_ctx(&[(VAR, good)]);
        CredentialsUriProvider::builder(&ctx)
            .build()
            .unwrap_or_else(|e| panic!("{good}: {e}"));
    }
    // Explicitly allowed by the builder.
    let (ctx, _) = manual_ctx(&[]);
    CredentialsUriProvider::builder(&ctx)
        .uri("http://sidecar.internal/c")
        .allow_insecure_http(true)
        .build()
        .unwrap();
    // Nothing configured: an explicit provider says what to set.
    let e = CredentialsUriProvider::builder(&ctx).build().unwrap_err();
    assert!(e.to_string().contains(VAR), "{e}");
    // A profile's URI is named by the profile.
    let e = CredentialsUriProvider::builder(&ctx)
        .uri("http://example.com/c")
        .origin("config.json profile uri")
        .build()
        .unwrap_err();
    assert!(e.to_string().contains("profile uri"), "{e}");
}

#[tokio::test]
async fn errors_show_the_uri_without_its_query() {
    let cloud = start().await;
    let (ctx, _) = manual_ctx(&[]);
    cloud.set_fault(Endpoint::CredentialsUri, Fault::Status(403));
    let p = provider(
        &ctx,
        &format!(
            "{}?token=QUERY-TOKEN-MUST-NOT-SHOW",
            cloud.url("/uri/fixture")
        ),
    );
    let e = p.get().await.unwrap_err();
    let text = format!("{e} {e:?}");
    assert!(text.contains(&cloud.url("/uri/fixture")), "{text}");
    assert!(!text.contains("QUERY-TOKEN"), "{text}");
    assert_clean(&cloud, &e);
    assert!(
        matches!(e.kind(), ErrorKind::Upstream { status: 403, .. }),
        "{e}"
    );
    assert!(text.contains("Forbidden.NoPermission"), "{text}");
    // The query is sent, though.
    assert_eq!(
        cloud.requests()[0].query,
        [("token".to_owned(), "QUERY-TOKEN-MUST-NOT-SHOW".to_owned())]
    );
}

#[tokio::test]
async fn code_is_checked_only_when_present() {
    let cloud = start().await;
    let (ctx, _) = manual_ctx(&[]);
    let uri = cloud.url("/uri/fixture");
    cloud.set_fault_times(Endpoint::CredentialsUri, Fault::MissingField("Code"), 1);
    provider(&ctx, &uri).get().await.unwrap();
    cloud.set_fault_times(
        Endpoint::CredentialsUri,
        Fault::StatusWithBody(
            200,
            r#"{"Code":"RoleNotReady","Message":"try later"}"#.into(),
        ),
        1,
    );
    let e = provider(&ctx, &uri).get().await.unwrap_err();
    assert!(
        e.to_string().contains("RoleNotReady") && e.to_string().contains("try later"),
        "{e}"
    );
    // Any 2xx is accepted.
    let body = format!(
        r#"{{"AccessKeyId":"STS.ACCEPTED201","AccessKeySecret":"s3cr3t-value-201","SecurityToken":"tok-201","Expiration":"{}"}}"#,
        (Utc::now() + chrono::Duration::hours(1)).format("%Y-%m-%dT%H:%M:%SZ")
    );
    cloud.set_fault_times(
        Endpoint::CredentialsUri,
        Fault::StatusWithBody(201, body),
        1,
    );
    let c = provider(&ctx, &uri).get().await.unwrap();
    assert_eq!(c.access_key_id(), "STS.ACCEPTED201");
}

#[tokio::test]
async fn every_fault_is_a_clear_error_or_served_stale() {
    let mut faults = common_faults();
    faults.push(Fault::Status(404));
    for fault in faults {
        let cloud = start().await;
        let (ctx, clock) = manual_ctx(&[]);
        let p = provider(&ctx, &cloud.url("/uri/fixture"));
        cloud.set_fault(Endpoint::CredentialsUri, fault.clone());
        let started = std::time::Instant::now();
        let e = p.get().await.unwrap_err();
        assert!(started.elapsed() < Duration::from_secs(5), "{fault:?}");
        let text = e.to_string();
        assert!(text.contains("credential_uri"), "{fault:?}: {text}");
        assert_fault_error(&cloud, &fault, &e);
        // Inside the refresh window (15 min before the 1 h expiry), still usable.
        let fifty_minutes = Duration::from_secs(50 * 60);
        assert_served_stale(
            &cloud,
            Endpoint::CredentialsUri,
            &fault,
            &p,
            &clock,
            fifty_minutes,
        )
        .await;
    }
}

#[tokio::test]
async fn default_chain_tries_the_uri_before_metadata() {
    let cloud = start().await;
    let home = Home::new()
        .set(VAR, &cloud.url("/uri/fixture"))
        .set("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "false")
        .set("ALIBABA_CLOUD_ECS_METADATA_ENDPOINT", &cloud.base_url());
    let chain = DefaultChain::builder(&home.ctx()).build();
    let c = chain.get().await.unwrap();
    assert_eq!(c.provider_name().as_str(), "default/credential_uri");
    assert_eq!(cloud.count(Endpoint::CredentialsUri), 1);
    assert_eq!(cloud.count(Endpoint::ImdsToken), 0);
    // Steady state: cached, no further request.
    chain.get().await.unwrap();
    assert_eq!(cloud.count(Endpoint::CredentialsUri), 1);
    // A configured URI that fails stops the chain (no fall-through to metadata).
    let broken = start().await;
    broken.set_fault(Endpoint::CredentialsUri, Fault::Status(500));
    let home = home.set(VAR, &broken.url("/uri/fixture"));
    let e = DefaultChain::builder(&home.ctx())
        .build()
        .get()
        .await
        .unwrap_err();
    assert!(
        matches!(e.kind(), ErrorKind::Upstream { status: 500, .. }),
        "{e}"
    );
    assert_eq!(cloud.count(Endpoint::ImdsToken), 0);
}

#[tokio::test]
async fn fixture_profile_resolves_through_the_fake_cloud() {
    let cloud = start().await;
    let home = Home::new().set("ALIBABA_CLOUD_PROFILE", "uri");
    home.write(
        ".aliyun/config.json",
        &fixture("aliyun/config.json").replace("@PORT@", &cloud.port().to_string()),
    );
    let c = SharedProvider::new(CliProfileProvider::new(&home.ctx()))
        .get()
        .await
        .unwrap();
    assert_eq!(c.provider_name().as_str(), "cli_profile/credential_uri");
    assert_eq!(c.access_key_id(), cloud.issued()[0].access_key_id);
    // Through the default chain as well.
    let c = DefaultChain::builder(&home.ctx())
        .build()
        .get()
        .await
        .unwrap();
    assert_eq!(
        c.provider_name().as_str(),
        "default/cli_profile/credential_uri"
    );
    // INI type credentials_uri.
    let home = Home::new().set("ALIBABA_CLOUD_PROFILE", "u");
    home.write(
        ".alibabacloud/credentials",
        &format!(
            "[u]\ntype = credentials_uri\ncredentials_uri = {}\n",
            cloud.url("/uri/fixture")
        ),
    );
    let c = DefaultChain::builder(&home.ctx())
        .build()
        .get()
        .await
        .unwrap();
    assert_eq!(c.provider_name().as_str(), "default/profile/credential_uri");
}
