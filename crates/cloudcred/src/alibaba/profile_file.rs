//! What the two profile-file providers (INI and config.json) share: how the profile is chosen,
//! their builder, and the lazy, build-once inner provider.

use crate::context::Context;
use crate::error::{Error, Result};
use crate::model::{Credentials, ProviderName};
use crate::provider::{Resolution, SharedProvider};
use std::marker::PhantomData;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

/// The variable that names a profile in both files (spec 4.1).
pub const PROFILE_VAR: &str = "ALIBABA_CLOUD_PROFILE";

/// How the profile (INI section or CLI profile) was chosen.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProfileChoice {
    /// Nothing chosen: `ALIBABA_CLOUD_PROFILE` if set (as [`Selected`](Self::Selected)), else the
    /// file's default (`default` section, `current` profile). Absent or disabled → not configured.
    Default,
    /// Chosen for a whole chain (`ALIBABA_CLOUD_PROFILE`, `cloudcred --profile`): absent from this
    /// file → not configured, since the other file may have it (the chain's guard reports D15);
    /// disabled → error.
    Selected(String),
    /// Chosen for this provider alone (builder): absent or disabled → error.
    Required(String),
}

impl ProfileChoice {
    /// Resolves [`Default`](Self::Default) against `ALIBABA_CLOUD_PROFILE`.
    pub(crate) fn resolve(&self, ctx: &Context) -> ProfileChoice {
        match self {
            ProfileChoice::Default => match ctx.var(PROFILE_VAR) {
                Some(name) => ProfileChoice::Selected(name),
                None => ProfileChoice::Default,
            },
            other => other.clone(),
        }
    }

    pub(crate) fn name(&self) -> Option<&str> {
        match self {
            ProfileChoice::Default => None,
            ProfileChoice::Selected(n) | ProfileChoice::Required(n) => Some(n),
        }
    }
}

/// The settings every profile-file provider is built from (opaque outside the crate).
#[doc(hidden)]
#[derive(Debug)]
pub struct ProfileFileOptions {
    pub(crate) ctx: Context,
    pub(crate) choice: ProfileChoice,
    /// A path given to the builder (it must exist), instead of the environment's choice.
    pub(crate) path: Option<PathBuf>,
    /// Prefix of the inner provider names, e.g. `default/profile`.
    pub(crate) outer: String,
}

/// A provider built from [`ProfileFileOptions`].
pub trait FromProfileFile: Sized {
    /// The provider's own name, the middle part of `default/<name>/static_ak`.
    const NAME: &'static str;

    #[doc(hidden)]
    fn from_options(options: ProfileFileOptions) -> Self;
}

/// Builds a profile-file provider (`IniProfileProvider`, `CliProfileProvider`).
pub struct ProfileFileBuilder<P> {
    ctx: Context,
    choice: ProfileChoice,
    path: Option<PathBuf>,
    outer: Option<String>,
    _provider: PhantomData<fn() -> P>,
}

impl<P> std::fmt::Debug for ProfileFileBuilder<P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProfileFileBuilder")
            .field("choice", &self.choice)
            .field("path", &self.path)
            .field("outer", &self.outer)
            .finish_non_exhaustive()
    }
}

impl<P: FromProfileFile> ProfileFileBuilder<P> {
    pub(crate) fn new(ctx: &Context) -> Self {
        Self {
            ctx: ctx.clone(),
            choice: ProfileChoice::Default,
            path: None,
            outer: None,
            _provider: PhantomData,
        }
    }

    /// Reads this profile; its absence is an error.
    pub fn profile(mut self, name: impl Into<String>) -> Self {
        self.choice = ProfileChoice::Required(name.into());
        self
    }

    /// How the profile is chosen (the default chain uses [`ProfileChoice::Selected`]).
    pub fn choice(mut self, choice: ProfileChoice) -> Self {
        self.choice = choice;
        self
    }

    /// Reads this file instead of the environment's choice; it must exist.
    pub fn path(mut self, path: impl Into<PathBuf>) -> Self {
        self.path = Some(path.into());
        self
    }

    /// Prefix of provider names, e.g. `default` for `default/profile/static_ak`.
    pub fn name_prefix(mut self, outer: impl Into<String>) -> Self {
        self.outer = Some(outer.into());
        self
    }

    /// The provider. No I/O: the file is read at the first resolution.
    pub fn build(self) -> P {
        let outer = ProviderName::new(P::NAME)
            .within(self.outer.as_deref().unwrap_or(""))
            .to_string();
        P::from_options(ProfileFileOptions {
            ctx: self.ctx,
            choice: self.choice,
            path: self.path,
            outer,
        })
    }
}

/// What loading a profile produced.
#[derive(Debug)]
pub(crate) enum Loaded {
    NotConfigured(String),
    Provider(SharedProvider),
}

/// The inner provider, built at the first request and kept (with its cache) for the lifetime of
/// the outer provider; a load error is kept too, so a broken file is reported the same way on
/// every call.
#[derive(Debug, Default)]
pub(crate) struct LazyProvider(OnceLock<std::result::Result<Loaded, Error>>);

impl LazyProvider {
    fn get_or_load(
        &self,
        load: impl FnOnce() -> Result<Loaded>,
    ) -> &std::result::Result<Loaded, Error> {
        if let Some(l) = self.0.get() {
            return l;
        }
        // Two racing first callers may both load; the first result is kept. That is cheaper
        // and safer than a blocking wait inside async code.
        let _ = self.0.set(load());
        self.0.get().expect("set above")
    }

    pub async fn resolve(&self, load: impl FnOnce() -> Result<Loaded>) -> Result<Resolution> {
        match self.get_or_load(load) {
            Err(e) => Err(e.clone()),
            Ok(Loaded::NotConfigured(reason)) => Ok(Resolution::NotConfigured(reason.clone())),
            Ok(Loaded::Provider(p)) => p.resolve().await,
        }
    }

    #[inline]
    pub fn cached(&self) -> Option<Arc<Credentials>> {
        match self.0.get()? {
            Ok(Loaded::Provider(p)) => p.cached(),
            _ => None,
        }
    }
}
