//! The Huawei OIDC STS (`assume-with-oidc`, spec 8.2) and CCE pod identity (5.6) providers
//! through the real HTTP path against the fake cloud: the request bodies as the fake cloud
//! recorded them, token-file rotation, the environment rules, fault switches (clear error or
//! stale keys while valid), their places in the default chain (10.2, H7) and the leak checks.

mod common;

use cloudcred::http::RequestOptions;
use cloudcred::huawei::oidc_sts::{
    AGENCY_URN_VAR, DURATION_VAR, ID_TOKEN_VAR, POLICY_IDS_VAR, POLICY_VAR, PROVIDER_URN_VAR,
    SESSION_NAME_VAR, STS_ENDPOINT_VAR, TOKEN_FILE_VAR,
};
use cloudcred::huawei::pod_identity::{AUTHORIZATION_TOKEN_FILE_VAR, FULL_URI_VAR};
use cloudcred::huawei::{default_chain, obs_chain, IdToken, OidcStsProvider, PodIdentityProvider};
use cloudcred::model::SecretString;
use cloudcred::prelude::*;
use cloudcred::{Context, ErrorKind, SharedProvider};
use cloudcred_fakecloud::{
    Endpoint, FakeCloud, FakeCloudConfig, Fault, RecordedRequest, FIXTURE_HUAWEI_ID_TOKEN,
    FIXTURE_HUAWEI_POD_TOKEN,
};
use common::fake::{assert_clean, assert_fault_error, assert_served_stale, manual_ctx};
use serde_json::Value;
use std::path::Path;
use std::time::Duration;

const PROVIDER: &str = "urn:fake:identity-provider:fixture";
const AGENCY: &str = "urn:fake:agency:fixture";
const POD_PATH: &str = "/v1/pod-identity/credentials";

async fn start() -> FakeCloud {
    FakeCloud::start(FakeCloudConfig::default()).await.unwrap()
}

/// No retries and short timeouts: every fault shows on the first fetch.
fn quick() -> RequestOptions {
    RequestOptions::credential_service()
        .with_timeouts(Duration::from_secs(1), Duration::from_millis(500))
        .with_retries(0)
}

fn oidc(ctx: &Context, cloud: &FakeCloud, token: IdToken) -> SharedProvider {
    SharedProvider::new(
        OidcStsProvider::builder(ctx, PROVIDER, AGENCY, token)
            .sts_endpoint(cloud.base_url())
            .request_options(quick())
            .refresh(cloudcred::huawei::refresh_config().background(false))
            .build()
            .unwrap(),
    )
}

fn pod(ctx: &Context, cloud: &FakeCloud, token_file: &Path) -> SharedProvider {
    SharedProvider::new(
        PodIdentityProvider::builder(ctx)
            .uri(cloud.url(POD_PATH))
            .token_file(token_file)
            .request_options(quick())
            .refresh(cloudcred::huawei::refresh_config().background(false))
            .build()
            .unwrap(),
    )
}

fn last(cloud: &FakeCloud, endpoint: Endpoint) -> RecordedRequest {
    cloud
        .requests()
        .into_iter()
        .rev()
        .find(|r| r.endpoint == Some(endpoint))
        .expect("a recorded request")
}

fn body(r: &RecordedRequest) -> Value {
    serde_json::from_str(&r.body).unwrap()
}

/// No issued secret, no id token, no pod authorization token in `text`.
fn assert_no_leak(cloud: &FakeCloud, text: &str, extra: &[&str]) {
    common::cloud::assert_clean(cloud, text);
    for s in [FIXTURE_HUAWEI_ID_TOKEN, FIXTURE_HUAWEI_POD_TOKEN]
        .iter()
        .chain(extra)
    {
        assert!(!text.contains(s), "a token leaked into: {text}");
    }
}

fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> std::path::PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[tokio::test]
async fn oidc_sts_from_env_sends_every_field_unsigned() {
    let cloud = start().await;
    let (ctx, _clock) = manual_ctx(&[
        (PROVIDER_URN_VAR, PROVIDER),
        (AGENCY_URN_VAR, AGENCY),
        (ID_TOKEN_VAR, FIXTURE_HUAWEI_ID_TOKEN),
        (STS_ENDPOINT_VAR, &cloud.base_url()),
        (SESSION_NAME_VAR, "ci-session"),
        (DURATION_VAR, "7200"),
        (POLICY_VAR, r#"{"Version":"5.0","Statement":[]}"#),
        (POLICY_IDS_VAR, " id-1, ,id-2 "),
        ("HUAWEICLOUD_SDK_PROJECT_ID", "proj-env"),
        ("HUAWEICLOUD_SDK_METADATA_DISABLED", "true"),
    ]);
    let c = default_chain(&ctx).get().await.unwrap();
    assert_eq!(c.provider_name().as_str(), "default/oidc_sts");
    assert_eq!(c.project_id(), Some("proj-env"));
    assert!(c.security_token().is_some() && c.expiration().is_some());
    let r = last(&cloud, Endpoint::HwOidcSts);
    assert_eq!(
        (r.method.as_str(), r.path.as_str()),
        ("POST", "/v5/agencies/assume-with-oidc")
    );
    assert!(r.query.is_empty() && !r.token_in_query);
    assert!(!r.path.contains(FIXTURE_HUAWEI_ID_TOKEN));
    assert!(r.header("authorization").is_none(), "unsigned (H13)");
    assert!(r.header("x-sdk-date").is_none(), "unsigned (H13)");
    let b = body(&r);
    assert_eq!(b["provider_urn"], PROVIDER);
    assert_eq!(b["agency_urn"], AGENCY);
    assert_eq!(b["agency_session_name"], "ci-session");
    assert_eq!(b["id_token"], FIXTURE_HUAWEI_ID_TOKEN);
    assert_eq!(b["duration_seconds"], 7200);
    assert_eq!(b["policy"], r#"{"Version":"5.0","Statement":[]}"#);
    assert_eq!(b["policy_ids"], serde_json::json!(["id-1", "id-2"]));
    let issued = cloud.issued();
    let i = issued.last().unwrap();
    assert_eq!(i.access_key_id, c.access_key_id());
    assert_eq!(i.role_arn.as_deref(), Some(AGENCY));
    assert_eq!(i.duration_seconds, Some(7200));
    assert_no_leak(&cloud, &format!("{c:?} {c}"), &[]);
}

#[tokio::test]
async fn oidc_sts_defaults_and_token_file_rotation() {
    let cloud = start().await;
    let dir = tempfile::tempdir().unwrap();
    let file = write(&dir, "token", &format!("{FIXTURE_HUAWEI_ID_TOKEN}\n"));
    let (ctx, clock) = manual_ctx(&[]);
    let p = oidc(&ctx, &cloud, IdToken::File(file.clone()));
    let first = p.get().await.unwrap();
    assert_eq!(first.provider_name().as_str(), "oidc_sts");
    let b = body(&last(&cloud, Endpoint::HwOidcSts));
    assert_eq!(b["agency_session_name"], "oidc-sts-session");
    assert_eq!(b["duration_seconds"], 3600);
    assert_eq!(b["id_token"], FIXTURE_HUAWEI_ID_TOKEN, "trimmed");
    assert!(b.get("policy").is_none() && b.get("policy_ids").is_none());

    // The token rotates in place: the refresh sends the new one (the fake refuses it, so the
    // still-valid keys are served).
    std::fs::write(&file, "rotated-planted-token").unwrap();
    clock.advance(Duration::from_secs(45 * 60));
    let served = p.get().await.unwrap();
    assert_eq!(served.access_key_id(), first.access_key_id());
    let r = last(&cloud, Endpoint::HwOidcSts);
    assert_eq!(body(&r)["id_token"], "rotated-planted-token");
    assert_eq!(cloud.count(Endpoint::HwOidcSts), 2);

    // A refused token on a fresh provider: a clear error without the token.
    let e = oidc(&ctx, &cloud, IdToken::File(file.clone()))
        .get()
        .await
        .unwrap_err();
    let text = format!("{e} {e:?}");
    assert!(
        text.contains("HTTP 401") && text.contains("STS.0003"),
        "{text}"
    );
    assert_no_leak(&cloud, &text, &["rotated-planted-token"]);

    // Back to a good token: the next provider works again.
    std::fs::write(&file, FIXTURE_HUAWEI_ID_TOKEN).unwrap();
    assert!(oidc(&ctx, &cloud, IdToken::File(file)).get().await.is_ok());
    let e = oidc(&ctx, &cloud, IdToken::File(dir.path().join("missing")))
        .get()
        .await
        .unwrap_err();
    assert!(e.to_string().contains("missing"), "{e}");
}

#[tokio::test]
async fn oidc_sts_env_rules() {
    let cloud = start().await;
    let base = cloud.base_url();
    let common: Vec<(&str, &str)> = vec![
        ("HOME", "/nonexistent-cloudcred-home"),
        ("HUAWEICLOUD_SDK_METADATA_DISABLED", "true"),
        (STS_ENDPOINT_VAR, &base),
    ];
    let with = |extra: &[(&str, &str)]| {
        let vars: Vec<(&str, &str)> = common.iter().chain(extra).copied().collect();
        manual_ctx(&vars).0
    };
    // Not configured: the chain moves on and names the reason.
    let e = default_chain(&with(&[])).get().await.unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::NoCredentials { .. }), "{e}");
    assert!(
        e.to_string().contains("default/oidc_sts")
            && e.to_string().contains(&format!(
                "{PROVIDER_URN_VAR} and {AGENCY_URN_VAR} are not set"
            )),
        "{e}"
    );
    // A partial or contradictory set stops the chain with an error naming what is wrong.
    let missing_agency = format!("but {AGENCY_URN_VAR} is not set");
    let missing_token = format!("but {ID_TOKEN_VAR} or {TOKEN_FILE_VAR} is not set");
    let cases: [(&[(&str, &str)], &str); 3] = [
        (
            &[
                (PROVIDER_URN_VAR, PROVIDER),
                (ID_TOKEN_VAR, FIXTURE_HUAWEI_ID_TOKEN),
            ],
            &missing_agency,
        ),
        (
            &[(PROVIDER_URN_VAR, PROVIDER), (AGENCY_URN_VAR, AGENCY)],
            &missing_token,
        ),
        (
            &[
                (PROVIDER_URN_VAR, PROVIDER),
                (AGENCY_URN_VAR, AGENCY),
                (ID_TOKEN_VAR, FIXTURE_HUAWEI_ID_TOKEN),
                (TOKEN_FILE_VAR, "/some/token"),
            ],
            "ambiguous",
        ),
    ];
    for (extra, expected) in cases {
        let e = default_chain(&with(extra)).get().await.unwrap_err();
        assert!(!matches!(e.kind(), ErrorKind::NoCredentials { .. }), "{e}");
        assert!(e.to_string().contains(expected), "{e}");
        assert_no_leak(&cloud, &format!("{e} {e:?}"), &[]);
    }
    assert_eq!(
        cloud.count(Endpoint::HwOidcSts),
        0,
        "no request for a bad set"
    );
}

