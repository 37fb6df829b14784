//! Cached credential reads against a bare `Arc::clone` (the physical limit), one thread and two
//! (issue 6, row 1: ≤ 20 ns, ≤ 2× `Arc::clone`, no slowdown with 2 threads).
//!
//! The default chain resolves from an INI profile once, so its path crosses the chain, the profile
//! provider and the static provider; the refreshing provider is the engine every temporary
//! credential is served from (STS, metadata, URI…), behind `SharedProvider` as users hold it.
//! Two-thread rows run the same loop on two threads at once and report the time per get on each
//! thread; the baseline is measured both on one shared `Arc` and on an `Arc` per thread.

use chrono::Utc;
use cloudcred::prelude::*;
mod common;

use cloudcred::alibaba::DefaultChain;
use cloudcred::context::Clock;
use cloudcred::engine::{Refreshing, Source};
use cloudcred::{Credentials, ProviderName, Resolution, Result, SharedProvider};
use criterion::{black_box, criterion_group, criterion_main, Criterion};
use futures::future::BoxFuture;
use std::sync::Arc;
use std::time::{Duration, Instant};

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

struct Subjects {
    _home: tempfile::TempDir,
    chain: cloudcred::Chain,
    refreshing: SharedProvider,
    engine: Refreshing<OneHourSts>,
    baseline: Arc<Credentials>,
    rt: tokio::runtime::Runtime,
}

fn subjects() -> Subjects {
    let (home, ctx) = common::ini_profile_context();
    let chain = DefaultChain::builder(&ctx).build();
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    rt.block_on(chain.get()).unwrap();
    let engine = Refreshing::new(OneHourSts, Clock::system());
    let refreshing = SharedProvider::new(engine.clone());
    rt.block_on(refreshing.get()).unwrap();
    let baseline = Arc::new(Credentials::access_key(
        "id",
        "secret",
        ProviderName::new("x"),
    ));
    Subjects {
        _home: home,
        chain,
        refreshing,
        engine,
        baseline,
        rt,
    }
}

fn one_thread(c: &mut Criterion) {
    let s = subjects();
    let mut g = c.benchmark_group("cached_get_1t");
    g.bench_function("baseline_arc_clone", |b| {
        b.iter(|| black_box(Arc::clone(black_box(&s.baseline))))
    });
    g.bench_function("default_chain_blocking", |b| {
        b.iter(|| black_box(s.chain.get_blocking().unwrap()))
    });
    // `.await` inside a task, many gets per runtime entry: how async code calls it.
    g.bench_function("default_chain_await", |b| {
        b.iter_custom(|iters| {
            s.rt.block_on(async {
                let start = Instant::now();
                for _ in 0..iters {
                    black_box(s.chain.get().await.unwrap());
                }
                start.elapsed()
            })
        })
    });
    g.bench_function("refreshing_provider_blocking", |b| {
        b.iter(|| black_box(s.refreshing.get_blocking().unwrap()))
    });
    g.bench_function("refreshing_provider_await", |b| {
        b.iter_custom(|iters| {
            s.rt.block_on(async {
                let start = Instant::now();
                for _ in 0..iters {
                    black_box(s.refreshing.get().await.unwrap());
                }
                start.elapsed()
            })
        })
    });
    g.bench_function("engine_cached_fresh", |b| {
        b.iter(|| black_box(s.engine.cached_fresh().unwrap()))
    });
    g.finish();
}

/// Runs `f` `iters` times on each of two threads at once; the time per get on one thread.
fn on_two_threads(iters: u64, f: impl Fn() + Sync) -> Duration {
    let start = Instant::now();
    std::thread::scope(|sc| {
        for _ in 0..2 {
            sc.spawn(|| {
                for _ in 0..iters {
                    f();
                }
            });
        }
    });
    start.elapsed()
}

fn two_threads(c: &mut Criterion) {
    let s = subjects();
    let mut g = c.benchmark_group("cached_get_2t");
    g.bench_function("baseline_arc_clone_shared", |b| {
        b.iter_custom(|iters| {
            on_two_threads(iters, || {
                black_box(Arc::clone(black_box(&s.baseline)));
            })
        })
    });
    let own: Vec<Arc<Credentials>> = (0..2).map(|_| Arc::new((*s.baseline).clone())).collect();
    g.bench_function("baseline_arc_clone_per_thread", |b| {
        b.iter_custom(|iters| {
            let start = Instant::now();
            std::thread::scope(|sc| {
                for mine in &own {
                    sc.spawn(move || {
                        for _ in 0..iters {
                            black_box(Arc::clone(black_box(mine)));
                        }
                    });
                }
            });
            start.elapsed()
        })
    });
    g.bench_function("default_chain_blocking", |b| {
        b.iter_custom(|iters| {
            on_two_threads(iters, || {
                black_box(s.chain.get_blocking().unwrap());
            })
        })
    });
    g.bench_function("refreshing_provider_blocking", |b| {
        b.iter_custom(|iters| {
            on_two_threads(iters, || {
                black_box(s.refreshing.get_blocking().unwrap());
            })
        })
    });
    g.finish();
}

/// The pieces of a cached read, to attribute its cost, and the clocks a signature can read.
fn parts(c: &mut Criterion) {
    let clock = Clock::system();
    let swap = arc_swap::ArcSwap::from_pointee(1u64);
    let mut g = c.benchmark_group("parts");
    g.bench_function("deadline_clock_time2", |b| {
        b.iter(|| black_box(clock.deadline_now()))
    });
    // What the engine read before issue 6, for comparison.
    g.bench_function("monotonic_coarse_clock", |b| {
        b.iter(|| {
            let mut ts = libc::timespec {
                tv_sec: 0,
                tv_nsec: 0,
            };
            // SAFETY: a valid, writable timespec; the clock exists on every Linux since 2.6.32.
            unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC_COARSE, &mut ts) };
            black_box(ts.tv_nsec)
        })
    });
    g.bench_function("arc_swap_load", |b| b.iter(|| black_box(**swap.load())));
    // The signing time: chrono's clock against the one the signers are given (issue 12).
    g.bench_function("clock_utc_now", |b| b.iter(|| black_box(Utc::now())));
    g.bench_function("clock_signing_time", |b| {
        b.iter(|| black_box(cloudcred::sign::signing_time()))
    });
    g.finish();
}

criterion_group!(benches, one_thread, two_threads, parts);
criterion_main!(benches);
