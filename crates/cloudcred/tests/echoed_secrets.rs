//! Echoed secrets (issue 11, item 10): every network provider of both clouds meets an endpoint
//! that quotes the request back in its error (the fake cloud's `Fault::Echo`: path and query,
//! body, header values). The echo reaches the error, scrubbed: no query token, bearer or OIDC
//! token, refresh token, metadata token, security token or signature appears in the error
//! (`Display`, `Debug`) or in any TRACE log line.

mod common;

use cloudcred::alibaba::oauth::{OAuthProvider, Site};
use cloudcred::alibaba::{
    CredentialsUriProvider, DefaultChain, EcsRamRoleProvider, RamRoleArnProvider, StaticProvider,
};
use cloudcred::engine::RefreshConfig;
use cloudcred::huawei::federation::IdpFederationProvider;
use cloudcred::huawei::metadata::MetadataProvider;
use cloudcred::huawei::{IdToken, OidcStsProvider, PodIdentityProvider, TemporaryKeysProvider};
use cloudcred::model::SecretString;
use cloudcred::prelude::*;
use cloudcred::{Credentials, MapEnv, SharedProvider};
use cloudcred_fakecloud::{Endpoint, FakeCloud, FakeCloudConfig, Fault, FIXTURE_HUAWEI_ID_TOKEN};
use common::cloud;
use common::trace::trace_capture;
use std::sync::Arc;
use std::time::Duration;

const URI_TOKEN: &str = "PLANTED-URI-QUERY-TOKEN-0001";
const PREVIOUS_TOKEN: &str = "PLANTED-PREVIOUS-SECURITY-TOKEN-0001";
const IAM_TOKEN: &str = "PLANTED-IAM-X-AUTH-TOKEN-0001";
const POD_TOKEN: &str = "PLANTED-POD-TOKEN-0001";
const REDACTED: &str = "** redacted **";

/// Every value the fake cloud received as a query or form parameter that signs or
/// authenticates: the signatures and security tokens of the STS calls.
fn sent_signatures(cloud: &FakeCloud) -> Vec<String> {
    cloud
        .requests()
        .iter()
        .flat_map(|r| {
            ["Signature", "SecurityToken", "OIDCToken", "refresh_token"]
                .into_iter()
                .filter_map(|k| r.param(k).map(str::to_owned))
        })
        .filter(|v| v.len() >= 8)
        .collect()
}