#[tokio::test]
async fn oidc_sts_faults_are_clear_errors_or_stale_keys() {
    let cloud = start().await;
    for fault in [
        Fault::Status(500),
        Fault::Status(403),
        Fault::Throttle,
        Fault::MalformedBody,
        Fault::TruncatedBody,
        Fault::ExpiredCredentials,
        Fault::MissingField("access_key_id"),
        Fault::MissingField("secret_access_key"),
        Fault::MissingField("security_token"),
        Fault::MissingField("expiration"),
        Fault::DropConnection,
    ] {
        cloud.clear_faults();
        cloud.set_fault(Endpoint::HwOidcSts, fault.clone());
        let (ctx, clock) = manual_ctx(&[]);
        let token = || IdToken::Inline(SecretString::new(FIXTURE_HUAWEI_ID_TOKEN));
        match oidc(&ctx, &cloud, token()).get().await {
            Err(e) => {
                assert_fault_error(&cloud, &fault, &e);
                assert_no_leak(&cloud, &format!("{e} {e:?}"), &[]);
            }
            Ok(_) => panic!("{fault:?} succeeded"),
        }
        // 1 h keys, window clipped to 30 min: 45 min later a refresh is due, the keys still valid.
        let p = oidc(&ctx, &cloud, token());
        assert_served_stale(
            &cloud,
            Endpoint::HwOidcSts,
            &fault,
            &p,
            &clock,
            Duration::from_secs(45 * 60),
        )
        .await;
    }
}

