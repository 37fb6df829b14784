//! ECS `securitykey` metadata (spec 7.2, H1–H3, H14), provider `metadata`.
//!
//! - Token: `PUT /meta-data/latest/api/token` with `X-Metadata-Token-Ttl-Seconds: 21600` (the
//!   documented names, H1). A 200 with a body is the token, reused until 5 minutes before its
//!   TTL; 404, 405, 503 or an empty 2xx mean "no token" (v1), and no new PUT is tried for 24
//!   hours; a connection that cannot be made means the endpoint is unreachable ("not
//!   configured" in a chain, memoised process-wide like the Alibaba metadata provider); any
//!   other status is an error.
//! - Credentials: `GET /openstack/latest/securitykey`, with `X-Metadata-Token` when a token is
//!   held. A 401 whose body says "Please configure Cloud Service Agency first" means no agency
//!   is attached ("not configured" in a chain, an error otherwise); another 401 with a token
//!   drops it, asks for a new one and retries once; any other status ≥ 400 is an error with the
//!   parsed `error_code` / `error_msg`.
//! - Response `credential.{access, secret, securitytoken, expires_at}` ([`super::response`]).
//!
//! Base URL: builder, else `HUAWEICLOUD_SDK_METADATA_ENDPOINT` (a cloudcred extension for
//! offline tests), else `http://169.254.169.254`. Never proxied, no HTTP-level retries (the refresh
//! engine's refresh-ahead and backoff, with stale-but-valid credentials served on failure,
//! handle outages). `HUAWEICLOUD_SDK_METADATA_DISABLED=true` removes it from the chain and makes
//! an explicitly built one fail.

use super::response;
use crate::context::Context;
use crate::engine::{RefreshConfig, Refreshing, Source};
use crate::error::{Error, ErrorKind, Result};
use crate::http::endpoint::{describe, metadata_endpoint};
use crate::http::metadata::{exchange, is_unreachable, mark_unreachable, TokenHeaders, TokenState};
use crate::http::{RequestOptions, Response, Scrubber, TransportError, TransportErrorKind};
use crate::model::{ProviderName, SecretString};
use crate::provider::{Inspection, Resolution};
use arc_swap::ArcSwap;
use futures_util::future::BoxFuture;
use std::sync::Arc;
use std::time::Duration;
use url::Url;

/// The metadata base URL (cloudcred extension, H14).
pub const METADATA_ENDPOINT_VAR: &str = "HUAWEICLOUD_SDK_METADATA_ENDPOINT";
/// `true` disables the metadata provider (cloudcred extension, H14).
pub const METADATA_DISABLED_VAR: &str = "HUAWEICLOUD_SDK_METADATA_DISABLED";
/// The metadata service of every Huawei Cloud ECS instance.
pub const DEFAULT_ENDPOINT: &str = "http://169.254.169.254";
/// TTL requested for metadata tokens.
pub const TOKEN_TTL: Duration = Duration::from_secs(21600);
const TOKEN_MARGIN: Duration = Duration::from_secs(300);
/// After a "no token" answer, no new PUT for this long (core).
const NO_TOKEN_PAUSE: Duration = Duration::from_secs(24 * 3600);
const TOKEN_PATH: &str = "/meta-data/latest/api/token";
const SECURITYKEY_PATH: &str = "/openstack/latest/securitykey";
const HEADERS: TokenHeaders = TokenHeaders {
    ttl: "X-Metadata-Token-Ttl-Seconds",
    token: "X-Metadata-Token",
};
const AGENCY_MESSAGE: &str = "Please configure Cloud Service Agency first";
const NAME: &str = "metadata";

/// Why a fetch stopped before credentials.
enum Stop {
    /// Nothing accepted the connection.
    Unreachable(TransportError),
    Error(Error),
}

impl From<Error> for Stop {
    fn from(e: Error) -> Self {
        Stop::Error(e)
    }
}

/// The metadata source; use it through [`MetadataProvider`].
pub struct MetadataSource {
    ctx: Context,
    base: Url,
    in_chain: bool,
    options: RequestOptions,
    name: ProviderName,
    // Lock-free: read and replaced whole, never held across an await.
    token: ArcSwap<TokenState>,
}

impl std::fmt::Debug for MetadataSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MetadataSource")
            .field("endpoint", &describe(&self.base))
            .field("in_chain", &self.in_chain)
            .finish_non_exhaustive()
    }
}

