//! Wall time, injectable.
//!
//! Expirations are wall-clock instants (UTC). The refresh engine turns them into deadlines in
//! milliseconds of the local wall clock once per fetch (precise clock, skew-corrected), and the
//! hot path compares them with [`Clock::deadline_now`]: on Linux `time(2)`, a vDSO read of the
//! kernel's seconds counter (about 2 ns, against about 5 ns for `CLOCK_MONOTONIC_COARSE` and 20
//! for a precise clock) rounded *up* to the end of the second, so a deadline is seen up to a
//! second early and at most one kernel tick (a few milliseconds, the counter's lag behind the
//! precise clock) late: nothing next to the expiry margin of at least a tenth of the lifetime.
//!
//! Why the wall clock and not a monotonic one: the monotonic clock stops while the machine is
//! suspended, so a laptop that sleeps through an expiry would wake up serving credentials the
//! service already rejects (measured against `CLOCK_MONOTONIC`, the deadline would still be
//! ahead). Expirations are wall-clock facts, which is also how every official SDK compares them.
//! The price is a clock stepped backwards after a fetch, which delays that snapshot's refresh by
//! the step; a service that rejects it is handled like any refused credential. Metadata token
//! lifetimes use the same deadlines for the same reason; there is no monotonic reading left.

use chrono::{DateTime, Utc};
use std::fmt;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// A deadline on the local wall clock, in milliseconds since the Unix epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Deadline(pub u64);

impl Deadline {
    /// Later than every real time: a credential without expiration expires `NEVER`.
    pub const NEVER: Deadline = Deadline(u64::MAX);

    /// `self + d`, at most [`NEVER`](Self::NEVER).
    pub fn saturating_add(self, d: Duration) -> Deadline {
        Deadline(
            self.0
                .saturating_add(d.as_millis().min(u64::MAX as u128) as u64),
        )
    }

    /// `self - d`, at least the epoch.
    pub fn saturating_sub(self, d: Duration) -> Deadline {
        Deadline(
            self.0
                .saturating_sub(d.as_millis().min(u64::MAX as u128) as u64),
        )
    }

    /// The time from `earlier` to `self`; zero when `earlier` is later.
    pub fn saturating_duration_since(self, earlier: Deadline) -> Duration {
        Duration::from_millis(self.0.saturating_sub(earlier.0))
    }
}

/// The clock of a [`Context`](super::Context): the system clock or a manual one for tests.
#[derive(Clone)]
pub struct Clock {
    inner: Inner,
    /// Estimated server time minus local time, in milliseconds, from `Date` headers.
    skew_ms: Arc<AtomicI64>,
}

#[derive(Clone)]
enum Inner {
    System,
    Manual(Arc<ManualState>),
}

struct ManualState {
    wall_millis: AtomicI64,
}

impl fmt::Debug for Clock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.inner {
            Inner::System => f.write_str("Clock::System"),
            Inner::Manual(_) => f.write_str("Clock::Manual"),
        }
    }
}

impl Default for Clock {
    fn default() -> Self {
        Self::system()
    }
}

impl Clock {
    /// The system's wall clock (`SystemTime::now`), corrected by the skew the HTTP client
    /// learns from services' `Date` headers.
    pub fn system() -> Self {
        Self::from_inner(Inner::System)
    }

    fn from_inner(inner: Inner) -> Self {
        Clock {
            inner,
            skew_ms: Arc::new(AtomicI64::new(0)),
        }
    }

    /// A clock that stands still until [`ManualClock::advance`] moves it.
    pub fn manual(start: DateTime<Utc>) -> (Clock, ManualClock) {
        let state = Arc::new(ManualState {
            wall_millis: AtomicI64::new(start.timestamp_millis()),
        });
        (
            Clock::from_inner(Inner::Manual(state.clone())),
            ManualClock(state),
        )
    }

    /// Wall-clock time, UTC.
    pub fn now(&self) -> DateTime<Utc> {
        match &self.inner {
            Inner::System => system_now(),
            Inner::Manual(s) => {
                DateTime::from_timestamp_millis(s.wall_millis.load(Ordering::Acquire))
                    .unwrap_or_default()
            }
        }
    }

    /// Now, on the scale of [`Deadline`]s, exactly (one precise clock read): used when deadlines
    /// are set.
    pub fn deadline_base(&self) -> Deadline {
        match &self.inner {
            Inner::System => Deadline(system_now().timestamp_millis().max(0) as u64),
            Inner::Manual(s) => Deadline(s.wall_millis.load(Ordering::Acquire).max(0) as u64),
        }
    }