#[tokio::test]
async fn pod_identity_success_rotation_and_refusal() {
    let cloud = start().await;
    let dir = tempfile::tempdir().unwrap();
    let file = write(&dir, "pod-token", &format!("{FIXTURE_HUAWEI_POD_TOKEN}\n"));
    let (ctx, clock) = manual_ctx(&[
        (FULL_URI_VAR, &cloud.url(POD_PATH)),
        (AUTHORIZATION_TOKEN_FILE_VAR, file.to_str().unwrap()),
        ("HUAWEICLOUD_SDK_DOMAIN_ID", "dom-env"),
        ("HUAWEICLOUD_SDK_METADATA_DISABLED", "true"),
        ("HOME", "/nonexistent-cloudcred-home"),
    ]);
    let c = default_chain(&ctx).get().await.unwrap();
    assert_eq!(c.provider_name().as_str(), "default/pod_identity");
    let r = last(&cloud, Endpoint::HwPodIdentity);
    assert_eq!(r.method, "POST");
    assert_eq!(r.header("authorization"), Some(FIXTURE_HUAWEI_POD_TOKEN));
    assert_eq!(r.body, "{}");
    assert!(r.query.is_empty());
    assert_eq!(
        cloud.issued().last().unwrap().access_key_id,
        c.access_key_id()
    );
    // The global chain attaches the domain id.
    let chain = cloudcred::huawei::DefaultChain::builder(&ctx)
        .credential_type(cloudcred::huawei::CredentialType::Global)
        .build();
    assert_eq!(chain.get().await.unwrap().domain_id(), Some("dom-env"));
    assert_no_leak(&cloud, &format!("{c:?} {c} {chain:?}"), &[]);

    // The token file is re-read at each refresh.
    let p = pod(&ctx, &cloud, &file);
    let first = p.get().await.unwrap();
    std::fs::write(&file, "wrong-planted-pod-token").unwrap();
    clock.advance(Duration::from_secs(45 * 60));
    assert_eq!(
        p.get().await.unwrap().access_key_id(),
        first.access_key_id()
    );
    let r = last(&cloud, Endpoint::HwPodIdentity);
    assert_eq!(r.header("authorization"), Some("wrong-planted-pod-token"));

    // A wrong token on a fresh provider: HTTP 401, without the token.
    let e = pod(&ctx, &cloud, &file).get().await.unwrap_err();
    let text = format!("{e} {e:?}");
    assert!(
        text.contains("HTTP 401") && text.contains("POD.0003"),
        "{text}"
    );
    assert_no_leak(&cloud, &text, &["wrong-planted-pod-token"]);
    assert_no_leak(&cloud, &format!("{p:?}"), &["wrong-planted-pod-token"]);
}

