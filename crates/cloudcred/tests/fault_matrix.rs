//! The fault matrix (issue 7, item 1): every Alibaba and Huawei network provider × every
//! fake-cloud fault switch, in two states — nothing cached (a clear error naming the provider,
//! within the short timeouts) and a usable credential cached in the refresh window (the cached
//! credential is served and a refresh was attempted). Every cell: no panic, bounded time, nothing
//! secret in the error. The matrix is printed (`cargo test --test fault_matrix -- --nocapture`)
//! and recorded in `docs/reliability.md`.

mod common;

use cloudcred::alibaba::oauth::{OAuthProvider, Site};
use cloudcred::alibaba::{
    CloudSsoProvider, CredentialsUriProvider, EcsRamRoleProvider, OidcRoleArnProvider,
    RamRoleArnProvider, RsaKeyPairProvider, StaticProvider,
};
use cloudcred::engine::RefreshConfig;
use cloudcred::huawei::{
    self, IdToken, IdpFederationProvider, OidcStsProvider, PodIdentityProvider,
};
use cloudcred::huawei::{MetadataProvider, TemporaryKeysProvider};
use cloudcred::prelude::*;
use cloudcred::{Clock, Context, MapEnv, SharedProvider};
use cloudcred_fakecloud::{
    Endpoint, FakeCloud, FakeCloudConfig, Fault, FIXTURE_HUAWEI_IDP_ID, FIXTURE_HUAWEI_ID_TOKEN,
    FIXTURE_HUAWEI_POD_TOKEN,
};
use common::cloud::{self, assert_clean_error, TimeMachine};
use common::rsa_keys::keys;
use common::{fixtures_dir, Home};
use std::time::{Duration, Instant};

/// Longer than the read timeout of [`cloud::short`] (500 ms).
const DELAY: Duration = Duration::from_millis(1500);
/// The body of a `slow` answer trickles in over this long: well past connect + read timeout,
/// though a piece arrives every 100 ms (no idle-read timer would fire).
const SLOW: Duration = Duration::from_secs(2);
/// Every cell, in each state, ends within this: at most two attempts of connect + read (the
/// metadata provider's one retry without a token) at 500 ms + 500 ms each, plus slack for a
/// loaded two-core CI machine.
const BOUND: Duration = Duration::from_secs(5);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Subject {
    RamRoleArn,
    OidcRoleArn,
    RsaKeyPair,
    EcsRamRole,
    CredentialsUri,
    CloudSso,
    OAuth,
    HwMetadata,
    /// Step 1 (IAM id-token → `X-Subject-Token`) of the federation under the fault.
    HwIdpFederationToken,
    /// Step 2 (federation token → temporary keys) under the fault.
    HwIdpFederation,
    HwTemporaryKeys,
    HwOidcSts,
    HwPodIdentity,
}

const SUBJECTS: [Subject; 13] = [
    Subject::RamRoleArn,
    Subject::OidcRoleArn,
    Subject::RsaKeyPair,
    Subject::EcsRamRole,
    Subject::CredentialsUri,
    Subject::CloudSso,
    Subject::OAuth,
    Subject::HwMetadata,
    Subject::HwIdpFederationToken,
    Subject::HwIdpFederation,
    Subject::HwTemporaryKeys,
    Subject::HwOidcSts,
    Subject::HwPodIdentity,
];

/// The Huawei OIDC STS trust (the fake cloud accepts any provider and agency by default).
const HW_PROVIDER_URN: &str = "urn:fake:identity-provider:matrix";
const HW_AGENCY_URN: &str = "urn:fake:agency:matrix";
const HW_POD_PATH: &str = "/v1/pod-identity/credentials";