/// The `securitykey` metadata behind the refresh engine.
pub type MetadataProvider = Refreshing<MetadataSource>;

impl MetadataProvider {
    /// A builder; the endpoint defaults to `HUAWEICLOUD_SDK_METADATA_ENDPOINT`, else `http://169.254.169.254`.
    pub fn builder(ctx: &Context) -> MetadataBuilder {
        MetadataBuilder {
            ctx: ctx.clone(),
            endpoint: None,
            in_chain: false,
            options: RequestOptions::metadata()
                .with_timeouts(Duration::from_secs(1), Duration::from_secs(3)),
            refresh: super::refresh_config(),
            name: None,
        }
    }
}

impl MetadataSource {
    fn url(&self, path: &str) -> Url {
        super::temporary_keys::join(&self.base, path)
    }

    fn set_token(&self, state: TokenState) {
        self.token.store(Arc::new(state));
    }

    async fn send(
        &self,
        method: http::Method,
        url: &Url,
        token: Option<&SecretString>,
    ) -> std::result::Result<Response, TransportError> {
        exchange(
            &self.ctx,
            &self.base,
            HEADERS,
            method,
            url,
            token,
            TOKEN_TTL,
            &self.options,
        )
        .await
    }

    fn transport(&self, url: &Url, e: &TransportError) -> Error {
        ErrorKind::Transport {
            provider: NAME.to_owned(),
            endpoint: describe(url),
            message: e.message.clone(),
        }
        .into()
    }

    /// The held token (`None`: v1), or a new one (H2).
    async fn token(&self, force: bool) -> std::result::Result<Option<SecretString>, Stop> {
        let now = self.ctx.clock().deadline_now();
        if !force {
            match &**self.token.load() {
                TokenState::Token { value, until } if now < *until => {
                    return Ok(Some(value.clone()))
                }
                TokenState::Absent { until } if now < *until => return Ok(None),
                _ => {}
            }
        }
        let url = self.url(TOKEN_PATH);
        let response = match self.send(http::Method::PUT, &url, None).await {
            Err(e)
                if matches!(
                    e.kind,
                    TransportErrorKind::Connect | TransportErrorKind::ConnectTimeout
                ) =>
            {
                self.set_token(TokenState::Unknown);
                return Err(Stop::Unreachable(e));
            }
            Err(e) => return Err(Stop::Error(self.transport(&url, &e))),
            Ok(r) => r,
        };
        let body = std::str::from_utf8(&response.body).unwrap_or("").trim();
        if response.status == 200 && !body.is_empty() {
            let value = SecretString::new(body);
            self.set_token(TokenState::Token {
                value: value.clone(),
                until: now.saturating_add(TOKEN_TTL - TOKEN_MARGIN),
            });
            return Ok(Some(value));
        }
        if matches!(response.status, 404 | 405 | 503) || response.is_success() {
            tracing::debug!(endpoint = %describe(&url), status = response.status, "no metadata token; continuing without one (v1)");
            self.set_token(TokenState::Absent {
                until: now.saturating_add(NO_TOKEN_PAUSE),
            });
            return Ok(None);
        }
        // The token request carries no secret yet.
        Err(Stop::Error(response::upstream_error(
            &response,
            &Scrubber::new(),
            NAME,
            &describe(&url),
        )))
    }

    fn no_agency(&self) -> Result<Resolution> {
        let reason = format!(
            "no agency is attached to this instance (metadata service at {})",
            describe(&self.base)
        );
        if self.in_chain {
            Ok(Resolution::NotConfigured(reason))
        } else {
            Err(Error::invalid_config(
                NAME,
                format!("{reason}: attach a cloud service agency to the ECS instance"),
            ))
        }
    }

    async fn fetch_inner(&self) -> std::result::Result<Resolution, Stop> {
        let mut token = self.token(false).await?;
        let url = self.url(SECURITYKEY_PATH);
        let mut retried = false;
        let response = loop {
            let response = self
                .send(http::Method::GET, &url, token.as_ref())
                .await
                .map_err(|e| Stop::Error(self.transport(&url, &e)))?;
            if response.status == 401 {
                if String::from_utf8_lossy(&response.body).contains(AGENCY_MESSAGE) {
                    return Ok(self.no_agency()?);
                }
                if token.is_some() && !retried {
                    retried = true;
                    self.set_token(TokenState::Unknown);
                    token = self.token(true).await?;
                    continue;
                }
            }
            break response;
        };
        if !response.is_success() {
            // The metadata token is all the request carried.
            let scrubber = token
                .as_ref()
                .map_or_else(Scrubber::new, |t| Scrubber::new().with_secret(t.expose()));
            return Err(Stop::Error(response::upstream_error(
                &response,
                &scrubber,
                NAME,
                &describe(&url),
            )));
        }
        let creds = response::parse_credentials(
            &self.ctx,
            &response.body,
            NAME,
            &describe(&url),
            self.name.clone(),
        )?;
        Ok(Resolution::Credentials(Arc::new(creds)))
    }
}

