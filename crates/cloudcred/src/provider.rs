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
#[non_exhaustive]
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

    /// [`resolve`](Self::resolve) with "not configured" turned into an error: what
    /// [`ProvideCredentialsExt::get`] awaits when nothing is cached. The default reports
    /// [`ErrorKind::NotConfigured`](crate::ErrorKind::NotConfigured); a [`Chain`](crate::Chain) overrides it to report every provider
    /// it asked ([`ErrorKind::NoCredentials`](crate::ErrorKind::NoCredentials)).
    fn require(&self) -> BoxFuture<'_, Result<Arc<Credentials>>> {
        Box::pin(async move {
            match self.resolve().await? {
                Resolution::Credentials(c) => Ok(c),
                Resolution::NotConfigured(reason) => {
                    Err(Error::not_configured(self.name(), reason))
                }
            }
        })
    }
}

/// `get()` and `get_blocking()` on every provider, chain and [`SharedProvider`]: the one way to
/// ask for credentials. Implemented for every [`ProvideCredentials`]; in scope through
/// [`crate::prelude`].
pub trait ProvideCredentialsExt: ProvideCredentials {
    /// Credentials, or an error; "not configured" is an error ([`ErrorKind::NotConfigured`](crate::ErrorKind::NotConfigured), or
    /// [`ErrorKind::NoCredentials`](crate::ErrorKind::NoCredentials) listing every provider of a chain).
    ///
    /// A cached credential is returned at the first poll without awaiting anything and without
    /// allocating; the refresh, when one is due, runs on cloudcred's runtime.
    #[inline]
    fn get(&self) -> GetCredentials<'_, Self> {
        GetCredentials {
            provider: self,
            slow: None,
        }
    }

    /// The blocking form of [`get`](Self::get): usable from plain threads and from inside any
    /// async runtime alike (a refresh runs on cloudcred's runtime, never on the caller's
    /// executor, so a current-thread runtime cannot deadlock).
    #[inline]
    fn get_blocking(&self) -> Result<Arc<Credentials>> {
        match self.cached() {
            Some(c) => Ok(c),
            None => get_blocking_slow(self),
        }
    }
}

impl<P: ProvideCredentials + ?Sized> ProvideCredentialsExt for P {}

/// Kept out of line so the inlined cached read stays small.
#[cold]
#[inline(never)]
fn get_blocking_slow<P: ProvideCredentials + ?Sized>(provider: &P) -> Result<Arc<Credentials>> {
    crate::blocking::run_borrowed(provider.require())
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
    /// Shares `provider`.
    pub fn new(provider: impl ProvideCredentials + 'static) -> Self {
        Self(Arc::new(provider))
    }

    /// Shares a provider already behind an `Arc`.
    pub fn from_arc(provider: Arc<dyn ProvideCredentials>) -> Self {
        Self(provider)
    }

    /// The shared provider.
    pub fn as_arc(&self) -> &Arc<dyn ProvideCredentials> {
        &self.0
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

/// The future of [`ProvideCredentialsExt::get`]: ready at the first poll for a cached
/// credential.
///
/// The cache is looked up when the future is first polled, and the slow path's boxed state
/// machine is only built on a miss. Returning a ready value built at call time instead (an
/// enum holding the `Arc`) measured 2.5× slower under `.await`: the value is written into the
/// caller's future and read back at once, which the CPU cannot forward (callgrind shows the
/// same instruction count; the time is a store-forwarding stall).
#[must_use = "futures do nothing unless polled"]
pub struct GetCredentials<'a, P: ?Sized> {
    provider: &'a P,
    slow: Option<BoxFuture<'a, Result<Arc<Credentials>>>>,
}

impl<P: ProvideCredentials + ?Sized> GetCredentials<'_, P> {
    #[cold]
    #[inline(never)]
    fn poll_slow(&mut self, cx: &mut TaskContext<'_>) -> Poll<Result<Arc<Credentials>>> {
        let provider = self.provider;
        self.slow
            .get_or_insert_with(|| provider.require())
            .as_mut()
            .poll(cx)
    }
}

impl<P: ProvideCredentials + ?Sized> fmt::Debug for GetCredentials<'_, P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GetCredentials")
            .field("from", &self.provider.name())
            .field("pending", &self.slow.is_some())
            .finish()
    }
}

impl<P: ProvideCredentials + ?Sized> Future for GetCredentials<'_, P> {
    type Output = Result<Arc<Credentials>>;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        if this.slow.is_none() {
            if let Some(c) = this.provider.cached() {
                return Poll::Ready(Ok(c));
            }
        }
        this.poll_slow(cx)
    }
}
