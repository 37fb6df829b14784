//! A cached read allocates nothing: counted with a global allocator, through the default chain
//! (async and blocking entry points) and through the refresh engine.

mod common;
#[path = "common/counting_alloc.rs"]
mod counting_alloc;

use cloudcred::alibaba::DefaultChain;
use cloudcred::context::Clock;
use cloudcred::engine::{Refreshing, Source};
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
}
