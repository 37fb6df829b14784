//! Adapters that hand cloudcred providers to other crates' credential traits.
//!
//! The orphan rule stops a program from implementing another crate's credential trait for a
//! cloudcred provider, so the impls live here, one file per adapted crate, each behind its own
//! cargo feature (off by default: a build that names none of them does not grow).
//!
//! Every adapter wraps any provider (`impl Into<SharedProvider>`: a source, a [`Chain`], a
//! default chain), keeps the refresh engine in charge of when credentials are fetched, maps
//! "not configured" to the target's "nothing here" so the target's own chain moves on, and
//! redacts secrets in its `Debug`.
//!
//! - `reqsign` (feature `reqsign`): reqsign's OSS, OBS and AWS V4 signers, and OpenDAL through them.
//! - `object_store` (feature `object-store`): object_store's S3 client, for the S3-compatible
//!   endpoints of OSS and OBS.
//! - `aws` (feature `aws`): the AWS SDK (aws-sdk-s3), for the same endpoints.
//!
//! [`Chain`]: crate::Chain

#[cfg(feature = "reqsign")]
#[cfg_attr(docsrs, doc(cfg(feature = "reqsign")))]
pub mod reqsign;

#[cfg(feature = "aws")]
#[cfg_attr(docsrs, doc(cfg(feature = "aws")))]
pub mod aws;
#[cfg(feature = "object-store")]
#[cfg_attr(docsrs, doc(cfg(feature = "object-store")))]
pub mod object_store;
#[cfg(any(feature = "aws", feature = "object-store", feature = "reqsign"))]
mod snapshot;
