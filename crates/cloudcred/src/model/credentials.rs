//! The credential snapshot.

use super::{ProviderName, SecretString};
use chrono::{DateTime, SecondsFormat, Utc};
use std::fmt;

/// What a credential holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CredentialKind {
    /// A long-term AccessKey pair (or a temporary pair without a token, as RSA key pairs yield).
    AccessKey,
    /// Temporary STS credentials: id, secret and security token.
    Sts,
    /// A bearer token only (CLI mode `BearerToken`, INI type `bearer`).
    Bearer,
    /// CLI mode `Anonymous`: a deliberate "no credentials"; signers leave requests unsigned.
    Anonymous,
}

impl CredentialKind {
    /// The kind's name in output and JSON: `access_key`, `sts`, `bearer` or `anonymous`.
    pub fn as_str(self) -> &'static str {
        match self {
            CredentialKind::AccessKey => "access_key",
            CredentialKind::Sts => "sts",
            CredentialKind::Bearer => "bearer",
            CredentialKind::Anonymous => "anonymous",
        }
    }
}

impl fmt::Display for CredentialKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An immutable credential snapshot (spec 2.1, D1, D2).
///
/// Shared behind an `Arc`: every field comes from the same fetch. `Debug` and `Display` redact
/// the secret, the security token and the bearer token, and mask the access key id.
#[derive(Clone)]
pub struct Credentials {
    kind: CredentialKind,
    access_key_id: String,
    access_key_secret: SecretString,
    security_token: Option<SecretString>,
    bearer_token: Option<SecretString>,
    bearer_token_header: Option<String>,
    expiration: Option<DateTime<Utc>>,
    provider_name: ProviderName,
    /// Huawei Cloud scope (not secret): the project of "basic" credentials.
    project_id: Option<String>,
    /// Huawei Cloud scope (not secret): the domain of "global" credentials.
    domain_id: Option<String>,
}

impl Credentials {
    /// A long-term AccessKey pair. Providers validate that neither part is empty.
    pub fn access_key(
        access_key_id: impl Into<String>,
        access_key_secret: impl Into<SecretString>,
        provider_name: ProviderName,
    ) -> Self {
        Self {
            kind: CredentialKind::AccessKey,
            access_key_id: access_key_id.into(),
            access_key_secret: access_key_secret.into(),
            security_token: None,
            bearer_token: None,
            bearer_token_header: None,
            expiration: None,
            provider_name,
            project_id: None,
            domain_id: None,
        }
    }

    /// Temporary STS credentials.
    pub fn sts(
        access_key_id: impl Into<String>,
        access_key_secret: impl Into<SecretString>,
        security_token: impl Into<SecretString>,
        expiration: Option<DateTime<Utc>>,
        provider_name: ProviderName,
    ) -> Self {
        Self {
            kind: CredentialKind::Sts,
            access_key_id: access_key_id.into(),
            access_key_secret: access_key_secret.into(),
            security_token: Some(security_token.into()),
            bearer_token: None,
            bearer_token_header: None,
            expiration,
            provider_name,
            project_id: None,
            domain_id: None,
        }
    }

    /// A bearer token.
    pub fn bearer(bearer_token: impl Into<SecretString>, provider_name: ProviderName) -> Self {
        Self {
            kind: CredentialKind::Bearer,
            access_key_id: String::new(),
            access_key_secret: SecretString::default(),
            security_token: None,
            bearer_token: Some(bearer_token.into()),
            bearer_token_header: None,
            expiration: None,
            provider_name,
            project_id: None,
            domain_id: None,
        }
    }

    /// The "anonymous" outcome of the CLI mode `Anonymous`.
    pub fn anonymous(provider_name: ProviderName) -> Self {
        Self {
            kind: CredentialKind::Anonymous,
            access_key_id: String::new(),
            access_key_secret: SecretString::default(),
            security_token: None,
            bearer_token: None,
            bearer_token_header: None,
            expiration: None,
            provider_name,
            project_id: None,
            domain_id: None,
        }
    }

    /// When the credentials stop working (UTC); `None` for long-term keys. The refresh engine
    /// refreshes temporary credentials ahead of it.
    pub fn with_expiration(mut self, expiration: Option<DateTime<Utc>>) -> Self {
        self.expiration = expiration;
        self
    }

    /// The header a bearer token is sent in (aliyun-cli `bearer_token_header_key`).
    pub fn with_bearer_token_header(mut self, header: impl Into<String>) -> Self {
        self.bearer_token_header = Some(header.into());
        self
    }

    /// The Huawei Cloud project id (`X-Project-Id`) of "basic" credentials.
    pub fn with_project_id(mut self, project_id: Option<String>) -> Self {
        self.project_id = project_id;
        self
    }

    /// The Huawei Cloud domain id (`X-Domain-Id`) of "global" credentials.
    pub fn with_domain_id(mut self, domain_id: Option<String>) -> Self {
        self.domain_id = domain_id;
        self
    }

