//! The ECS RAM role provider through the real HTTP path against the fake cloud (spec 6.5,
//! D21–D24): token modes, v1 fallback, role discovery, request counts, faults, the default
//! chain's fail-fast, and the fixture profiles.

mod common;

use cloudcred::alibaba::{
    CliProfileProvider, DefaultChain, EcsRamRoleProvider, EcsRamRoleSource, IniProfileProvider,
};
use cloudcred::context::ManualClock;
use cloudcred::engine::RefreshConfig;
use cloudcred::http::{HttpClient, RequestOptions, ReqwestClient, Response, TransportError};
use cloudcred::prelude::*;
use cloudcred::{Context, ErrorKind, MapEnv, SharedProvider};
use cloudcred_fakecloud::{Endpoint, FakeCloud, FakeCloudConfig, Fault, ImdsMode};
use common::fake::{
    assert_clean, assert_fault_error, assert_served_stale, common_faults, manual_ctx,
};
use common::{fixture, Home};
use futures::future::BoxFuture;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

const IMDS: [Endpoint; 3] = [
    Endpoint::ImdsToken,
    Endpoint::ImdsRoleList,
    Endpoint::ImdsCredentials,
];
const SHORT: Duration = Duration::from_millis(300);
const HOUR: Duration = Duration::from_secs(3600);

async fn start(mode: ImdsMode) -> FakeCloud {
    FakeCloud::start(FakeCloudConfig::default().with_imds_mode(mode))
        .await
        .unwrap()
}

fn total(cloud: &FakeCloud) -> u64 {
    IMDS.iter().map(|e| cloud.count(*e)).sum()
}

fn counts(cloud: &FakeCloud) -> [u64; 3] {
    IMDS.map(|e| cloud.count(e))
}

struct Setup {
    ctx: Context,
    clock: ManualClock,
}

fn setup(vars: &[(&str, &str)]) -> Setup {
    let (ctx, clock) = manual_ctx(vars);
    Setup { ctx, clock }
}

/// A provider with short timeouts whose refreshes run in the caller (deterministic counts).
fn provider(s: &Setup, cloud: &FakeCloud, role: Option<&str>) -> SharedProvider {
    let mut b = EcsRamRoleProvider::builder(&s.ctx)
        .endpoint(cloud.base_url())
        .timeouts(SHORT, SHORT)
        .refresh(
            RefreshConfig::default()
                .max_age(Some(HOUR))
                .background(false),
        );
    if let Some(r) = role {
        b = b.role_name(r);
    }
    b.build().unwrap().into()
}

#[tokio::test]
async fn token_required_mode_with_discovery() {
    let cloud = start(ImdsMode::TokenRequired).await;
    let s = setup(&[]);
    let p = provider(&s, &cloud, None);
    let c = p.get().await.unwrap();
    assert_eq!(counts(&cloud), [1, 1, 1]);
    assert_eq!(c.provider_name().as_str(), "ecs_ram_role");
    let issued = cloud.issued();
    assert_eq!(c.access_key_id(), issued[0].access_key_id);
    assert_eq!(
        issued[0].role_arn.as_deref(),
        Some("acs:ram::1000000000000000:role/FakeFixtureEcsRole")
    );
    let reqs = cloud.requests();
    assert_eq!(reqs[0].method, "PUT");
    assert_eq!(
        reqs[0].header("x-aliyun-ecs-metadata-token-ttl-seconds"),
        Some("21600")
    );
    let token = reqs[2].header("x-aliyun-ecs-metadata-token").unwrap();
    assert!(!token.is_empty());
    assert_eq!(
        reqs[2].path,
        "/latest/meta-data/ram/security-credentials/FakeFixtureEcsRole"
    );
    assert!(reqs
        .iter()
        .all(|r| r.header("user-agent").unwrap().contains("cloudcred")));
}

#[tokio::test]
async fn v1_only_mode_continues_without_token_and_remembers_it() {
    let cloud = start(ImdsMode::V1Only).await;
    let s = setup(&[]);
    let p = provider(&s, &cloud, None);
    p.get().await.unwrap();
    assert_eq!(counts(&cloud), [1, 1, 1]);
    assert!(cloud
        .requests()
        .iter()
        .all(|r| r.header("x-aliyun-ecs-metadata-token").is_none()));
    // The absent token is remembered: a refresh is one GET, no PUT.
    s.clock.advance(HOUR + Duration::from_secs(60));
    p.get().await.unwrap();
    assert_eq!(counts(&cloud), [1, 1, 2]);
}

