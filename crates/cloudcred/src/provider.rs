//! The provider abstraction: what every credential source and chain implements.
//!
//! A provider ends every request in one of three outcomes (spec D8): credentials, "not
//! configured" (its source is absent, so a chain moves on), or an error (its source is present
//! but unusable, so a chain stops).

use crate::error::{Error, Result};
use crate::model::Credentials;
use futures_util::future::BoxFuture;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll};

/// The outcome of a provider that did not fail.
#[derive(Debug, Clone)]
pub enum Resolution {
    /// Credentials, shared.
    Credentials(Arc<Credentials>),
    /// The provider's source is absent; the reason says what was looked for.
    NotConfigured(String),
}

/// What a provider looked at, for `cloudcred doctor`. Never holds a value of a variable or a
/// line of a file: only names, paths and advice.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Inspection {
    /// Variables and files the provider reads, e.g. `env ALIBABA_CLOUD_ACCESS_KEY_ID (set)`.
    pub reads: Vec<String>,
    /// Things worth fixing that do not stop resolution (duplicate keys, ignored files, …).
    pub warnings: Vec<String>,
}

/// A source of credentials. `Send + Sync`, usable as `Arc<dyn ProvideCredentials>`.
pub trait ProvideCredentials: Send + Sync + fmt::Debug {
    /// Resolves credentials, doing whatever I/O is needed.
    fn resolve(&self) -> BoxFuture<'_, Result<Resolution>>;

    /// Credentials that can be handed out right now without any I/O, lock or allocation beyond
    /// the `Arc` clone, or `None` when [`resolve`](Self::resolve) has work to do.
    fn cached(&self) -> Option<Arc<Credentials>> {
        None
    }

    /// The provider's name as used in reports (`env`, `profile`, `default`, …).
    fn name(&self) -> &str;

    /// What the provider reads and what it warns about, for `doctor`. Cheap: no network.
    fn inspect(&self) -> Inspection {
        Inspection::default()
    }

    /// The providers inside a chain, for `doctor`; empty for a single source.
    fn members(&self) -> Vec<SharedProvider> {
        Vec::new()
    }
}

/// A provider behind an `Arc`, with the convenient entry points.
#[derive(Clone)]
pub struct SharedProvider(Arc<dyn ProvideCredentials>);

impl fmt::Debug for SharedProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl SharedProvider {
    pub fn new(provider: impl ProvideCredentials + 'static) -> Self {
        Self(Arc::new(provider))
    }

    pub fn from_arc(provider: Arc<dyn ProvideCredentials>) -> Self {
        Self(provider)
    }

    pub fn as_arc(&self) -> &Arc<dyn ProvideCredentials> {
        &self.0
    }

    /// Credentials, or an error; "not configured" becomes [`ErrorKind::NotConfigured`](crate::ErrorKind::NotConfigured).
    ///
    /// A cached credential is returned without awaiting anything.
    #[inline]
    pub fn get(&self) -> GetCredentials<'_> {
        GetCredentials::new(GetFrom::Provider(self))
    }

    async fn get_slow(&self) -> Result<Arc<Credentials>> {
        match self.0.resolve().await? {
            Resolution::Credentials(c) => Ok(c),
            Resolution::NotConfigured(reason) => Err(Error::not_configured(self.0.name(), reason)),
        }
    }

    /// The blocking facade: usable from plain threads and from inside a tokio runtime alike.
    #[inline]
    pub fn get_blocking(&self) -> Result<Arc<Credentials>> {
        match self.0.cached() {
            Some(c) => Ok(c),
            None => self.get_blocking_slow(),
        }
    }

    #[cold]
    #[inline(never)]
    fn get_blocking_slow(&self) -> Result<Arc<Credentials>> {
        let this = self.clone();
        crate::blocking::run(async move { this.get_slow().await })
    }
}

impl std::ops::Deref for SharedProvider {
    type Target = dyn ProvideCredentials;

    fn deref(&self) -> &Self::Target {
        &*self.0
    }
}

impl<P: ProvideCredentials + 'static> From<P> for SharedProvider {
    fn from(p: P) -> Self {
        Self::new(p)
    }
}

/// What a [`GetCredentials`] asks.
#[derive(Clone, Copy)]
pub(crate) enum GetFrom<'a> {
    Chain(&'a crate::Chain),
    Provider(&'a SharedProvider),
}

impl<'a> GetFrom<'a> {
    #[inline]
    fn cached(self) -> Option<Arc<Credentials>> {
        match self {
            GetFrom::Chain(c) => c.cached(),
            GetFrom::Provider(p) => p.0.cached(),
        }
    }

    fn slow(self) -> BoxFuture<'a, Result<Arc<Credentials>>> {
        match self {
            GetFrom::Chain(c) => Box::pin(c.get_slow()),
            GetFrom::Provider(p) => Box::pin(p.get_slow()),
        }
    }

    fn name(self) -> &'a str {
        match self {
            GetFrom::Chain(c) => c.name(),
            GetFrom::Provider(p) => p.0.name(),
        }
    }
}

/// The future of [`Chain::get`](crate::Chain::get) and [`SharedProvider::get`]: ready at the
/// first poll for a cached credential.
///
/// The cache is looked up when the future is first polled, and the slow path's boxed state
/// machine is only built on a miss. Returning a ready value built at call time instead (an
/// enum holding the `Arc`) measured 2.5× slower under `.await`: the value is written into the
/// caller's future and read back at once, which the CPU cannot forward (callgrind shows the
/// same instruction count; the time is a store-forwarding stall).
#[must_use = "futures do nothing unless polled"]
pub struct GetCredentials<'a> {
    from: GetFrom<'a>,
    slow: Option<BoxFuture<'a, Result<Arc<Credentials>>>>,
}

impl<'a> GetCredentials<'a> {
    #[inline]
    pub(crate) fn new(from: GetFrom<'a>) -> Self {
        Self { from, slow: None }
    }

    #[cold]
    #[inline(never)]
    fn poll_slow(&mut self, cx: &mut TaskContext<'_>) -> Poll<Result<Arc<Credentials>>> {
        let from = self.from;
        self.slow
            .get_or_insert_with(|| from.slow())
            .as_mut()
            .poll(cx)
    }
}

impl fmt::Debug for GetCredentials<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GetCredentials")
            .field("from", &self.from.name())
            .field("pending", &self.slow.is_some())
            .finish()
    }
}

impl Future for GetCredentials<'_> {
    type Output = Result<Arc<Credentials>>;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        if this.slow.is_none() {
            if let Some(c) = this.from.cached() {
                return Poll::Ready(Ok(c));
            }
        }
        this.poll_slow(cx)
    }
}
