//! The refresh engine against a counting fake source and a manual clock: single flight under
//! 1,000 tasks and 8 threads, the refresh window, serving stale-but-valid credentials on
//! failure with backoff, and never handing out expired credentials.

use chrono::{DateTime, Duration as ChronoDuration, Utc};
use cloudcred::context::{Clock, ManualClock};
use cloudcred::engine::{RefreshConfig, Refreshing, Source};
use cloudcred::prelude::*;
use cloudcred::{Credentials, ErrorKind, ProviderName, Resolution, Result, SharedProvider};
use futures::future::BoxFuture;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

const HOUR: Duration = Duration::from_secs(3600);
const MIN: Duration = Duration::from_secs(60);

#[derive(Debug)]
struct FakeSource {
    clock: Clock,
    calls: AtomicU32,
    fail: AtomicBool,
    lifetime_secs: AtomicI64,
    delay: Duration,
}

impl FakeSource {
    fn new(clock: Clock, delay: Duration) -> Arc<Self> {
        Arc::new(Self {
            clock,
            calls: AtomicU32::new(0),
            fail: AtomicBool::new(false),
            lifetime_secs: AtomicI64::new(3600),
            delay,
        })
    }
    fn calls(&self) -> u32 {
        self.calls.load(Ordering::SeqCst)
    }
}

#[derive(Debug, Clone)]
struct Handle(Arc<FakeSource>);

impl Source for Handle {
    fn fetch(&self) -> BoxFuture<'_, Result<Resolution>> {
        Box::pin(async move {
            let n = self.0.calls.fetch_add(1, Ordering::SeqCst) + 1;
            if !self.0.delay.is_zero() {
                tokio::time::sleep(self.0.delay).await;
            }
            if self.0.fail.load(Ordering::SeqCst) {
                return Err(ErrorKind::Upstream {
                    provider: "fake".into(),
                    endpoint: "sts.example".into(),
                    status: 503,
                    code: Some("ServiceUnavailable".into()),
                    message: None,
                    request_id: None,
                }
                .into());
            }
            let exp = self.0.clock.now()
                + ChronoDuration::seconds(self.0.lifetime_secs.load(Ordering::SeqCst));
            Ok(Resolution::Credentials(Arc::new(Credentials::sts(
                format!("STS.FAKE{n:04}"),
                "fake-secret",
                "fake-token",
                Some(exp),
                ProviderName::new("fake"),
            ))))
        })
    }
    fn name(&self) -> &str {
        "fake"
    }
}

fn start() -> DateTime<Utc> {
    DateTime::from_timestamp(1_800_000_000, 0).unwrap()
}

fn engine(
    delay: Duration,
    config: RefreshConfig,
) -> (Refreshing<Handle>, Arc<FakeSource>, ManualClock) {
    let (clock, hand) = Clock::manual(start());
    let src = FakeSource::new(clock.clone(), delay);
    (
        Refreshing::with_config(Handle(src.clone()), clock, config),
        src,
        hand,
    )
}

