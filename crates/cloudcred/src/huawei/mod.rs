//! Huawei Cloud providers (spec `huawei-credentials.md`), one per file, beside the Alibaba ones
//! and sharing their model, engine, HTTP client and INI dialect.
//!
//! - [`env`]: `HUAWEICLOUD_SDK_*` and the OBS SDK's `OBS_*` variables;
//! - [`profile`]: `~/.huaweicloud/credentials`, `[basic]` / `[global]`;
//! - [`metadata`]: the ECS `securitykey` metadata service;
//! - [`federation`]: IdP id-token federation (IAM), from the environment or a profile;
//! - [`temporary_keys`]: temporary AK/SK from an IAM token (`OS-CREDENTIAL/securitytokens`);
//! - [`response`]: the credential response and IAM error shapes shared by them;
//! - [`default_chain`]: the Huawei SDK order and the OBS-scoped chain.

pub mod default_chain;
pub mod env;
pub mod federation;
pub mod metadata;
pub mod profile;
pub mod response;
pub mod temporary_keys;

pub use default_chain::{default_chain, obs_chain, HuaweiChain, HuaweiChainBuilder};
pub use env::{env_provider, obs_env_provider};
pub use federation::{IdpFederation, IdpFederationProvider};
pub use metadata::{HuaweiMetadata, HuaweiMetadataProvider};
pub use profile::HuaweiProfileProvider;
pub use temporary_keys::{TemporaryKeysFromToken, TemporaryKeysProvider};

use crate::engine::RefreshConfig;
use crate::model::Credentials;
use std::time::Duration;

/// Which credential type a provider or chain yields (spec 5.1, 6): `basic` carries a project id,
/// `global` a domain id; it also selects the profile section.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CredentialType {
    #[default]
    Basic,
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
