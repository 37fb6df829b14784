//! Huawei Cloud providers (spec `huawei-credentials.md`), one per file, beside the Alibaba ones
//! and sharing their model, engine, HTTP client and INI dialect.
//!
//! - [`env`](mod@env): `HUAWEICLOUD_SDK_*` and the OBS SDK's `OBS_*` variables;
//! - [`profile`]: `~/.huaweicloud/credentials`, `[basic]` / `[global]`;
//! - [`metadata`]: the ECS `securitykey` metadata service;
//! - [`federation`]: IdP id-token federation (IAM), from the environment or a profile;
//! - [`oidc_sts`]: OIDC STS `assume-with-oidc` from the `HUAWEICLOUD_OIDC_*` variables;
//! - [`pod_identity`]: CCE pod identity (`HC_CONTAINER_CREDENTIALS_FULL_URI`);
//! - [`temporary_keys`]: temporary AK/SK from an IAM token (`OS-CREDENTIAL/securitytokens`);
//! - [`response`]: the credential response and IAM error shapes shared by them;
//! - [`default_chain`](mod@default_chain): the Huawei SDK order and the OBS-scoped chain.

/// The setters every Huawei builder with a credential type shares: `credential_type` and
/// `scope_id`, plus `origin` when asked for (fields `kind`, `scope_id`, `origin`).
#[cfg(feature = "http")]
macro_rules! scoped_builder_setters {
    ($builder:ty) => {
        impl $builder {
            /// The credential type (which id [`scope_id`](Self::scope_id) is).
            pub fn credential_type(mut self, kind: $crate::huawei::CredentialType) -> Self {
                self.kind = kind;
                self
            }

            /// The project (basic) or domain (global) id attached to the credentials.
            pub fn scope_id(mut self, id: Option<String>) -> Self {
                self.scope_id = id;
                self
            }
        }
    };
    ($builder:ty, origin) => {
        scoped_builder_setters!($builder);

        impl $builder {
            /// Where the settings came from, for errors.
            pub fn origin(mut self, origin: impl Into<String>) -> Self {
                self.origin = Some(origin.into());
                self
            }
        }
    };
}

#[cfg(feature = "http")]
#[cfg_attr(docsrs, doc(cfg(feature = "http")))]
pub mod default_chain;
pub mod env;
#[cfg(feature = "http")]
#[cfg_attr(docsrs, doc(cfg(feature = "http")))]
pub mod federation;
#[cfg(feature = "http")]
#[cfg_attr(docsrs, doc(cfg(feature = "http")))]
pub mod metadata;
#[cfg(feature = "http")]
#[cfg_attr(docsrs, doc(cfg(feature = "http")))]
pub mod oidc_sts;
#[cfg(feature = "http")]
#[cfg_attr(docsrs, doc(cfg(feature = "http")))]
pub mod pod_identity;
#[cfg(feature = "http")]
#[cfg_attr(docsrs, doc(cfg(feature = "http")))]
pub mod profile;
#[cfg(feature = "http")]
#[cfg_attr(docsrs, doc(cfg(feature = "http")))]
pub mod response;
#[cfg(feature = "http")]
#[cfg_attr(docsrs, doc(cfg(feature = "http")))]
pub mod temporary_keys;

#[cfg(feature = "http")]
pub use default_chain::{default_chain, obs_chain, DefaultChain, DefaultChainBuilder};
pub use env::EnvProvider;
#[cfg(feature = "http")]
pub use federation::{
    IdpFederationBuilder, IdpFederationFromEnv, IdpFederationProvider, IdpFederationSource,
};
#[cfg(feature = "http")]
pub use metadata::{MetadataBuilder, MetadataProvider, MetadataSource};
#[cfg(feature = "http")]
pub use oidc_sts::{IdToken, OidcStsBuilder, OidcStsFromEnv, OidcStsProvider, OidcStsSource};
#[cfg(feature = "http")]
pub use pod_identity::{
    PodIdentityBuilder, PodIdentityFromEnv, PodIdentityProvider, PodIdentitySource,
};
#[cfg(feature = "http")]
pub use profile::ProfileProvider;
#[cfg(feature = "http")]
pub use temporary_keys::{TemporaryKeysBuilder, TemporaryKeysProvider, TemporaryKeysSource};

use crate::context::Context;
use crate::engine::RefreshConfig;
use crate::error::Result;
use crate::model::{Credentials, ProviderName};
use crate::provider::{Inspection, ProvideCredentials, Resolution};
use futures_util::future::BoxFuture;
use std::sync::Arc;
use std::time::Duration;

/// Which credential type a provider or chain yields (spec 5.1, 6): `basic` carries a project id,
/// `global` a domain id; it also selects the profile section.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CredentialType {
    #[default]
    /// `basic`: scoped to a project (project id).
    Basic,
    /// `global`: scoped to a domain (domain id).
    Global,
}

impl CredentialType {
    /// The profile section and SDK name: `basic` or `global`.
    pub fn as_str(self) -> &'static str {
        match self {
            CredentialType::Basic => "basic",
            CredentialType::Global => "global",
        }
    }

    /// Sets the id of this type on `creds` (project id for basic, domain id for global).
    pub(crate) fn scope(self, creds: Credentials, id: Option<String>) -> Credentials {
        match self {
            CredentialType::Basic => creds.with_project_id(id),
            CredentialType::Global => creds.with_domain_id(id),
        }
    }
}

/// Huawei providers refresh 40 minutes ahead (core parity, H8); the engine clips it to half the
/// lifetime.
pub const REFRESH_WINDOW: Duration = Duration::from_secs(40 * 60);

/// The engine settings of every Huawei temporary source.
pub fn refresh_config() -> RefreshConfig {
    RefreshConfig::default().window(REFRESH_WINDOW)
}

/// A provider configured by environment variables, decided when built: not configured (with the
/// reason), an error (a partial or contradictory set), or the provider itself. `doctor` lists the
/// variables it reads.
#[derive(Debug)]
pub struct FromEnv<P> {
    name: ProviderName,
    inner: Result<Option<P>>,
    reason: String,
    vars: &'static [&'static str],
    ctx: Context,
}

#[cfg(feature = "http")]
impl<P> FromEnv<P> {
    pub(crate) fn new(
        ctx: &Context,
        name: ProviderName,
        inner: Result<Option<P>>,
        reason: String,
        vars: &'static [&'static str],
    ) -> Self {
        FromEnv {
            name,
            inner,
            reason,
            vars,
            ctx: ctx.clone(),
        }
    }
}

impl<P: ProvideCredentials> ProvideCredentials for FromEnv<P> {
    fn resolve(&self) -> BoxFuture<'_, Result<Resolution>> {
        match &self.inner {
            Ok(Some(p)) => p.resolve(),
            Ok(None) => Box::pin(futures_util::future::ready(Ok(Resolution::NotConfigured(
                self.reason.clone(),
            )))),
            Err(e) => Box::pin(futures_util::future::ready(Err(e.clone()))),
        }
    }

    fn cached(&self) -> Option<Arc<Credentials>> {
        match &self.inner {
            Ok(Some(p)) => p.cached(),
            _ => None,
        }
    }

    fn name(&self) -> &str {
        self.name.as_str()
    }

    fn inspect(&self) -> Inspection {
        let mut i = match &self.inner {
            Ok(Some(p)) => p.inspect(),
            _ => Inspection::default(),
        };
        for v in self.vars {
            i.reads.insert(0, self.ctx.describe_var(v));
        }
        i
    }
}
