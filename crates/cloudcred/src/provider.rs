//! The provider abstraction: what every credential source and chain implements.
//!
//! A provider ends every request in one of three outcomes (spec D8): credentials, "not
//! configured" (its source is absent, so a chain moves on), or an error (its source is present
//! but unusable, so a chain stops).

use crate::error::{Error, Result};
use crate::model::Credentials;
use futures::future::{BoxFuture, Either};
use std::fmt;
use std::future::Future;
use std::sync::Arc;

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

    /// Credentials, or an error; "not configured" becomes [`Error::NotConfigured`].
    ///
    /// A cached credential is returned without awaiting anything.
    #[inline]
    pub fn get(&self) -> impl Future<Output = Result<Arc<Credentials>>> + Send + '_ {
        match self.0.cached() {
            Some(c) => Either::Left(futures::future::ready(Ok(c))),
            None => Either::Right(self.get_slow()),
        }
    }

    async fn get_slow(&self) -> Result<Arc<Credentials>> {
        match self.0.resolve().await? {
            Resolution::Credentials(c) => Ok(c),
            Resolution::NotConfigured(reason) => Err(Error::not_configured(self.0.name(), reason)),
        }
    }

    /// The blocking facade: usable from plain threads and from inside a tokio runtime alike.
    pub fn get_blocking(&self) -> Result<Arc<Credentials>> {
        if let Some(c) = self.0.cached() {
            return Ok(c);
        }
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
