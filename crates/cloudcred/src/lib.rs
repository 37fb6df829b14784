//! cloudcred: credentials for Alibaba Cloud and Huawei Cloud.
//!
//! Layers, each in its own module, data flowing one way:
//!
//! - [`model`]: the immutable credential snapshot and its secret type;
//! - [`context`]: injected environment, file system and clock;
//! - [`provider`]: the provider trait every source and chain implements;
//! - [`engine`]: the one refresh engine that caches every temporary source;
//! - [`chain`]: ordered providers, "not configured" moves on, errors stop;
//! - [`format`]: the file formats (the INI dialect, the aliyun CLI `config.json`);
//! - [`http`]: the HTTP client of credential endpoints and its endpoint rules;
//! - [`alibaba`]: one file per Alibaba Cloud provider and the default chain;
//! - [`huawei`]: one file per Huawei Cloud provider, the Huawei and OBS chains;
//! - [`sign`]: request signers, one file per algorithm family, pure functions of their inputs.

/// The setters every refreshing source's builder shares, for builders with the fields
/// `options: RequestOptions` (optional arm), `refresh: RefreshConfig` and
/// `name: Option<ProviderName>`.
macro_rules! source_builder_setters {
    ($builder:ty, $default_name:literal) => {
        impl $builder {
            /// Refresh-engine tuning (window, maximum age, deadline).
            pub fn refresh(mut self, config: $crate::engine::RefreshConfig) -> Self {
                self.refresh = config;
                self
            }

            #[doc = concat!("The full provider name of the credentials (default `", $default_name, "`).")]
            pub fn name(mut self, name: $crate::model::ProviderName) -> Self {
                self.name = Some(name);
                self
            }
        }
    };
    ($builder:ty, $default_name:literal, request_options) => {
        source_builder_setters!($builder, $default_name);

        impl $builder {
            /// Timeouts and retries of the HTTP exchange.
            pub fn request_options(mut self, options: $crate::http::RequestOptions) -> Self {
                self.options = options;
                self
            }
        }
    };
}

pub mod alibaba;
pub mod blocking;
pub mod chain;
pub mod context;
pub mod engine;
pub mod error;
pub mod format;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
pub mod http;
pub mod huawei;
pub mod model;
pub mod provider;
pub mod sign;

pub use chain::Chain;
pub use context::{Clock, Context, MapEnv};
pub use error::{Error, ErrorCategory, ErrorKind, Result};
pub use model::{CredentialKind, Credentials, ProviderName, SecretString};
pub use provider::{GetCredentials, Inspection, ProvideCredentials, Resolution, SharedProvider};

/// The README's Rust examples, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
pub struct ReadmeDoctests;
