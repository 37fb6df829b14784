//! A cached read allocates nothing: counted with a global allocator, through the default chain
//! (async and blocking entry points) and through the refresh engine; through the reqsign
//! adapters, only the owned credential reqsign's trait returns.
//!
//! Only the calling thread's allocations count: a runtime worker or the test harness allocating
//! at the same moment on another thread is not the cached read's doing (process-wide counting
//! made this test fail now and then on a loaded machine).

mod common;
#[path = "common/counting_alloc.rs"]
mod counting_alloc;

use cloudcred::alibaba::DefaultChain;
use cloudcred::context::Clock;
use cloudcred::engine::{Refreshing, Source};
use cloudcred::prelude::*;
use cloudcred::{Credentials, ProviderName, Resolution, Result};
use counting_alloc::{count, Counting};
use futures::future::{BoxFuture, FutureExt};
use std::sync::Arc;

#[global_allocator]
static GLOBAL: Counting = Counting;

#[derive(Debug)]
struct OneHour;

impl Source for OneHour {
    fn fetch(&self) -> BoxFuture<'_, Result<Resolution>> {
        Box::pin(async {
            Ok(Resolution::Credentials(Arc::new(Credentials::sts(
                "STS.X",
                "s",
                "t",
                Some(chrono::Utc::now() + chrono::Duration::hours(1)),
                ProviderName::new("one_hour"),
            ))))
        })
    }
    fn name(&self) -> &str {
        "one_hour"
    }
}

// One test function: the allocation counter is process-wide, so nothing may run beside it.
#[test]
fn cached_reads_do_not_allocate() {
    let home = common::Home::new().with_ini();
    let chain = DefaultChain::builder(&home.ctx()).build();
    futures::executor::block_on(chain.get()).unwrap();
    assert_eq!(
        count(|| drop(chain.get().now_or_never().unwrap().unwrap())),
        0,
        "async get"
    );
    assert_eq!(
        count(|| drop(chain.get_blocking().unwrap())),
        0,
        "blocking get"
    );

    let engine = Refreshing::new(OneHour, Clock::system());
    futures::executor::block_on(engine.get()).unwrap();
    assert_eq!(count(|| drop(engine.cached_fresh().unwrap())), 0, "engine");
    assert_eq!(
        count(|| drop(engine.get().now_or_never().unwrap().unwrap())),
        0,
        "engine get"
    );

    // The reqsign adapters (issue 14): reqsign's trait returns an owned credential, so a cached
    // call costs the clone of the converted credential (its strings) and nothing else: no
    // conversion, no future boxed.
    use cloudcred::interop::reqsign::{ObsCredentialProvider, OssCredentialProvider};
    use reqsign_core::ProvideCredential;
    let rctx = reqsign_core::Context::new();
    let oss = OssCredentialProvider::new(engine.clone());
    let converted = futures::executor::block_on(oss.provide_credential(&rctx))
        .unwrap()
        .unwrap();
    let clone = count(|| drop(converted.clone()));
    assert_eq!(clone, 3 * 10_000, "id, secret and token");
    let call = || drop(oss.provide_credential(&rctx).now_or_never().unwrap());
    assert_eq!(count(call), clone, "reqsign OSS adapter");
    let obs = ObsCredentialProvider::new(engine);
    let converted = futures::executor::block_on(obs.provide_credential(&rctx))
        .unwrap()
        .unwrap();
    let clone = count(|| drop(converted.clone()));
    let call = || drop(obs.provide_credential(&rctx).now_or_never().unwrap());
    assert_eq!(count(call), clone, "reqsign OBS adapter");
}
