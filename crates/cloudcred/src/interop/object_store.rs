//! cloudcred credentials for object_store's S3 client: [`S3CredentialProvider`] implements
//! object_store's [`CredentialProvider`] with `Credential = AwsCredential`, for
//! `AmazonS3Builder::with_credentials` against the S3-compatible endpoints of OSS and OBS.
//!
//! object_store asks for a credential before every request and signs with what it gets, so the
//! provider's refresh engine decides when credentials change; a cached read is an `Arc` clone.
//! [`AwsCredential`] has no expiration field: object_store never caches what this returns, so
//! nothing is lost. Errors come back as object_store errors with cloudcred's error (source and
//! fix, never a secret) as their source: "not configured" as
//! [`Error::Unauthenticated`](object_store::Error::Unauthenticated), anything else as
//! [`Error::Generic`](object_store::Error::Generic) with store `cloudcred`.
//!
//! object_store holds the secret in a plain `String` while it signs; cloudcred's copy stays in
//! its zeroizing [`SecretString`](crate::SecretString).
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use std::sync::Arc;
//! use cloudcred::alibaba::DefaultChain;
//! use cloudcred::interop::object_store::S3CredentialProvider;
//! use object_store::aws::AmazonS3Builder;
//! use object_store::{path::Path, ObjectStore, ObjectStoreExt};
//!
//! let chain = DefaultChain::builder(&cloudcred::Context::from_process()).build();
//! let credentials = S3CredentialProvider::new(chain);
//! let store = AmazonS3Builder::new()
//!     .with_endpoint("https://oss-cn-hangzhou.aliyuncs.com")
//!     .with_region("oss-cn-hangzhou")
//!     .with_bucket_name("my-bucket")
//!     .with_virtual_hosted_style_request(true)
//!     .with_credentials(Arc::new(credentials))
//!     .build()?;
//! store.put(&Path::from("hello.txt"), "hello".into()).await?;
//! let bytes = store.get(&Path::from("hello.txt")).await?.bytes().await?;
//! # Ok(()) }
//! ```

use super::snapshot::{require_access_key, Snapshot};
use crate::error::{Error, ErrorCategory};
use crate::model::Credentials;
use crate::provider::{ProvideCredentialsExt, SharedProvider};
use object_store::aws::AwsCredential;
use object_store::CredentialProvider;
use std::fmt;
use std::sync::Arc;

/// The name object_store shows for errors of this provider.
const STORE: &str = "cloudcred";

/// A cloudcred provider (or chain) as object_store's S3 credential provider.
pub struct S3CredentialProvider {
    provider: SharedProvider,
    snapshot: Snapshot<Arc<AwsCredential>>,
}

impl S3CredentialProvider {
    /// Wraps any provider or chain.
    pub fn new(provider: impl Into<SharedProvider>) -> Self {
        Self {
            provider: provider.into(),
            snapshot: Snapshot::new(),
        }
    }

    /// The wrapped provider.
    pub fn provider(&self) -> &SharedProvider {
        &self.provider
    }

    fn convert(&self, creds: Arc<Credentials>) -> object_store::Result<Arc<AwsCredential>> {
        require_access_key(&creds, "object_store").map_err(to_object_store)?;
        Ok(self.snapshot.get(creds, |c| {
            Arc::new(AwsCredential {
                key_id: c.access_key_id().to_owned(),
                secret_key: c.access_key_secret().expose().to_owned(),
                token: c.security_token().map(|t| t.expose().to_owned()),
            })
        }))
    }
}

impl fmt::Debug for S3CredentialProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("S3CredentialProvider")
            .field("provider", &self.provider)
            .finish_non_exhaustive()
    }
}

#[async_trait::async_trait]
impl CredentialProvider for S3CredentialProvider {
    type Credential = AwsCredential;

    async fn get_credential(&self) -> object_store::Result<Arc<AwsCredential>> {
        let creds = self.provider.get().await.map_err(to_object_store)?;
        self.convert(creds)
    }
}

fn to_object_store(e: Error) -> object_store::Error {
    match e.category() {
        ErrorCategory::NotConfigured => object_store::Error::Unauthenticated {
            path: String::new(),
            source: Box::new(e),
        },
        _ => object_store::Error::Generic {
            store: STORE,
            source: Box::new(e),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::{ProvideCredentials, Resolution};
    use crate::ProviderName;
    use futures_util::future::BoxFuture;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Hands out one snapshot, then another after `rotate`; or says not configured.
    #[derive(Debug)]
    struct Rotating {
        snapshots: [Arc<Credentials>; 2],
        index: AtomicUsize,
    }

    impl ProvideCredentials for Rotating {
        fn resolve(&self) -> BoxFuture<'_, crate::Result<Resolution>> {
            let c = self.snapshots[self.index.load(Ordering::SeqCst)].clone();
            Box::pin(async move { Ok(Resolution::Credentials(c)) })
        }
        fn name(&self) -> &str {
            "rotating"
        }
    }

    #[derive(Debug)]
    struct Absent;

    impl ProvideCredentials for Absent {
        fn resolve(&self) -> BoxFuture<'_, crate::Result<Resolution>> {
            Box::pin(async {
                Ok(Resolution::NotConfigured(
                    "ALIBABA_CLOUD_ACCESS_KEY_ID unset".into(),
                ))
            })
        }
        fn name(&self) -> &str {
            "env"
        }
    }

    fn sts(id: &str) -> Arc<Credentials> {
        Arc::new(Credentials::sts(
            id,
            "unit-secret-value",
            "unit-token-value",
            None,
            ProviderName::new("t"),
        ))
    }

    #[tokio::test]
    async fn converts_once_per_snapshot_and_follows_a_refresh() {
        let rotating = Arc::new(Rotating {
            snapshots: [sts("STS.first"), sts("STS.second")],
            index: AtomicUsize::new(0),
        });
        let p = S3CredentialProvider::new(SharedProvider::from_arc(rotating.clone()));
        let a = p.get_credential().await.unwrap();
        assert_eq!(a.key_id, "STS.first");
        assert_eq!(a.secret_key, "unit-secret-value");
        assert_eq!(a.token.as_deref(), Some("unit-token-value"));
        let b = p.get_credential().await.unwrap();
        assert!(Arc::ptr_eq(&a, &b), "a cached read converts nothing");
        rotating.index.store(1, Ordering::SeqCst);
        let c = p.get_credential().await.unwrap();
        assert_eq!(c.key_id, "STS.second");
        let debug = format!("{p:?}");
        assert!(debug.contains("S3CredentialProvider"), "{debug}");
        assert!(
            !debug.contains("unit-secret-value") && !debug.contains("unit-token-value"),
            "{debug}"
        );
    }

    #[tokio::test]
    async fn not_configured_is_unauthenticated_with_the_reason() {
        let p = S3CredentialProvider::new(Absent);
        let e = p.get_credential().await.unwrap_err();
        assert!(
            matches!(e, object_store::Error::Unauthenticated { .. }),
            "{e:?}"
        );
        assert!(
            e.to_string().contains("ALIBABA_CLOUD_ACCESS_KEY_ID unset"),
            "{e}"
        );
    }
}
