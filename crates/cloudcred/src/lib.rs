//! Credentials for **Alibaba Cloud** and **Huawei Cloud**: every source the official SDKs read
//! (environment, profile files, the aliyun CLI's `config.json`, STS AssumeRole and OIDC, ECS
//! metadata, credentials URIs, CloudSSO, OAuth, external processes), resolved the way the SDKs
//! should, cached and refreshed by one engine, and the request signers of both clouds (OSS,
//! OBS, RPC, ROA, ACS3, Tablestore, API Gateway) with presigning. No secret ever appears in a
//! `Debug`, `Display`, error or log line.
//!
//! # Quick start
//!
//! Resolve through the default chain, then sign an OSS request (features `alibaba`, `http`,
//! `sign`: all in the defaults):
//!
//! ```no_run
//! use cloudcred::alibaba::DefaultChain;
//! use cloudcred::prelude::*; // get() and get_blocking() on every provider
//! use cloudcred::sign::OssV4Signer;
//! use cloudcred::Context;
//!
//! # async fn quick_start() -> Result<(), Box<dyn std::error::Error>> {
//! // env → OIDC → ~/.aliyun/config.json → ~/.alibabacloud/credentials → URI → ECS metadata.
//! let chain = DefaultChain::builder(&Context::from_process()).build();
//! let creds = chain.get().await?; // cached; refreshed ahead of expiry by one caller
//! println!("{creds}"); // kind, masked key id, provider: never a secret
//!
//! let mut request = http::Request::get("https://bucket.oss-cn-hangzhou.aliyuncs.com/a.txt")
//!     .body(())?;
//! OssV4Signer::new("cn-hangzhou", Some("bucket"))
//!     .sign_request(&mut request, &creds, cloudcred::sign::signing_time())?;
//! // Send `request` with any HTTP client: it carries `Authorization` and `x-oss-*` headers.
//! # Ok(()) }
//! ```
//!
//! Blocking code calls `chain.get_blocking()` instead, from any thread or runtime. Tests inject
//! the environment, the file system and the clock through a [`Context`] rather than mutating
//! the process. The examples in `crates/cloudcred/examples/` run as they are against the fake
//! cloud (`cloudcred-fakecloud`): OSS signing from the environment, an OBS presigned URL, role
//! chaining, and reading from `cloudcred serve`.
//!
//! # Modules
//!
//! Layers, each in its own module, data flowing one way:
//!
//! - [`model`]: the immutable credential snapshot and its secret type;
//! - [`context`]: injected environment, file system and clock;
//! - [`provider`]: the provider trait every source and chain implements;
//! - [`engine`]: the one refresh engine that caches every temporary source;
//! - [`chain`]: ordered providers, "not configured" moves on, errors stop;
//! - [`format`](mod@format): the file formats (the INI dialect, the aliyun CLI `config.json`);
//! - [`http`]: the HTTP client of credential endpoints and its endpoint rules;
//! - `alibaba`: one file per Alibaba Cloud provider and the default chain (feature `alibaba`);
//! - `huawei`: one file per Huawei Cloud provider, the Huawei and OBS chains (feature `huawei`);
//! - [`sign`]: request signers, one file per algorithm family, pure functions of their inputs;
//! - `interop`: adapters to other crates' credential traits, each behind its own feature;
//! - [`error`]: the one error type; every message names the source and the fix.
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
//! | `rsa` | the RSA key-pair provider's key and SHA256withRSA (`sign::RsaKey`) | rsa |
//! | `write-back` | the locked, atomic rewrite of `config.json` (OAuth and External persist tokens) | fs4, atomic-write-file, serde_json |
//! | `tls-webpki-roots` | with `http`: Mozilla's roots, compiled in | webpki-roots |
//! | `tls-native-roots` | with `http`: the operating system's roots | rustls-native-certs |
//! | `reqsign` | `interop::reqsign`: providers for reqsign's OSS, OBS and AWS V4 signers (OpenDAL's); Rust 1.86 | reqsign-core, reqsign-aliyun-oss, reqsign-huaweicloud-obs, reqsign-aws-core |
//!
//! Without `http` there is no network provider and no default chain: build a [`Chain`] from
//! the environment and static providers. `http` needs one `tls-*` feature.
//!
//! # Links
//!
//! - The repository's README: the `cloudcred` command (`get`, `exec`, `serve`, `presign`,
//!   `doctor`), environment variables, file formats and product conventions.
//! - `cloudcred-fakecloud`: the verifying local fake of both clouds' credential endpoints that
//!   the tests and the examples run against.
//!
//! # Naming
//!
//! The same words in both clouds, and no cloud prefix inside a cloud module (the module says
//! which cloud: `huawei::DefaultChain`, not `huawei::HuaweiChain`):
//!
//! - the default chain of a cloud is `DefaultChain` (built by `DefaultChainBuilder`, from
//!   `DefaultChain::builder(ctx)`; `default_chain(ctx)` is the shorthand), product chains are
//!   functions named after the product (`alibaba::oss_chain`, `huawei::obs_chain`);
//! - a provider that reads no network is `<Thing>Provider`: `EnvProvider` in both clouds,
//!   `StaticProvider`, `IniProfileProvider` / `CliProfileProvider` (Alibaba's two files),
//!   `huawei::ProfileProvider`;
//! - a temporary source, whose credentials expire, is three names with one stem, the stem being
//!   its file: `<Stem>Source` (the stateless fetcher, an [`engine::Source`]), `<Stem>Provider`
//!   (`Refreshing<<Stem>Source>`: the source behind the refresh engine, what users hold) and
//!   `<Stem>Builder` (from `<Stem>Provider::builder(ctx, …)`, builder values beat the
//!   environment). Stems: Alibaba `RamRoleArn`, `OidcRoleArn`, `EcsRamRole`, `CredentialsUri`,
//!   `CloudSso`, `RsaKeyPair`, `External`, `OAuth`; Huawei `Metadata`, `IdpFederation`,
//!   `OidcSts`, `PodIdentity`, `TemporaryKeys`. A source configured by environment variables
//!   alone also has `<Stem>FromEnv`, which decides "not configured" when built;
//! - every provider, chain and [`SharedProvider`] answers [`get`](ProvideCredentialsExt::get)
//!   (async) and [`get_blocking`](ProvideCredentialsExt::get_blocking) through one trait,
//!   [`ProvideCredentialsExt`] (in [`prelude`]); `get` means nothing else in the crate;
//! - getters have no `get_` prefix; builder setters are named after the setting (`role_arn`,
//!   `duration_seconds`);
//! - public structs with public fields and enums that may grow are `#[non_exhaustive]`: build
//!   them with their constructors.