impl Subject {
    fn label(self) -> &'static str {
        match self {
            Subject::RamRoleArn => "ram_role_arn",
            Subject::OidcRoleArn => "oidc_role_arn",
            Subject::RsaKeyPair => "rsa_key_pair",
            Subject::EcsRamRole => "ecs_ram_role",
            Subject::CredentialsUri => "credentials_uri",
            Subject::CloudSso => "cloud_sso",
            Subject::OAuth => "oauth",
            Subject::HwMetadata => "hw_metadata",
            Subject::HwIdpFederationToken => "hw_idp_federation step 1",
            Subject::HwIdpFederation => "hw_idp_federation step 2",
            Subject::HwTemporaryKeys => "hw_temporary_keys",
            Subject::HwOidcSts => "hw_oidc_sts",
            Subject::HwPodIdentity => "hw_pod_identity",
        }
    }

    /// What the error names (the provider).
    fn named(self) -> &'static str {
        match self {
            Subject::CredentialsUri => "credential_uri",
            Subject::HwMetadata => "metadata",
            Subject::HwIdpFederation | Subject::HwIdpFederationToken => "idp_federation",
            Subject::HwTemporaryKeys => "temporary_keys",
            Subject::HwOidcSts => "oidc_sts",
            Subject::HwPodIdentity => "pod_identity",
            other => other.label(),
        }
    }

    fn is_huawei(self) -> bool {
        matches!(
            self,
            Subject::HwMetadata
                | Subject::HwIdpFederationToken
                | Subject::HwIdpFederation
                | Subject::HwTemporaryKeys
                | Subject::HwOidcSts
                | Subject::HwPodIdentity
        )
    }

    /// The endpoint the fault is set on: the one that issues the credentials.
    fn endpoint(self) -> Endpoint {
        match self {
            Subject::RamRoleArn => Endpoint::StsAssumeRole,
            Subject::OidcRoleArn => Endpoint::StsAssumeRoleWithOidc,
            Subject::RsaKeyPair => Endpoint::StsGenerateSessionAccessKey,
            Subject::EcsRamRole => Endpoint::ImdsCredentials,
            Subject::CredentialsUri => Endpoint::CredentialsUri,
            Subject::CloudSso => Endpoint::CloudSso,
            Subject::OAuth => Endpoint::OAuthExchange,
            Subject::HwMetadata => Endpoint::HwSecurityKey,
            Subject::HwIdpFederationToken => Endpoint::HwIdTokenTokens,
            // Step 2 of the federation: the one that issues the keys.
            Subject::HwIdpFederation | Subject::HwTemporaryKeys => Endpoint::HwSecurityTokens,
            Subject::HwOidcSts => Endpoint::HwOidcSts,
            Subject::HwPodIdentity => Endpoint::HwPodIdentity,
        }
    }

    /// The secret field of the endpoint's response, in its spelling.
    fn secret_field(self) -> &'static str {
        match self {
            Subject::RsaKeyPair => "SessionAccessKeySecret",
            Subject::OAuth => "securityToken",
            Subject::HwOidcSts => "security_token",
            // Step 1 answers with its token in a header; the body is not read.
            Subject::HwIdpFederationToken => "X-Subject-Token",
            s if s.is_huawei() => "securitytoken",
            _ => "SecurityToken",
        }
    }

    fn config(self) -> FakeCloudConfig {
        match self {
            Subject::RsaKeyPair => {
                FakeCloudConfig::default().with_rsa_public_key_pem(keys().public.clone())
            }
            // One-hour metadata keys like every other cell's, so 50 minutes in is inside the
            // (40-minute, clipped to half the lifetime) Huawei refresh window.
            Subject::HwMetadata => FakeCloudConfig {
                hw_metadata_lifetime: Duration::from_secs(3600),
                ..FakeCloudConfig::default()
            },
            _ => FakeCloudConfig::default(),
        }
    }

    /// A fresh provider (short timeouts, refreshes in the caller) on `clock`.
    async fn provider(
        self,
        cloud: &FakeCloud,
        home: &Home,
        clock: Option<&Clock>,
    ) -> SharedProvider {
        let with_clock = |ctx: Context| match clock {
            Some(c) => ctx.with_clock(c.clone()),
            None => ctx,
        };
        let ctx = with_clock(home.ctx());
        let refresh = RefreshConfig::default().background(false);
        let hw_refresh = huawei::refresh_config().background(false);
        let id_token_file = fixtures_dir().join("tokens/huawei-id-token");
        match self {
            Subject::RamRoleArn => {
                let previous =
                    StaticProvider::access_key("LTAIFAKEDEFAULT00001", "fake-secret-default-00001")
                        .unwrap();
                RamRoleArnProvider::builder(&ctx, previous)
                    .role_arn("acs:ram::1000000000000000:role/fake-builder-role")
                    .role_session_name("matrix-session")
                    .sts_endpoint(cloud.base_url())
                    .request_options(cloud::short())
                    .refresh(refresh)
                    .build()
                    .unwrap()
                    .into()
            }
            Subject::OidcRoleArn => OidcRoleArnProvider::builder(&ctx)
                .role_arn("acs:ram::1000000000000000:role/fake-oidc-role")
                .oidc_provider_arn("acs:ram::1000000000000000:oidc-provider/fake-oidc-provider")
                .oidc_token_file(fixtures_dir().join("tokens/alibaba-oidc-token"))
                .request_options(cloud::short())
                .refresh(refresh)
                .build()
                .unwrap()
                .into(),
            Subject::RsaKeyPair => RsaKeyPairProvider::builder(&ctx)
                .public_key_id("TMPSK.FAKEPUBLICKEY0021")
                .private_key_pem(keys().pkcs8.clone())
                .request_options(cloud::short())
                .refresh(refresh)
                .build()
                .unwrap()
                .into(),
            Subject::EcsRamRole => {
                // The home disables metadata; this context enables it (endpoint given below).
                let ctx = with_clock(Context::from_env(MapEnv::default()));
                EcsRamRoleProvider::builder(&ctx)
                    .endpoint(cloud.base_url())
                    .timeouts(Duration::from_millis(500), Duration::from_millis(500))
                    .refresh(refresh.max_age(Some(Duration::from_secs(45 * 60))))
                    .build()
                    .unwrap()
                    .into()
            }
            Subject::CredentialsUri => CredentialsUriProvider::builder(&ctx)
                .uri(cloud.url("/uri/fixture"))
                .request_options(cloud::short())
                .refresh(refresh)
                .build()
                .unwrap()
                .into(),
            Subject::CloudSso => CloudSsoProvider::builder(&ctx)
                .sign_in_url(cloud.url("/start/login?x=1"))
                .account_id("1000000000000000")
                .access_config("ac-fakeaccessconfig0001")
                .access_token("fake-sso-access-token-00001", 4_102_444_800)
                .request_options(cloud::short())
                .refresh(refresh)
                .build()
                .unwrap()
                .into(),
            Subject::OAuth => OAuthProvider::builder(
                &ctx,
                home.path().join(".aliyun/config.json"),
                "oauth-intl-no-refresh",
            )
            .site(Site::Intl)
            .base_url(cloud.base_url())
            .request_options(cloud::short())
            .refresh(refresh)
            .build()
            .unwrap()
            .into(),
            Subject::HwMetadata => MetadataProvider::builder(&ctx)
                .endpoint(cloud.base_url())
                .timeouts(Duration::from_millis(500), Duration::from_millis(500))
                .refresh(hw_refresh)
                .build()
                .unwrap()
                .into(),
            Subject::HwIdpFederation | Subject::HwIdpFederationToken => {
                IdpFederationProvider::builder(&ctx, FIXTURE_HUAWEI_IDP_ID, id_token_file)
                    .iam_endpoint(cloud.base_url())
                    .duration_seconds(3600)
                    .request_options(cloud::short())
                    .refresh(hw_refresh)
                    .build()
                    .unwrap()
                    .into()
            }
            Subject::HwTemporaryKeys => {
                TemporaryKeysProvider::builder(&ctx, federation_token(cloud, &ctx).await)
                    .iam_endpoint(cloud.base_url())
                    .duration_seconds(3600)
                    .request_options(cloud::short())
                    .refresh(hw_refresh)
                    .build()
                    .unwrap()
                    .into()
            }
            Subject::HwOidcSts => OidcStsProvider::builder(
                &ctx,
                HW_PROVIDER_URN,
                HW_AGENCY_URN,
                IdToken::File(id_token_file),
            )
            .sts_endpoint(cloud.base_url())
            .request_options(cloud::short())
            .refresh(hw_refresh)
            .build()
            .unwrap()
            .into(),
            Subject::HwPodIdentity => PodIdentityProvider::builder(&ctx)
                .uri(cloud.url(HW_POD_PATH))
                .token_file(home.write("pod-token", FIXTURE_HUAWEI_POD_TOKEN))
                .request_options(cloud::short())
                .refresh(hw_refresh)
                .build()
                .unwrap()
                .into(),
        }
    }

    fn faults(self) -> Vec<(&'static str, Fault)> {
        vec![
            ("403", Fault::Status(403)),
            ("500", Fault::Status(500)),
            ("delay", Fault::Delay(DELAY)),
            ("malformed", Fault::MalformedBody),
            ("truncated", Fault::TruncatedBody),
            ("expired", Fault::ExpiredCredentials),
            ("missing", Fault::MissingField(self.secret_field())),
            ("drop", Fault::DropConnection),
            ("throttle", Fault::Throttle),
            ("slow", Fault::SlowBody(SLOW)),
        ]
    }

    /// Faults that reshape a body the provider never reads: no failure at all. The cell checks
    /// that instead (credentials in both states, the refresh succeeding).
    fn body_unused(self, fault: &Fault) -> bool {
        self == Subject::HwIdpFederationToken
            && matches!(fault, Fault::MalformedBody | Fault::TruncatedBody)
    }
}