#[tokio::test]
async fn both_mode_uses_the_token() {
    let cloud = start(ImdsMode::Both).await;
    let s = setup(&[]);
    let p = provider(&s, &cloud, Some("FakeCliEcsRole"));
    let c = p.get().await.unwrap();
    // A configured role: no discovery.
    assert_eq!(counts(&cloud), [1, 0, 1]);
    assert!(cloud.requests()[1]
        .header("x-aliyun-ecs-metadata-token")
        .is_some());
    assert_eq!(
        cloud.issued()[0].role_arn.as_deref(),
        Some("acs:ram::1000000000000000:role/FakeCliEcsRole")
    );
    assert!(c.security_token().is_some() && c.expiration().is_some());
}

#[tokio::test]
async fn v1_disabled_refuses_to_continue_without_token() {
    let cloud = start(ImdsMode::V1Only).await;
    let s = setup(&[("ALIBABA_CLOUD_IMDSV1_DISABLED", "true")]);
    let e = provider(&s, &cloud, None).get().await.unwrap_err();
    assert!(
        e.to_string().contains("ALIBABA_CLOUD_IMDSV1_DISABLED"),
        "{e}"
    );
    assert_eq!(counts(&cloud), [1, 0, 0]);
    assert_clean(&cloud, &e);

    // The builder wins over the variable.
    let s = setup(&[("ALIBABA_CLOUD_IMDSV1_DISABLED", "true")]);
    let p: SharedProvider = EcsRamRoleProvider::builder(&s.ctx)
        .endpoint(cloud.base_url())
        .disable_imds_v1(false)
        .build()
        .unwrap()
        .into();
    p.get().await.unwrap();

    // With a token that then fails, v1 disabled means no tokenless retry.
    let cloud = start(ImdsMode::Both).await;
    let s = setup(&[("ALIBABA_CLOUD_IMDSV1_DISABLED", "1")]);
    cloud.set_fault(Endpoint::ImdsCredentials, Fault::Status(500));
    let e = provider(&s, &cloud, Some("FakeFixtureEcsRole"))
        .get()
        .await
        .unwrap_err();
    assert!(
        matches!(e.kind(), ErrorKind::Upstream { status: 500, .. }),
        "{e}"
    );
    assert_eq!(counts(&cloud), [1, 0, 1]);
}

#[tokio::test]
async fn a_failing_get_with_token_is_retried_once_without() {
    let cloud = start(ImdsMode::Both).await;
    let s = setup(&[]);
    cloud.set_fault_times(Endpoint::ImdsCredentials, Fault::Status(500), 1);
    provider(&s, &cloud, Some("FakeFixtureEcsRole"))
        .get()
        .await
        .unwrap();
    let reqs = cloud.requests();
    assert_eq!(counts(&cloud), [1, 0, 2]);
    assert!(reqs[1].header("x-aliyun-ecs-metadata-token").is_some());
    assert!(reqs[2].header("x-aliyun-ecs-metadata-token").is_none());
}

#[tokio::test]
async fn token_failure_other_than_connect_continues_without_token() {
    for fault in [
        Fault::Status(500),
        Fault::MalformedBody, // an empty 200
        Fault::Delay(Duration::from_millis(800)),
        Fault::DropConnection,
    ] {
        let cloud = start(ImdsMode::Both).await;
        cloud.set_fault(Endpoint::ImdsToken, fault.clone());
        let s = setup(&[]);
        provider(&s, &cloud, None)
            .get()
            .await
            .unwrap_or_else(|e| panic!("{fault:?}: {e}"));
        assert_eq!(counts(&cloud), [1, 1, 1], "{fault:?}");
        // Token required: the tokenless GET is refused, a token is asked for once more (still
        // failing), and the error says so.
        let cloud = start(ImdsMode::TokenRequired).await;
        cloud.set_fault(Endpoint::ImdsToken, fault.clone());
        let e = provider(&s, &cloud, Some("FakeFixtureEcsRole"))
            .get()
            .await
            .unwrap_err();
        assert!(
            matches!(e.kind(), ErrorKind::Upstream { status: 401, .. }),
            "{fault:?}: {e}"
        );
        assert_eq!(counts(&cloud), [2, 0, 1], "{fault:?}");
        assert_clean(&cloud, &e);
    }
}

