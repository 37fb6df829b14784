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

pub mod alibaba;
pub mod blocking;
pub mod chain;
pub mod context;
pub mod engine;
pub mod error;
pub mod format;
pub mod http;
pub mod huawei;
pub mod model;
pub mod provider;
pub mod sign;

pub use chain::Chain;
pub use context::{Clock, Context, MapEnv};
pub use error::{Error, ErrorKind, Result};
pub use model::{CredentialKind, Credentials, ProviderName, SecretString};
pub use provider::{Inspection, ProvideCredentials, Resolution, SharedProvider};

/// The README's Rust examples, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
pub struct ReadmeDoctests;
