//! The refresh engine: the one cache in front of every source whose credentials expire
//! (spec 9.2, D40).
//!
//! Sources ([`Source`]) are stateless fetchers; [`Refreshing`] decides when to call them. A
//! cached snapshot carries its deadlines on the wall clock in milliseconds, computed once per
//! fetch, so a cached read is one atomic load, one integer compare against a vDSO seconds read
//! ([`Clock::deadline_now`]: wall time, so a suspended machine wakes up refreshing instead of
//! serving what expired while it slept) and an `Arc` clone: no lock, no allocation, no system
//! call.
//!
//! With E = expiration, F = fetch time, L = E − F:
//! - refresh window W = min(window, L/2), expiry margin M = min(60 s, L/10), jitter J ∈ [0, W/5];
//! - fresh until min(E − W − J, F + max_age): served from the cache;
//! - refresh-ahead until E − M: served from the cache while exactly one refresh runs (in a
//!   spawned task, or inline in the first caller when there is no tokio runtime or background
//!   refresh is off);
//! - after that, or with nothing cached: callers wait for the single in-flight refresh.
//!
//! A failed refresh keeps serving a still-usable snapshot and backs off (1 s doubling, capped at
//! 60 s and at E − M, full jitter). Expired credentials are never returned.

mod single_flight;
mod thread_cache;

use crate::context::{Clock, Deadline};
use crate::error::{Error, ErrorKind, Result};
use crate::model::{Credentials, Replicas};
use crate::provider::{Inspection, ProvideCredentials, Resolution};
use arc_swap::ArcSwapOption;
use futures_util::future::BoxFuture;
pub(crate) use single_flight::{Joined, SingleFlight};
use std::fmt;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// A stateless fetcher of credentials that expire (STS, metadata, URI, …).
pub trait Source: Send + Sync + fmt::Debug + 'static {
    /// Fetches fresh credentials, or says the source is not configured.
    fn fetch(&self) -> BoxFuture<'_, Result<Resolution>>;

    /// The provider name used in reports.
    fn name(&self) -> &str;

    /// What the source reads, for `doctor`.
    fn inspect(&self) -> Inspection {
        Inspection::default()
    }
}

/// Tuning of the engine. The defaults are those of spec 9.2.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RefreshConfig {
    /// Refresh this long before expiry (capped at half the lifetime). Default 15 minutes.
    pub window: Duration,
    /// Refresh a snapshot this old even if it has not expired (ECS: 60 minutes). Default none.
    pub max_age: Option<Duration>,
    /// Run refresh-ahead in a spawned task when a tokio runtime is present. Default true.
    pub background: bool,
    /// First backoff after a failed refresh. Default 1 s.
    pub initial_backoff: Duration,
    /// Longest backoff. Default 60 s.
    pub max_backoff: Duration,
    /// The most one fetch may take, all retries included, so a hung endpoint cannot hold the
    /// callers waiting on it indefinitely (spec 10.4). Default 30 s.
    pub deadline: Duration,
}

impl Default for RefreshConfig {
    fn default() -> Self {
        Self {
            window: Duration::from_secs(15 * 60),
            max_age: None,
            background: true,
            initial_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(60),
            deadline: Duration::from_secs(30),
        }
    }
}

impl RefreshConfig {
    /// Refresh this long before expiry (capped at half the lifetime).
    pub fn window(mut self, window: Duration) -> Self {
        self.window = window;
        self
    }

    /// Refresh snapshots this old even when they have not expired; `None` for no limit.
    pub fn max_age(mut self, max_age: Option<Duration>) -> Self {
        self.max_age = max_age;
        self
    }

    /// Whether refresh-ahead runs in a spawned task when a tokio runtime is present.
    pub fn background(mut self, background: bool) -> Self {
        self.background = background;
        self
    }

    /// The most one fetch may take, retries included.
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.deadline = deadline;
        self
    }

    /// The first backoff after a failed refresh (doubling from there).
    pub fn initial_backoff(mut self, backoff: Duration) -> Self {
        self.initial_backoff = backoff;
        self
    }

    /// The longest backoff after failed refreshes.
    pub fn max_backoff(mut self, backoff: Duration) -> Self {
        self.max_backoff = backoff;
        self
    }
}

/// A cached credential with its deadlines on the local wall clock.
struct Snapshot {
    /// Never reused, so a per-thread cache entry can be matched to it by number alone.
    generation: u64,
    creds: Replicas,
    fresh_until: Deadline,
    usable_until: Deadline,
}

type Outcome = Result<Resolution>;

struct State<S> {
    source: S,
    config: RefreshConfig,
    clock: Clock,
    current: ArcSwapOption<Snapshot>,
    /// The generation of `current`, stored after it: the per-thread caches' key.
    generation: AtomicU64,
    flight: SingleFlight<Outcome>,
    consecutive_failures: AtomicU32,
    retry_after: AtomicU64,
}

/// A source behind the refresh engine. Cheap to clone; clones share the cache.
pub struct Refreshing<S> {
    state: Arc<State<S>>,
}

