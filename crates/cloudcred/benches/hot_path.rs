//! A cached `get` through the default chain, against a bare `Arc::clone` in the same run
//! (issue 2: under 20 ns and within 2× of the baseline on one thread).
//!
//! The chain resolves from an INI profile once (so the path crosses the chain, the profile
//! provider and the static provider); a refresh-engine source is measured too, since every
//! temporary credential is served from it.

use chrono::Utc;
use cloudcred::alibaba::DefaultChain;
use cloudcred::context::{Clock, MapEnv};
use cloudcred::engine::{Refreshing, Source};
use cloudcred::{Context, Credentials, ProviderName, Resolution, Result};
use criterion::{black_box, criterion_group, criterion_main, Criterion};
use futures::future::{BoxFuture, FutureExt};
use std::sync::Arc;

#[derive(Debug)]
struct OneHourSts;

impl Source for OneHourSts {
    fn fetch(&self) -> BoxFuture<'_, Result<Resolution>> {
        Box::pin(async {
            Ok(Resolution::Credentials(Arc::new(Credentials::sts(
                "STS.BENCH",
                "secret",
                "token",
                Some(Utc::now() + chrono::Duration::hours(1)),
                ProviderName::new("bench"),
            ))))
        })
    }
    fn name(&self) -> &str {
        "bench"
    }
}

fn hot_path(c: &mut Criterion) {
    let home = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(home.path().join(".alibabacloud")).unwrap();
    std::fs::write(
        home.path().join(".alibabacloud/credentials"),
        "[default]\ntype = access_key\naccess_key_id = LTAIBENCH\naccess_key_secret = bench-secret\n",
    )
    .unwrap();
    let ctx = Context::with_env(MapEnv::from([
        ("HOME", home.path().to_str().unwrap()),
        ("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true"),
    ]));
    let chain = DefaultChain::builder(&ctx).build();
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    rt.block_on(chain.get()).unwrap();

    let engine = Refreshing::new(OneHourSts, Clock::system());
    rt.block_on(engine.get()).unwrap();

    let baseline = Arc::new(Credentials::access_key(
        "id",
        "secret",
        ProviderName::new("x"),
    ));

    let mut g = c.benchmark_group("cached_get");
    g.bench_function("baseline_arc_clone", |b| {
        b.iter(|| black_box(Arc::clone(black_box(&baseline))))
    });
    g.bench_function("default_chain_get_now_or_never", |b| {
        b.iter(|| black_box(chain.get().now_or_never().unwrap().unwrap()))
    });
    // The realistic async use: `.await` inside a task, many gets per runtime entry.
    g.bench_function("default_chain_get_await", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let start = std::time::Instant::now();
                for _ in 0..iters {
                    black_box(chain.get().await.unwrap());
                }
                start.elapsed()
            })
        })
    });
    g.bench_function("reference_ready_now_or_never", |b| {
        b.iter(|| {
            black_box(
                futures::future::ready(Ok::<_, ()>(Arc::clone(&baseline)))
                    .now_or_never()
                    .unwrap()
                    .unwrap(),
            )
        })
    });
    g.bench_function("default_chain_get_blocking", |b| {
        b.iter(|| black_box(chain.get_blocking().unwrap()))
    });
    g.bench_function("refresh_engine_cached", |b| {
        b.iter(|| black_box(engine.cached_fresh().unwrap()))
    });
    g.finish();
}

criterion_group!(benches, hot_path);
criterion_main!(benches, parts_group);

fn parts(c: &mut Criterion) {
    let clock = Clock::system();
    let swap = arc_swap::ArcSwap::from_pointee(1u64);
    let mut g = c.benchmark_group("parts");
    g.bench_function("coarse_clock", |b| b.iter(|| black_box(clock.mono())));
    g.bench_function("arc_swap_load", |b| b.iter(|| black_box(**swap.load())));
    g.bench_function("arc_swap_load_full", |b| {
        b.iter(|| black_box(swap.load_full()))
    });
    g.finish();
}

criterion_group!(parts_group, parts);
