//! Huawei providers through the real HTTP path against the fake cloud (spec 7, 8.1, 9, 10; the
//! `huaweicloud/` expectations of the fixtures README): metadata token modes and the agency
//! check, IdP federation from the environment and the federated profile fixture, temporary keys
//! from a token, the chains, every fault switch (clear error, or stale keys while valid) and the
//! secret-leak check.

mod common;

use cloudcred::http::RequestOptions;
use cloudcred::huawei::federation::IdpFederationProvider;
use cloudcred::huawei::metadata::MetadataProvider;
use cloudcred::huawei::{
    default_chain, obs_chain, CredentialType, ProfileProvider, TemporaryKeysProvider,
};
use cloudcred::prelude::*;
use cloudcred::{Context, ErrorKind, SharedProvider};
use cloudcred_fakecloud::{
    Endpoint, FakeCloud, FakeCloudConfig, Fault, ImdsMode, FIXTURE_HUAWEI_ID_TOKEN,
};
use common::fake::{assert_clean, assert_fault_error, assert_served_stale, manual_ctx};
use common::{fixture, fixtures_dir, Home};
use std::time::Duration;

const SHORT: Duration = Duration::from_millis(300);

async fn start(config: FakeCloudConfig) -> FakeCloud {
    FakeCloud::start(config).await.unwrap()
}

fn metadata(ctx: &Context, cloud: &FakeCloud) -> SharedProvider {
    SharedProvider::new(
        MetadataProvider::builder(ctx)
            .endpoint(cloud.base_url())
            .timeouts(Duration::from_secs(1), SHORT)
            .refresh(cloudcred::huawei::refresh_config().background(false))
            .build()
            .unwrap(),
    )
}

fn token_file() -> String {
    fixtures_dir()
        .join("tokens/huawei-id-token")
        .display()
        .to_string()
}

/// Huawei faults: the common ones with Huawei field names (a delay shorter than the engine's
/// deadline is no failure for these endpoints, so `Delay` is not among them).
fn faults() -> Vec<Fault> {
    vec![
        Fault::Status(500),
        Fault::Throttle,
        Fault::MalformedBody,
        Fault::TruncatedBody,
        Fault::ExpiredCredentials,
        Fault::MissingField("access"),
        Fault::MissingField("secret"),
        Fault::MissingField("securitytoken"),
        Fault::MissingField("expires_at"),
        Fault::DropConnection,
    ]
}

#[tokio::test]
async fn metadata_in_every_token_mode() {
    for mode in [ImdsMode::Both, ImdsMode::TokenRequired, ImdsMode::V1Only] {
        let cloud = start(FakeCloudConfig::default().with_hw_imds_mode(mode)).await;
        let (ctx, _clock) = manual_ctx(&[]);
        let c = metadata(&ctx, &cloud).get().await.unwrap();
        assert_eq!(c.provider_name().as_str(), "metadata");
        assert!(c.security_token().is_some() && c.expiration().is_some());
        let issued = cloud.issued();
        assert_eq!(issued.last().unwrap().access_key_id, c.access_key_id());
        assert_eq!(cloud.count(Endpoint::HwMetadataToken), 1, "{mode:?}");
        assert_eq!(cloud.count(Endpoint::HwSecurityKey), 1, "{mode:?}");
        assert_clean_text(&cloud, &format!("{c:?} {c}"));
    }
}

fn assert_clean_text(cloud: &FakeCloud, text: &str) {
    for i in cloud.issued() {
        assert!(!text.contains(&i.access_key_secret), "{text}");
        if let Some(t) = i.security_token {
            assert!(!text.contains(&t), "{text}");
        }
    }
    assert!(!text.contains(FIXTURE_HUAWEI_ID_TOKEN), "{text}");
}

#[tokio::test]
async fn metadata_without_agency() {
    let cloud = start(FakeCloudConfig::default().with_hw_metadata_agency(false)).await;
    let (ctx, _clock) = manual_ctx(&[
        ("HUAWEICLOUD_SDK_METADATA_ENDPOINT", &cloud.base_url()),
        ("HOME", "/nonexistent-cloudcred-home"),
    ]);
    let e = metadata(&ctx, &cloud).get().await.unwrap_err();
    assert!(e.to_string().contains("agency"), "{e}");
    let e = default_chain(&ctx).get().await.unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::NoCredentials { .. }), "{e}");
    assert!(e.to_string().contains("default/metadata: no agency"), "{e}");
}

