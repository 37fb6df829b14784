//! IdP id-token federation through IAM (spec 8.1, H6), provider `idp_federation`.
//!
//! Each refresh re-reads the id token file (content trimmed; empty or unreadable is an error
//! naming the path), then:
//!
//! 1. `POST {iam}/v3.0/OS-AUTH/id-token/tokens` with `X-Idp-Id` and
//!    `{"auth": {"id_token": {"id": <JWT>}}}` (plus a `scope` object only when one is
//!    configured); the federation token is the `X-Subject-Token` response header;
//! 2. temporary AK/SK for that token ([`super::temporary_keys`]).
//!
//! Configured from `HUAWEICLOUD_SDK_IDP_ID` + `HUAWEICLOUD_SDK_ID_TOKEN_FILE` (core), from a
//! profile's `idp_id` + `id_token_file`, or, in the OBS-scoped chain, from `HUAWEI_CLOUD_IDP_ID`
//! and `OIDC_TOKEN_FILE` (obs `OIDC`). One of a pair alone is an error. The id token and the
//! federation token are secrets: never in errors, logs or `Debug` (H10).

use super::env::scope_var;
use super::temporary_keys::{
    self, check_duration, iam_endpoint, join, IAM_ENDPOINT_VAR, JSON_CONTENT_TYPE as JSON,
};
use super::{CredentialType, FromEnv};
use crate::alibaba::sts::read_input_file;
use crate::context::Context;
use crate::engine::{RefreshConfig, Refreshing, Source};
use crate::error::{Error, ErrorKind, Result};
use crate::http::endpoint::describe;
use crate::http::RequestOptions;
use crate::model::{Credentials, ProviderName, SecretString};
use crate::provider::{Inspection, Resolution};
use futures_util::future::BoxFuture;
use std::path::PathBuf;
use std::sync::Arc;
use url::Url;

pub use super::env::{IDP_ID_VAR, ID_TOKEN_FILE_VAR, OBS_IDP_ID_VAR, OBS_TOKEN_FILE_VAR};
/// The OBS SDK's default token file (CCE pod path).
pub const OBS_DEFAULT_TOKEN_FILE: &str = "/var/run/secrets/tokens/oidc-token";

const NAME: &str = "idp_federation";
const ID_TOKEN_PATH: &str = "/v3.0/OS-AUTH/id-token/tokens";

/// A scope of the federation token (obs `IdTokenCredentialsProvider`); none → unscoped.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Scope {
    /// Scope the token to this project.
    ProjectId(String),
    /// Scope the token to this domain.
    DomainId(String),
}

/// The federation source; use it through [`IdpFederationProvider`].
pub struct IdpFederationSource {
    ctx: Context,
    idp_id: String,
    token_file: PathBuf,
    iam: Url,
    scope: Option<Scope>,
    duration: u32,
    options: RequestOptions,
    kind: CredentialType,
    scope_id: Option<String>,
    name: ProviderName,
    origin: String,
}

impl std::fmt::Debug for IdpFederationSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IdpFederationSource")
            .field("idp_id", &self.idp_id)
            .field("token_file", &self.token_file)
            .field("iam", &describe(&self.iam))
            .field("duration", &self.duration)
            .field("origin", &self.origin)
            .finish_non_exhaustive()
    }
}

/// IdP federation behind the refresh engine.
pub type IdpFederationProvider = Refreshing<IdpFederationSource>;

impl IdpFederationProvider {
    /// Federation with this IdP and id token file.
    pub fn builder(
        ctx: &Context,
        idp_id: impl Into<String>,
        id_token_file: impl Into<PathBuf>,
    ) -> IdpFederationBuilder {
        IdpFederationBuilder {
            ctx: ctx.clone(),
            idp_id: idp_id.into(),
            token_file: id_token_file.into(),
            iam_endpoint: None,
            scope: None,
            duration: temporary_keys::DEFAULT_DURATION_SECONDS,
            options: RequestOptions::credential_service(),
            kind: CredentialType::Basic,
            scope_id: None,
            name: None,
            origin: None,
            refresh: super::refresh_config(),
        }
    }

    /// `HUAWEICLOUD_SDK_IDP_ID` + `HUAWEICLOUD_SDK_ID_TOKEN_FILE` (core, spec 5.2): neither set →
    /// not configured, one alone → error.
    pub fn from_env(
        ctx: &Context,
        kind: CredentialType,
        name: ProviderName,
    ) -> IdpFederationFromEnv {
        let idp = ctx.var(IDP_ID_VAR);
        let file = ctx.var(ID_TOKEN_FILE_VAR);
        let inner = match (idp, file) {
            (None, None) => Ok(None),
            (Some(idp), Some(file)) => Self::builder(ctx, idp, ctx.expand_path(&file))
                .credential_type(kind)
                .scope_id(ctx.var(scope_var(kind)))
                .name(name.clone())
                .origin(format!(
                    "environment variables {IDP_ID_VAR} and {ID_TOKEN_FILE_VAR}"
                ))
                .build()
                .map(Some),
            (idp, _) => {
                let (set, unset) = if idp.is_some() {
                    (IDP_ID_VAR, ID_TOKEN_FILE_VAR)
                } else {
                    (ID_TOKEN_FILE_VAR, IDP_ID_VAR)
                };
                Err(Error::invalid_config(
                    "environment",
                    format!("{set} is set but {unset} is not: IdP federation needs both"),
                ))
            }
        };
        FromEnv::new(
            ctx,
            name,
            inner,
            format!("{IDP_ID_VAR} and {ID_TOKEN_FILE_VAR} are not set"),
            &[IDP_ID_VAR, ID_TOKEN_FILE_VAR],
        )
    }
}