impl<S> Clone for Refreshing<S> {
    fn clone(&self) -> Self {
        Self {
            state: self.state.clone(),
        }
    }
}

impl<S: Source> fmt::Debug for Refreshing<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Refreshing")
            .field("source", &self.state.source)
            .field("cached", &self.state.current.load().is_some())
            .finish()
    }
}

impl<S: Source> Refreshing<S> {
    /// `source` behind the engine with the default [`RefreshConfig`]. No I/O, no thread.
    pub fn new(source: S, clock: Clock) -> Self {
        Self::with_config(source, clock, RefreshConfig::default())
    }

    /// `source` behind the engine with `config`. No I/O, no thread.
    pub fn with_config(source: S, clock: Clock, config: RefreshConfig) -> Self {
        Self {
            state: Arc::new(State {
                source,
                config,
                clock,
                current: ArcSwapOption::empty(),
                generation: AtomicU64::new(0),
                flight: SingleFlight::default(),
                consecutive_failures: AtomicU32::new(0),
                retry_after: AtomicU64::new(0),
            }),
        }
    }

    /// The source behind the engine.
    pub fn source(&self) -> &S {
        &self.state.source
    }

    /// The hot path: fresh cached credentials, or `None`. A thread that read this snapshot
    /// before gets it from its own cache (see `thread_cache`), otherwise from the shared slot.
    #[inline]
    pub fn cached_fresh(&self) -> Option<Arc<Credentials>> {
        let now = self.state.clock.deadline_now();
        let generation = self.state.generation.load(Ordering::Acquire);
        if generation != 0 {
            if let Some(c) = thread_cache::lookup(generation, now) {
                return Some(c);
            }
        }
        self.cached_fresh_shared(now)
    }

    #[cold]
    #[inline(never)]
    fn cached_fresh_shared(&self, now: Deadline) -> Option<Arc<Credentials>> {
        let guard = self.state.current.load();
        let snap = guard.as_ref()?;
        if now < snap.fresh_until {
            let creds = snap.creds.get().clone();
            let owner = Arc::as_ptr(&self.state) as *const () as usize;
            thread_cache::remember(owner, snap.generation, snap.fresh_until, &creds);
            Some(creds)
        } else {
            None
        }
    }

    /// Credentials from the cache, refreshed first when due (or from the single in-flight
    /// refresh); "not configured" when the source says so. What [`ProvideCredentials::resolve`]
    /// returns, without its box.
    pub async fn refresh_if_due(&self) -> Outcome {
        if let Some(c) = self.cached_fresh() {
            return Ok(Resolution::Credentials(c));
        }
        let now = self.state.clock.deadline_now();
        if let Some(snap) = self.state.current.load_full() {
            if now < snap.fresh_until {
                return Ok(Resolution::Credentials(snap.creds.get().clone()));
            }
            if now < snap.usable_until {
                self.refresh_ahead(now).await;
                return Ok(Resolution::Credentials(snap.creds.get().clone()));
            }
        }
        self.join().await
    }

    /// In the refresh-ahead window: make sure one refresh runs, without making this caller wait
    /// for it unless it has to drive it itself.
    async fn refresh_ahead(&self, now: Deadline) {
        if now.0 < self.state.retry_after.load(Ordering::Acquire) || self.state.flight.is_running()
        {
            return;
        }
        match self.start() {
            Joined::Existing(_) => {}
            Joined::Started(flight) => {
                let handle = self
                    .state
                    .config
                    .background
                    .then(tokio::runtime::Handle::try_current)
                    .and_then(|h| h.ok());
                match handle {
                    Some(h) => {
                        h.spawn(flight);
                    }
                    // No runtime to spawn on (or background refresh is off): this caller drives
                    // the refresh while concurrent callers keep getting the cached value.
                    None => {
                        let _ = flight.await;
                    }
                }
            }
        }
    }

    async fn join(&self) -> Outcome {
        match self.start() {
            Joined::Existing(flight) | Joined::Started(flight) => flight.await,
        }
    }

    fn start(&self) -> Joined<Outcome> {
        let state = self.state.clone();
        self.state.flight.join_or_start(move || {
            Box::pin(async move {
                let outcome = state.clone().refresh().await;
                state.flight.finish();
                outcome
            })
        })
    }
}

impl<S: Source> State<S> {
    async fn refresh(self: Arc<Self>) -> Outcome {
        // Another flight may have published while this one was being installed.
        let now = self.clock.deadline_now();
        if let Some(snap) = self.current.load_full() {
            if now < snap.fresh_until {
                return Ok(Resolution::Credentials(snap.creds.get().clone()));
            }
        }
        let fetched = self.clone().fetch_within_deadline().await;
        match fetched {
            Ok(Resolution::Credentials(creds)) => self.publish(creds),
            Ok(not_configured @ Resolution::NotConfigured(_)) => Ok(not_configured),
            Err(err) => self.failed(err),
        }
    }