    /// Now, on the scale of [`Deadline`]s, cheaply: the kernel's seconds counter rounded up to
    /// the end of the second, so `deadline_now() < d` turns false up to a second early and at
    /// most one kernel tick late.
    #[inline]
    pub fn deadline_now(&self) -> Deadline {
        match &self.inner {
            Inner::System => Deadline(system_wall_secs() * 1000 + 999),
            Inner::Manual(s) => Deadline(s.wall_millis.load(Ordering::Acquire).max(0) as u64),
        }
    }

    /// Records a service's `Date`: the offset between its clock and ours. `Date` has a
    /// resolution of one second and arrives after some latency, so offsets under 2 s count as
    /// none.
    pub fn observe_server_time(&self, server: DateTime<Utc>) {
        let offset = (server - self.now()).num_milliseconds();
        let offset = if offset.abs() < 2_000 { 0 } else { offset };
        self.skew_ms.store(offset, Ordering::Release);
    }

    /// Estimated service time minus local time (zero until a service has been heard from).
    pub fn skew(&self) -> chrono::Duration {
        chrono::Duration::milliseconds(self.skew_ms.load(Ordering::Acquire))
    }

    /// The services' notion of now: local time corrected by the observed skew. Expirations are
    /// the services' timestamps, so the engine measures lifetimes against this.
    pub fn server_now(&self) -> DateTime<Utc> {
        self.now() + self.skew()
    }
}

/// Moves a manual [`Clock`].
#[derive(Clone)]
pub struct ManualClock(Arc<ManualState>);

impl fmt::Debug for ManualClock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ManualClock")
    }
}

impl ManualClock {
    /// Moves the time of every clock made from this one forward by `d`.
    pub fn advance(&self, d: Duration) {
        self.0
            .wall_millis
            .fetch_add(d.as_millis() as i64, Ordering::AcqRel);
    }

    /// The manual time, to the millisecond.
    pub fn now(&self) -> DateTime<Utc> {
        DateTime::from_timestamp_millis(self.0.wall_millis.load(Ordering::Acquire))
            .unwrap_or_default()
    }
}

#[cfg(target_os = "linux")]
#[inline]
fn system_wall_secs() -> u64 {
    // SAFETY: time(2) with a null pointer only returns the value; it cannot fail on Linux.
    unsafe { libc::time(std::ptr::null_mut()) }.max(0) as u64
}

#[cfg(not(target_os = "linux"))]
fn system_wall_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The system time, as chrono's `Utc::now` reads it; through std so that chrono's `clock`
/// feature (and its time-zone crates) stay out of a lean build.
fn system_now() -> DateTime<Utc> {
    DateTime::from(std::time::SystemTime::now())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_moves_both_readings() {
        let start = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        let (clock, hand) = Clock::manual(start);
        let d0 = clock.deadline_now();
        hand.advance(Duration::from_secs(90));
        assert_eq!(clock.now(), start + chrono::Duration::seconds(90));
        assert_eq!(
            clock.deadline_now().saturating_duration_since(d0),
            Duration::from_secs(90)
        );
        let at = d0.saturating_add(Duration::from_secs(120));
        assert_eq!(
            at.saturating_duration_since(clock.deadline_base()),
            Duration::from_secs(30)
        );
    }

    #[test]
    fn skew_follows_server_dates_and_ignores_noise() {
        let start = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        let (clock, _hand) = Clock::manual(start);
        let shared = clock.clone();
        clock.observe_server_time(start + chrono::Duration::seconds(1));
        assert_eq!(shared.skew(), chrono::Duration::zero());
        clock.observe_server_time(start + chrono::Duration::seconds(300));
        assert_eq!(shared.skew(), chrono::Duration::seconds(300));
        assert_eq!(shared.server_now(), start + chrono::Duration::seconds(300));
        clock.observe_server_time(start - chrono::Duration::seconds(90));
        assert_eq!(shared.skew(), chrono::Duration::seconds(-90));
    }

    #[test]
    fn deadline_now_is_at_most_a_tick_behind_the_precise_clock() {
        let c = Clock::system();
        for _ in 0..1000 {
            let precise = c.deadline_base();
            let coarse = c.deadline_now();
            // The seconds counter moves at the kernel's tick (≤ 10 ms at HZ=100).
            assert!(coarse.0 + 50 >= precise.0, "{coarse:?} < {precise:?}");
            assert!(coarse.0 < precise.0 + 2_000);
        }
    }

    #[test]
    fn manual_deadlines_follow_the_hand() {
        let start = DateTime::from_timestamp(1_700_000_000, 250_000_000).unwrap();
        let (clock, hand) = Clock::manual(start);
        assert_eq!(clock.deadline_now(), Deadline(1_700_000_000_250));
        assert_eq!(clock.deadline_base(), clock.deadline_now());
        hand.advance(Duration::from_millis(1500));
        assert_eq!(clock.deadline_now(), Deadline(1_700_000_001_750));
    }
}
