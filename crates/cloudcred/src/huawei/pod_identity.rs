//! CCE pod identity (spec 5.6), provider `pod_identity`.
//!
//! `POST <HC_CONTAINER_CREDENTIALS_FULL_URI>` with `Authorization: <content of
//! HC_CONTAINER_AUTHORIZATION_TOKEN_FILE>` and the body `{}`, 5 s connect and 5 s read timeouts;
//! the answer is read by the shared parser ([`super::response`]). The token file is read again at
//! every refresh (the node agent rotates it). The URI must be `https`, or plain `http` to a
//! loopback host (test servers) or a link-local host (node agents) (spec 12, H12).
//!
//! In the chain the provider is not configured while the URI variable is unset; with the URI set,
//! a missing token-file variable is an error. The authorization token is a secret: never in an
//! error, log or `Debug` output (H10), and the URI is shown only as scheme, host, port and path.

use super::env::scope_var;
use super::{response, CredentialType, FromEnv};
use crate::alibaba::credentials_uri;
use crate::alibaba::sts::read_input_file;
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
use std::time::Duration;
use url::Url;

pub use super::env::{AUTHORIZATION_TOKEN_FILE_VAR, FULL_URI_VAR};
/// Core's timeouts: 5 s connect, 5 s read.
pub const TIMEOUT: Duration = Duration::from_secs(5);

const NAME: &str = "pod_identity";

/// The pod-identity source; use it through [`PodIdentityProvider`].
pub struct PodIdentitySource {
    ctx: Context,
    url: Url,
    token_file: PathBuf,
    options: RequestOptions,
    kind: CredentialType,
    scope_id: Option<String>,
    name: ProviderName,
    origin: String,
}

impl std::fmt::Debug for PodIdentitySource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PodIdentitySource")
            .field("url", &describe(&self.url))
            .field("token_file", &self.token_file)
            .field("origin", &self.origin)
            .finish_non_exhaustive()
    }
}

/// Pod identity behind the refresh engine.
pub type PodIdentityProvider = Refreshing<PodIdentitySource>;

/// Pod identity configured by the `HC_CONTAINER_*` variables.
pub type PodIdentityFromEnv = FromEnv<PodIdentityProvider>;

impl PodIdentityProvider {
    /// Pod identity; the URI and token file default to the `HC_CONTAINER_*` variables.
    pub fn builder(ctx: &Context) -> PodIdentityBuilder {
        PodIdentityBuilder {
            ctx: ctx.clone(),
            uri: None,
            token_file: None,
            options: RequestOptions::credential_service().with_timeouts(TIMEOUT, TIMEOUT),
            kind: CredentialType::Basic,
            scope_id: None,
            name: None,
            refresh: super::refresh_config(),
        }
    }

    /// `HC_CONTAINER_CREDENTIALS_FULL_URI` unset → not configured; else the provider (or the
    /// error of a bad URI or a missing token-file variable).
    pub fn from_env(ctx: &Context, kind: CredentialType, name: ProviderName) -> PodIdentityFromEnv {
        let inner = match ctx.var(FULL_URI_VAR) {
            None => Ok(None),
            Some(_) => Self::builder(ctx)
                .credential_type(kind)
                .scope_id(ctx.var(scope_var(kind)))
                .name(name.clone())
                .build()
                .map(Some),
        };
        FromEnv::new(
            ctx,
            name,
            inner,
            format!("{FULL_URI_VAR} is not set"),
            &[FULL_URI_VAR, AUTHORIZATION_TOKEN_FILE_VAR],
        )
    }
}

impl PodIdentitySource {
    fn who(&self) -> String {
        format!("{NAME} (from {})", self.origin)
    }

    /// The authorization token: the file's content, trimmed; empty is an error naming the path.
    fn authorization(&self, who: &str) -> Result<SecretString> {
        let raw = read_input_file(&self.ctx, &self.token_file, "authorization token", who)?;
        let token = SecretString::new(raw.trim());
        if token.expose().is_empty() {
            return Err(Error::invalid_config(
                who,
                format!(
                    "the authorization token file {} is empty",
                    self.token_file.display()
                ),
            ));
        }
        Ok(token)
    }
}