async fn id(e: &Refreshing<Handle>) -> String {
    match e.refresh_if_due().await.unwrap() {
        Resolution::Credentials(c) => c.access_key_id().to_owned(),
        other => panic!("{other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_thousand_concurrent_tasks_cause_one_fetch() {
    let (e, src, _hand) = engine(Duration::from_millis(50), RefreshConfig::default());
    let tasks: Vec<_> = (0..1000)
        .map(|_| {
            let e = e.clone();
            tokio::spawn(async move { id(&e).await })
        })
        .collect();
    for t in tasks {
        assert_eq!(t.await.unwrap(), "STS.FAKE0001");
    }
    assert_eq!(src.calls(), 1);
}

#[test]
fn eight_threads_through_the_blocking_facade_cause_one_fetch() {
    let (e, src, _hand) = engine(Duration::from_millis(50), RefreshConfig::default());
    let p = SharedProvider::new(e);
    let barrier = Arc::new(std::sync::Barrier::new(8));
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let p = p.clone();
            let b = barrier.clone();
            std::thread::spawn(move || {
                b.wait();
                (0..100)
                    .map(|_| p.get_blocking().unwrap().access_key_id().to_owned())
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    for t in threads {
        assert!(t.join().unwrap().iter().all(|id| id == "STS.FAKE0001"));
    }
    assert_eq!(src.calls(), 1);
}

#[test]
fn blocking_facade_works_inside_a_current_thread_runtime() {
    let (e, src, _hand) = engine(Duration::from_millis(5), RefreshConfig::default());
    let p = SharedProvider::new(e);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let id = rt.block_on(async move { p.get_blocking().unwrap().access_key_id().to_owned() });
    assert_eq!(id, "STS.FAKE0001");
    assert_eq!(src.calls(), 1);
}

#[tokio::test]
async fn refreshes_ahead_of_expiry_within_the_window() {
    // Inline refresh-ahead keeps the test deterministic without a spawned task.
    let (e, src, hand) = engine(Duration::ZERO, RefreshConfig::default().background(false));
    assert_eq!(id(&e).await, "STS.FAKE0001");
    // Fresh until E − 15 min − J with J ≤ 3 min: nothing happens for the first 42 minutes.
    hand.advance(42 * MIN - Duration::from_secs(1));
    assert!(e.cached_fresh().is_some());
    assert_eq!(id(&e).await, "STS.FAKE0001");
    assert_eq!(src.calls(), 1);
    // At 45 min the window has opened for any jitter: one refresh, new credentials.
    hand.advance(3 * MIN + Duration::from_secs(1));
    assert!(e.cached_fresh().is_none());
    let _ = id(&e).await;
    assert_eq!(src.calls(), 2);
    assert_eq!(id(&e).await, "STS.FAKE0002");
    assert_eq!(src.calls(), 2);
}

#[tokio::test]
async fn a_machine_that_slept_through_the_expiry_refreshes_on_waking() {
    // A suspend moves only the wall clock (a monotonic one stands still); expirations are
    // wall-clock facts, and wall time is all the engine reads.
    let (e, src, hand) = engine(Duration::ZERO, RefreshConfig::default().background(false));
    assert_eq!(id(&e).await, "STS.FAKE0001");
    hand.advance(2 * HOUR);
    assert!(e.cached_fresh().is_none(), "expired while asleep");
    assert_eq!(id(&e).await, "STS.FAKE0002");
    assert_eq!(src.calls(), 2);
}

#[tokio::test]
async fn configurable_window_and_short_lifetimes() {
    let (e, src, hand) = engine(
        Duration::ZERO,
        RefreshConfig::default()
            .window(Duration::from_secs(120))
            .background(false),
    );
    id(&e).await;
    hand.advance(HOUR - 3 * MIN);
    id(&e).await;
    assert_eq!(
        src.calls(),
        1,
        "2-minute window: still fresh 3 minutes before expiry"
    );
    // A 10-minute credential: W = min(15 min, 5 min) = 5 min, so refresh happens after 4..5 min.
    src.lifetime_secs.store(600, Ordering::SeqCst);
    let (e, src, hand) = {
        let (clock, hand) = Clock::manual(start());
        let src = FakeSource::new(clock.clone(), Duration::ZERO);
        src.lifetime_secs.store(600, Ordering::SeqCst);
        let e = Refreshing::with_config(
            Handle(src.clone()),
            clock,
            RefreshConfig::default().background(false),
        );
        (e, src, hand)
    };
    id(&e).await;
    hand.advance(Duration::from_secs(230));
    id(&e).await;
    assert_eq!(src.calls(), 1);
    hand.advance(Duration::from_secs(80));
    id(&e).await;
    assert_eq!(src.calls(), 2);
}

#[tokio::test]
async fn background_refresh_ahead_returns_cached_immediately() {
    let (e, src, hand) = engine(Duration::from_millis(20), RefreshConfig::default());
    assert_eq!(id(&e).await, "STS.FAKE0001");
    hand.advance(50 * MIN);
    // In the refresh-ahead window the caller gets the cached value at once …
    assert_eq!(id(&e).await, "STS.FAKE0001");
    assert_eq!(id(&e).await, "STS.FAKE0001");
    // … while exactly one refresh runs in the background.
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(src.calls(), 2);
    assert_eq!(id(&e).await, "STS.FAKE0002");
}

#[tokio::test]
async fn serves_stale_but_valid_on_failure_with_backoff_and_never_expired() {
    let (e, src, hand) = engine(Duration::ZERO, RefreshConfig::default().background(false));
    id(&e).await;
    src.fail.store(true, Ordering::SeqCst);
    hand.advance(50 * MIN);
    // Upstream fails: the still-valid credential is served, no error surfaces.
    assert_eq!(id(&e).await, "STS.FAKE0001");
    assert_eq!(src.calls(), 2);
    // During the backoff (≤ 1 s after the first failure) nobody calls upstream again.
    for _ in 0..100 {
        assert_eq!(id(&e).await, "STS.FAKE0001");
    }
    assert_eq!(src.calls(), 2);
    // After the backoff the next caller tries again; still failing, still served.
    hand.advance(Duration::from_secs(2));
    assert_eq!(id(&e).await, "STS.FAKE0001");
    assert_eq!(src.calls(), 3);
    // Within the expiry margin (M = 60 s) the credential is unusable: the error surfaces.
    hand.advance(9 * MIN + Duration::from_secs(1));
    let err = e.refresh_if_due().await.unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::Upstream { status: 503, .. }),
        "{err}"
    );
    // Past expiry, still never the old credential.
    hand.advance(2 * MIN);
    assert!(e.refresh_if_due().await.is_err());
    assert!(e.cached_fresh().is_none());
    // Upstream recovers: new credentials.
    src.fail.store(false, Ordering::SeqCst);
    assert!(id(&e).await.starts_with("STS.FAKE"));
    assert_ne!(id(&e).await, "STS.FAKE0001");
}

#[tokio::test]
async fn already_expired_credentials_are_an_error() {
    let (e, src, _hand) = engine(Duration::ZERO, RefreshConfig::default());
    src.lifetime_secs.store(-5, Ordering::SeqCst);
    let err = e.refresh_if_due().await.unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Expired { .. }), "{err}");
    assert!(err.to_string().contains("expired at"), "{err}");
}

