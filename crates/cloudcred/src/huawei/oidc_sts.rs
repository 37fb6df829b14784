//! OIDC STS: `POST {sts}/v5/agencies/assume-with-oidc` (spec 5.4, 8.2), provider `oidc_sts`.
//!
//! The JSON body carries `provider_urn`, `agency_urn`, `agency_session_name` (default
//! `oidc-sts-session`), `id_token`, `duration_seconds` (default 3600) and, when configured,
//! `policy` and `policy_ids`. The request is sent **unsigned** (H13). The answer is read by the
//! shared parser ([`super::response`]). The STS endpoint comes from the builder, else
//! `HUAWEICLOUD_SDK_STS_ENDPOINT`, else the `cn-north-4` endpoint; HTTPS except for loopback
//! test servers (H12).
//!
//! The id token is given inline (`HUAWEICLOUD_OIDC_ID_TOKEN`) or as a file
//! (`HUAWEICLOUD_OIDC_TOKEN_FILE`) that is read again at every refresh, because Kubernetes
//! rotates projected tokens in place. In the chain the provider is configured when either URN
//! variable is set; then both URNs and exactly one token source are required. The id token is a
//! secret: it travels only in the request body, never in a URL, error, log or `Debug` output.

use super::env::scope_var;
use super::temporary_keys::{join, service_endpoint, JSON_CONTENT_TYPE};
use super::{response, CredentialType, FromEnv};
use crate::alibaba::oidc_role_arn::read_token;
use crate::context::Context;
use crate::engine::{RefreshConfig, Refreshing, Source};
use crate::error::{Error, Result};
use crate::http::endpoint::describe;
use crate::http::RequestOptions;
use crate::model::{ProviderName, SecretString};
use crate::provider::{Inspection, Resolution};
use futures_util::future::BoxFuture;
use std::path::PathBuf;
use std::sync::Arc;
use url::Url;

pub use super::env::{AGENCY_URN_VAR, ID_TOKEN_VAR, PROVIDER_URN_VAR, TOKEN_FILE_VAR};
/// `HUAWEICLOUD_OIDC_SESSION_NAME`: the session name; default `oidc-sts-session`.
pub const SESSION_NAME_VAR: &str = "HUAWEICLOUD_OIDC_SESSION_NAME";
/// `HUAWEICLOUD_OIDC_DURATION_SECONDS`: the session duration in seconds; default 3600.
pub const DURATION_VAR: &str = "HUAWEICLOUD_OIDC_DURATION_SECONDS";
/// `HUAWEICLOUD_OIDC_POLICY`: an inline policy narrowing the session.
pub const POLICY_VAR: &str = "HUAWEICLOUD_OIDC_POLICY";
/// `HUAWEICLOUD_OIDC_POLICY_IDS`: comma-separated policy ids narrowing the session.
pub const POLICY_IDS_VAR: &str = "HUAWEICLOUD_OIDC_POLICY_IDS";
/// `HUAWEICLOUD_SDK_STS_ENDPOINT`.
pub const STS_ENDPOINT_VAR: &str = "HUAWEICLOUD_SDK_STS_ENDPOINT";
/// Core's default STS endpoint.
pub const DEFAULT_STS_ENDPOINT: &str = "https://sts.cn-north-4.myhuaweicloud.com";
/// The session name when none is configured.
pub const DEFAULT_SESSION_NAME: &str = "oidc-sts-session";
/// The session duration in seconds when none is configured.
pub const DEFAULT_DURATION_SECONDS: u32 = 3600;

const NAME: &str = "oidc_sts";
const ASSUME_PATH: &str = "/v5/agencies/assume-with-oidc";

/// Where the id token comes from.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum IdToken {
    /// The token itself (redacted in `Debug`).
    Inline(SecretString),
    /// A file read again at every refresh.
    File(PathBuf),
}

/// The OIDC STS source; use it through [`OidcStsProvider`].
pub struct OidcStsSource {
    ctx: Context,
    provider_urn: String,
    agency_urn: String,
    token: IdToken,
    session_name: String,
    duration: u32,
    policy: Option<String>,
    policy_ids: Vec<String>,
    sts: Url,
    options: RequestOptions,
    kind: CredentialType,
    scope_id: Option<String>,
    name: ProviderName,
    origin: String,
}

