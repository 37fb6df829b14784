//! Soak (issue 7, item 5), bounded for CI: 1,000,000 cached gets over 2 threads through a
//! refreshing provider (STS AssumeRole against the fake cloud) while every other refresh fails,
//! with a manual clock moved through several refresh windows: zero errors (the cached
//! credential is always still valid), the upstream calls counted, RSS bounded.
//!
//! Longer runs: `SOAK_GETS` (total gets, default 1,000,000) and `SOAK_STEPS` (5-minute clock
//! steps, default 40), e.g. `SOAK_GETS=100000000 SOAK_STEPS=400 cargo test --release -p
//! cloudcred --test soak -- --nocapture`.

mod common;

use cloudcred::alibaba::{RamRoleArnProvider, StaticProvider};
use cloudcred::engine::RefreshConfig;
use cloudcred::prelude::*;
use cloudcred::SharedProvider;
use cloudcred_fakecloud::{Endpoint, FakeCloudConfig, Fault, Verdict};
use common::cloud::{self, TimeMachine};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

const GETS: u64 = 1_000_000;
const THREADS: u64 = 2;
/// Steps of 5 minutes: 200 minutes, several refresh windows of one-hour credentials.
const STEPS: u64 = 40;
const STEP_SECS: i64 = 5 * 60;

/// `name` from the environment, else `default`.
fn setting(name: &str, default: u64) -> u64 {
    match std::env::var(name) {
        Ok(v) => v
            .replace('_', "")
            .parse()
            .unwrap_or_else(|_| panic!("{name}={v} is not a count")),
        Err(_) => default,
    }
}
/// RSS may grow by at most this much over the run (allocator noise, no per-get growth).
const RSS_SLACK_KB: u64 = 16 * 1024;

fn rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_million_gets_while_half_the_refreshes_fail() {
    let cloud = cloud::start(FakeCloudConfig::default()).await;
    let endpoint = Endpoint::StsAssumeRole;
    let mut time = TimeMachine::new(&cloud, 0);
    let ctx = cloud::home(&cloud).ctx().with_clock(time.clock.clone());
    let previous =
        StaticProvider::access_key("LTAIFAKEDEFAULT00001", "fake-secret-default-00001").unwrap();
    let p: SharedProvider = RamRoleArnProvider::builder(&ctx, previous)
        .role_arn("acs:ram::1000000000000000:role/fake-builder-role")
        .role_session_name("soak-session")
        .sts_endpoint(cloud.base_url())
        .request_options(cloud::short())
        .refresh(RefreshConfig::default().background(false))
        .build()
        .unwrap()
        .into();

    let mut current = p.get().await.unwrap().access_key_id().to_owned();
    // Warm-up so the baseline includes the runtime's and the client's steady state.
    for _ in 0..10_000 {
        p.get().await.unwrap();
    }
    let rss_before = rss_kb();
    let errors = Arc::new(AtomicU64::new(0));
    let (gets, steps) = (
        setting("SOAK_GETS", GETS),
        setting("SOAK_STEPS", STEPS).max(1),
    );
    let started = Instant::now();
    let per_task = gets / THREADS / steps;
    let mut rotations = 0;
    // The next refresh fails.
    cloud.set_fault_times(endpoint, Fault::Status(500), 1);
    for _ in 0..steps {
        time.advance(STEP_SECS);
        let tasks: Vec<_> = (0..THREADS)
            .map(|_| {
                let (p, errors) = (p.clone(), errors.clone());
                tokio::spawn(async move {
                    for _ in 0..per_task {
                        if p.get().await.is_err() {
                            errors.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        let now = p.get().await.unwrap().access_key_id().to_owned();
        if now != current {
            // A refresh succeeded: the next one fails again.
            rotations += 1;
            current = now;
            cloud.set_fault_times(endpoint, Fault::Status(500), 1);
        }
    }
    let elapsed = started.elapsed();
    let rss_after = rss_kb();

    let requests = cloud.requests();
    let calls = requests
        .iter()
        .filter(|r| r.endpoint == Some(endpoint))
        .count();
    let failed = requests
        .iter()
        .filter(|r| r.endpoint == Some(endpoint) && r.verdict != Verdict::Accepted)
        .count();
    println!(
        "soak: {} gets over {THREADS} threads in {elapsed:?}; {calls} upstream calls \
         ({failed} failed, {rotations} rotations); errors {}; RSS {rss_before} kB -> {rss_after} kB",
        per_task * THREADS * steps,
        errors.load(Ordering::Relaxed)
    );
    assert_eq!(
        errors.load(Ordering::Relaxed),
        0,
        "errors while still valid"
    );
    assert!(rotations >= 3, "several refresh windows: {rotations}");
    assert!(
        failed >= rotations,
        "half the refreshes failed: {failed}/{calls}"
    );
    assert!(
        rss_after <= rss_before + RSS_SLACK_KB,
        "RSS {rss_before} kB -> {rss_after} kB"
    );
}
