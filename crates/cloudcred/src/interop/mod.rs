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
//! [`Chain`]: crate::Chain

#[cfg(feature = "reqsign")]
#[cfg_attr(docsrs, doc(cfg(feature = "reqsign")))]
pub mod reqsign;
#[cfg(feature = "reqsign")]
mod snapshot;