impl IdpFederationProvider {
    /// The OBS SDK's `OIDC` provider: configured when `HUAWEI_CLOUD_IDP_ID` is set; token file
    /// `OIDC_TOKEN_FILE`, else the CCE pod path.
    pub fn from_obs_env(ctx: &Context, name: ProviderName) -> IdpFederationFromEnv {
        let inner = match ctx.var(OBS_IDP_ID_VAR) {
            None => Ok(None),
            Some(idp) => {
                let file = ctx
                    .var(OBS_TOKEN_FILE_VAR)
                    .unwrap_or_else(|| OBS_DEFAULT_TOKEN_FILE.to_owned());
                Self::builder(ctx, idp, ctx.expand_path(&file))
                    .name(name.clone())
                    .origin(format!("environment variable {OBS_IDP_ID_VAR}"))
                    .build()
                    .map(Some)
            }
        };
        FromEnv::new(
            ctx,
            name,
            inner,
            format!("{OBS_IDP_ID_VAR} is not set"),
            &[OBS_IDP_ID_VAR, OBS_TOKEN_FILE_VAR],
        )
    }
}

impl IdpFederationSource {
    fn who(&self) -> String {
        format!("{NAME} (IdP {}, from {})", self.idp_id, self.origin)
    }

    /// Step 1: the federation token (`X-Subject-Token`).
    async fn federation_token(&self, id_token: &str, who: &str) -> Result<SecretString> {
        let url = join(&self.iam, ID_TOKEN_PATH);
        let mut auth = serde_json::json!({"id_token": {"id": id_token}});
        match &self.scope {
            Some(Scope::ProjectId(p)) => auth["scope"] = serde_json::json!({"project": {"id": p}}),
            Some(Scope::DomainId(d)) => auth["scope"] = serde_json::json!({"domain": {"id": d}}),
            None => {}
        }
        let request = http::Request::builder()
            .method(http::Method::POST)
            .uri(url.as_str())
            .header(http::header::CONTENT_TYPE, JSON)
            .header("X-Idp-Id", self.idp_id.as_str())
            .body(serde_json::json!({ "auth": auth }).to_string().into_bytes())
            .map_err(|_| {
                Error::invalid_config(
                    who,
                    "the IdP id or IAM endpoint does not form a valid request",
                )
            })?;
        let response = match super::response::exchange(&self.ctx, request, &self.options, who, &url)
            .await
        {
            Err(err) if matches!(err.kind(), ErrorKind::Upstream { status: 401, .. }) => {
                let expired = err.to_string().to_ascii_lowercase().contains("expired");
                let hint = if expired {
                    format!(
                        "the id token in {} has expired: renew it",
                        self.token_file.display()
                    )
                } else {
                    format!(
                        "the id token in {} was refused by IdP {}: check the token and the IdP's mapping",
                        self.token_file.display(),
                        self.idp_id
                    )
                };
                return Err(Error::invalid_config(format!("{err}"), hint));
            }
            other => other?,
        };
        subject_token(&response.headers).ok_or_else(|| {
            ErrorKind::Transport {
                provider: who.to_owned(),
                endpoint: describe(&url),
                message: "the answer has no X-Subject-Token header".to_owned(),
            }
            .into()
        })
    }
}

/// The federation token of an id-token answer: its `X-Subject-Token` header, trimmed, if
/// non-empty text.
pub fn subject_token(headers: &http::HeaderMap) -> Option<SecretString> {
    headers
        .get("x-subject-token")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(SecretString::new)
}

