//! The fault matrix (issue 7, item 1): every Alibaba network provider × every fake-cloud fault
//! switch, in two states — nothing cached (a clear error naming the provider, within the short
//! timeouts) and a usable credential cached in the refresh window (the cached credential is
//! served and a refresh was attempted). Every cell: no panic, bounded time, nothing secret in the
//! error. The matrix is printed (`cargo test --test fault_matrix -- --nocapture`) and recorded in
//! `docs/reliability.md`.

mod common;

use cloudcred::alibaba::oauth::{OAuthSource, Site};
use cloudcred::alibaba::{
    AssumeRole, AssumeRoleWithOidc, CloudSso, CredentialsUri, EcsRamRole, GenerateSessionAccessKey,
    StaticProvider,
};
use cloudcred::engine::RefreshConfig;
use cloudcred::{Clock, Context, MapEnv, SharedProvider};
use cloudcred_fakecloud::{Endpoint, FakeCloud, FakeCloudConfig, Fault};
use common::cloud::{self, assert_clean_error, TimeMachine};
use common::rsa_keys::keys;
use common::{fixtures_dir, Home};
use std::time::{Duration, Instant};

/// Longer than the read timeout of [`cloud::short`] (500 ms).
const DELAY: Duration = Duration::from_millis(1500);
/// Every cell, in each state, ends within this: at most two attempts of connect + read (the
/// metadata provider's one retry without a token) at 500 ms + 500 ms each, plus slack for a
/// loaded two-core CI machine.
const BOUND: Duration = Duration::from_secs(5);

#[derive(Clone, Copy, Debug)]
enum Subject {
    RamRoleArn,
    OidcRoleArn,
    RsaKeyPair,
    EcsRamRole,
    CredentialsUri,
    CloudSso,
    OAuth,
}

const SUBJECTS: [Subject; 7] = [
    Subject::RamRoleArn,
    Subject::OidcRoleArn,
    Subject::RsaKeyPair,
    Subject::EcsRamRole,
    Subject::CredentialsUri,
    Subject::CloudSso,
    Subject::OAuth,
];

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
        }
    }

    /// What the error names (the provider).
    fn named(self) -> &'static str {
        match self {
            Subject::CredentialsUri => "credential_uri",
            other => other.label(),
        }
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
        }
    }

    /// The secret field of the endpoint's response, in its spelling.
    fn secret_field(self) -> &'static str {
        match self {
            Subject::RsaKeyPair => "SessionAccessKeySecret",
            Subject::OAuth => "securityToken",
            _ => "SecurityToken",
        }
    }

    fn config(self) -> FakeCloudConfig {
        match self {
            Subject::RsaKeyPair => {
                FakeCloudConfig::default().with_rsa_public_key_pem(keys().public.clone())
            }
            _ => FakeCloudConfig::default(),
        }
    }

    /// A fresh provider (short timeouts, refreshes in the caller) on `clock`.
    fn provider(self, cloud: &FakeCloud, home: &Home, clock: Option<&Clock>) -> SharedProvider {
        let with_clock = |ctx: Context| match clock {
            Some(c) => ctx.clock(c.clone()),
            None => ctx,
        };
        let ctx = with_clock(home.ctx());
        let refresh = RefreshConfig::default().background(false);
        match self {
            Subject::RamRoleArn => {
                let previous =
                    StaticProvider::access_key("LTAIFAKEDEFAULT00001", "fake-secret-default-00001")
                        .unwrap();
                AssumeRole::builder(&ctx, previous)
                    .role_arn("acs:ram::1000000000000000:role/fake-builder-role")
                    .role_session_name("matrix-session")
                    .sts_endpoint(cloud.base_url())
                    .request_options(cloud::short())
                    .refresh(refresh)
                    .build()
                    .unwrap()
                    .into()
            }
            Subject::OidcRoleArn => AssumeRoleWithOidc::builder(&ctx)
                .role_arn("acs:ram::1000000000000000:role/fake-oidc-role")
                .oidc_provider_arn("acs:ram::1000000000000000:oidc-provider/fake-oidc-provider")
                .oidc_token_file(fixtures_dir().join("tokens/alibaba-oidc-token"))
                .request_options(cloud::short())
                .refresh(refresh)
                .build()
                .unwrap()
                .into(),
            Subject::RsaKeyPair => GenerateSessionAccessKey::builder(&ctx)
                .public_key_id("TMPSK.FAKEPUBLICKEY0021")
                .private_key_pem(keys().pkcs8.clone())
                .request_options(cloud::short())
                .refresh(refresh)
                .build()
                .unwrap()
                .into(),
            Subject::EcsRamRole => {
                // The home disables metadata; this context enables it (endpoint given below).
                let ctx = with_clock(Context::with_env(MapEnv::default()));
                EcsRamRole::builder(&ctx)
                    .endpoint(cloud.base_url())
                    .timeouts(Duration::from_millis(500), Duration::from_millis(500))
                    .refresh(refresh.max_age(Some(Duration::from_secs(45 * 60))))
                    .build()
                    .unwrap()
                    .into()
            }
            Subject::CredentialsUri => CredentialsUri::builder(&ctx)
                .uri(cloud.url("/uri/fixture"))
                .request_options(cloud::short())
                .refresh(refresh)
                .build()
                .unwrap()
                .into(),
            Subject::CloudSso => CloudSso::builder(&ctx)
                .sign_in_url(cloud.url("/start/login?x=1"))
                .account_id("1000000000000000")
                .access_config("ac-fakeaccessconfig0001")
                .access_token("fake-sso-access-token-00001", 4_102_444_800)
                .request_options(cloud::short())
                .refresh(refresh)
                .build()
                .unwrap()
                .into(),
            Subject::OAuth => OAuthSource::builder(
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
        ]
    }
}

/// A home whose config.json (for OAuth, fresh per cell: nothing persisted yet) points at `cloud`.
fn home(cloud: &FakeCloud) -> Home {
    cloud::with_cli_config(cloud::home(cloud), cloud)
}

struct Cell {
    cold: Duration,
    warm: Duration,
}

/// One cell, on its own fake cloud: both states, every assertion.
async fn cell(subject: Subject, fault: Fault) -> Cell {
    let cloud = cloud::start(subject.config()).await;
    let endpoint = subject.endpoint();

    // Nothing cached: a clear error within the timeouts.
    let h = home(&cloud);
    cloud.set_fault(endpoint, fault.clone());
    let p = subject.provider(&cloud, &h, None);
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
    let p = subject.provider(&cloud, &h, Some(&time.clock));
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
    Cell { cold, warm }
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
            .map(|(_, c)| format!("error {} ms / stale {} ms", ms(c.cold), ms(c.warm)))
            .collect();
        table += &format!("| {} | {} |\n", s.label(), cols.join(" | "));
    }
    println!(
        "fault matrix ({} cells × 2 states, {:?} in all):\n{table}",
        rows.len() * labels.len(),
        started.elapsed()
    );
    assert_eq!(rows.len() * labels.len(), 63);
}
