//! STS AssumeRoleWithOIDC (spec 6.4, D10, D20) against the fake cloud: fixture profiles, the
//! default chain's environment slot, token rotation, and the token kept out of URLs and errors.

mod common;

use cloudcred::alibaba::{DefaultChain, OidcRoleArnProvider};
use cloudcred::engine::RefreshConfig;
use cloudcred::prelude::*;
use cloudcred::{CredentialKind, ErrorKind, ProvideCredentials, SharedProvider};
use cloudcred_fakecloud::{
    Endpoint, FakeCloud, FakeCloudConfig, Fault, RecordedRequest, Verdict, FIXTURE_OIDC_TOKEN,
};
use common::cloud::{self, assert_clean, assert_clean_error, TimeMachine};
use common::fixtures_dir;
use std::path::Path;
use std::time::Duration;

const ROLE: &str = "acs:ram::1000000000000000:role/fake-oidc-role";
const OIDC_PROVIDER: &str = "acs:ram::1000000000000000:oidc-provider/fake-oidc-provider";

fn token_fixture() -> std::path::PathBuf {
    fixtures_dir().join("tokens/alibaba-oidc-token")
}

/// The request carried the token in the form body only, unsigned.
fn assert_token_in_body_only(r: &RecordedRequest) {
    assert_eq!(r.method, "POST");
    assert!(!r.token_in_query, "the OIDC token reached the URL");
    assert!(
        r.query.iter().all(|(k, _)| k == "Timestamp"),
        "{:?}",
        r.query
    );
    assert_eq!(
        r.form
            .iter()
            .find(|(k, _)| k == "OIDCToken")
            .map(|(_, v)| v.as_str()),
        Some(FIXTURE_OIDC_TOKEN)
    );
    for unsigned in ["Signature", "AccessKeyId", "SignatureMethod"] {
        assert!(r.param(unsigned).is_none(), "{unsigned} sent");
    }
}

fn provider(
    cloud: &FakeCloud,
    token_file: &Path,
    clock: Option<&cloudcred::Clock>,
) -> OidcRoleArnProvider {
    let mut ctx = cloud::home(cloud).ctx();
    if let Some(c) = clock {
        ctx = ctx.with_clock(c.clone());
    }
    OidcRoleArnProvider::builder(&ctx)
        .role_arn(ROLE)
        .oidc_provider_arn(OIDC_PROVIDER)
        .oidc_token_file(token_file)
        .request_options(cloud::short())
        .refresh(RefreshConfig::default().background(false))
        .build()
        .unwrap()
}

#[tokio::test]
async fn ini_oidc_posts_the_trimmed_token_in_the_body() {
    let cloud = cloud::start(FakeCloudConfig::default()).await;
    // The fixture file ends with a newline; the fake cloud accepts only the trimmed token.
    assert!(std::fs::read_to_string(token_fixture())
        .unwrap()
        .ends_with('\n'));
    let home = cloud::with_ini(cloud::home(&cloud), &cloud);
    let c = cloud::ini_get(&home, "oidc").await.unwrap();
    assert_eq!(c.kind(), CredentialKind::Sts);
    assert_eq!(c.provider_name().as_str(), "profile/oidc_role_arn");
    let i = cloud.issued().pop().unwrap();
    assert_eq!(i.endpoint, Endpoint::StsAssumeRoleWithOidc);
    assert_eq!(i.role_arn.as_deref(), Some(ROLE));
    assert_eq!(i.oidc_provider_arn.as_deref(), Some(OIDC_PROVIDER));
    assert_eq!(i.role_session_name.as_deref(), Some("fixture-oidc-session"));
    assert_eq!(i.duration_seconds, Some(3600));
    assert_eq!(c.access_key_id(), i.access_key_id);
    let reqs = cloud.requests();
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].verdict, Verdict::Accepted);
    assert_token_in_body_only(&reqs[0]);
    assert!(reqs[0].param("Policy").is_none(), "no policy configured");

    let e = cloud::ini_get(&home, "oidc_missing_token_file")
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("tokens/does-not-exist"), "{e}");
    assert_eq!(
        cloud.count(Endpoint::StsAssumeRoleWithOidc),
        1,
        "no request"
    );
}

