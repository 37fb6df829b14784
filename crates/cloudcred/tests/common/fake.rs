//! Helpers for tests against the fake cloud: a manual-clock context and the leak check over
//! everything the fake cloud handed out.

use chrono::Utc;
use cloudcred::context::ManualClock;
use cloudcred::prelude::*;
use cloudcred::{Clock, Context, ErrorKind, MapEnv, SharedProvider};
use cloudcred_fakecloud::{Endpoint, FakeCloud, Fault};
use std::time::Duration;

/// A context with exactly `vars` as its environment and a manual clock started at the real time
/// (the fake cloud's clock is the real one).
pub fn manual_ctx(vars: &[(&str, &str)]) -> (Context, ManualClock) {
    let (clock, manual) = Clock::manual(Utc::now());
    let env: MapEnv = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    (Context::from_env(env).with_clock(clock), manual)
}

pub use super::cloud::assert_clean_error as assert_clean;

/// The fault switches every credential endpoint must survive (plus endpoint-specific ones).
pub fn common_faults() -> Vec<Fault> {
    vec![
        Fault::Status(500),
        Fault::Throttle,
        Fault::Delay(Duration::from_millis(800)),
        Fault::MalformedBody,
        Fault::TruncatedBody,
        Fault::ExpiredCredentials,
        Fault::MissingField("AccessKeyId"),
        Fault::MissingField("AccessKeySecret"),
        Fault::MissingField("SecurityToken"),
        Fault::MissingField("Expiration"),
        Fault::DropConnection,
    ]
}

/// The error of a fetch under `fault` says what went wrong, and leaks nothing.
pub fn assert_fault_error(cloud: &FakeCloud, fault: &Fault, e: &cloudcred::Error) {
    let text = e.to_string();
    match fault {
        Fault::ExpiredCredentials => {
            assert!(matches!(e.kind(), ErrorKind::Expired { .. }), "{text}")
        }
        Fault::MissingField("Code") | Fault::StatusWithBody(..) => {
            assert!(text.contains("code"), "{text}")
        }
        Fault::MissingField(f) => assert!(text.contains(f), "{text}"),
        Fault::Status(n) => assert!(text.contains(&format!("HTTP {n}")), "{text}"),
        _ => {}
    }
    assert_clean(cloud, e);
}

/// With credentials cached, a refresh that fails under `fault` (after `advance` on `clock`)
/// keeps serving them, and a refresh was indeed attempted.
pub async fn assert_served_stale(
    cloud: &FakeCloud,
    endpoint: Endpoint,
    fault: &Fault,
    provider: &SharedProvider,
    clock: &ManualClock,
    advance: Duration,
) {
    cloud.clear_faults();
    let good = provider.get().await.unwrap();
    cloud.set_fault(endpoint, fault.clone());
    clock.advance(advance);
    let before = cloud.count(endpoint);
    // The first caller drives the failing refresh; the next is inside the backoff.
    for _ in 0..2 {
        let served = provider.get().await.unwrap();
        assert_eq!(served.access_key_id(), good.access_key_id(), "{fault:?}");
    }
    assert!(
        cloud.count(endpoint) > before,
        "{fault:?}: no refresh attempted"
    );
}