    /// The fetch, on cloudcred's runtime (timers and I/O drivers guaranteed, whatever polls the
    /// caller), cut off at the deadline.
    async fn fetch_within_deadline(self: Arc<Self>) -> Outcome {
        let deadline = self.config.deadline;
        crate::blocking::on_shared_runtime(async move {
            match tokio::time::timeout(deadline, self.source.fetch()).await {
                Ok(outcome) => outcome,
                Err(_) => Err(ErrorKind::Transport {
                    provider: self.source.name().to_owned(),
                    endpoint: "refresh".to_owned(),
                    message: format!("no answer within the {} s deadline", deadline.as_secs_f32()),
                }
                .into()),
            }
        })
        .await
    }

    fn publish(&self, creds: Arc<Credentials>) -> Outcome {
        // Expirations are the service's timestamps: measure them against its clock.
        let now_wall = self.clock.server_now();
        let now = self.clock.deadline_base();
        let (fresh_until, usable_until) = match creds.expiration() {
            None => {
                let fresh = self
                    .config
                    .max_age
                    .map_or(Deadline::NEVER, |a| now.saturating_add(a));
                (fresh, Deadline::NEVER)
            }
            Some(expiration) => {
                let lifetime = match (expiration - now_wall).to_std() {
                    Ok(l) if !l.is_zero() => l,
                    _ => {
                        return self.failed(
                            ErrorKind::Expired {
                                provider: creds.provider_name().to_string(),
                                expired_at: expiration,
                            }
                            .into(),
                        )
                    }
                };
                let window = self.config.window.min(lifetime / 2);
                let margin = Duration::from_secs(60).min(lifetime / 10);
                let jitter = random_duration(window / 5);
                let expires = now.saturating_add(lifetime);
                let usable_until = expires.saturating_sub(margin);
                let mut fresh_until = expires.saturating_sub(window + jitter);
                if let Some(age) = self.config.max_age {
                    fresh_until = fresh_until.min(now.saturating_add(age));
                }
                (fresh_until.max(now), usable_until)
            }
        };
        if let Some(old) = self.current.load_full() {
            if now < old.usable_until && usable_until < old.usable_until {
                // An upstream that hands out a credential expiring before the one we hold is
                // misbehaving (or its clock is): keep the better one and try again later.
                tracing::warn!(
                    provider = creds.provider_name().as_str(),
                    "refresh returned credentials that expire before the cached ones; keeping the cached ones"
                );
                self.back_off(now, old.usable_until);
                return Ok(Resolution::Credentials(old.creds.get().clone()));
            }
        }
        let generation = thread_cache::new_generation();
        self.current.store(Some(Arc::new(Snapshot {
            generation,
            creds: Replicas::new(creds.clone()),
            fresh_until,
            usable_until,
        })));
        self.generation.store(generation, Ordering::Release);
        self.consecutive_failures.store(0, Ordering::Release);
        self.retry_after.store(0, Ordering::Release);
        Ok(Resolution::Credentials(creds))
    }

    fn failed(&self, err: Error) -> Outcome {
        let now = self.clock.deadline_now();
        match self.current.load_full() {
            Some(old) if now < old.usable_until => {
                let delay = self.back_off(now, old.usable_until);
                tracing::warn!(
                    provider = self.source.name(),
                    error = %err,
                    retry_in_ms = delay.as_millis() as u64,
                    "credential refresh failed; serving cached credentials that are still valid"
                );
                Ok(Resolution::Credentials(old.creds.get().clone()))
            }
            _ => {
                self.consecutive_failures.fetch_add(1, Ordering::AcqRel);
                Err(err)
            }
        }
    }

    /// Records a failure and schedules the next try: 1 s doubling per consecutive failure,
    /// capped by the configuration and by the end of usability, with full jitter.
    fn back_off(&self, now: Deadline, usable_until: Deadline) -> Duration {
        let n = self.consecutive_failures.fetch_add(1, Ordering::AcqRel);
        let base = self
            .config
            .initial_backoff
            .saturating_mul(1u32 << n.min(16))
            .min(self.config.max_backoff)
            .min(usable_until.saturating_duration_since(now));
        let delay = random_duration(base);
        self.retry_after
            .store(now.saturating_add(delay).0, Ordering::Release);
        delay
    }
}

fn random_duration(max: Duration) -> Duration {
    if max.is_zero() {
        return Duration::ZERO;
    }
    // Jitter only spreads refreshes apart, so it needs no cryptographic generator: std's
    // `RandomState` keys are random per process and differ per instance, which keeps a random
    // number crate out of the lean build.
    use std::hash::{BuildHasher, Hasher};
    let random = std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish();
    Duration::from_nanos(random % (max.as_nanos() as u64).saturating_add(1))
}

impl<S: Source> ProvideCredentials for Refreshing<S> {
    fn resolve(&self) -> BoxFuture<'_, Result<Resolution>> {
        Box::pin(self.refresh_if_due())
    }

    #[inline]
    fn cached(&self) -> Option<Arc<Credentials>> {
        self.cached_fresh()
    }

    fn name(&self) -> &str {
        self.state.source.name()
    }

    fn inspect(&self) -> Inspection {
        self.state.source.inspect()
    }
}
