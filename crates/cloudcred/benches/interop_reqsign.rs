//! The reqsign adapters (issue 14) on a cached credential: reqsign's trait returns an owned
//! credential, so a call is the provider's cached read plus a clone of the converted credential
//! (the clone alone is the floor); reqsign's `Signer` calls through the boxing `dyn` form.
//!
//! `cargo bench -p cloudcred --features reqsign --bench interop_reqsign`

use cloudcred::alibaba::StaticProvider;
use cloudcred::interop::reqsign::{ObsCredentialProvider, OssCredentialProvider};
use criterion::{black_box, criterion_group, criterion_main, Criterion};
use reqsign_core::{ProvideCredential, ProvideCredentialDyn};
use std::time::Instant;

fn reqsign_adapters(c: &mut Criterion) {
    let sts = || StaticProvider::sts("STS.BENCH", "secret", "token").unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let ctx = reqsign_core::Context::new();
    let oss = OssCredentialProvider::new(sts());
    let obs = ObsCredentialProvider::new(sts());
    let converted = rt.block_on(oss.provide_credential(&ctx)).unwrap().unwrap();
    rt.block_on(obs.provide_credential(&ctx)).unwrap();
    let mut g = c.benchmark_group("reqsign_adapter");
    g.bench_function("oss_credential_clone", |b| {
        b.iter(|| black_box(black_box(&converted).clone()))
    });
    // One loop per subject, written out: a shared closure would box a future per call and
    // measure that too.
    g.bench_function("oss_provide_credential", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let start = Instant::now();
                for _ in 0..iters {
                    black_box(oss.provide_credential(&ctx).await.unwrap());
                }
                start.elapsed()
            })
        })
    });
    g.bench_function("oss_provide_credential_dyn", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let start = Instant::now();
                for _ in 0..iters {
                    black_box(oss.provide_credential_dyn(&ctx).await.unwrap());
                }
                start.elapsed()
            })
        })
    });
    g.bench_function("obs_provide_credential", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let start = Instant::now();
                for _ in 0..iters {
                    black_box(obs.provide_credential(&ctx).await.unwrap());
                }
                start.elapsed()
            })
        })
    });
    g.finish();
}

criterion_group!(benches, reqsign_adapters);
criterion_main!(benches);
