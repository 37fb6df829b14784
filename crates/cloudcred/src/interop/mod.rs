//! Adapters that hand cloudcred credentials to the Rust clients programs store objects with,
//! each behind its own cargo feature (off by default) and named after the crate it adapts.
//!
//! The orphan rule stops a program from implementing another crate's credential trait for
//! cloudcred's providers itself; these do it here. Each takes any provider or chain
//! (`impl Into<SharedProvider>`), converts a credential once per snapshot the provider hands out
//! (a cached read is an `Arc` look-up and clone), passes the expiration through where the target
//! type has a field for it, and keeps secrets out of its `Debug`.
//!
//! - [`object_store`] (feature `object-store`): object_store's S3 client, for the S3-compatible
//!   endpoints of OSS and OBS.
//! - [`aws`] (feature `aws`): the AWS SDK (aws-sdk-s3), for the same endpoints.

#[cfg(feature = "aws")]
#[cfg_attr(docsrs, doc(cfg(feature = "aws")))]
pub mod aws;
#[cfg(feature = "object-store")]
#[cfg_attr(docsrs, doc(cfg(feature = "object-store")))]
pub mod object_store;
#[cfg(any(feature = "aws", feature = "object-store"))]
mod snapshot;

#[cfg(all(test, feature = "aws", feature = "object-store"))]
mod tests {
    /// The README shows these modules' doc tests (which compile) without their hidden lines:
    /// a change to one that the other misses fails here.
    #[test]
    fn readme_snippets_are_the_compiled_doc_tests() {
        let readme = include_str!("../../../../README.md");
        for module in [include_str!("object_store.rs"), include_str!("aws.rs")] {
            let snippet: String = module
                .lines()
                .filter_map(|l| l.strip_prefix("//!"))
                .map(|l| l.strip_prefix(' ').unwrap_or(l))
                .skip_while(|l| !l.starts_with("```no_run"))
                .skip(1)
                .take_while(|l| !l.starts_with("```"))
                .filter(|l| !l.starts_with("# "))
                .map(|l| format!("{l}\n"))
                .collect();
            assert!(snippet.len() > 200, "{snippet}");
            let block = format!("```rust,ignore\n{snippet}```");
            assert!(readme.contains(&block), "README lacks:\n{block}");
        }
    }
}
