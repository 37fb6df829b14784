//! Credentials URI (spec 6.6, D3, D14, D25): `GET <uri>` answered with the flat credentials
//! document, provider `credential_uri`.
//!
//! The URI is the builder's, else `ALIBABA_CLOUD_CREDENTIALS_URI`. It must be `https`, or plain
//! `http` to a loopback or link-local host (sidecar agents such as `cloudcred serve`); anything
//! else is refused before any request, naming the variable or profile, unless the builder
//! explicitly allows plain HTTP. A URI may carry a token in its query, so errors and `doctor`
//! show only scheme, host, port and path.

use super::credential_document::{self, CodeRule};
use crate::context::Context;
use crate::engine::{RefreshConfig, Refreshing, Source};
use crate::error::{Error, ErrorKind, Result};
use crate::http::endpoint::{checked_url, describe, HttpAllowed};
use crate::http::{send_scrubbed, RequestOptions};
use crate::model::ProviderName;
use crate::provider::{Inspection, Resolution};
use futures_util::future::BoxFuture;
use serde_json::Value;
use std::sync::Arc;
use url::Url;

pub use super::env::CREDENTIALS_URI_VAR;
const NAME: &str = "credential_uri";

/// The credentials-URI source; use it through [`CredentialsUriProvider`].
#[derive(Debug)]
pub struct CredentialsUriSource {
    ctx: Context,
    /// `None`: nothing configured (only in the default chain).
    url: Option<Url>,
    options: RequestOptions,
    name: ProviderName,
    origin: String,
}

/// The credentials URI behind the refresh engine.
pub type CredentialsUriProvider = Refreshing<CredentialsUriSource>;

impl CredentialsUriProvider {
    /// A builder; without [`uri`](CredentialsUriBuilder::uri) the URI is `ALIBABA_CLOUD_CREDENTIALS_URI`.
    pub fn builder(ctx: &Context) -> CredentialsUriBuilder {
        CredentialsUriBuilder {
            ctx: ctx.clone(),
            uri: None,
            origin: None,
            allow_http: false,
            in_chain: false,
            options: RequestOptions::credential_service(),
            refresh: RefreshConfig::default(),
            name: None,
        }
    }
}

impl CredentialsUriSource {
    fn transport(&self, endpoint: &str, message: String) -> Error {
        ErrorKind::Transport {
            provider: format!("{NAME} ({})", self.origin),
            endpoint: endpoint.to_owned(),
            message,
        }
        .into()
    }
}

impl Source for CredentialsUriSource {
    fn fetch(&self) -> BoxFuture<'_, Result<Resolution>> {
        Box::pin(async move {
            let Some(url) = &self.url else {
                return Ok(Resolution::NotConfigured(format!(
                    "{CREDENTIALS_URI_VAR} is not set"
                )));
            };
            let endpoint = describe(url);
            let origin = format!("{NAME} ({})", self.origin);
            let request = http::Request::builder()
                .method(http::Method::GET)
                .uri(url.as_str())
                .header(http::header::ACCEPT, "application/json")
                .body(Vec::new())
                .map_err(|_| {
                    Error::invalid_config(&self.origin, "the URI does not form a valid request")
                })?;
            let (response, scrubber) = send_scrubbed(self.ctx.http(), request, &self.options)
                .await
                .map_err(|e| self.transport(&endpoint, e.message))?;
            if !response.is_success() {
                let json: Option<Value> = serde_json::from_slice(&response.body).ok();
                let text = |k: &str| json.as_ref().and_then(|j| j.get(k)).and_then(Value::as_str);
                return Err(scrubber.upstream(
                    origin,
                    endpoint,
                    response.status,
                    text("Code"),
                    text("Message"),
                    text("RequestId"),
                ));
            }
            let creds = credential_document::parse(
                &self.ctx,
                &response,
                &scrubber,
                CodeRule::IfPresent,
                &origin,
                &endpoint,
                self.name.clone(),
            )?;
            Ok(Resolution::Credentials(Arc::new(creds)))
        })
    }

    fn name(&self) -> &str {
        self.name.as_str()
    }

    fn inspect(&self) -> Inspection {
        let reads = match &self.url {
            Some(url) => vec![format!("GET {} (from {})", describe(url), self.origin)],
            None => vec![self.ctx.describe_var(CREDENTIALS_URI_VAR)],
        };
        Inspection {
            reads,
            warnings: Vec::new(),
        }
    }
}

/// Builds a [`CredentialsUriProvider`]. Builder values win over the environment.
#[derive(Debug)]
pub struct CredentialsUriBuilder {
    ctx: Context,
    uri: Option<String>,
    origin: Option<String>,
    allow_http: bool,
    in_chain: bool,
    options: RequestOptions,
    refresh: RefreshConfig,
    name: Option<ProviderName>,
}

impl CredentialsUriBuilder {
    /// The URI (wins over `ALIBABA_CLOUD_CREDENTIALS_URI`).
    pub fn uri(mut self, uri: impl Into<String>) -> Self {
        self.uri = Some(uri.into());
        self
    }

    /// Where the URI came from (a profile), for errors.
    pub fn origin(mut self, origin: impl Into<String>) -> Self {
        self.origin = Some(origin.into());
        self
    }

    /// Accepts plain `http` to any host (spec 6.6: only on explicit request).
    pub fn allow_insecure_http(mut self, allow: bool) -> Self {
        self.allow_http = allow;
        self
    }

    /// Default-chain semantics: no URI anywhere is "not configured" instead of an error.
    pub fn in_chain(mut self) -> Self {
        self.in_chain = true;
        self
    }

    /// Validates the URI before any request.
    pub fn build(self) -> Result<CredentialsUriProvider> {
        let ctx = self.ctx;
        let (raw, origin) = match (self.uri, self.origin) {
            (Some(u), origin) => (
                Some(u),
                origin.unwrap_or_else(|| "the uri option".to_owned()),
            ),
            (None, origin) => (
                ctx.var(CREDENTIALS_URI_VAR),
                origin.unwrap_or_else(|| format!("environment variable {CREDENTIALS_URI_VAR}")),
            ),
        };
        let url = match raw {
            Some(raw) => Some(checked(&raw, &origin, self.allow_http)?),
            None if self.in_chain => None,
            None => {
                return Err(Error::invalid_config(
                    &origin,
                    format!("no credentials URI: set {CREDENTIALS_URI_VAR} or pass one"),
                ))
            }
        };
        let source = CredentialsUriSource {
            ctx: ctx.clone(),
            url,
            options: self.options,
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

/// The scheme rule of spec 6.6 (plain HTTP beyond loopback/link-local only when allowed).
pub(crate) fn checked(raw: &str, origin: &str, allow_http: bool) -> Result<Url> {
    let url = match checked_url(raw, origin, HttpAllowed::LoopbackOrLinkLocal) {
        Err(e) if allow_http && raw.trim().starts_with("http://") => {
            Url::parse(raw.trim()).map_err(|_| e)?
        }
        other => other?,
    };
    if url.fragment().is_some() {
        return Err(Error::invalid_config(
            origin,
            "the credentials URI must not have a fragment",
        ));
    }
    Ok(url)
}

source_builder_setters!(CredentialsUriBuilder, "credential_uri", request_options);
