//! One way to ask for credentials: a concrete provider, a refreshing source, a `Chain` and a
//! `SharedProvider` all answer `get()` and `get_blocking()` through `ProvideCredentialsExt`,
//! with the same values and the same errors (issue 13 item 4).

use cloudcred::alibaba::StaticProvider;
use cloudcred::engine::{Refreshing, Source};
use cloudcred::prelude::*;
use cloudcred::{
    Chain, Clock, Credentials, ErrorKind, GetCredentials, Resolution, Result, SharedProvider,
};
use futures::future::BoxFuture;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

/// Compile-level proof: the one trait is what answers, whatever the provider.
fn via_trait<P: ProvideCredentialsExt + ?Sized>(p: &P) -> (GetCredentials<'_, P>, String) {
    (
        p.get(),
        p.get_blocking().unwrap().access_key_id().to_owned(),
    )
}

fn keys() -> StaticProvider {
    StaticProvider::access_key("LTAIEXT", "ext-secret").unwrap()
}

#[tokio::test]
async fn provider_chain_and_shared_provider_answer_through_one_trait() {
    let provider = keys();
    let chain = Chain::builder().provider(keys()).build();
    let shared = SharedProvider::new(keys());
    let dynamic: &dyn ProvideCredentials = &*shared;

    for (future, blocking_id) in [
        {
            let (f, id) = via_trait(&provider);
            (Box::pin(f) as BoxFuture<'_, Result<Arc<Credentials>>>, id)
        },
        {
            let (f, id) = via_trait(&chain);
            (Box::pin(f) as BoxFuture<'_, Result<Arc<Credentials>>>, id)
        },
        {
            let (f, id) = via_trait(dynamic);
            (Box::pin(f) as BoxFuture<'_, Result<Arc<Credentials>>>, id)
        },
    ] {
        assert_eq!(future.await.unwrap().access_key_id(), "LTAIEXT");
        assert_eq!(blocking_id, "LTAIEXT");
    }
    // Method syntax on the owned types, as users write it.
    assert_eq!(shared.get().await.unwrap().access_key_id(), "LTAIEXT");
    assert_eq!(chain.get().await.unwrap().access_key_id(), "LTAIEXT");
    assert_eq!(
        provider.get_blocking().unwrap().provider_name().as_str(),
        "static_ak"
    );
}

/// A source with nothing cached: `get_blocking` takes the slow path and fetches exactly once.
#[derive(Debug, Default)]
struct Counting(AtomicU32);

impl Source for Counting {
    fn fetch(&self) -> BoxFuture<'_, Result<Resolution>> {
        self.0.fetch_add(1, Ordering::SeqCst);
        let creds = Credentials::access_key("LTAIFETCHED", "fetched-secret", "counting".into());
        Box::pin(async move { Ok(Resolution::Credentials(Arc::new(creds))) })
    }

    fn name(&self) -> &str {
        "counting"
    }
}

#[test]
fn refreshing_provider_get_blocking_fetches_once_from_a_plain_thread() {
    let p = Refreshing::new(Counting::default(), Clock::system());
    assert_eq!(p.get_blocking().unwrap().access_key_id(), "LTAIFETCHED");
    assert_eq!(p.get_blocking().unwrap().access_key_id(), "LTAIFETCHED");
    assert_eq!(p.source().0.load(Ordering::SeqCst), 1);
}

#[tokio::test(flavor = "current_thread")]
async fn refreshing_provider_get_blocking_inside_a_current_thread_runtime() {
    // A thread inside a runtime may not block_on: the borrowed future runs on a scoped thread.
    let p = Refreshing::new(Counting::default(), Clock::system());
    assert_eq!(p.get_blocking().unwrap().access_key_id(), "LTAIFETCHED");
    assert_eq!(p.get().await.unwrap().access_key_id(), "LTAIFETCHED");
    assert_eq!(p.source().0.load(Ordering::SeqCst), 1);
}

#[derive(Debug)]
struct Absent;

impl ProvideCredentials for Absent {
    fn resolve(&self) -> BoxFuture<'_, Result<Resolution>> {
        Box::pin(async { Ok(Resolution::NotConfigured("nothing here".into())) })
    }

    fn name(&self) -> &str {
        "absent"
    }
}

#[tokio::test]
async fn not_configured_is_an_error_naming_every_provider_a_chain_asked() {
    let e = Absent.get().await.unwrap_err();
    assert!(
        matches!(e.kind(), ErrorKind::NotConfigured { provider, .. } if provider == "absent"),
        "{e:?}"
    );
    let chain = Chain::builder().name("mine").provider(Absent).build();
    for e in [
        chain.get().await.unwrap_err(),
        chain.get_blocking().unwrap_err(),
        SharedProvider::new(chain.clone()).get().await.unwrap_err(),
    ] {
        match e.kind() {
            ErrorKind::NoCredentials { attempts } => {
                assert_eq!(attempts.len(), 1);
                assert_eq!(attempts[0].provider, "absent");
            }
            other => panic!("{other:?}"),
        }
    }
}