#[tokio::test]
async fn metadata_faults_are_clear_errors_or_stale_keys() {
    let cloud = start(FakeCloudConfig::default()).await;
    for fault in faults() {
        for endpoint in [Endpoint::HwSecurityKey] {
            cloud.clear_faults();
            cloud.set_fault(endpoint, fault.clone());
            let (ctx, clock) = manual_ctx(&[]);
            let p = metadata(&ctx, &cloud);
            match p.get().await {
                Err(e) => assert_fault_error(&cloud, &fault, &e),
                Ok(_) => panic!("{fault:?} succeeded"),
            }
            // Fresh keys cached; a refresh inside the window fails and the old keys are served.
            let p = metadata(&ctx, &cloud);
            // 24 h lifetime, 40 min window: 30 min before expiry is inside it.
            assert_served_stale(
                &cloud,
                endpoint,
                &fault,
                &p,
                &clock,
                Duration::from_secs(23 * 3600 + 1800),
            )
            .await;
        }
    }
    // A token PUT answering 500 is an error too (not a v1 fallback).
    cloud.clear_faults();
    cloud.set_fault(Endpoint::HwMetadataToken, Fault::Status(500));
    let (ctx, _clock) = manual_ctx(&[]);
    let e = metadata(&ctx, &cloud).get().await.unwrap_err();
    assert!(e.to_string().contains("HTTP 500"), "{e}");
    assert_clean(&cloud, &e);
}

#[tokio::test]
async fn federation_from_env_and_obs_env() {
    let cloud = start(FakeCloudConfig::default()).await;
    let (ctx, _clock) = manual_ctx(&[
        ("HUAWEICLOUD_SDK_IDP_ID", "fake-fixture-idp"),
        ("HUAWEICLOUD_SDK_ID_TOKEN_FILE", &token_file()),
        ("HUAWEICLOUD_SDK_IAM_ENDPOINT", &cloud.base_url()),
        ("HUAWEICLOUD_SDK_PROJECT_ID", "proj-env"),
        ("HUAWEICLOUD_SDK_METADATA_DISABLED", "true"),
    ]);
    let c = default_chain(&ctx).get().await.unwrap();
    assert_eq!(c.provider_name().as_str(), "default/idp_federation");
    assert_eq!(c.project_id(), Some("proj-env"));
    let issued = cloud.issued();
    let last = issued.last().unwrap();
    assert_eq!(last.access_key_id, c.access_key_id());
    assert_eq!(last.duration_seconds, Some(21600));
    assert_eq!(cloud.count(Endpoint::HwIdTokenTokens), 1);

    let (ctx, _clock) = manual_ctx(&[
        ("HUAWEI_CLOUD_IDP_ID", "fake-fixture-idp"),
        ("OIDC_TOKEN_FILE", &token_file()),
        ("HUAWEICLOUD_SDK_IAM_ENDPOINT", &cloud.base_url()),
        ("HUAWEICLOUD_SDK_METADATA_DISABLED", "true"),
    ]);
    let c = obs_chain(&ctx).get().await.unwrap();
    assert_eq!(c.provider_name().as_str(), "obs_default/obs_oidc");
}

#[tokio::test]
async fn federated_profile_fixture() {
    let cloud = start(FakeCloudConfig::default()).await;
    let home = Home::new();
    let text = fixture("huaweicloud/credentials-federated")
        .replace("@FIXTURES@", fixtures_dir().to_str().unwrap())
        .replace("@PORT@", &cloud.port().to_string());
    home.write(".huaweicloud/credentials", &text);
    let (ctx, _clock) = manual_ctx(&[
        ("HOME", home.path().to_str().unwrap()),
        ("HUAWEICLOUD_SDK_METADATA_DISABLED", "true"),
    ]);
    let c = default_chain(&ctx).get().await.unwrap();
    assert_eq!(c.provider_name().as_str(), "default/profile/idp_federation");
    assert_ne!(c.access_key_id(), "FAKEHWIGNOREDAK00004");
    assert_eq!(c.project_id(), Some("0000000000000000fakeproject00004"));
    let reqs = cloud.requests();
    let step1 = reqs
        .iter()
        .find(|r| r.path == "/v3.0/OS-AUTH/id-token/tokens")
        .unwrap();
    assert_eq!(step1.header("x-idp-id"), Some("fake-fixture-idp"));
    assert!(reqs
        .iter()
        .any(|r| r.path == "/v3.0/OS-CREDENTIAL/securitytokens"));
}