#[tokio::test]
async fn discovered_role_is_trimmed_and_kept() {
    let cloud = start(ImdsMode::TokenRequired).await;
    cloud.set_fault_times(
        Endpoint::ImdsRoleList,
        Fault::StatusWithBody(200, "  FakeFixtureEcsRole \r\n".into()),
        1,
    );
    let s = setup(&[]);
    let p = provider(&s, &cloud, None);
    p.get().await.unwrap();
    for _ in 0..3 {
        s.clock.advance(HOUR + Duration::from_secs(1));
        p.get().await.unwrap();
    }
    assert_eq!(counts(&cloud), [1, 1, 4]);
}

#[tokio::test]
async fn a_404_for_a_discovered_role_rediscovers_once() {
    let cloud = start(ImdsMode::TokenRequired).await;
    // First discovery names a role that is no longer attached.
    cloud.set_fault_times(
        Endpoint::ImdsRoleList,
        Fault::StatusWithBody(200, "DetachedRole".into()),
        1,
    );
    let s = setup(&[]);
    let p = provider(&s, &cloud, None);
    let c = p.get().await.unwrap();
    assert_eq!(counts(&cloud), [1, 2, 2]);
    assert_eq!(
        cloud.issued()[0].role_arn.as_deref(),
        Some("acs:ram::1000000000000000:role/FakeFixtureEcsRole")
    );
    assert_eq!(c.access_key_id(), cloud.issued()[0].access_key_id);
    // The rediscovered name is kept.
    s.clock.advance(HOUR + Duration::from_secs(1));
    p.get().await.unwrap();
    assert_eq!(counts(&cloud), [1, 2, 3]);

    // A configured role is never rediscovered: its 404 is an error naming it.
    let cloud = start(ImdsMode::TokenRequired).await;
    let e = provider(&s, &cloud, Some("NoSuchRole"))
        .get()
        .await
        .unwrap_err();
    assert!(
        matches!(e.kind(), ErrorKind::Upstream { status: 404, .. }),
        "{e}"
    );
    assert!(e.to_string().contains("NoSuchRole"), "{e}");
    assert_eq!(counts(&cloud), [1, 0, 1]);
}

#[tokio::test]
async fn no_role_attached() {
    let cloud = FakeCloud::start(
        FakeCloudConfig::default()
            .with_imds_mode(ImdsMode::TokenRequired)
            .with_imds_role(None),
    )
    .await
    .unwrap();
    let s = setup(&[]);
    // Built explicitly: an error that says what to do.
    let e = provider(&s, &cloud, None).get().await.unwrap_err();
    assert!(e.to_string().contains("no RAM role"), "{e}");
    // In the default chain: not configured (discovery 404, and an empty answer alike).
    let home = Home::new()
        .set("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "false")
        .set("ALIBABA_CLOUD_ECS_METADATA_ENDPOINT", &cloud.base_url());
    let e = DefaultChain::builder(&home.ctx())
        .build()
        .get()
        .await
        .unwrap_err();
    let ErrorKind::NoCredentials { attempts } = e.kind() else {
        panic!("{e}")
    };
    assert!(
        attempts.last().unwrap().reason.contains("no RAM role"),
        "{e}"
    );
    let cloud = start(ImdsMode::Both).await;
    cloud.set_fault(
        Endpoint::ImdsRoleList,
        Fault::StatusWithBody(200, " \n".into()),
    );
    let home = home.set("ALIBABA_CLOUD_ECS_METADATA_ENDPOINT", &cloud.base_url());
    let e = DefaultChain::builder(&home.ctx())
        .build()
        .get()
        .await
        .unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::NoCredentials { .. }), "{e}");
}

