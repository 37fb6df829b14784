//! The credential model: the immutable credential snapshot, its secret type and provider names.
//!
//! Everything a provider hands out is a [`Credentials`] value behind an `Arc`, so a caller that
//! reads the id, the secret and the token reads them from one fetch (spec D1).

mod credentials;
mod provider_name;
mod replicas;
mod secret;

pub use credentials::{mask_access_key_id, CredentialKind, Credentials};
pub use provider_name::ProviderName;
pub use replicas::Replicas;
pub use secret::{SecretString, REDACTED};
