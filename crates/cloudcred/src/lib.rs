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
//!
//! # Features
//!
//! The default features build everything. A lean build picks what it uses, for example
//! `default-features = false, features = ["sign"]` for the signers over static or environment
//! credentials, without an HTTP client, TLS or RSA.
//!
//! | Feature | Brings | Adds crates |
//! |---|---|---|
//! | `sign` | every request signer ([`sign`]) and presigning | hmac, sha1, sha2, md-5, base64, hex |
//! | `alibaba` | Alibaba Cloud's environment and static providers; with `http`, every source, the profile files and the default chain | none |
//! | `huawei` | Huawei Cloud's environment provider; with `http`, every source, the profile file and the default chains (implies `alibaba`: shared code) | none |
//! | `http` | the network providers (with `rsa` the key-pair provider, with `write-back` OAuth and External), the profiles that name them, the default chains, the aliyun CLI `config.json` (implies `sign`); a profile whose source needs a missing feature is refused with an error naming it | reqwest, rustls, tokio networking, serde_json, url |
//! | `rsa` | the RSA key-pair provider's key and SHA256withRSA ([`sign::RsaKey`]) | rsa |
//! | `write-back` | the locked, atomic rewrite of `config.json` (OAuth and External persist tokens) | fs4, atomic-write-file, serde_json |
//! | `tls-webpki-roots` | with `http`: Mozilla's roots, compiled in | webpki-roots |
//! | `tls-native-roots` | with `http`: the operating system's roots | rustls-native-certs |
//!
//! Without `http` there is no network provider and no default chain: build a [`Chain`] from
//! the environment and static providers. `http` needs one `tls-*` feature.

#![cfg_attr(docsrs, feature(doc_cfg))]

/// The setters every refreshing source's builder shares, for builders with the fields
/// `options: RequestOptions` (optional arm), `refresh: RefreshConfig` and
/// `name: Option<ProviderName>`.
#[cfg(feature = "http")]
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

#[cfg(feature = "alibaba")]
#[cfg_attr(docsrs, doc(cfg(feature = "alibaba")))]
pub mod alibaba;
pub mod blocking;
pub mod chain;
pub mod context;
pub mod engine;
pub mod error;
pub mod format;
#[cfg(all(
    feature = "fuzzing",
    feature = "huawei",
    feature = "http",
    feature = "rsa",
    feature = "write-back"
))]
#[doc(hidden)]
pub mod fuzzing;
#[cfg(feature = "http")]
pub mod http;
/// Without the `http` feature, only the scrubber every error message passes through.
#[cfg(not(feature = "http"))]
pub mod http {
    pub mod scrub;
    pub use scrub::Scrubber;
}
#[cfg(feature = "huawei")]
#[cfg_attr(docsrs, doc(cfg(feature = "huawei")))]
pub mod huawei;
pub mod interop;
pub mod model;
pub mod provider;
pub mod sign;

pub use chain::Chain;
pub use context::{Clock, Context, MapEnv};
pub use error::{Error, ErrorCategory, ErrorKind, Result};
pub use model::{CredentialKind, Credentials, ProviderName, SecretString};
pub use provider::{GetCredentials, Inspection, ProvideCredentials, Resolution, SharedProvider};

#[cfg(all(
    feature = "http",
    not(any(feature = "tls-webpki-roots", feature = "tls-native-roots"))
))]
compile_error!(
    "cloudcred's `http` feature needs TLS roots: add the feature `tls-webpki-roots` (Mozilla's \
     roots, compiled in) or `tls-native-roots` (the operating system's)"
);

/// The README's Rust examples, compiled and run as doc tests.
#[cfg(all(doctest, feature = "alibaba", feature = "huawei", feature = "http"))]
#[doc = include_str!("../../../README.md")]
pub struct ReadmeDoctests;