#[tokio::test]
async fn failure_with_nothing_cached_is_returned_and_retried_next_call() {
    let (e, src, _hand) = engine(Duration::ZERO, RefreshConfig::default());
    src.fail.store(true, Ordering::SeqCst);
    assert!(e.refresh_if_due().await.is_err());
    assert!(e.refresh_if_due().await.is_err());
    assert_eq!(
        src.calls(),
        2,
        "no backoff without a usable credential: each call tries"
    );
    src.fail.store(false, Ordering::SeqCst);
    assert_eq!(id(&e).await, "STS.FAKE0003");
}

#[tokio::test]
async fn max_age_forces_a_refresh_of_long_lived_credentials() {
    let (e, src, hand) = engine(
        Duration::ZERO,
        RefreshConfig::default()
            .max_age(Some(60 * MIN))
            .background(false),
    );
    src.lifetime_secs.store(6 * 3600, Ordering::SeqCst);
    id(&e).await;
    hand.advance(59 * MIN);
    id(&e).await;
    assert_eq!(src.calls(), 1);
    hand.advance(2 * MIN);
    id(&e).await;
    assert_eq!(src.calls(), 2);
}

#[tokio::test]
async fn waiters_share_the_error_of_the_single_flight() {
    let (e, src, _hand) = engine(Duration::from_millis(30), RefreshConfig::default());
    src.fail.store(true, Ordering::SeqCst);
    let results = futures::future::join_all((0..50).map(|_| e.refresh_if_due())).await;
    assert!(results.iter().all(|r| r.is_err()));
    assert_eq!(src.calls(), 1);
}

#[tokio::test]
async fn a_hung_source_is_cut_off_by_the_deadline() {
    let (e, _src, _hand) = engine(
        Duration::from_secs(3600),
        RefreshConfig::default().deadline(Duration::from_millis(50)),
    );
    let started = std::time::Instant::now();
    let err = e.refresh_if_due().await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(err.to_string().contains("deadline"), "{err}");
}

#[test]
fn works_under_a_runtime_without_timers_and_under_other_executors() {
    let (e, src, _hand) = engine(Duration::from_millis(5), RefreshConfig::default());
    let bare = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    assert_eq!(bare.block_on(id(&e)), "STS.FAKE0001");
    let (e2, _src2, _hand2) = engine(Duration::from_millis(5), RefreshConfig::default());
    assert_eq!(futures::executor::block_on(id(&e2)), "STS.FAKE0001");
    assert_eq!(src.calls(), 1);
}
