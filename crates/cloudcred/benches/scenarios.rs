//! Whole-behaviour measurements that are distributions or counts, not a per-call time, so they
//! do not fit criterion (issue 6, rows 2, 4, 5 and 7). Everything runs in-process against the
//! fake cloud on 127.0.0.1, with a manual clock standing in for the hour that passes between
//! refreshes.
//!
//! - `refresh_storm`: 10,000 tasks ask an AssumeRole provider at once, (a) when the cached
//!   credential has just entered its refresh window (prefetch: a background refresh is started,
//!   everyone is served from the cache) and (b) when it is past use (everyone must wait for the
//!   one refresh). The fake STS holds its answer 200 ms, so a caller that waited on the network
//!   is told apart from one the OS merely preempted. Upstream calls and each caller's wait.
//! - `metadata_requests`: requests an ECS RAM role provider makes for its first fetch (role
//!   discovery) and per steady-state refresh, in each metadata mode.
//! - `off_cloud`: the default chain with metadata enabled and nothing configured, its metadata
//!   endpoint a closed loopback port: the first walk's time to fail, then later walks (the
//!   unreachable endpoint is remembered).
//! - `allocations`: heap allocations per cached get (counting global allocator).
//!
//! Prints a summary on stderr and one JSON object on stdout (or into `$CLOUDCRED_BENCH_JSON`).

mod common;

use cloudcred::alibaba::{DefaultChain, EcsRamRoleProvider, RamRoleArnProvider, StaticProvider};
use cloudcred::context::{Clock, ManualClock};
use cloudcred::engine::RefreshConfig;
use cloudcred::http::RequestOptions;
use cloudcred::prelude::*;
use cloudcred::{Context, MapEnv, SharedProvider};
use cloudcred_fakecloud::{Endpoint, FakeCloud, FakeCloudConfig, Fault, ImdsMode};
use serde_json::{json, Value};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

struct Counting;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

// SAFETY: delegates to the system allocator; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        System.alloc(layout)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        System.realloc(ptr, layout, new_size)
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

const TASKS: usize = 10_000;
const UPSTREAM_DELAY: Duration = Duration::from_millis(200);
const MIN: Duration = Duration::from_secs(60);

fn manual_ctx(vars: &[(&str, &str)]) -> (Context, ManualClock) {
    let (clock, hand) = Clock::manual(chrono::Utc::now());
    let env: MapEnv = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    (Context::from_env(env).with_clock(clock), hand)
}

fn quiet_env() -> Vec<(&'static str, &'static str)> {
    vec![
        ("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true"),
        ("ALIBABA_CLOUD_STS_ENDPOINT", "http://127.0.0.1:9"),
        ("ALIBABA_CLOUD_ECS_METADATA_ENDPOINT", "http://127.0.0.1:9"),
    ]
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1e6
}

fn assume_role(ctx: &Context, cloud: &FakeCloud, background: bool) -> SharedProvider {
    let previous =
        StaticProvider::access_key("LTAIFAKEDEFAULT00001", "fake-secret-default-00001").unwrap();
    RamRoleArnProvider::builder(ctx, previous)
        .role_arn("acs:ram::1000000000000000:role/fake-bench-role")
        .role_session_name("bench-storm")
        .sts_endpoint(cloud.base_url())
        .request_options(RequestOptions::credential_service())
        .refresh(RefreshConfig::default().background(background))
        .build()
        .unwrap()
        .into()
}