impl Source for PodIdentitySource {
    fn fetch(&self) -> BoxFuture<'_, Result<Resolution>> {
        Box::pin(async move {
            let who = self.who();
            let token = self.authorization(&who)?;
            let request = http::Request::builder()
                .method(http::Method::POST)
                .uri(self.url.as_str())
                .header(http::header::CONTENT_TYPE, "application/json")
                .header(http::header::AUTHORIZATION, token.expose())
                .body(b"{}".to_vec())
                .map_err(|_| {
                    Error::invalid_config(
                        &who,
                        "the URI or the authorization token does not form a valid request",
                    )
                })?;
            let creds = response::fetch_credentials(
                &self.ctx,
                request,
                &self.options,
                &who,
                &self.url,
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
                format!("POST {} (from {})", describe(&self.url), self.origin),
                format!("authorization token file {}", self.token_file.display()),
            ],
            warnings: Vec::new(),
        }
    }
}

/// Builds a [`PodIdentityProvider`]. Builder values win over the environment.
#[derive(Debug)]
pub struct PodIdentityBuilder {
    ctx: Context,
    uri: Option<String>,
    token_file: Option<PathBuf>,
    options: RequestOptions,
    kind: CredentialType,
    scope_id: Option<String>,
    name: Option<ProviderName>,
    refresh: RefreshConfig,
}

impl PodIdentityBuilder {
    /// The credentials URI (wins over `HC_CONTAINER_CREDENTIALS_FULL_URI`).
    pub fn uri(mut self, uri: impl Into<String>) -> Self {
        self.uri = Some(uri.into());
        self
    }

    /// The authorization token file (wins over `HC_CONTAINER_AUTHORIZATION_TOKEN_FILE`).
    pub fn token_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.token_file = Some(path.into());
        self
    }

    /// Validates the URI and that a token file is named; no I/O.
    pub fn build(self) -> Result<PodIdentityProvider> {
        let ctx = self.ctx;
        let (raw, origin) = match self.uri {
            Some(u) => (Some(u), "the uri option".to_owned()),
            None => (
                ctx.var(FULL_URI_VAR),
                format!("environment variable {FULL_URI_VAR}"),
            ),
        };
        let raw = raw.ok_or_else(|| {
            Error::invalid_config(&origin, format!("no pod identity URI: set {FULL_URI_VAR}"))
        })?;
        // The credentials-URI rule: https, or http to loopback and link-local hosts (H12).
        let url = credentials_uri::checked(&raw, &origin, false)?;
        let token_file = match self.token_file {
            Some(f) => f,
            None => ctx
                .var(AUTHORIZATION_TOKEN_FILE_VAR)
                .map(|f| ctx.expand_path(&f))
                .ok_or_else(|| {
                    Error::invalid_config(
                        &origin,
                        format!(
                            "pod identity needs {AUTHORIZATION_TOKEN_FILE_VAR}, which is not set"
                        ),
                    )
                })?,
        };
        let source = PodIdentitySource {
            ctx: ctx.clone(),
            url,
            token_file,
            options: self.options,
            kind: self.kind,
            scope_id: self.scope_id,
            name: self.name.unwrap_or_else(|| ProviderName::new(NAME)),
            origin,
        };
        Ok(Refreshing::with_config(
            source,
            ctx.clock().clone(),
            self.refresh,
        ))
    }
}

source_builder_setters!(PodIdentityBuilder, "pod_identity", request_options);
scoped_builder_setters!(PodIdentityBuilder);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::MapEnv;
    use crate::provider::ProvideCredentials;

    fn run(vars: &[(&str, &str)]) -> Result<Resolution> {
        let ctx = Context::from_env(vars.iter().copied().collect::<MapEnv>());
        futures::executor::block_on(
            PodIdentityProvider::from_env(&ctx, CredentialType::Basic, NAME.into()).resolve(),
        )
    }

    #[test]
    fn env_and_scheme_rules() {
        assert!(matches!(run(&[]), Ok(Resolution::NotConfigured(_))));
        let e = run(&[(FULL_URI_VAR, "http://127.0.0.1:9/c")])
            .unwrap_err()
            .to_string();
        assert!(e.contains(AUTHORIZATION_TOKEN_FILE_VAR), "{e}");
        let e = run(&[
            (FULL_URI_VAR, "http://pods.example.com/c"),
            (AUTHORIZATION_TOKEN_FILE_VAR, "/t"),
        ])
        .unwrap_err()
        .to_string();
        assert!(e.contains(FULL_URI_VAR) && e.contains("https"), "{e}");
        let ctx = Context::from_env(MapEnv::from([(AUTHORIZATION_TOKEN_FILE_VAR, "/t")]));
        for ok in [
            "https://pods.example.com/c",
            "http://169.254.170.2/c",
            "http://[::1]:8080/c",
        ] {
            assert!(
                PodIdentityProvider::builder(&ctx).uri(ok).build().is_ok(),
                "{ok}"
            );
        }
    }
}
