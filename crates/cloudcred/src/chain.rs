//! Ordered chains of providers (spec 5.2, D8, D17).
//!
//! A chain asks its providers in order. "Not configured" moves on and is recorded; credentials
//! end the walk; an error ends it too, because a configured source that fails must never let a
//! weaker or different identity through. After a success the chain remembers that provider (never
//! one that failed) and delegates to it, so the hot path is the provider's own cache.

use crate::engine::{Joined, SingleFlight};
use crate::error::{Attempt, Error, ErrorKind, Result};
use crate::model::Credentials;
use crate::provider::{Inspection, ProvideCredentials, Resolution, SharedProvider};
use futures_util::future::BoxFuture;
use std::fmt;
use std::sync::{Arc, OnceLock};

type Walk = Result<std::result::Result<Arc<Credentials>, Vec<Attempt>>>;

struct State {
    name: String,
    providers: Vec<SharedProvider>,
    reuse_last: bool,
    remembered: OnceLock<usize>,
    walking: SingleFlight<Walk>,
}

/// An ordered list of providers. Cheap to clone; clones share the remembered provider.
#[derive(Clone)]
pub struct Chain {
    state: Arc<State>,
}

impl fmt::Debug for Chain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Chain")
            .field("name", &self.state.name)
            .field("providers", &self.state.providers)
            .field("remembered", &self.state.remembered.get())
            .finish()
    }
}

/// Builds a [`Chain`].
#[derive(Debug, Default)]
pub struct ChainBuilder {
    name: Option<String>,
    providers: Vec<SharedProvider>,
    reuse_last: Option<bool>,
}

impl ChainBuilder {
    /// The chain's name in reports (`default`, `oss`, …). Default `chain`.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Appends a provider.
    pub fn provider(mut self, provider: impl Into<SharedProvider>) -> Self {
        self.providers.push(provider.into());
        self
    }

    /// Inserts a provider at `index` (clamped to the end).
    pub fn insert(mut self, index: usize, provider: impl Into<SharedProvider>) -> Self {
        let index = index.min(self.providers.len());
        self.providers.insert(index, provider.into());
        self
    }

    /// Removes every provider with this name.
    pub fn remove(mut self, name: &str) -> Self {
        self.providers.retain(|p| p.name() != name);
        self
    }

    /// Whether to keep using the provider that succeeded first (default true, spec D17). Off:
    /// every call walks the chain.
    pub fn reuse_last_provider(mut self, reuse: bool) -> Self {
        self.reuse_last = Some(reuse);
        self
    }

    /// The chain. No I/O.
    pub fn build(self) -> Chain {
        Chain {
            state: Arc::new(State {
                name: self.name.unwrap_or_else(|| "chain".to_owned()),
                providers: self.providers,
                reuse_last: self.reuse_last.unwrap_or(true),
                remembered: OnceLock::new(),
                walking: SingleFlight::default(),
            }),
        }
    }
}

impl Chain {
    /// A builder with no providers.
    pub fn builder() -> ChainBuilder {
        ChainBuilder::default()
    }

    /// The providers, in order.
    pub fn providers(&self) -> &[SharedProvider] {
        &self.state.providers
    }

    /// The provider that succeeded and is now used for every call, if any.
    pub fn remembered(&self) -> Option<&SharedProvider> {
        self.state
            .remembered
            .get()
            .map(|&i| &self.state.providers[i])
    }

    async fn require_walk(&self) -> Result<Arc<Credentials>> {
        if let Some(p) = self.remembered() {
            return match p.resolve().await? {
                Resolution::Credentials(c) => Ok(c),
                Resolution::NotConfigured(reason) => Err(Error::not_configured(p.name(), reason)),
            };
        }
        match self.walk().await? {
            Ok(c) => Ok(c),
            Err(attempts) => Err(ErrorKind::NoCredentials { attempts }.into()),
        }
    }

    #[inline]
    pub(crate) fn cached(&self) -> Option<Arc<Credentials>> {
        let &i = self.state.remembered.get()?;
        self.state.providers[i].cached()
    }

    /// One walk over the providers, shared by concurrent callers.
    async fn walk(&self) -> Walk {
        let state = self.state.clone();
        let joined = self.state.walking.join_or_start(move || {
            Box::pin(async move {
                let outcome = state.walk_once().await;
                state.walking.finish();
                outcome
            })
        });
        match joined {
            Joined::Existing(f) | Joined::Started(f) => f.await,
        }
    }
}

impl State {
    async fn walk_once(&self) -> Walk {
        if let Some(&i) = self.remembered.get() {
            if let Resolution::Credentials(c) = self.providers[i].resolve().await? {
                return Ok(Ok(c));
            }
        }
        let mut attempts = Vec::with_capacity(self.providers.len());
        for (i, provider) in self.providers.iter().enumerate() {
            match provider.resolve().await {
                Ok(Resolution::Credentials(c)) => {
                    if self.reuse_last {
                        let _ = self.remembered.set(i);
                    }
                    tracing::debug!(chain = %self.name, provider = provider.name(), "credentials resolved");
                    return Ok(Ok(c));
                }
                Ok(Resolution::NotConfigured(reason)) => {
                    tracing::debug!(chain = %self.name, provider = provider.name(), %reason, "provider not configured");
                    attempts.push(Attempt {
                        provider: provider.name().to_owned(),
                        reason,
                    });
                }
                Err(err) => {
                    tracing::debug!(chain = %self.name, provider = provider.name(), error = %err, "provider failed; the chain stops");
                    return Err(err);
                }
            }
        }
        Ok(Err(attempts))
    }
}

impl ProvideCredentials for Chain {
    fn resolve(&self) -> BoxFuture<'_, Result<Resolution>> {
        Box::pin(async move {
            if let Some(p) = self.remembered() {
                return p.resolve().await;
            }
            Ok(match self.walk().await? {
                Ok(c) => Resolution::Credentials(c),
                Err(attempts) => Resolution::NotConfigured(format!(
                    "no provider of the {} chain applies ({})",
                    self.state.name,
                    attempts
                        .iter()
                        .map(|a| a.to_string())
                        .collect::<Vec<_>>()
                        .join("; ")
                )),
            })
        })
    }

    #[inline]
    fn cached(&self) -> Option<Arc<Credentials>> {
        Chain::cached(self)
    }

    fn name(&self) -> &str {
        &self.state.name
    }

    fn inspect(&self) -> Inspection {
        Inspection::default()
    }

    fn members(&self) -> Vec<SharedProvider> {
        self.state.providers.clone()
    }

    /// When no provider applies, the error lists every provider with its reason
    /// ([`ErrorKind::NoCredentials`]).
    fn require(&self) -> BoxFuture<'_, Result<Arc<Credentials>>> {
        Box::pin(self.require_walk())
    }
}