#[tokio::test]
async fn token_refetched_on_401() {
    let cloud = start(ImdsMode::TokenRequired).await;
    // The first token is dead on arrival: the GET is refused, a new token fetched, GET retried.
    cloud.set_fault_times(Endpoint::ImdsToken, Fault::ExpiredCredentials, 1);
    let s = setup(&[]);
    let p = provider(&s, &cloud, Some("FakeFixtureEcsRole"));
    p.get().await.unwrap();
    assert_eq!(counts(&cloud), [2, 0, 2]);
    // A cached token refused later (401 or 403): one new token, one retry.
    for status in [401, 403] {
        cloud.set_fault_times(Endpoint::ImdsCredentials, Fault::Status(status), 1);
        let before = counts(&cloud);
        s.clock.advance(HOUR + Duration::from_secs(1));
        p.get().await.unwrap();
        let after = counts(&cloud);
        let new = p.get().await.unwrap();
        assert_eq!(
            [after[0] - before[0], after[2] - before[2]],
            [1, 2],
            "{status}"
        );
        assert_eq!(
            new.access_key_id(),
            cloud.issued().last().unwrap().access_key_id
        );
    }
}

#[tokio::test]
async fn steady_state_refresh_is_one_request() {
    for mode in [ImdsMode::TokenRequired, ImdsMode::Both, ImdsMode::V1Only] {
        let cloud = start(mode).await;
        let s = setup(&[]);
        let p = provider(&s, &cloud, None);
        let first = p.get().await.unwrap();
        assert_eq!(total(&cloud), 3, "{mode:?}");
        let mut last = first.access_key_id().to_owned();
        for i in 1..=5u64 {
            // Cached reads in between cost nothing.
            for _ in 0..10 {
                p.get().await.unwrap();
            }
            s.clock.advance(HOUR + Duration::from_secs(1));
            // The caller that drives a refresh-ahead gets the cached value; the next one the
            // refreshed credentials.
            p.get().await.unwrap();
            let c = p.get().await.unwrap();
            assert_ne!(c.access_key_id(), last, "{mode:?}: refreshed");
            last = c.access_key_id().to_owned();
            assert_eq!(total(&cloud), 3 + i, "{mode:?}: refresh {i}");
        }
        // Past the token's TTL (minus 5 minutes), one PUT is added.
        if mode != ImdsMode::V1Only {
            s.clock.advance(Duration::from_secs(3600));
            p.get().await.unwrap();
            assert_eq!(cloud.count(Endpoint::ImdsToken), 2, "{mode:?}");
        }
    }
}

#[tokio::test]
async fn a_token_outlived_by_a_suspend_is_not_presented() {
    let cloud = start(ImdsMode::TokenRequired).await;
    let s = setup(&[]);
    let p = provider(&s, &cloud, None);
    p.get().await.unwrap();
    assert_eq!(cloud.count(Endpoint::ImdsToken), 1);
    // Asleep for 7 hours: the 6-hour token and the credentials expired; the monotonic clock
    // did not move.
    s.clock.advance(Duration::from_secs(7 * 3600));
    let c = p.get().await.unwrap();
    assert_eq!(cloud.count(Endpoint::ImdsToken), 2, "a fresh token");
    assert_eq!(
        cloud.count(Endpoint::ImdsCredentials),
        2,
        "fresh credentials"
    );
    assert_eq!(
        c.access_key_id(),
        cloud.issued().last().unwrap().access_key_id
    );
}

#[test]
fn ten_thousand_tasks_at_expiry_make_one_request() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let cloud = start(ImdsMode::TokenRequired).await;
        let s = setup(&[]);
        let p = provider(&s, &cloud, None);
        p.get().await.unwrap();
        assert_eq!(cloud.count(Endpoint::ImdsCredentials), 1);
        // Past expiry (6 h): nothing cached is usable, every caller waits for the one refresh.
        s.clock.advance(Duration::from_secs(6 * 3600 + 60));
        let tasks: Vec<_> = (0..10_000)
            .map(|_| {
                let p = p.clone();
                tokio::spawn(async move { p.get().await.map(|c| c.access_key_id().to_owned()) })
            })
            .collect();
        let mut ids = std::collections::HashSet::new();
        for t in tasks {
            ids.insert(t.await.unwrap().unwrap());
        }
        assert_eq!(ids.len(), 1);
        assert_eq!(cloud.count(Endpoint::ImdsCredentials), 2);
    });
}