/// A Huawei IAM federation token (`X-Subject-Token`) for the temporary-keys provider, from step 1
/// of the federation, which the faults of the matrix never touch.
async fn federation_token(cloud: &FakeCloud, ctx: &Context) -> String {
    let body = serde_json::json!({"auth": {"id_token": {"id": FIXTURE_HUAWEI_ID_TOKEN}}});
    let req = http::Request::builder()
        .method("POST")
        .uri(cloud.url("/v3.0/OS-AUTH/id-token/tokens"))
        .header("content-type", "application/json;charset=utf8")
        .header("x-idp-id", FIXTURE_HUAWEI_IDP_ID)
        .body(body.to_string().into_bytes())
        .unwrap();
    let r = ctx.http().send(req, &cloud::short()).await.unwrap();
    r.headers["x-subject-token"].to_str().unwrap().to_owned()
}

/// A home whose config.json (for OAuth, fresh per cell: nothing persisted yet) points at `cloud`.
fn home(cloud: &FakeCloud) -> Home {
    cloud::with_cli_config(cloud::home(cloud), cloud)
}

struct Cell {
    cold: Duration,
    warm: Duration,
    /// The fault did not matter ([`Subject::body_unused`]).
    unaffected: bool,
}

/// One cell, on its own fake cloud: both states, every assertion.
async fn cell(subject: Subject, fault: Fault) -> Cell {
    let cloud = cloud::start(subject.config()).await;
    let endpoint = subject.endpoint();
    if subject.body_unused(&fault) {
        return unaffected_cell(subject, fault, cloud).await;
    }

    // Nothing cached: a clear error within the timeouts.
    let h = home(&cloud);
    cloud.set_fault(endpoint, fault.clone());
    let p = subject.provider(&cloud, &h, None).await;
    let started = Instant::now();
    let e = p
        .get()
        .await
        .expect_err(&format!("{subject:?} {fault:?}: no error"));
    let cold = started.elapsed();
    assert!(cold < BOUND, "{subject:?} {fault:?}: {cold:?}");
    let text = e.to_string();
    assert!(
        text.contains(subject.named()),
        "{subject:?} {fault:?}: {text}"
    );
    assert_clean_error(&cloud, &e);

    // A usable credential cached, in the refresh window: served while the refresh fails.
    cloud.clear_faults();
    let h = home(&cloud);
    let mut time = TimeMachine::new(&cloud, 0);
    let p = subject.provider(&cloud, &h, Some(&time.clock)).await;
    let good = p.get().await.unwrap();
    time.advance(50 * 60);
    cloud.set_fault(endpoint, fault.clone());
    let before = cloud.count(endpoint);
    let started = Instant::now();
    let served = p
        .get()
        .await
        .unwrap_or_else(|e| panic!("{subject:?} {fault:?}: {e}"));
    let warm = started.elapsed();
    assert!(warm < BOUND, "{subject:?} {fault:?}: {warm:?}");
    assert_eq!(
        served.access_key_id(),
        good.access_key_id(),
        "{subject:?} {fault:?}"
    );
    assert!(
        cloud.count(endpoint) > before,
        "{subject:?} {fault:?}: no refresh attempted"
    );
    cloud.shutdown();
    Cell {
        cold,
        warm,
        unaffected: false,
    }
}

