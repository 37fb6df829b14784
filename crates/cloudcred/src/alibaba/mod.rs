//! Alibaba Cloud providers, one per file, and the default chain.

pub mod env;
pub mod static_credentials;

pub use env::EnvProvider;
pub use static_credentials::StaticProvider;