    /// The Huawei Cloud project id, if the source named one.
    pub fn project_id(&self) -> Option<&str> {
        self.project_id.as_deref()
    }

    /// The Huawei Cloud domain id, if the source named one.
    pub fn domain_id(&self) -> Option<&str> {
        self.domain_id.as_deref()
    }

    /// Replaces the provider name (a chain prefixes its own: `default/…`).
    pub fn with_provider_name(mut self, provider_name: ProviderName) -> Self {
        self.provider_name = provider_name;
        self
    }

    /// What the snapshot holds, which decides how a signer uses it.
    pub fn kind(&self) -> CredentialKind {
        self.kind
    }

    /// The AccessKey id (not secret, but [`masked_access_key_id`](Self::masked_access_key_id)
    /// is what to show); empty for bearer and anonymous credentials.
    pub fn access_key_id(&self) -> &str {
        &self.access_key_id
    }

    /// The AccessKey secret; empty for bearer and anonymous credentials. Read it with
    /// [`SecretString::expose`].
    pub fn access_key_secret(&self) -> &SecretString {
        &self.access_key_secret
    }

    /// The STS security token of temporary credentials ([`CredentialKind::Sts`]).
    pub fn security_token(&self) -> Option<&SecretString> {
        self.security_token.as_ref()
    }

    /// The bearer token of [`CredentialKind::Bearer`] credentials.
    pub fn bearer_token(&self) -> Option<&SecretString> {
        self.bearer_token.as_ref()
    }

    /// The header for the bearer token; `x-acs-bearer-token` unless the profile chose another.
    pub fn bearer_token_header(&self) -> &str {
        self.bearer_token_header
            .as_deref()
            .unwrap_or("x-acs-bearer-token")
    }

    /// When the credentials expire (UTC); `None` for long-term keys.
    pub fn expiration(&self) -> Option<DateTime<Utc>> {
        self.expiration
    }

    /// The provider chain that produced the snapshot, such as `default/profile/ram_role_arn`.
    pub fn provider_name(&self) -> &ProviderName {
        &self.provider_name
    }

    /// The access key id masked with credentials-java's rule (spec D2).
    pub fn masked_access_key_id(&self) -> String {
        mask_access_key_id(&self.access_key_id)
    }

    /// `true` once `now` has reached the expiration.
    pub fn is_expired_at(&self, now: DateTime<Utc>) -> bool {
        self.expiration.is_some_and(|e| now >= e)
    }
}

/// credentials-java's mask: up to 6 characters → `****`; otherwise keep the first and last
/// `min(3, len/4)` characters and replace the rest with `*`.
pub fn mask_access_key_id(id: &str) -> String {
    let chars: Vec<char> = id.chars().collect();
    let len = chars.len();
    if len <= 6 {
        return "****".to_owned();
    }
    let keep = std::cmp::min(3, len / 4);
    let mut out = String::with_capacity(len);
    out.extend(&chars[..keep]);
    out.extend(std::iter::repeat_n('*', len - 2 * keep));
    out.extend(&chars[len - keep..]);
    out
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("kind", &self.kind)
            .field("access_key_id", &self.masked_access_key_id())
            .field("access_key_secret", &self.access_key_secret)
            .field("security_token", &self.security_token)
            .field("bearer_token", &self.bearer_token)
            .field("expiration", &self.expiration)
            .field("provider_name", &self.provider_name)
            .field("project_id", &self.project_id)
            .field("domain_id", &self.domain_id)
            .finish()
    }
}

impl fmt::Display for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            CredentialKind::Bearer => write!(f, "bearer token")?,
            CredentialKind::Anonymous => write!(f, "anonymous (no credentials)")?,
            _ => write!(f, "{} {}", self.kind, self.masked_access_key_id())?,
        }
        write!(f, " from {}", self.provider_name)?;
        if let Some(e) = self.expiration {
            write!(
                f,
                ", expires {}",
                e.to_rfc3339_opts(SecondsFormat::Secs, true)
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mask_follows_java_rule() {
        assert_eq!(mask_access_key_id(""), "****");
        assert_eq!(mask_access_key_id("abcdef"), "****");
        assert_eq!(mask_access_key_id("abcdefg"), "a*****g");
        assert_eq!(
            mask_access_key_id("LTAIFAKEDEFAULT00001"),
            "LTA**************001"
        );
    }

    #[test]
    fn debug_and_display_redact() {
        let c = Credentials::sts(
            "STS.FAKEID0000000001",
            "planted-secret-value",
            "planted-token-value",
            None,
            ProviderName::new("static_sts"),
        );
        for text in [format!("{c:?}"), format!("{c}"), format!("{c:#?}")] {
            assert!(!text.contains("planted-secret-value"), "{text}");
            assert!(!text.contains("planted-token-value"), "{text}");
            assert!(!text.contains("STS.FAKEID0000000001"), "{text}");
        }
        assert_eq!(c.security_token().unwrap().expose(), "planted-token-value");
    }
}