impl std::fmt::Debug for OidcStsSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OidcStsSource")
            .field("provider_urn", &self.provider_urn)
            .field("agency_urn", &self.agency_urn)
            .field("token", &self.token)
            .field("session_name", &self.session_name)
            .field("duration", &self.duration)
            .field("sts", &describe(&self.sts))
            .field("origin", &self.origin)
            .finish_non_exhaustive()
    }
}

/// OIDC STS behind the refresh engine.
pub type OidcStsProvider = Refreshing<OidcStsSource>;

/// OIDC STS configured by the `HUAWEICLOUD_OIDC_*` variables.
pub type OidcStsFromEnv = FromEnv<OidcStsProvider>;

impl OidcStsProvider {
    /// Assume `agency_urn` with a token trusted by `provider_urn`.
    pub fn builder(
        ctx: &Context,
        provider_urn: impl Into<String>,
        agency_urn: impl Into<String>,
        token: IdToken,
    ) -> OidcStsBuilder {
        OidcStsBuilder {
            ctx: ctx.clone(),
            provider_urn: provider_urn.into(),
            agency_urn: agency_urn.into(),
            token,
            session_name: DEFAULT_SESSION_NAME.to_owned(),
            duration: DEFAULT_DURATION_SECONDS,
            policy: None,
            policy_ids: Vec::new(),
            sts_endpoint: None,
            options: RequestOptions::credential_service(),
            kind: CredentialType::Basic,
            scope_id: None,
            name: None,
            origin: None,
            refresh: super::refresh_config(),
        }
    }

    /// The `HUAWEICLOUD_OIDC_*` variables (spec 8.2): neither URN set → not configured; then
    /// both URNs and exactly one of `HUAWEICLOUD_OIDC_ID_TOKEN` / `_TOKEN_FILE` are required.
    pub fn from_env(ctx: &Context, kind: CredentialType, name: ProviderName) -> OidcStsFromEnv {
        FromEnv::new(
            ctx,
            name.clone(),
            OidcStsSource::env_provider(ctx, kind, name),
            format!("{PROVIDER_URN_VAR} and {AGENCY_URN_VAR} are not set"),
            &[
                PROVIDER_URN_VAR,
                AGENCY_URN_VAR,
                ID_TOKEN_VAR,
                TOKEN_FILE_VAR,
                SESSION_NAME_VAR,
                DURATION_VAR,
                POLICY_VAR,
                POLICY_IDS_VAR,
            ],
        )
    }
}

impl OidcStsSource {
    fn env_provider(
        ctx: &Context,
        kind: CredentialType,
        name: ProviderName,
    ) -> Result<Option<OidcStsProvider>> {
        let (provider, agency) = (ctx.var(PROVIDER_URN_VAR), ctx.var(AGENCY_URN_VAR));
        if provider.is_none() && agency.is_none() {
            return Ok(None);
        }
        let token = match (ctx.var(ID_TOKEN_VAR), ctx.var(TOKEN_FILE_VAR)) {
            (Some(_), Some(_)) => {
                return Err(Error::invalid_config(
                    "environment",
                    format!("both {ID_TOKEN_VAR} and {TOKEN_FILE_VAR} are set: OIDC STS needs exactly one (ambiguous)"),
                ))
            }
            (Some(t), None) => Some(IdToken::Inline(SecretString::new(t))),
            (None, Some(f)) => Some(IdToken::File(ctx.expand_path(&f))),
            (None, None) => None,
        };
        let mut missing = Vec::new();
        if provider.is_none() {
            missing.push(PROVIDER_URN_VAR.to_owned());
        }
        if agency.is_none() {
            missing.push(AGENCY_URN_VAR.to_owned());
        }
        if token.is_none() {
            missing.push(format!("{ID_TOKEN_VAR} or {TOKEN_FILE_VAR}"));
        }
        let (Some(provider), Some(agency), Some(token)) = (provider, agency, token) else {
            return Err(Error::invalid_config(
                "environment",
                format!(
                    "OIDC STS is configured ({PROVIDER_URN_VAR} or {AGENCY_URN_VAR} is set) but {} {} not set",
                    missing.join(" and "),
                    if missing.len() == 1 { "is" } else { "are" }
                ),
            ));
        };
        let mut builder = OidcStsProvider::builder(ctx, provider, agency, token)
            .credential_type(kind)
            .scope_id(ctx.var(scope_var(kind)))
            .name(name)
            .origin(format!(
                "environment variables {PROVIDER_URN_VAR} and {AGENCY_URN_VAR}"
            ));
        if let Some(session) = ctx.var(SESSION_NAME_VAR) {
            builder = builder.session_name(session);
        }
        if let Some(raw) = ctx.var(DURATION_VAR) {
            let seconds = raw.parse::<u32>().map_err(|_| {
                Error::invalid_config(
                    format!("environment variable {DURATION_VAR}"),
                    "is not a whole number of seconds",
                )
            })?;
            builder = builder.duration_seconds(seconds);
        }
        if let Some(policy) = ctx.var(POLICY_VAR) {
            builder = builder.policy(policy);
        }
        if let Some(ids) = ctx.var(POLICY_IDS_VAR) {
            builder = builder.policy_ids(
                ids.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned),
            );
        }
        builder.build().map(Some)
    }

    fn who(&self) -> String {
        format!("{NAME} (agency {}, from {})", self.agency_urn, self.origin)
    }

    fn id_token(&self, who: &str) -> Result<SecretString> {
        match &self.token {
            IdToken::Inline(t) => Ok(t.clone()),
            // Re-read at every refresh: the token rotates under our feet (Kubernetes).
            IdToken::File(path) => read_token(&self.ctx, path, who).map(SecretString::new),
        }
    }
}