fn scan(cloud: &FakeCloud, what: &str, text: &str) {
    cloud::assert_clean(cloud, text);
    for planted in [
        URI_TOKEN,
        PREVIOUS_TOKEN,
        IAM_TOKEN,
        POD_TOKEN,
        FIXTURE_HUAWEI_ID_TOKEN,
    ] {
        assert!(!text.contains(planted), "{what}: {planted} leaked: {text}");
    }
    for sent in sent_signatures(cloud) {
        assert!(!text.contains(&sent), "{what}: {sent} leaked: {text}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn echoed_requests_never_bring_a_secret_into_an_error_or_a_log() {
    let capture = trace_capture();
    let fake = cloud::start(FakeCloudConfig::default()).await;
    let home = cloud::with_cli_config(
        cloud::home(&fake).set("ALIBABA_CLOUD_OAUTH_ENDPOINT", &fake.base_url()),
        &fake,
    );
    let config = home.path().join(".aliyun/config.json");
    let refresh = || RefreshConfig::default().background(false);
    let hw_refresh = || cloudcred::huawei::refresh_config().background(false);
    let (hw_ctx, _clock) = common::fake::manual_ctx(&[]);
    let uri = fake.url(&format!("/uri/fixture?token={URI_TOKEN}&v=1"));

    // (what, endpoint, status of the echo, provider, whether the request carried a secret).
    let mut cases: Vec<(&str, Endpoint, u16, SharedProvider, bool)> = Vec::new();
    for (what, status) in [("credentials uri 500", 500), ("credentials uri 200", 200)] {
        let p = CredentialsUriProvider::builder(&home.ctx())
            .uri(&uri)
            .request_options(cloud::short())
            .refresh(refresh())
            .build()
            .unwrap();
        cases.push((what, Endpoint::CredentialsUri, status, p.into(), true));
    }
    let ecs = EcsRamRoleProvider::builder(&cloudcred::Context::from_env(MapEnv::default()))
        .endpoint(fake.base_url())
        .timeouts(Duration::from_millis(500), Duration::from_millis(500))
        .refresh(refresh())
        .build()
        .unwrap();
    cases.push((
        "ecs metadata",
        Endpoint::ImdsCredentials,
        200,
        ecs.into(),
        true,
    ));
    let previous =
        StaticProvider::sts("STS.FAKEPREVIOUS", "fake-previous-secret-1", PREVIOUS_TOKEN).unwrap();
    let assume = RamRoleArnProvider::builder(&home.ctx(), previous)
        .role_arn("acs:ram::1000000000000000:role/fake-builder-role")
        .role_session_name("echo-session")
        .sts_endpoint(fake.base_url())
        .request_options(cloud::short())
        .refresh(refresh())
        .build()
        .unwrap();
    cases.push((
        "sts assume role",
        Endpoint::StsAssumeRole,
        400,
        assume.into(),
        true,
    ));
    for (what, profile, endpoint, status) in [
        ("sts oidc", "oidc", Endpoint::StsAssumeRoleWithOidc, 400),
        ("cloud sso", "sso", Endpoint::CloudSso, 403),
        ("oauth refresh", "oauth-cn", Endpoint::OAuthToken, 400),
    ] {
        let ctx = cloud::ctx_for_profile(&home, profile);
        let p = SharedProvider::new(cloudcred::alibaba::CliProfileProvider::new(&ctx));
        cases.push((what, endpoint, status, p, true));
    }
    let exchange = OAuthProvider::builder(&home.ctx(), &config, "oauth-intl-no-refresh")
        .site(Site::Cn)
        .base_url(fake.base_url())
        .build()
        .unwrap();
    cases.push((
        "oauth exchange",
        Endpoint::OAuthExchange,
        401,
        exchange.into(),
        true,
    ));
    let oidc = OidcStsProvider::builder(
        &hw_ctx,
        "urn:fake:identity-provider:fixture",
        "urn:fake:agency:fixture",
        IdToken::Inline(SecretString::new(FIXTURE_HUAWEI_ID_TOKEN)),
    )
    .sts_endpoint(fake.base_url())
    .request_options(cloud::short())
    .refresh(hw_refresh())
    .build()
    .unwrap();
    cases.push((
        "huawei oidc sts",
        Endpoint::HwOidcSts,
        400,
        SharedProvider::new(oidc),
        true,
    ));
    let token_file = common::fixtures_dir().join("tokens/huawei-id-token");
    let federation = IdpFederationProvider::builder(
        &hw_ctx,
        "fake-fixture-idp",
        token_file.display().to_string(),
    )
    .iam_endpoint(fake.base_url())
    .refresh(hw_refresh())
    .build()
    .unwrap();
    cases.push((
        "huawei federation",
        Endpoint::HwIdTokenTokens,
        401,
        SharedProvider::new(federation),
        true,
    ));
    let temporary = TemporaryKeysProvider::builder(&hw_ctx, IAM_TOKEN)
        .iam_endpoint(fake.base_url())
        .build()
        .unwrap();
    cases.push((
        "huawei temporary keys",
        Endpoint::HwSecurityTokens,
        401,
        SharedProvider::new(temporary),
        true,
    ));
    let pod_token = home.write("pod-token", POD_TOKEN);
    let pod = PodIdentityProvider::builder(&hw_ctx)
        .uri(fake.url("/v1/pod-identity/credentials"))
        .token_file(&pod_token)
        .request_options(cloud::short())
        .refresh(hw_refresh())
        .build()
        .unwrap();
    cases.push((
        "huawei pod identity",
        Endpoint::HwPodIdentity,
        403,
        SharedProvider::new(pod),
        true,
    ));
    let hw_metadata = MetadataProvider::builder(&hw_ctx)
        .endpoint(fake.base_url())
        .timeouts(Duration::from_secs(1), Duration::from_millis(500))
        .refresh(hw_refresh())
        .build()
        .unwrap();
    cases.push((
        "huawei metadata",
        Endpoint::HwSecurityKey,
        500,
        SharedProvider::new(hw_metadata),
        true,
    ));

    for (what, endpoint, status, provider, carried_secret) in cases {
        fake.clear_faults();
        fake.set_fault(endpoint, Fault::Echo(status));
        let got: cloudcred::Result<Arc<Credentials>> = provider.get().await;
        let e = got.expect_err(what);
        let text = format!("{e} | {e:?} | {e:#?}");
        assert!(
            text.contains("echo of"),
            "{what}: the echo reaches the error: {text}"
        );
        if carried_secret {
            assert!(
                text.contains(REDACTED),
                "{what}: a secret was echoed and redacted: {text}"
            );
        }
        scan(&fake, what, &text);
    }

    // Through a chain, which logs the failing provider's error.
    fake.clear_faults();
    fake.set_fault(Endpoint::CredentialsUri, Fault::Echo(500));
    let chain_ctx = cloudcred::Context::from_env(
        MapEnv::default()
            .with("ALIBABA_CLOUD_CREDENTIALS_URI", &uri)
            .with("HOME", "/nonexistent-cloudcred-home"),
    );
    let e = DefaultChain::builder(&chain_ctx)
        .build()
        .get()
        .await
        .unwrap_err();
    scan(&fake, "chain", &format!("{e} | {e:?}"));
    fake.clear_faults();

    let logs = capture.text();
    assert!(
        logs.contains("provider failed; the chain stops") && logs.contains("echo of"),
        "the echo is logged: {logs}"
    );
    scan(&fake, "logs", &logs);
    fake.shutdown();
}

/// A discovered ECS role name is the metadata service's text too: an error quoting it is capped
/// like a message, not the 3000 characters the service sent.
#[tokio::test]
async fn a_discovered_role_name_is_capped_in_errors() {
    let role = "r".repeat(3000);
    let fake = cloud::start(FakeCloudConfig::default().with_imds_role(Some(role.as_str()))).await;
    fake.set_fault(Endpoint::ImdsCredentials, Fault::Status(404));
    let p: SharedProvider =
        EcsRamRoleProvider::builder(&cloudcred::Context::from_env(MapEnv::default()))
            .endpoint(fake.base_url())
            .timeouts(Duration::from_millis(500), Duration::from_millis(500))
            .refresh(RefreshConfig::default().background(false))
            .build()
            .unwrap()
            .into();
    let e = p.get().await.unwrap_err().to_string();
    assert!(e.contains("is not attached to this instance"), "{e}");
    assert!(e.len() < 2000, "{} characters: {e}", e.len());
    fake.shutdown();
}