fn faults() -> Vec<Fault> {
    let mut faults = common_faults();
    faults.extend([
        Fault::Status(403),
        Fault::MissingField("Code"),
        Fault::StatusWithBody(200, r#"{"Code":"Failed","Message":"role busy"}"#.into()),
    ]);
    faults
}

#[tokio::test]
async fn every_fault_is_a_clear_error_or_served_stale() {
    for fault in faults() {
        let cloud = start(ImdsMode::Both).await;
        let s = setup(&[]);
        // Nothing cached: a clear error, within the timeouts.
        cloud.set_fault(Endpoint::ImdsCredentials, fault.clone());
        let p = provider(&s, &cloud, None);
        let started = std::time::Instant::now();
        let e = p.get().await.unwrap_err();
        assert!(started.elapsed() < Duration::from_secs(3), "{fault:?}");
        let text = e.to_string();
        assert!(
            text.contains("ecs_ram_role (role FakeFixtureEcsRole)"),
            "{fault:?}: {text}"
        );
        assert_fault_error(&cloud, &fault, &e);
        // A usable credential cached: served while the refresh fails.
        let past_max_age = HOUR + Duration::from_secs(1);
        assert_served_stale(
            &cloud,
            Endpoint::ImdsCredentials,
            &fault,
            &p,
            &s.clock,
            past_max_age,
        )
        .await;
    }
}

#[tokio::test]
async fn role_discovery_faults_are_errors() {
    for fault in [
        Fault::Status(500),
        Fault::Delay(Duration::from_millis(800)),
        Fault::DropConnection,
    ] {
        let cloud = start(ImdsMode::Both).await;
        cloud.set_fault(Endpoint::ImdsRoleList, fault.clone());
        let s = setup(&[]);
        let e = provider(&s, &cloud, None).get().await.unwrap_err();
        assert!(e.to_string().contains("role discovery"), "{fault:?}: {e}");
        assert_eq!(cloud.count(Endpoint::ImdsCredentials), 0);
        assert_clean(&cloud, &e);
    }
}

/// Counts the requests that reach the HTTP client.
#[derive(Debug)]
struct Counting {
    inner: ReqwestClient,
    sent: Arc<AtomicUsize>,
}

impl HttpClient for Counting {
    fn send<'a>(
        &'a self,
        request: http::Request<Vec<u8>>,
        options: &'a RequestOptions,
    ) -> BoxFuture<'a, Result<Response, TransportError>> {
        self.sent.fetch_add(1, Ordering::SeqCst);
        assert!(options.direct, "metadata requests never use a proxy");
        self.inner.send(request, options)
    }
}

/// A local port on which nothing listens.
fn closed_port_url() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    drop(l);
    format!("http://127.0.0.1:{port}")
}

#[tokio::test]
async fn a_silent_host_is_not_a_metadata_service_for_the_chain_guess() {
    // Accepts connections and never answers: the token PUT's read timeout ends the guess, with
    // no token-less requests after it, and the endpoint is remembered.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let held = std::thread::spawn(move || {
        let mut conns = Vec::new();
        while let Ok((c, _)) = listener.accept() {
            conns.push(c);
            if conns.len() > 4 {
                break;
            }
        }
    });
    let home = Home::new()
        .set("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "false")
        .set("ALIBABA_CLOUD_ECS_METADATA_ENDPOINT", &url);
    let sent = Arc::new(AtomicUsize::new(0));
    let ctx = home.ctx().with_http_client(Counting {
        inner: ReqwestClient::from_context(&home.ctx()),
        sent: sent.clone(),
    });
    let started = std::time::Instant::now();
    let e = DefaultChain::builder(&ctx).build().get().await.unwrap_err();
    let elapsed = started.elapsed();
    let ErrorKind::NoCredentials { attempts } = e.kind() else {
        panic!("{e}")
    };
    assert!(
        attempts.last().unwrap().reason.contains("unreachable"),
        "{e}"
    );
    assert_eq!(sent.load(Ordering::SeqCst), 1, "the PUT only");
    assert!(elapsed < Duration::from_millis(1_900), "{elapsed:?}");
    assert!(EcsRamRoleSource::is_remembered_unreachable(&url));
    drop(held);
}