/// A fault the provider does not notice: credentials with nothing cached, and a successful
/// refresh (new keys) when they are due.
async fn unaffected_cell(subject: Subject, fault: Fault, cloud: FakeCloud) -> Cell {
    let endpoint = subject.endpoint();
    let h = home(&cloud);
    cloud.set_fault(endpoint, fault.clone());
    let p = subject.provider(&cloud, &h, None).await;
    let started = Instant::now();
    p.get()
        .await
        .unwrap_or_else(|e| panic!("{subject:?} {fault:?}: {e}"));
    let cold = started.elapsed();

    cloud.clear_faults();
    let mut time = TimeMachine::new(&cloud, 0);
    let p = subject.provider(&cloud, &h, Some(&time.clock)).await;
    let good = p.get().await.unwrap();
    time.advance(50 * 60);
    cloud.set_fault(endpoint, fault.clone());
    let started = Instant::now();
    p.get()
        .await
        .unwrap_or_else(|e| panic!("{subject:?} {fault:?}: {e}"));
    let warm = started.elapsed();
    // The caller that drove the refresh got the cached keys; the next one gets the new keys.
    let refreshed = p.get().await.unwrap();
    assert_ne!(
        refreshed.access_key_id(),
        good.access_key_id(),
        "{subject:?} {fault:?}: not refreshed"
    );
    assert!(cold < BOUND && warm < BOUND, "{subject:?} {fault:?}");
    cloud.shutdown();
    Cell {
        cold,
        warm,
        unaffected: true,
    }
}

