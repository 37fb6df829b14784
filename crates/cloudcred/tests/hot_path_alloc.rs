//! A cached read allocates nothing: counted with a global allocator, through the default chain
//! (async and blocking entry points) and through the refresh engine; through the reqsign
//! adapters, only the owned credential reqsign's trait returns.
//!
//! Only the calling thread's allocations count: a runtime worker or the test harness allocating
//! at the same moment on another thread is not the cached read's doing (process-wide counting
//! made this test fail now and then on a loaded machine).

mod common;

use cloudcred::alibaba::DefaultChain;
use cloudcred::context::Clock;
use cloudcred::engine::{Refreshing, Source};
use cloudcred::prelude::*;
use cloudcred::{Credentials, ProviderName, Resolution, Result};
use futures::future::{BoxFuture, FutureExt};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

struct Counting;

thread_local! {
    // Const-initialised and without a destructor: reading it never allocates.
    static COUNTING: Cell<bool> = const { Cell::new(false) };
}
static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if COUNTING.with(Cell::get) {
            ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        }
        System.alloc(layout)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn count<F: FnMut()>(mut f: F) -> u64 {
    ALLOCATIONS.store(0, Ordering::SeqCst);
    COUNTING.with(|c| c.set(true));
    for _ in 0..10_000 {
        f();
    }
    COUNTING.with(|c| c.set(false));
    ALLOCATIONS.load(Ordering::SeqCst)
}

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