#[tokio::test]
async fn unreachable_endpoint_is_not_configured_once_per_process() {
    let url = closed_port_url();
    let home = Home::new()
        .set("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "false")
        .set("ALIBABA_CLOUD_ECS_METADATA_ENDPOINT", &url)
        // A proxy that must not be used.
        .set("HTTP_PROXY", "http://127.0.0.1:1");
    let sent = Arc::new(AtomicUsize::new(0));
    let ctx = home.ctx().with_http_client(Counting {
        inner: ReqwestClient::from_context(&home.ctx()),
        sent: sent.clone(),
    });
    let e = DefaultChain::builder(&ctx).build().get().await.unwrap_err();
    let ErrorKind::NoCredentials { attempts } = e.kind() else {
        panic!("{e}")
    };
    let last = attempts.last().unwrap();
    assert_eq!(last.provider, "default/ecs_ram_role");
    assert!(last.reason.contains("unreachable"), "{last}");
    // One PUT, then nothing more (no v1 attempt after a connect failure).
    assert_eq!(sent.load(Ordering::SeqCst), 1);
    assert!(EcsRamRoleSource::is_remembered_unreachable(&url));

    // A new chain in the same process: the memo answers, no request at all.
    let e = DefaultChain::builder(&ctx).build().get().await.unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::NoCredentials { .. }), "{e}");
    assert_eq!(sent.load(Ordering::SeqCst), 1);
    let doctor = DefaultChain::builder(&ctx).build();
    let ecs = doctor.providers().last().unwrap();
    assert!(!ecs.inspect().warnings.is_empty());

    // A configured role name makes the same endpoint an error (and it is tried).
    let named = ctx.clone().with_env(
        home.env
            .clone()
            .tap_set("ALIBABA_CLOUD_ECS_METADATA", "SomeRole"),
    );
    let e = DefaultChain::builder(&named)
        .build()
        .get()
        .await
        .unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::Transport { .. }), "{e}");
    assert!(
        e.to_string().contains("unreachable") && e.to_string().contains("SomeRole"),
        "{e}"
    );

    // So is an explicitly built provider.
    let s = setup(&[]);
    let p: SharedProvider = EcsRamRoleProvider::builder(&s.ctx)
        .endpoint(&url)
        .build()
        .unwrap()
        .into();
    let e = p.get().await.unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::Transport { .. }), "{e}");
}

trait TapSet {
    fn tap_set(self, k: &str, v: &str) -> Self;
}

impl TapSet for MapEnv {
    fn tap_set(mut self, k: &str, v: &str) -> Self {
        self.set(k, v);
        self
    }
}

