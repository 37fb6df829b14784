//! The time to sign with, read cheaply: every signing format is whole seconds, so the clock a
//! signature needs is the kernel's seconds counter, not a nanosecond reading.
//!
//! `Utc::now()` costs a `clock_gettime(CLOCK_REALTIME)` and a calendar conversion, 30–50 ns on a
//! virtual machine (a tenth of an OSS V1 signature, issue 12); the seconds counter is a vDSO
//! read of about 2 ns, and the conversion is done once per second and thread. The counter may
//! trail the precise clock by one scheduler tick (a few milliseconds), which no signature shows.

use chrono::{DateTime, Utc};
use std::cell::Cell;

thread_local! {
    /// The second last read and its conversion.
    static LAST: Cell<Option<(i64, DateTime<Utc>)>> = const { Cell::new(None) };
}

/// The current time, to the second, for the signers' `now` parameter.
///
/// ```
/// use cloudcred::sign::{signing_time, OssV1Signer};
/// use cloudcred::{Credentials, ProviderName};
///
/// let creds = Credentials::access_key("ak", "sk", ProviderName::new("static_ak"));
/// let mut req = http::Request::put("https://bucket.oss.example.invalid/key").body(()).unwrap();
/// OssV1Signer::new(Some("bucket")).sign_request(&mut req, &creds, signing_time())?;
/// assert!(req.headers().contains_key("date"));
/// # Ok::<(), cloudcred::Error>(())
/// ```
pub fn signing_time() -> DateTime<Utc> {
    let second = wall_seconds();
    LAST.with(|last| match last.get() {
        Some((s, time)) if s == second => time,
        _ => {
            let time = DateTime::from_timestamp(second, 0).unwrap_or_default();
            last.set(Some((second, time)));
            time
        }
    })
}

#[cfg(target_os = "linux")]
#[inline]
fn wall_seconds() -> i64 {
    // SAFETY: time(2) with a null pointer only returns the value; it cannot fail on Linux.
    let seconds = unsafe { libc::time(std::ptr::null_mut()) };
    // `time_t` is 32 bits on some targets.
    #[allow(clippy::useless_conversion)]
    i64::from(seconds)
}

#[cfg(not(target_os = "linux"))]
fn wall_seconds() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn is_the_system_time_to_the_second() {
        let before = Utc::now().timestamp();
        let t = signing_time();
        let after = Utc::now().timestamp();
        // The seconds counter may trail the precise clock by a tick across a second boundary.
        assert!(
            t.timestamp() >= before - 1 && t.timestamp() <= after,
            "{t} not in {before}..={after}"
        );
        assert_eq!(t.timestamp_subsec_nanos(), 0);
    }

    #[test]
    fn moves_with_the_clock() {
        let first = signing_time();
        std::thread::sleep(std::time::Duration::from_millis(1100));
        assert!(signing_time() > first);
    }
}
