//! cloudcred credentials for the AWS SDK: [`CredentialsProvider`] implements aws-credential-types'
//! [`ProvideCredentials`], for aws-sdk-s3 against the S3-compatible endpoints of OSS and OBS.
//!
//! The expiration goes through ([`Credentials::expiry`](aws_credential_types::Credentials::expiry)),
//! so the SDK's identity cache asks again before the credentials lapse; a cached read is ready at
//! once and converts nothing (one conversion per credential snapshot). "Not configured" — a
//! source that is absent, or a chain none of whose sources is — becomes
//! [`CredentialsError::CredentialsNotLoaded`], so an AWS credentials chain moves on to its next
//! provider; an invalid configuration becomes `InvalidConfiguration`, a refused or unreachable
//! credential service `ProviderError`. Each keeps cloudcred's error (source and fix, never a
//! secret) as its source.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use aws_sdk_s3::config::{BehaviorVersion, Region};
//! use cloudcred::alibaba::DefaultChain;
//! use cloudcred::interop::aws::CredentialsProvider;
//!
//! let chain = DefaultChain::builder(&cloudcred::Context::from_process()).build();
//! let config = aws_sdk_s3::Config::builder()
//!     .behavior_version(BehaviorVersion::latest())
//!     .endpoint_url("https://oss-cn-hangzhou.aliyuncs.com")
//!     .region(Region::new("oss-cn-hangzhou"))
//!     .credentials_provider(CredentialsProvider::new(chain))
//!     .build();
//! let s3 = aws_sdk_s3::Client::from_conf(config);
//! s3.put_object()
//!     .bucket("my-bucket")
//!     .key("hello.txt")
//!     .body(b"hello".to_vec().into())
//!     .send()
//!     .await?;
//! # Ok(()) }
//! ```

use super::snapshot::{require_access_key, Snapshot};
use crate::error::{Error, ErrorCategory};
use crate::model::Credentials;
use crate::provider::{ProvideCredentialsExt, SharedProvider};
use aws_credential_types::provider::error::CredentialsError;
use aws_credential_types::provider::{future, ProvideCredentials};
use std::fmt;
use std::sync::Arc;
use std::time::SystemTime;

/// The provider name the SDK reports for these credentials.
const PROVIDER_NAME: &str = "cloudcred";

/// A cloudcred provider (or chain) as an AWS SDK credentials provider.
pub struct CredentialsProvider {
    provider: SharedProvider,
    snapshot: Snapshot<aws_credential_types::Credentials>,
}

impl CredentialsProvider {
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

    fn convert(
        &self,
        creds: Arc<Credentials>,
    ) -> Result<aws_credential_types::Credentials, CredentialsError> {
        require_access_key(&creds, "the AWS SDK").map_err(to_credentials_error)?;
        // aws_credential_types::Credentials is an `Arc` inside: the stored copy clones cheaply.
        Ok(self.snapshot.get(creds, |c| {
            aws_credential_types::Credentials::new(
                c.access_key_id(),
                c.access_key_secret().expose(),
                c.security_token().map(|t| t.expose().to_owned()),
                c.expiration().map(SystemTime::from),
                PROVIDER_NAME,
            )
        }))
    }
}

impl fmt::Debug for CredentialsProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CredentialsProvider")
            .field("provider", &self.provider)
            .finish_non_exhaustive()
    }
}

impl ProvideCredentials for CredentialsProvider {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        match self.provider.cached() {
            Some(creds) => future::ProvideCredentials::ready(self.convert(creds)),
            None => future::ProvideCredentials::new(async move {
                let creds = self.provider.get().await.map_err(to_credentials_error)?;
                self.convert(creds)
            }),
        }
    }

    /// What the provider holds without I/O, for an SDK whose call timed out mid-refresh.
    fn fallback_on_interrupt(&self) -> Option<aws_credential_types::Credentials> {
        self.convert(self.provider.cached()?).ok()
    }
}

fn to_credentials_error(e: Error) -> CredentialsError {
    match e.category() {
        ErrorCategory::NotConfigured => CredentialsError::not_loaded(e),
        ErrorCategory::InvalidConfig => CredentialsError::invalid_configuration(e),
        ErrorCategory::Service => CredentialsError::provider_error(e),
        _ => CredentialsError::unhandled(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alibaba::StaticProvider;
    use crate::chain::Chain;
    use crate::ProviderName;
    use chrono::{TimeZone, Utc};

    #[tokio::test]
    async fn passes_the_expiration_and_converts_once_per_snapshot() {
        let expiration = Utc.with_ymd_and_hms(2031, 5, 6, 7, 8, 9).unwrap();
        let creds = Credentials::sts(
            "STS.unit",
            "unit-secret-value",
            "unit-token-value",
            Some(expiration),
            ProviderName::new("t"),
        );
        let p = CredentialsProvider::new(StaticProvider::from_credentials(creds));
        let a = p.provide_credentials().await.unwrap();
        assert_eq!(a.access_key_id(), "STS.unit");
        assert_eq!(a.secret_access_key(), "unit-secret-value");
        assert_eq!(a.session_token(), Some("unit-token-value"));
        assert_eq!(a.expiry(), Some(SystemTime::from(expiration)));
        let b = p.provide_credentials().await.unwrap();
        // The same snapshot: the same converted value, not a copy.
        let (a_dbg, b_dbg) = (format!("{a:?}"), format!("{b:?}"));
        assert_eq!(a_dbg, b_dbg);
        assert!(p.fallback_on_interrupt().is_some());
        for text in [a_dbg, format!("{p:?}")] {
            assert!(
                !text.contains("unit-secret-value") && !text.contains("unit-token-value"),
                "{text}"
            );
        }
    }

    #[tokio::test]
    async fn an_empty_chain_is_not_loaded_so_an_aws_chain_moves_on() {
        let p = CredentialsProvider::new(Chain::builder().build());
        let e = p.provide_credentials().await.unwrap_err();
        assert!(
            matches!(e, CredentialsError::CredentialsNotLoaded(_)),
            "{e:?}"
        );
    }
}