#[tokio::test]
async fn disabled_and_bad_settings() {
    let s = setup(&[("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true")]);
    let e = EcsRamRoleProvider::builder(&s.ctx).build().unwrap_err();
    assert!(
        e.to_string()
            .contains("ALIBABA_CLOUD_ECS_METADATA_DISABLED"),
        "{e}"
    );
    // Omitted from the default chain.
    let home = Home::new();
    let chain = DefaultChain::builder(&home.ctx()).build();
    assert!(chain
        .providers()
        .iter()
        .all(|p| !p.name().contains("ecs_ram_role")));
    for (var, value) in [
        ("ALIBABA_CLOUD_ECS_METADATA_ENDPOINT", "http://example.com"),
        ("ALIBABA_CLOUD_ECS_METADATA_ENDPOINT", "not a url"),
        ("ALIBABA_CLOUD_IMDSV1_DISABLED", "perhaps"),
    ] {
        let s = setup(&[(var, value)]);
        let e = EcsRamRoleProvider::builder(&s.ctx).build().unwrap_err();
        assert!(e.to_string().contains(var), "{e}");
        // In the chain the same mistake stops the chain with that error.
        let home = Home::new()
            .set("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "false")
            .set(var, value);
        let e = DefaultChain::builder(&home.ctx())
            .build()
            .get()
            .await
            .unwrap_err();
        assert!(e.to_string().contains(var), "{e}");
    }
}

#[tokio::test]
async fn metadata_date_feeds_the_skew_estimate() {
    let cloud = start(ImdsMode::Both).await;
    cloud.set_clock_offset(3600);
    let s = setup(&[]);
    provider(&s, &cloud, None).get().await.unwrap();
    let skew = s.ctx.clock().skew().num_seconds();
    assert!((3590..=3610).contains(&skew), "{skew}");
}

#[tokio::test]
async fn default_chain_uses_metadata_last() {
    let cloud = start(ImdsMode::TokenRequired).await;
    let home = Home::new()
        .set("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "false")
        .set("ALIBABA_CLOUD_ECS_METADATA_ENDPOINT", &cloud.base_url());
    let c = DefaultChain::builder(&home.ctx())
        .build()
        .get()
        .await
        .unwrap();
    assert_eq!(c.provider_name().as_str(), "default/ecs_ram_role");
    assert_eq!(counts(&cloud), [1, 1, 1]);
}

fn fixture_home(cloud: &FakeCloud) -> Home {
    let port = cloud.port().to_string();
    let home = Home::new()
        .set("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "false")
        .set("ALIBABA_CLOUD_ECS_METADATA_ENDPOINT", &cloud.base_url())
        .set("ALIBABA_CLOUD_STS_ENDPOINT", &cloud.base_url());
    for (from, to) in [
        ("aliyun/config.json", ".aliyun/config.json"),
        ("alibabacloud/credentials", ".alibabacloud/credentials"),
    ] {
        home.write(to, &fixture(from).replace("@PORT@", &port));
    }
    home
}

#[tokio::test]
async fn fixture_profiles_resolve_through_the_fake_cloud() {
    let cloud = start(ImdsMode::TokenRequired).await;
    let home = fixture_home(&cloud);
    for (profile, role, name) in [
        ("ecs", "FakeCliEcsRole", "cli_profile/ecs_ram_role"),
        (
            "ecs-discover",
            "FakeFixtureEcsRole",
            "cli_profile/ecs_ram_role",
        ),
    ] {
        let ctx = home
            .ctx()
            .with_env(home.env.clone().tap_set("ALIBABA_CLOUD_PROFILE", profile));
        let c = SharedProvider::new(CliProfileProvider::new(&ctx))
            .get()
            .await
            .unwrap_or_else(|e| panic!("{profile}: {e}"));
        assert_eq!(c.provider_name().as_str(), name, "{profile}");
        let issued = cloud.issued();
        let last = issued.last().unwrap();
        assert_eq!(c.access_key_id(), last.access_key_id);
        assert!(
            last.role_arn.as_deref().unwrap().ends_with(role),
            "{profile}"
        );
    }
    // Metadata credentials, then AssumeRole signed with them.
    let ctx = home.ctx().with_env(
        home.env
            .clone()
            .tap_set("ALIBABA_CLOUD_PROFILE", "ram-with-ecs"),
    );
    let c = SharedProvider::new(CliProfileProvider::new(&ctx))
        .get()
        .await
        .unwrap();
    assert_eq!(
        c.provider_name().as_str(),
        "cli_profile/ram_role_arn/ecs_ram_role"
    );
    let issued = cloud.issued();
    let (ecs, sts) = (&issued[issued.len() - 2], &issued[issued.len() - 1]);
    assert!(ecs.role_arn.as_deref().unwrap().ends_with("FakeCliEcsRole"));
    assert_eq!(
        sts.role_arn.as_deref(),
        Some("acs:ram::1000000000000000:role/fake-after-ecs")
    );
    assert_eq!(
        sts.caller_access_key_id.as_deref(),
        Some(ecs.access_key_id.as_str())
    );
    assert_eq!(c.access_key_id(), sts.access_key_id);

    for (section, role) in [
        ("ecs", "FakeFixtureEcsRole"),
        ("ecs_discover", "FakeFixtureEcsRole"),
    ] {
        let before = cloud.count(Endpoint::ImdsRoleList);
        let ctx = home
            .ctx()
            .with_env(home.env.clone().tap_set("ALIBABA_CLOUD_PROFILE", section));
        let c = SharedProvider::new(IniProfileProvider::new(&ctx))
            .get()
            .await
            .unwrap_or_else(|e| panic!("[{section}] {e}"));
        assert_eq!(c.provider_name().as_str(), "profile/ecs_ram_role");
        assert!(cloud
            .issued()
            .last()
            .unwrap()
            .role_arn
            .as_deref()
            .unwrap()
            .ends_with(role));
        let discovered = cloud.count(Endpoint::ImdsRoleList) - before;
        assert_eq!(
            discovered,
            u64::from(section == "ecs_discover"),
            "[{section}]"
        );
    }
}