impl Source for OidcStsSource {
    fn fetch(&self) -> BoxFuture<'_, Result<Resolution>> {
        Box::pin(async move {
            let who = self.who();
            let id_token = self.id_token(&who)?;
            let mut body = serde_json::json!({
                "provider_urn": self.provider_urn,
                "agency_urn": self.agency_urn,
                "agency_session_name": self.session_name,
                "id_token": id_token.expose(),
                "duration_seconds": self.duration,
            });
            if let Some(policy) = &self.policy {
                body["policy"] = policy.as_str().into();
            }
            if !self.policy_ids.is_empty() {
                body["policy_ids"] = self.policy_ids.clone().into();
            }
            let url = join(&self.sts, ASSUME_PATH);
            // Unsigned (H13): an assume-with-OIDC call has no AccessKey to sign with.
            let request = http::Request::builder()
                .method(http::Method::POST)
                .uri(url.as_str())
                .header(http::header::CONTENT_TYPE, JSON_CONTENT_TYPE)
                .body(body.to_string().into_bytes())
                .map_err(|_| {
                    Error::invalid_config(&who, "the STS endpoint does not form a valid request")
                })?;
            let creds = response::fetch_credentials(
                &self.ctx,
                request,
                &self.options,
                &who,
                &url,
                self.name.clone(),
            )
            .await?;
            let creds = self.kind.scope(creds, self.scope_id.clone());
            Ok(Resolution::Credentials(Arc::new(creds)))
        })
    }

    fn name(&self) -> &str {
        self.name.as_str()
    }

    fn inspect(&self) -> Inspection {
        let token = match &self.token {
            IdToken::Inline(_) => "an inline id token".to_owned(),
            IdToken::File(path) => format!("id token file {}", path.display()),
        };
        Inspection {
            reads: vec![
                token,
                format!("STS at {}", describe(&self.sts)),
                self.ctx.describe_var(STS_ENDPOINT_VAR),
            ],
            warnings: Vec::new(),
        }
    }
}

/// Builds an [`OidcStsProvider`].
#[derive(Debug)]
pub struct OidcStsBuilder {
    ctx: Context,
    provider_urn: String,
    agency_urn: String,
    token: IdToken,
    session_name: String,
    duration: u32,
    policy: Option<String>,
    policy_ids: Vec<String>,
    sts_endpoint: Option<String>,
    options: RequestOptions,
    kind: CredentialType,
    scope_id: Option<String>,
    name: Option<ProviderName>,
    origin: Option<String>,
    refresh: RefreshConfig,
}

impl OidcStsBuilder {
    /// The STS endpoint (wins over `HUAWEICLOUD_SDK_STS_ENDPOINT`).
    pub fn sts_endpoint(mut self, url: impl Into<String>) -> Self {
        self.sts_endpoint = Some(url.into());
        self
    }

    /// `agency_session_name` (default `oidc-sts-session`).
    pub fn session_name(mut self, name: impl Into<String>) -> Self {
        self.session_name = name.into();
        self
    }

    /// `duration_seconds` (default 3600); the service checks the range.
    pub fn duration_seconds(mut self, seconds: u32) -> Self {
        self.duration = seconds;
        self
    }