#[tokio::test]
async fn cli_oidc_profiles_and_their_session_names() {
    let cloud = cloud::start(FakeCloudConfig::default()).await;
    let home = cloud::with_cli_config(cloud::home(&cloud), &cloud);
    for (profile, session) in [
        ("oidc", "fixture-cli-oidc"),
        ("oidc-role-session-name-key", "fixture-python-spelling"),
    ] {
        let c = cloud::cli_get(&home, profile).await.unwrap();
        assert_eq!(c.provider_name().as_str(), "cli_profile/oidc_role_arn");
        let i = cloud.issued().pop().unwrap();
        assert_eq!(i.role_session_name.as_deref(), Some(session), "{profile}");
        assert_eq!(
            i.role_arn.as_deref(),
            Some("acs:ram::1000000000000000:role/fake-cli-oidc-role")
        );
    }
    for r in cloud.requests() {
        assert_token_in_body_only(&r);
    }
}

#[tokio::test]
async fn the_default_chain_takes_oidc_from_the_environment() {
    let cloud = cloud::start(FakeCloudConfig::default()).await;
    let base = cloud::with_ini(cloud::home(&cloud), &cloud);
    // ALIBABA_CLOUD_ROLE_ARN alone configures nothing: the INI default is used.
    let home = base.set("ALIBABA_CLOUD_ROLE_ARN", ROLE);
    let c = DefaultChain::builder(&home.ctx())
        .build()
        .get()
        .await
        .unwrap();
    assert_eq!(c.provider_name().as_str(), "default/profile/static_ak");
    // Either OIDC variable configures it; a missing one is an error naming it.
    let home = home.set("ALIBABA_CLOUD_OIDC_PROVIDER_ARN", OIDC_PROVIDER);
    let e = DefaultChain::builder(&home.ctx())
        .build()
        .get()
        .await
        .unwrap_err();
    assert!(
        e.to_string().contains("ALIBABA_CLOUD_OIDC_TOKEN_FILE"),
        "{e}"
    );
    let home = home
        .set(
            "ALIBABA_CLOUD_OIDC_TOKEN_FILE",
            token_fixture().to_str().unwrap(),
        )
        .set("ALIBABA_CLOUD_ROLE_SESSION_NAME", "env-oidc-session");
    let c = DefaultChain::builder(&home.ctx())
        .build()
        .get()
        .await
        .unwrap();
    assert_eq!(c.provider_name().as_str(), "default/oidc_role_arn");
    let i = cloud.issued().pop().unwrap();
    assert_eq!(i.role_session_name.as_deref(), Some("env-oidc-session"));
    assert_token_in_body_only(&cloud.requests()[0]);

    // A configured OIDC source that STS refuses stops the chain (no INI fallback).
    cloud.set_fault(Endpoint::StsAssumeRoleWithOidc, Fault::Status(403));
    let e = DefaultChain::builder(&home.ctx())
        .build()
        .get()
        .await
        .unwrap_err();
    assert!(
        matches!(e.kind(), ErrorKind::Upstream { status: 403, .. }),
        "{e}"
    );
    assert_clean_error(&cloud, &e);
}

