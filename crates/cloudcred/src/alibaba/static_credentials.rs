//! Explicit credentials: static AccessKey (`static_ak`), static STS (`static_sts`) and bearer
//! tokens (`bearer`) (spec 6.1, 6.8, D9).
//!
//! No fallback to environment variables: an empty value is an error naming where it came from.

use crate::error::{Error, Result};
use crate::model::{Credentials, ProviderName, Replicas};
use crate::provider::{ProvideCredentials, Resolution};
use futures_util::future::BoxFuture;
use std::sync::Arc;

/// Credentials that never change: an AccessKey pair, an STS triple or a bearer token.
#[derive(Debug, Clone)]
pub struct StaticProvider {
    creds: Replicas,
}

fn required(value: &str, key: &str, origin: &str) -> Result<()> {
    if value.trim().is_empty() {
        Err(Error::invalid_config(
            origin,
            format!("{key} is empty: set it to a non-empty value"),
        ))
    } else {
        Ok(())
    }
}

impl StaticProvider {
    /// A long-term AccessKey pair (`static_ak`).
    pub fn access_key(id: &str, secret: &str) -> Result<Self> {
        Self::access_key_from(
            id,
            secret,
            "static_ak provider",
            ProviderName::new("static_ak"),
        )
    }

    /// Temporary STS credentials without a known expiration (`static_sts`).
    pub fn sts(id: &str, secret: &str, token: &str) -> Result<Self> {
        Self::sts_from(
            id,
            secret,
            token,
            "static_sts provider",
            ProviderName::new("static_sts"),
        )
    }

    /// A bearer token (`bearer`).
    pub fn bearer(token: &str) -> Result<Self> {
        Self::bearer_from(token, None, "bearer provider", ProviderName::new("bearer"))
    }

    /// An AccessKey pair read from `origin` (a profile, a section, a builder).
    pub fn access_key_from(
        id: &str,
        secret: &str,
        origin: &str,
        name: ProviderName,
    ) -> Result<Self> {
        required(id, "access_key_id", origin)?;
        required(secret, "access_key_secret", origin)?;
        Ok(Self::from_credentials(Credentials::access_key(
            id, secret, name,
        )))
    }

    /// An STS triple read from `origin`.
    pub fn sts_from(
        id: &str,
        secret: &str,
        token: &str,
        origin: &str,
        name: ProviderName,
    ) -> Result<Self> {
        required(id, "access_key_id", origin)?;
        required(secret, "access_key_secret", origin)?;
        required(token, "security_token", origin)?;
        Ok(Self::from_credentials(Credentials::sts(
            id, secret, token, None, name,
        )))
    }

    /// A bearer token read from `origin`, sent in `header` (default `x-acs-bearer-token`).
    pub fn bearer_from(
        token: &str,
        header: Option<&str>,
        origin: &str,
        name: ProviderName,
    ) -> Result<Self> {
        required(token, "bearer_token", origin)?;
        let mut creds = Credentials::bearer(token, name);
        if let Some(h) = header {
            creds = creds.with_bearer_token_header(h);
        }
        Ok(Self::from_credentials(creds))
    }

    /// Any ready-made credential.
    pub fn from_credentials(creds: Credentials) -> Self {
        Self {
            creds: Replicas::new(Arc::new(creds)),
        }
    }
}

impl ProvideCredentials for StaticProvider {
    fn resolve(&self) -> BoxFuture<'_, Result<Resolution>> {
        Box::pin(futures_util::future::ready(Ok(Resolution::Credentials(
            self.creds.get().clone(),
        ))))
    }

    #[inline]
    fn cached(&self) -> Option<Arc<Credentials>> {
        Some(self.creds.get().clone())
    }

    fn name(&self) -> &str {
        self.creds.first().provider_name().as_str()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::CredentialKind;

    #[test]
    fn empty_values_are_errors_naming_the_key() {
        let e = StaticProvider::access_key("", "s").unwrap_err().to_string();
        assert!(
            e.contains("access_key_id") && e.contains("static_ak"),
            "{e}"
        );
        let e = StaticProvider::access_key("id", " ")
            .unwrap_err()
            .to_string();
        assert!(e.contains("access_key_secret"), "{e}");
        let e = StaticProvider::sts("id", "s", "").unwrap_err().to_string();
        assert!(
            e.contains("security_token") && e.contains("static_sts"),
            "{e}"
        );
        let e = StaticProvider::bearer("").unwrap_err().to_string();
        assert!(e.contains("bearer_token"), "{e}");
    }

    #[test]
    fn kinds_and_names() {
        let p = StaticProvider::sts("STS.x", "s", "t").unwrap();
        let c = p.cached().unwrap();
        assert_eq!(c.kind(), CredentialKind::Sts);
        assert_eq!(c.provider_name().as_str(), "static_sts");
        let b = StaticProvider::bearer("tok").unwrap().cached().unwrap();
        assert_eq!(b.kind(), CredentialKind::Bearer);
        assert_eq!(b.bearer_token_header(), "x-acs-bearer-token");
        assert_eq!(b.bearer_token().unwrap().expose(), "tok");
    }
}