#[tokio::test]
async fn static_profile_fixtures_through_the_chain() {
    let home = Home::new();
    home.install("huaweicloud/credentials", ".huaweicloud/credentials");
    let (ctx, _clock) = manual_ctx(&[
        ("HOME", home.path().to_str().unwrap()),
        ("HUAWEICLOUD_SDK_METADATA_DISABLED", "true"),
    ]);
    let c = default_chain(&ctx).get().await.unwrap();
    assert_eq!(
        (c.access_key_id(), c.provider_name().as_str()),
        ("FAKEHWBASICAK0000001", "default/profile/static_ak")
    );
    let c = cloudcred::huawei::DefaultChain::builder(&ctx)
        .credential_type(CredentialType::Global)
        .build()
        .get()
        .await
        .unwrap();
    assert_eq!(c.domain_id(), Some("0000000000000000fakedomain000002"));
    let home = Home::new();
    home.install(
        "huaweicloud/credentials-partial",
        ".huaweicloud/credentials",
    );
    let (ctx, _clock) = manual_ctx(&[("HOME", home.path().to_str().unwrap())]);
    let e = default_chain(&ctx).get().await.unwrap_err().to_string();
    assert!(e.contains("[basic]") && e.contains("sk is not"), "{e}");
    let p = ProfileProvider::new(&ctx, CredentialType::Basic);
    assert!(SharedProvider::new(p).get().await.is_err());
}

#[tokio::test]
async fn federation_faults_and_refusals() {
    let cloud = start(FakeCloudConfig::default()).await;
    let build = |ctx: &Context, idp: &str| {
        SharedProvider::new(
            IdpFederationProvider::builder(ctx, idp, token_file())
                .iam_endpoint(cloud.base_url())
                .refresh(cloudcred::huawei::refresh_config().background(false))
                .build()
                .unwrap(),
        )
    };
    let (ctx, _clock) = manual_ctx(&[]);
    let e = build(&ctx, "unknown-idp").get().await.unwrap_err();
    assert!(e.to_string().contains("IAM.0004"), "{e}");
    assert_clean_text(&cloud, &format!("{e} {e:?}"));
    for endpoint in [Endpoint::HwIdTokenTokens, Endpoint::HwSecurityTokens] {
        for fault in [
            Fault::Status(500),
            Fault::Status(403),
            Fault::DropConnection,
            Fault::MalformedBody,
            Fault::ExpiredCredentials,
        ] {
            if endpoint == Endpoint::HwIdTokenTokens && fault == Fault::MalformedBody {
                // Step 1 reads only the X-Subject-Token header: its body does not matter.
                continue;
            }
            cloud.clear_faults();
            cloud.set_fault(endpoint, fault.clone());
            let (ctx, clock) = manual_ctx(&[]);
            if let Err(e) = build(&ctx, "fake-fixture-idp").get().await {
                assert_clean(&cloud, &e);
                assert_clean_text(&cloud, &format!("{e} {e:?}"));
            }
            let p = build(&ctx, "fake-fixture-idp");
            // 6 h keys, 40 min window: 30 min before expiry.
            assert_served_stale(
                &cloud,
                endpoint,
                &fault,
                &p,
                &clock,
                Duration::from_secs(5 * 3600 + 1800),
            )
            .await;
        }
    }
}

#[tokio::test]
async fn temporary_keys_from_a_federation_token() {
    let cloud = start(FakeCloudConfig::default()).await;
    let (ctx, _clock) = manual_ctx(&[("HUAWEICLOUD_SDK_IAM_ENDPOINT", &cloud.base_url())]);
    // Step 1 by hand, to hold a token.
    let req = http::Request::builder()
        .method("POST")
        .uri(cloud.url("/v3.0/OS-AUTH/id-token/tokens"))
        .header("content-type", "application/json;charset=utf8")
        .header("x-idp-id", "fake-fixture-idp")
        .body(
            serde_json::json!({"auth": {"id_token": {"id": FIXTURE_HUAWEI_ID_TOKEN}}})
                .to_string()
                .into_bytes(),
        )
        .unwrap();
    let r = ctx
        .http()
        .send(req, &RequestOptions::credential_service())
        .await
        .unwrap();
    let token = r.headers["x-subject-token"].to_str().unwrap().to_owned();
    let p = TemporaryKeysProvider::builder(&ctx, token.as_str())
        .duration_seconds(900)
        .project_id("proj-t")
        .build()
        .unwrap();
    assert!(!format!("{p:?}").contains(&token));
    let c = SharedProvider::new(p).get().await.unwrap();
    assert_eq!(c.provider_name().as_str(), "temporary_keys");
    assert_eq!(cloud.issued().last().unwrap().duration_seconds, Some(900));
    let p = TemporaryKeysProvider::builder(&ctx, "not-a-known-token")
        .build()
        .unwrap();
    let e = SharedProvider::new(p).get().await.unwrap_err();
    assert!(e.to_string().contains("IAM.0006"), "{e}");
}

#[tokio::test]
async fn default_chain_falls_through_to_metadata() {
    let cloud = start(FakeCloudConfig::default()).await;
    let (ctx, _clock) = manual_ctx(&[
        ("HUAWEICLOUD_SDK_METADATA_ENDPOINT", &cloud.base_url()),
        ("HOME", "/nonexistent-cloudcred-home"),
    ]);
    let c = default_chain(&ctx).get().await.unwrap();
    assert_eq!(c.provider_name().as_str(), "default/metadata");
}