fn ms(d: Duration) -> u128 {
    d.as_millis()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_provider_survives_every_fault() {
    let started = Instant::now();
    // Providers run concurrently, each on its own fake clouds; a provider's cells in sequence.
    let rows = futures::future::join_all(SUBJECTS.map(|s| {
        tokio::spawn(async move {
            let mut cells = Vec::new();
            for (label, fault) in s.faults() {
                cells.push((label, cell(s, fault).await));
            }
            (s, cells)
        })
    }))
    .await;
    let rows: Vec<_> = rows.into_iter().map(|r| r.unwrap()).collect();

    let labels: Vec<_> = rows[0].1.iter().map(|(l, _)| *l).collect();
    let mut table = format!("| provider | {} |\n", labels.join(" | "));
    table += &format!("|---|{}\n", "---|".repeat(labels.len()));
    for (s, cells) in &rows {
        let cols: Vec<_> = cells
            .iter()
            .map(|(_, c)| match c.unaffected {
                false => format!("error {} ms / stale {} ms", ms(c.cold), ms(c.warm)),
                true => format!("unaffected {} ms / refreshed {} ms", ms(c.cold), ms(c.warm)),
            })
            .collect();
        table += &format!("| {} | {} |\n", s.label(), cols.join(" | "));
    }
    println!(
        "fault matrix ({} cells × 2 states, {:?} in all):\n{table}",
        rows.len() * labels.len(),
        started.elapsed()
    );
    assert_eq!(rows.len() * labels.len(), 130);
}
