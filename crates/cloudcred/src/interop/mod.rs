//! Adapters that hand cloudcred credentials to the Rust clients programs store objects with,
//! each behind its own cargo feature (off by default) and named after the crate it adapts.
//!
//! The orphan rule stops a program from implementing another crate's credential trait for
//! cloudcred's providers itself; these do it here. Each takes any provider or chain
//! (`impl Into<SharedProvider>`), converts a credential once per snapshot the provider hands out
//! (a cached read is an `Arc` look-up and clone), passes the expiration through where the target
//! type has a field for it, and keeps secrets out of its `Debug`.
//!
//! - `interop::object_store` (feature `object-store`): object_store's S3 client, for the S3-compatible
//!   endpoints of OSS and OBS.
//! - `interop::aws` (feature `aws`): the AWS SDK (aws-sdk-s3), for the same endpoints.

#[cfg(feature = "aws")]
#[cfg_attr(docsrs, doc(cfg(feature = "aws")))]
pub mod aws;
#[cfg(feature = "object-store")]
#[cfg_attr(docsrs, doc(cfg(feature = "object-store")))]
pub mod object_store;
#[cfg(any(feature = "aws", feature = "object-store"))]
mod snapshot;