#[tokio::test]
async fn pod_identity_faults_and_not_configured() {
    let cloud = start().await;
    let dir = tempfile::tempdir().unwrap();
    let file = write(&dir, "pod-token", FIXTURE_HUAWEI_POD_TOKEN);
    for fault in [
        Fault::Status(503),
        Fault::MalformedBody,
        Fault::ExpiredCredentials,
        Fault::MissingField("securitytoken"),
        Fault::DropConnection,
    ] {
        cloud.clear_faults();
        cloud.set_fault(Endpoint::HwPodIdentity, fault.clone());
        let (ctx, clock) = manual_ctx(&[]);
        let e = pod(&ctx, &cloud, &file).get().await.unwrap_err();
        assert_fault_error(&cloud, &fault, &e);
        assert_clean(&cloud, &e);
        let p = pod(&ctx, &cloud, &file);
        assert_served_stale(
            &cloud,
            Endpoint::HwPodIdentity,
            &fault,
            &p,
            &clock,
            Duration::from_secs(45 * 60),
        )
        .await;
    }
    // URI unset: not configured, and the chain says why.
    let (ctx, _clock) = manual_ctx(&[
        (AUTHORIZATION_TOKEN_FILE_VAR, file.to_str().unwrap()),
        ("HUAWEICLOUD_SDK_METADATA_DISABLED", "true"),
        ("HOME", "/nonexistent-cloudcred-home"),
    ]);
    let e = default_chain(&ctx).get().await.unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::NoCredentials { .. }), "{e}");
    assert!(
        e.to_string()
            .contains(&format!("default/pod_identity: {FULL_URI_VAR} is not set")),
        "{e}"
    );
    // Plain HTTP to a routable host is refused before any request.
    let (ctx, _clock) = manual_ctx(&[
        (FULL_URI_VAR, "http://pods.example.com/credentials"),
        (AUTHORIZATION_TOKEN_FILE_VAR, file.to_str().unwrap()),
        ("HUAWEICLOUD_SDK_METADATA_DISABLED", "true"),
    ]);
    let e = default_chain(&ctx).get().await.unwrap_err();
    assert!(e.to_string().contains(FULL_URI_VAR), "{e}");
}

#[tokio::test]
async fn default_chain_takes_oidc_sts_first_and_pod_before_metadata() {
    let cloud = start().await;
    let dir = tempfile::tempdir().unwrap();
    let file = write(&dir, "pod-token", FIXTURE_HUAWEI_POD_TOKEN);
    let uri = cloud.url(POD_PATH);
    let base = cloud.base_url();
    let everything = [
        (PROVIDER_URN_VAR, PROVIDER),
        (AGENCY_URN_VAR, AGENCY),
        (ID_TOKEN_VAR, FIXTURE_HUAWEI_ID_TOKEN),
        (STS_ENDPOINT_VAR, base.as_str()),
        ("HUAWEICLOUD_SDK_AK", "FAKEHWAK"),
        ("HUAWEICLOUD_SDK_SK", "planted-hw-sk"),
        (FULL_URI_VAR, uri.as_str()),
        (AUTHORIZATION_TOKEN_FILE_VAR, file.to_str().unwrap()),
        ("HUAWEICLOUD_SDK_METADATA_ENDPOINT", base.as_str()),
        ("HOME", "/nonexistent-cloudcred-home"),
    ];
    let (ctx, _clock) = manual_ctx(&everything);
    let c = default_chain(&ctx).get().await.unwrap();
    assert_eq!(c.provider_name().as_str(), "default/oidc_sts");
    let c = obs_chain(&ctx).get().await.unwrap();
    assert_eq!(c.provider_name().as_str(), "obs_default/oidc_sts");
    assert_eq!(cloud.count(Endpoint::HwPodIdentity), 0);

    // Without OIDC STS and AK/SK: pod identity wins over metadata (H7).
    let (ctx, _clock) = manual_ctx(&everything[4..]);
    assert_eq!(
        default_chain(&ctx)
            .get()
            .await
            .unwrap()
            .provider_name()
            .as_str(),
        "default/env"
    );
    let (ctx, _clock) = manual_ctx(&everything[6..]);
    assert_eq!(
        default_chain(&ctx)
            .get()
            .await
            .unwrap()
            .provider_name()
            .as_str(),
        "default/pod_identity"
    );
    assert_eq!(cloud.count(Endpoint::HwSecurityKey), 0);
    assert_eq!(cloud.count(Endpoint::HwMetadataToken), 0);
}