impl Source for IdpFederationSource {
    fn fetch(&self) -> BoxFuture<'_, Result<Resolution>> {
        Box::pin(async move {
            let who = self.who();
            let raw = read_input_file(&self.ctx, &self.token_file, "id token", &self.origin)?;
            let id_token = SecretString::new(raw.trim());
            if id_token.expose().is_empty() {
                return Err(Error::invalid_config(
                    &self.origin,
                    format!("the id token file {} is empty", self.token_file.display()),
                ));
            }
            let federation = self.federation_token(id_token.expose(), &who).await?;
            let creds: Credentials = temporary_keys::create(
                &self.ctx,
                &self.iam,
                &federation,
                self.duration,
                &self.options,
                &who,
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
        Inspection {
            reads: vec![
                format!("id token file {}", self.token_file.display()),
                format!("IAM at {}", describe(&self.iam)),
                self.ctx.describe_var(IAM_ENDPOINT_VAR),
            ],
            warnings: Vec::new(),
        }
    }
}

/// Builds an [`IdpFederationProvider`].
#[derive(Debug)]
pub struct IdpFederationBuilder {
    ctx: Context,
    idp_id: String,
    token_file: PathBuf,
    iam_endpoint: Option<(String, String)>,
    scope: Option<Scope>,
    duration: u32,
    options: RequestOptions,
    kind: CredentialType,
    scope_id: Option<String>,
    name: Option<ProviderName>,
    origin: Option<String>,
    refresh: RefreshConfig,
}

impl IdpFederationBuilder {
    /// The IAM endpoint (wins over `HUAWEICLOUD_SDK_IAM_ENDPOINT`).
    pub fn iam_endpoint(mut self, url: impl Into<String>) -> Self {
        self.iam_endpoint = Some((url.into(), "the iam_endpoint option".to_owned()));
        self
    }

    /// The IAM endpoint with the origin to name in errors (a profile's `iam_endpoint`).
    pub fn iam_endpoint_from(mut self, url: impl Into<String>, origin: impl Into<String>) -> Self {
        self.iam_endpoint = Some((url.into(), origin.into()));
        self
    }

    /// Scopes the federation token (default unscoped).
    pub fn scope(mut self, scope: Scope) -> Self {
        self.scope = Some(scope);
        self
    }

    /// Lifetime of the temporary keys, 900–86400 s (default 21600).
    pub fn duration_seconds(mut self, seconds: u32) -> Self {
        self.duration = seconds;
        self
    }

    /// Validates the settings; no I/O (the token file is read at each refresh).
    pub fn build(self) -> Result<IdpFederationProvider> {
        let origin = self.origin.unwrap_or_else(|| NAME.to_owned());
        if self.idp_id.trim().is_empty() {
            return Err(Error::invalid_config(&origin, "idp_id is empty"));
        }
        let iam = iam_endpoint(
            &self.ctx,
            self.iam_endpoint
                .as_ref()
                .map(|(v, o)| (v.as_str(), o.as_str())),
        )?;
        let duration = check_duration(self.duration, &origin)?;
        let source = IdpFederationSource {
            ctx: self.ctx.clone(),
            idp_id: self.idp_id.trim().to_owned(),
            token_file: self.token_file,
            iam,
            scope: self.scope,
            duration,
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

/// Federation configured by environment variables: not configured, an error, or the provider.
pub type IdpFederationFromEnv = FromEnv<IdpFederationProvider>;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::MapEnv;
    use crate::provider::ProvideCredentials;

    fn run(p: &IdpFederationFromEnv) -> Result<Resolution> {
        futures::executor::block_on(p.resolve())
    }

    #[test]
    fn env_pairs() {
        let ctx = Context::from_env(MapEnv::default());
        let p = IdpFederationProvider::from_env(&ctx, CredentialType::Basic, NAME.into());
        assert!(matches!(run(&p), Ok(Resolution::NotConfigured(_))));
        let ctx = Context::from_env(MapEnv::from([(IDP_ID_VAR, "idp")]));
        let e = run(&IdpFederationProvider::from_env(
            &ctx,
            CredentialType::Basic,
            NAME.into(),
        ))
        .unwrap_err()
        .to_string();
        assert!(
            e.contains(&format!("but {ID_TOKEN_FILE_VAR} is not")),
            "{e}"
        );
        let ctx = Context::from_env(MapEnv::from([(ID_TOKEN_FILE_VAR, "/f")]));
        let e = run(&IdpFederationProvider::from_env(
            &ctx,
            CredentialType::Basic,
            NAME.into(),
        ))
        .unwrap_err()
        .to_string();
        assert!(e.contains(&format!("but {IDP_ID_VAR} is not")), "{e}");
        let ctx = Context::from_env(MapEnv::default());
        assert!(matches!(
            run(&IdpFederationProvider::from_obs_env(
                &ctx,
                "obs_oidc".into()
            )),
            Ok(Resolution::NotConfigured(_))
        ));
    }

    #[test]
    fn unreadable_or_empty_token_file_names_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("empty");
        std::fs::write(&empty, "  \n").unwrap();
        let ctx = Context::from_env(MapEnv::from([(IAM_ENDPOINT_VAR, "http://127.0.0.1:9")]));
        for file in [empty.clone(), dir.path().join("missing")] {
            let p = IdpFederationProvider::builder(&ctx, "idp", &file)
                .build()
                .unwrap();
            let e = futures::executor::block_on(p.resolve())
                .unwrap_err()
                .to_string();
            assert!(e.contains(&file.display().to_string()), "{e}");
        }
    }

    #[test]
    fn bad_duration_is_an_error_before_any_request() {
        let ctx = Context::from_env(MapEnv::default());
        let e = IdpFederationProvider::builder(&ctx, "idp", "/f")
            .duration_seconds(600)
            .build()
            .unwrap_err()
            .to_string();
        assert!(e.contains("600"), "{e}");
    }
}

source_builder_setters!(IdpFederationBuilder, "idp_federation", request_options);
scoped_builder_setters!(IdpFederationBuilder, origin);