    /// An inline policy (a JSON document) restricting the session.
    pub fn policy(mut self, policy: impl Into<String>) -> Self {
        self.policy = Some(policy.into());
        self
    }

    /// Policy ids restricting the session.
    pub fn policy_ids(mut self, ids: impl IntoIterator<Item = String>) -> Self {
        self.policy_ids = ids.into_iter().collect();
        self
    }

    /// Validates the settings; no I/O (a token file is read at each refresh).
    pub fn build(self) -> Result<OidcStsProvider> {
        let origin = self.origin.unwrap_or_else(|| NAME.to_owned());
        for (value, what) in [
            (&self.provider_urn, "provider_urn"),
            (&self.agency_urn, "agency_urn"),
            (&self.session_name, "agency_session_name"),
        ] {
            if value.trim().is_empty() {
                return Err(Error::invalid_config(&origin, format!("{what} is empty")));
            }
        }
        if let IdToken::Inline(t) = &self.token {
            if t.expose().trim().is_empty() {
                return Err(Error::invalid_config(&origin, "the id token is empty"));
            }
        }
        let sts = service_endpoint(
            &self.ctx,
            self.sts_endpoint
                .as_deref()
                .map(|v| (v, "the sts_endpoint option")),
            STS_ENDPOINT_VAR,
            DEFAULT_STS_ENDPOINT,
            "an STS endpoint",
        )?;
        let source = OidcStsSource {
            ctx: self.ctx.clone(),
            provider_urn: self.provider_urn.trim().to_owned(),
            agency_urn: self.agency_urn.trim().to_owned(),
            token: self.token,
            session_name: self.session_name.trim().to_owned(),
            duration: self.duration,
            policy: self.policy,
            policy_ids: self.policy_ids,
            sts,
            options: self.options,
            kind: self.kind,
            scope_id: self.scope_id,
            name: self.name.unwrap_or_else(|| ProviderName::new(NAME)),
            origin,
        };
        Ok(Refreshing::with_config(
            source,
            self.ctx.clock().clone(),
            self.refresh,
        ))
    }
}

source_builder_setters!(OidcStsBuilder, "oidc_sts", request_options);
scoped_builder_setters!(OidcStsBuilder, origin);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::MapEnv;
    use crate::provider::ProvideCredentials;

    fn run(vars: &[(&str, &str)]) -> Result<Resolution> {
        let ctx = Context::from_env(vars.iter().copied().collect::<MapEnv>());
        futures::executor::block_on(
            OidcStsProvider::from_env(&ctx, CredentialType::Basic, NAME.into()).resolve(),
        )
    }

    #[test]
    fn env_rules() {
        assert!(matches!(run(&[]), Ok(Resolution::NotConfigured(_))));
        let e = run(&[(PROVIDER_URN_VAR, "p")]).unwrap_err().to_string();
        assert!(
            e.contains(AGENCY_URN_VAR) && e.contains(TOKEN_FILE_VAR) && e.contains("are not set"),
            "{e}"
        );
        let e = run(&[
            (PROVIDER_URN_VAR, "p"),
            (AGENCY_URN_VAR, "a"),
            (ID_TOKEN_VAR, "planted-token"),
            (TOKEN_FILE_VAR, "/f"),
        ])
        .unwrap_err()
        .to_string();
        assert!(e.contains("ambiguous") && !e.contains("planted"), "{e}");
        let e = run(&[
            (AGENCY_URN_VAR, "a"),
            (ID_TOKEN_VAR, "planted-token"),
            (DURATION_VAR, "soon"),
        ])
        .unwrap_err()
        .to_string();
        assert!(
            e.contains(PROVIDER_URN_VAR) && !e.contains("planted"),
            "{e}"
        );
    }

    #[test]
    fn plain_http_only_to_loopback_and_token_redacted() {
        let ctx = Context::from_env(MapEnv::from([(STS_ENDPOINT_VAR, "http://sts.example.com")]));
        let token = IdToken::Inline(SecretString::new("planted-token"));
        let e = OidcStsProvider::builder(&ctx, "p", "a", token.clone())
            .build()
            .unwrap_err()
            .to_string();
        assert!(e.contains(STS_ENDPOINT_VAR), "{e}");
        let p = OidcStsProvider::builder(&ctx, "p", "a", token)
            .sts_endpoint("http://127.0.0.1:9")
            .build()
            .unwrap();
        let d = format!("{p:?}");
        assert!(!d.contains("planted") && d.contains("127.0.0.1"), "{d}");
    }
}