#![cfg_attr(docsrs, feature(doc_cfg))]
#![warn(missing_docs, missing_debug_implementations)]

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
#[cfg(any(feature = "reqsign", feature = "object-store", feature = "aws"))]
#[cfg_attr(
    docsrs,
    doc(cfg(any(feature = "reqsign", feature = "object-store", feature = "aws")))
)]
pub mod interop;
pub mod model;
pub mod provider;
pub mod sign;

pub use chain::Chain;
pub use context::{Clock, Context, MapEnv};
pub use error::{Error, ErrorCategory, ErrorKind, Result};
pub use model::{CredentialKind, Credentials, ProviderName, SecretString};
pub use provider::{
    GetCredentials, Inspection, ProvideCredentials, ProvideCredentialsExt, Resolution,
    SharedProvider,
};

/// The traits a user of providers needs in scope: `use cloudcred::prelude::*;` brings
/// [`get`](ProvideCredentialsExt::get) and [`get_blocking`](ProvideCredentialsExt::get_blocking)
/// to every provider and chain.
pub mod prelude {
    pub use crate::provider::{ProvideCredentials, ProvideCredentialsExt};
}

#[cfg(all(
    feature = "http",
    not(any(feature = "tls-webpki-roots", feature = "tls-native-roots"))
))]
compile_error!(
    "cloudcred's `http` feature needs TLS roots: add the feature `tls-webpki-roots` (Mozilla's \
     roots, compiled in) or `tls-native-roots` (the operating system's)"
);

/// The crate README's quick start, compiled as a doc test.
#[cfg(all(doctest, feature = "alibaba", feature = "http"))]
#[doc = include_str!("../README.md")]
pub struct CrateReadmeDoctests;

/// The README's Rust examples, compiled and run as doc tests.
#[cfg(all(doctest, feature = "alibaba", feature = "huawei", feature = "http"))]
#[doc = include_str!("../../../README.md")]
pub struct ReadmeDoctests;