#[tokio::test]
async fn the_token_file_is_read_again_at_every_refresh() {
    let cloud = cloud::start(FakeCloudConfig::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("token");
    std::fs::write(&file, format!("  {FIXTURE_OIDC_TOKEN}\n\n")).unwrap();
    let mut time = TimeMachine::new(&cloud, 0);
    let p = SharedProvider::new(provider(&cloud, &file, Some(&time.clock)));
    let first = p.get().await.unwrap();

    // Rotated to a token STS does not accept: the next refresh sends it (and fails cleanly).
    let rotated = "eyJhbGciOiJSUzI1NiJ9.rotated-but-unknown.c2lnbmF0dXJl";
    std::fs::write(&file, rotated).unwrap();
    time.advance(3600);
    let e = p.get().await.unwrap_err();
    assert!(
        matches!(e.kind(), ErrorKind::Upstream { code: Some(c), .. } if c == "AuthenticationFail.OIDCToken.Invalid"),
        "{e}"
    );
    assert!(!format!("{e} {e:?}").contains(rotated));
    assert_clean_error(&cloud, &e);
    let last = cloud.requests().pop().unwrap();
    assert_eq!(last.param("OIDCToken"), Some(rotated));

    // An empty file: an error naming the path, before any request.
    std::fs::write(&file, "\n").unwrap();
    time.advance(120);
    let before = cloud.count(Endpoint::StsAssumeRoleWithOidc);
    let e = p.get().await.unwrap_err().to_string();
    assert!(
        e.contains(file.to_str().unwrap()) && e.contains("empty"),
        "{e}"
    );
    std::fs::remove_file(&file).unwrap();
    time.advance(120);
    let e = p.get().await.unwrap_err().to_string();
    assert!(e.contains(file.to_str().unwrap()), "{e}");
    assert_eq!(cloud.count(Endpoint::StsAssumeRoleWithOidc), before);

    // The right token again: the provider recovers without a restart.
    std::fs::write(&file, format!("{FIXTURE_OIDC_TOKEN}\n")).unwrap();
    time.advance(120);
    let c = p.get().await.unwrap();
    assert_ne!(c.access_key_id(), first.access_key_id());
}

#[tokio::test]
async fn settings_are_checked_before_any_request() {
    let cloud = cloud::start(FakeCloudConfig::default()).await;
    let ctx = cloud::home(&cloud).ctx();
    let b = || {
        OidcRoleArnProvider::builder(&ctx)
            .role_arn(ROLE)
            .oidc_provider_arn(OIDC_PROVIDER)
            .oidc_token_file(token_fixture())
    };
    let e = b().duration_seconds(899).build().unwrap_err().to_string();
    assert!(e.contains("899") && e.contains("900"), "{e}");
    let e = OidcRoleArnProvider::builder(&ctx)
        .role_arn(ROLE)
        .oidc_token_file(token_fixture())
        .build()
        .unwrap_err()
        .to_string();
    assert!(e.contains("ALIBABA_CLOUD_OIDC_PROVIDER_ARN"), "{e}");
    assert_eq!(cloud.count(Endpoint::StsAssumeRoleWithOidc), 0);

    // An empty policy is not sent; a policy with spaces is, and STS accepts it.
    let p = SharedProvider::new(b().policy("").build().unwrap());
    p.get().await.unwrap();
    assert!(cloud.requests()[0].param("Policy").is_none());
    let policy = r#"{"Statement": [{"Action": ["oss:*"], "Effect": "Allow", "Resource": ["*"]}], "Version": "1"}"#;
    let p = SharedProvider::new(b().policy(policy).duration_seconds(900).build().unwrap());
    p.get().await.unwrap();
    let i = cloud.issued().pop().unwrap();
    assert_eq!(
        (i.policy.as_deref(), i.duration_seconds),
        (Some(policy), Some(900))
    );
    // Builder values win over the environment.
    let ctx = cloud::home(&cloud)
        .set(
            "ALIBABA_CLOUD_ROLE_ARN",
            "acs:ram::1000000000000000:role/env",
        )
        .set("ALIBABA_CLOUD_ROLE_SESSION_NAME", "env-name")
        .ctx();
    let p = OidcRoleArnProvider::builder(&ctx)
        .role_arn(ROLE)
        .role_session_name("builder-name")
        .oidc_provider_arn(OIDC_PROVIDER)
        .oidc_token_file(token_fixture())
        .build()
        .unwrap();
    SharedProvider::new(p).get().await.unwrap();
    let i = cloud.issued().pop().unwrap();
    assert_eq!(
        (i.role_arn.as_deref(), i.role_session_name.as_deref()),
        (Some(ROLE), Some("builder-name"))
    );
}

#[tokio::test]
async fn faults_are_clear_errors_or_served_stale() {
    let cloud = cloud::start(FakeCloudConfig::default()).await;
    let faults = [
        Fault::Status(503),
        Fault::Delay(Duration::from_secs(3)),
        Fault::MalformedBody,
        Fault::TruncatedBody,
        Fault::ExpiredCredentials,
        Fault::MissingField("AccessKeyId"),
        Fault::DropConnection,
        Fault::Throttle,
    ];
    cloud::check_faults(
        &cloud,
        Endpoint::StsAssumeRoleWithOidc,
        "oidc_role_arn",
        &faults,
        |clock| SharedProvider::new(provider(&cloud, &token_fixture(), clock)),
    )
    .await;
    cloud.clear_faults();
    let p = provider(&cloud, &token_fixture(), None);
    let c = SharedProvider::new(p.clone()).get().await.unwrap();
    assert_clean(&cloud, &format!("{p:?} {c:?} {:?}", p.inspect()));
}