/// One storm: `TASKS` tasks released together; each records how long its `get` took.
async fn storm(p: &SharedProvider, cloud: &FakeCloud, expect_calls: u64, cached_id: &str) -> Value {
    let before = cloud.count(Endpoint::StsAssumeRole);
    // The refresh's answer takes UPSTREAM_DELAY: a caller that waited on the network took at
    // least that long, one served from the cache microseconds (whatever the OS scheduling).
    cloud.set_fault_times(Endpoint::StsAssumeRole, Fault::Delay(UPSTREAM_DELAY), 1);
    let gate = Arc::new(tokio::sync::Barrier::new(TASKS));
    let tasks: Vec<_> = (0..TASKS)
        .map(|_| {
            let (p, gate) = (p.clone(), gate.clone());
            tokio::spawn(async move {
                gate.wait().await;
                let t = Instant::now();
                let c = p.get().await.expect("storm get");
                (t.elapsed(), c.access_key_id().to_owned())
            })
        })
        .collect();
    let mut waits = Vec::with_capacity(TASKS);
    let mut ids_served = Vec::with_capacity(TASKS);
    for t in tasks {
        let (w, id) = t.await.unwrap();
        waits.push(w);
        ids_served.push(id);
    }
    let ids: std::collections::BTreeSet<_> = ids_served.iter().collect();
    // A background refresh finishes after the callers: wait for it to land.
    let deadline = Instant::now() + Duration::from_secs(10);
    while cloud.count(Endpoint::StsAssumeRole) - before < expect_calls && Instant::now() < deadline
    {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
    waits.sort();
    json!({
        "tasks": TASKS,
        // Served the credential cached before the storm: these callers cannot have waited for
        // the refresh, whatever their wall time says (a preempted thread inflates it).
        "served_cached": ids_served.iter().filter(|id| *id == cached_id).count(),
        "upstream_calls": cloud.count(Endpoint::StsAssumeRole) - before,
        "distinct_credentials_served": ids.len(),
        "wait_p50_us": percentile(&waits, 0.50),
        "wait_p99_us": percentile(&waits, 0.99),
        "wait_max_us": percentile(&waits, 1.0),
        "upstream_delay_ms": UPSTREAM_DELAY.as_millis() as u64,
        "waited_on_network": waits.iter().filter(|w| **w >= UPSTREAM_DELAY).count(),
        "waited_over_1ms": waits.iter().filter(|w| **w > Duration::from_millis(1)).count(),
    })
}

fn refresh_storm() -> Value {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let cloud = FakeCloud::start(FakeCloudConfig::default()).await.unwrap();
        let mut out = json!({});
        // (a) Prefetch: 50 min into a one-hour credential, inside the 15-minute window.
        let (ctx, hand) = manual_ctx(&quiet_env());
        let p = assume_role(&ctx, &cloud, true);
        let cached = p.get().await.unwrap().access_key_id().to_owned();
        // The fake STS moves with the manual clock, so signatures stay within its ±15 minutes.
        cloud.set_clock_offset(50 * 60);
        hand.advance(50 * MIN);
        out["prefetch"] = storm(&p, &cloud, 1, &cached).await;
        // (b) Past use (59.5 min: inside the expiry margin): every caller waits for the refresh.
        cloud.set_clock_offset(0);
        let (ctx, hand) = manual_ctx(&quiet_env());
        let p = assume_role(&ctx, &cloud, true);
        let cached = p.get().await.unwrap().access_key_id().to_owned();
        cloud.set_clock_offset(59 * 60 + 30);
        hand.advance(59 * MIN + Duration::from_secs(30));
        out["at_expiry"] = storm(&p, &cloud, 1, &cached).await;
        // The round trip a waiting caller pays: one AssumeRole on a fresh provider.
        cloud.set_clock_offset(0);
        let (ctx, _hand) = manual_ctx(&quiet_env());
        let mut one = Vec::new();
        for _ in 0..50 {
            let p = assume_role(&ctx, &cloud, true);
            let t = Instant::now();
            p.get().await.unwrap();
            one.push(t.elapsed());
        }
        one.sort();
        out["single_assume_role_p50_us"] = json!(percentile(&one, 0.5));
        out
    })
}

fn metadata_requests() -> Value {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let mut out = json!({});
        for (name, mode) in [
            ("token_required", ImdsMode::TokenRequired),
            ("both", ImdsMode::Both),
            ("v1_only", ImdsMode::V1Only),
        ] {
            let cloud = FakeCloud::start(FakeCloudConfig::default().with_imds_mode(mode))
                .await
                .unwrap();
            let total = || {
                [
                    Endpoint::ImdsToken,
                    Endpoint::ImdsRoleList,
                    Endpoint::ImdsCredentials,
                ]
                .iter()
                .map(|e| cloud.count(*e))
                .sum::<u64>()
            };
            // The endpoint is the fake cloud's (set below), so metadata stays enabled here.
            let (ctx, hand) = manual_ctx(&[("ALIBABA_CLOUD_STS_ENDPOINT", "http://127.0.0.1:9")]);
            // The provider's defaults (hourly max age); inline refresh-ahead so each refresh has
            // landed when it is counted.
            let p: SharedProvider = EcsRamRoleProvider::builder(&ctx)
                .endpoint(cloud.base_url())
                .refresh(
                    RefreshConfig::default()
                        .max_age(Some(Duration::from_secs(3600)))
                        .background(false),
                )
                .build()
                .unwrap()
                .into();
            p.get().await.unwrap();
            let first = total();
            let (tokens0, lists0) = (
                cloud.count(Endpoint::ImdsToken),
                cloud.count(Endpoint::ImdsRoleList),
            );
            // Twelve hours of hourly refreshes: the metadata token (6 h TTL) is renewed twice.
            const REFRESHES: u64 = 12;
            for _ in 0..REFRESHES {
                for _ in 0..1000 {
                    p.get().await.unwrap();
                }
                hand.advance(Duration::from_secs(3601));
                p.get().await.unwrap();
                p.get().await.unwrap();
            }
            let per_refresh = (total() - first) as f64 / REFRESHES as f64;
            out[name] = json!({
                "first_fetch": first,
                "refreshes": REFRESHES,
                "per_steady_state_refresh": per_refresh,
                "credential_requests": cloud.count(Endpoint::ImdsCredentials) - 1,
                "token_requests": cloud.count(Endpoint::ImdsToken) - tokens0,
                "role_list_requests": cloud.count(Endpoint::ImdsRoleList) - lists0,
            });
        }
        out
    })
}