impl Source for MetadataSource {
    fn fetch(&self) -> BoxFuture<'_, Result<Resolution>> {
        Box::pin(async move {
            if self.in_chain && is_unreachable(&self.base) {
                return Ok(Resolution::NotConfigured(format!(
                    "the metadata service at {} was unreachable earlier in this process (not a Huawei Cloud ECS instance?)",
                    describe(&self.base)
                )));
            }
            match self.fetch_inner().await {
                Ok(r) => Ok(r),
                Err(Stop::Error(e)) => Err(e),
                Err(Stop::Unreachable(e)) => {
                    mark_unreachable(&self.base);
                    if self.in_chain {
                        Ok(Resolution::NotConfigured(format!(
                            "the metadata service at {} is unreachable ({}): not a Huawei Cloud ECS instance",
                            describe(&self.base),
                            e.message
                        )))
                    } else {
                        Err(self.transport(&self.url(TOKEN_PATH), &e))
                    }
                }
            }
        })
    }

    fn name(&self) -> &str {
        self.name.as_str()
    }

    fn inspect(&self) -> Inspection {
        Inspection {
            reads: vec![
                format!("instance metadata at {}", describe(&self.base)),
                self.ctx.describe_var(METADATA_ENDPOINT_VAR),
                self.ctx.describe_var(METADATA_DISABLED_VAR),
            ],
            warnings: Vec::new(),
        }
    }
}

/// Builds a [`MetadataProvider`]. Builder values win over the environment.
#[derive(Debug)]
pub struct MetadataBuilder {
    ctx: Context,
    endpoint: Option<String>,
    in_chain: bool,
    options: RequestOptions,
    refresh: RefreshConfig,
    name: Option<ProviderName>,
}

impl MetadataBuilder {
    /// The metadata base URL (wins over `HUAWEICLOUD_SDK_METADATA_ENDPOINT`).
    pub fn endpoint(mut self, url: impl Into<String>) -> Self {
        self.endpoint = Some(url.into());
        self
    }

    /// Chain semantics: unreachable or no agency → "not configured"; the disable switch is left
    /// to the chain.
    pub fn in_chain(mut self) -> Self {
        self.in_chain = true;
        self
    }

    /// Connect and read timeouts (default 1 s and 3 s).
    pub fn timeouts(mut self, connect: Duration, read: Duration) -> Self {
        self.options = self.options.with_timeouts(connect, read);
        self
    }

    /// Reads the environment and validates the endpoint; no I/O.
    pub fn build(self) -> Result<MetadataProvider> {
        let ctx = self.ctx;
        if !self.in_chain && ctx.flag(METADATA_DISABLED_VAR)? {
            return Err(Error::invalid_config(
                NAME,
                format!("the Huawei metadata provider is disabled by the environment variable {METADATA_DISABLED_VAR}"),
            ));
        }
        let base = match self.endpoint {
            Some(e) => metadata_endpoint(&e, "the metadata endpoint option")?,
            None => match ctx.var(METADATA_ENDPOINT_VAR) {
                Some(e) => {
                    metadata_endpoint(&e, &format!("environment variable {METADATA_ENDPOINT_VAR}"))?
                }
                None => metadata_endpoint(DEFAULT_ENDPOINT, "the default metadata endpoint")?,
            },
        };
        let mut options = self.options;
        options.direct = true;
        options.retries = 0;
        let source = MetadataSource {
            ctx: ctx.clone(),
            base,
            in_chain: self.in_chain,
            options,
            name: self.name.unwrap_or_else(|| ProviderName::new(NAME)),
            token: ArcSwap::from_pointee(TokenState::Unknown),
        };
        Ok(Refreshing::with_config(
            source,
            ctx.clock().clone(),
            self.refresh,
        ))
    }
}

source_builder_setters!(MetadataBuilder, "metadata");