fn off_cloud() -> Value {
    // A closed loopback port: refused at once, as off ECS where nothing routes the address.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let endpoint = format!("http://127.0.0.1:{port}");
    let home = tempfile::tempdir().unwrap();
    let ctx = || {
        Context::from_env(MapEnv::from([
            ("HOME", home.path().to_str().unwrap()),
            ("ALIBABA_CLOUD_ECS_METADATA_ENDPOINT", endpoint.as_str()),
            ("ALIBABA_CLOUD_STS_ENDPOINT", "http://127.0.0.1:9"),
        ]))
    };
    let t = Instant::now();
    let first = DefaultChain::builder(&ctx()).build().get_blocking();
    let first_ms = t.elapsed().as_secs_f64() * 1e3;
    assert!(first.is_err(), "nothing is configured");
    let mut later = Vec::new();
    for _ in 0..200 {
        let chain = DefaultChain::builder(&ctx()).build();
        let t = Instant::now();
        assert!(chain.get_blocking().is_err());
        later.push(t.elapsed());
    }
    later.sort();
    json!({"first_walk_ms": first_ms, "later_walk_p50_us": percentile(&later, 0.5)})
}

fn allocations() -> Value {
    let (_home, ctx) = common::ini_profile_context();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let chain = DefaultChain::builder(&ctx).build();
    chain.get_blocking().unwrap();
    let cloud = rt
        .block_on(FakeCloud::start(FakeCloudConfig::default()))
        .unwrap();
    let (sts_ctx, _hand) = manual_ctx(&quiet_env());
    let refreshing = assume_role(&sts_ctx, &cloud, true);
    rt.block_on(refreshing.get()).unwrap();
    const N: u64 = 1_000_000;
    let count = |f: &dyn Fn()| {
        f(); // warm the thread's caches
        let before = ALLOCATIONS.load(Ordering::SeqCst);
        for _ in 0..N {
            f();
        }
        (ALLOCATIONS.load(Ordering::SeqCst) - before) as f64 / N as f64
    };
    let chain_blocking = count(&|| {
        std::hint::black_box(chain.get_blocking().unwrap());
    });
    let chain_await = count(&|| {
        rt.block_on(async {
            std::hint::black_box(chain.get().await.unwrap());
        })
    });
    let refreshing_blocking = count(&|| {
        std::hint::black_box(refreshing.get_blocking().unwrap());
    });
    let refreshing_await = count(&|| {
        rt.block_on(async {
            std::hint::black_box(refreshing.get().await.unwrap());
        })
    });
    json!({
        "gets_each": N,
        "default_chain_blocking": chain_blocking,
        "default_chain_await": chain_await,
        "refreshing_provider_blocking": refreshing_blocking,
        "refreshing_provider_await": refreshing_await,
    })
}

fn main() {
    // `cargo bench` passes `--bench`; a filter argument is not supported (the whole set is quick).
    let report = json!({
        "refresh_storm": refresh_storm(),
        "metadata_requests": metadata_requests(),
        "off_cloud": off_cloud(),
        "allocations": allocations(),
    });
    eprintln!("{}", serde_json::to_string_pretty(&report).unwrap());
    let text = serde_json::to_string(&report).unwrap();
    match std::env::var_os("CLOUDCRED_BENCH_JSON") {
        Some(path) => std::fs::write(path, text).unwrap(),
        None => println!("{text}"),
    }
}
