//! ECS RAM role: credentials of the role attached to an ECS instance, from the instance
//! metadata service (spec 6.5, D21–D24, 10.3), provider `ecs_ram_role`.
//!
//! # Requests
//!
//! First use: `PUT /latest/api/token` (TTL 21600 s), `GET …/security-credentials/` when no role
//! name is configured, `GET …/security-credentials/<role>`. The token is kept until 5 minutes
//! before its TTL (measured from the PUT's start) and the discovered role name for the
//! provider's lifetime, so a steady-state refresh is **one** request (the SDKs make up to four).
//! A `401`/`403` drops the token, fetches a new one and retries that GET once (D21); a `404` for
//! a discovered role rediscovers once, since the attached role may have changed (D22).
//!
//! The v1 fallback follows D23: a token PUT that cannot connect means the endpoint is
//! unreachable and nothing more is sent; any other failure (status, empty body, read timeout)
//! continues without a token unless `ALIBABA_CLOUD_IMDSV1_DISABLED` forbids it; a GET with a
//! token that still fails is retried once without it, under the same condition.
//!
//! Metadata requests never use a proxy and are never retried by the HTTP layer; the refresh
//! engine (maximum age 60 minutes, py/java parity) handles longer outages. The metadata `Date`
//! header feeds the clock-skew estimate.
//!
//! # Failing fast off ECS (D24)
//!
//! In the default chain with no role name configured, the provider is a guess that the process
//! runs on ECS. Off ECS the metadata address usually black-holes packets, so a naive attempt
//! waits out the connect timeout on every walk of the chain (the SDKs pay about 2 s each time).
//! cloudcred bounds that cost twice:
//!
//! - the first contact (the token PUT) of such a guess uses a short *probe* connect timeout
//!   (default 500 ms; the metadata service sits on the hypervisor's link and accepts within
//!   microseconds, so a healthy instance never comes near it);
//! - a connect-level failure (refused, unreachable, connect timeout), or during the guess a host
//!   that accepts but does not answer the token PUT within the read timeout (a metadata service
//!   answers it at once, with a token or a refusal), is memoised process-wide, keyed by the
//!   endpoint URL, and later guesses at that endpoint answer "not configured" without any I/O,
//!   so the timeout is paid at most once per process.
//!
//! The memo is only *read* by that guess. A provider with a configured role name (builder,
//! profile, `ALIBABA_CLOUD_ECS_METADATA`) or built explicitly always tries and reports an
//! unreachable endpoint as an error, and any answer from the endpoint clears the memo; so an
//! instance whose metadata service was briefly down at start-up recovers through any
//! configured use, and [`EcsRamRoleSource::forget_unreachable_endpoints`] clears it outright.
//!
//! This file is the provider; the metadata token's life and the GET retries around it (D21,
//! D23) are in `ecs_ram_role/imds.rs`.

use super::credential_document::{self, CodeRule};
use super::default_chain::ECS_METADATA_DISABLED_VAR;
use crate::context::Context;
use crate::engine::{RefreshConfig, Refreshing, Source};
use crate::error::{Error, ErrorKind, Result};
use crate::http::endpoint::{describe, metadata_endpoint};
use crate::http::{RequestOptions, Scrubber, TransportError, TransportErrorKind};
use crate::model::{ProviderName, SecretString};
use crate::provider::{Inspection, Resolution};
use arc_swap::{ArcSwap, ArcSwapOption};
use futures_util::future::BoxFuture;
use std::sync::Arc;
use std::time::Duration;
use url::Url;

mod imds;

use imds::{Got, TokenFailure, TOKEN_PATH};

use crate::http::metadata::{
    exchange, forget_unreachable, is_unreachable, mark_unreachable, TokenHeaders, TokenState,
};

/// The role name (skips discovery).
pub const ECS_ROLE_VAR: &str = "ALIBABA_CLOUD_ECS_METADATA";
/// The metadata base URL (cloudcred extension, spec 4.2).
pub const ECS_ENDPOINT_VAR: &str = "ALIBABA_CLOUD_ECS_METADATA_ENDPOINT";
/// `true` forbids requests without a metadata token.
pub const IMDSV1_DISABLED_VAR: &str = "ALIBABA_CLOUD_IMDSV1_DISABLED";
/// The metadata service of every ECS instance.
pub const DEFAULT_ENDPOINT: &str = "http://100.100.100.200";
/// TTL requested for metadata tokens (the service's maximum; every new SDK uses it).
pub const TOKEN_TTL: Duration = Duration::from_secs(21600);
/// Connect timeout of the first contact of a default-chain guess (see the module doc).
pub const DEFAULT_PROBE_CONNECT_TIMEOUT: Duration = Duration::from_millis(500);
/// Maximum age of cached credentials (py/java prefetch 60 minutes after each fetch).
pub const MAX_AGE: Duration = Duration::from_secs(3600);

const NAME: &str = "ecs_ram_role";
const ROLES_PATH: &str = "/latest/meta-data/ram/security-credentials/";
const HEADERS: TokenHeaders = TokenHeaders {
    ttl: "x-aliyun-ecs-metadata-token-ttl-seconds",
    token: "x-aliyun-ecs-metadata-token",
};

/// The metadata source; use it through [`EcsRamRoleProvider`].
pub struct EcsRamRoleSource {
    ctx: Context,
    base: Url,
    /// Configured role name and where it came from.
    role: Option<(String, String)>,
    v1_disabled: bool,
    v1_origin: String,
    in_chain: bool,
    options: RequestOptions,
    probe_connect_timeout: Duration,
    name: ProviderName,
    origin: String,
    // Lock-free: read and replaced whole, never held across an await.
    token: ArcSwap<TokenState>,
    discovered: ArcSwapOption<String>,
}

impl std::fmt::Debug for EcsRamRoleSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The token is a credential of the instance: never printed.
        f.debug_struct("EcsRamRoleSource")
            .field("endpoint", &describe(&self.base))
            .field("role", &self.role.as_ref().map(|(r, _)| r))
            .field("v1_disabled", &self.v1_disabled)
            .field("in_chain", &self.in_chain)
            .finish_non_exhaustive()
    }
}

/// The ECS RAM role behind the refresh engine.
pub type EcsRamRoleProvider = Refreshing<EcsRamRoleSource>;

impl EcsRamRoleProvider {
    /// A builder; the endpoint, role name and IMDSv1 switch default to `ALIBABA_CLOUD_ECS_METADATA_ENDPOINT`, `ALIBABA_CLOUD_ECS_METADATA` and `ALIBABA_CLOUD_IMDSV1_DISABLED`.
    pub fn builder(ctx: &Context) -> EcsRamRoleBuilder {
        EcsRamRoleBuilder {
            ctx: ctx.clone(),
            endpoint: None,
            role_name: None,
            v1_disabled: None,
            in_chain: false,
            options: RequestOptions::metadata(),
            probe_connect_timeout: DEFAULT_PROBE_CONNECT_TIMEOUT,
            refresh: RefreshConfig::default().max_age(Some(MAX_AGE)),
            name: None,
            origin: None,
        }
    }
}

impl EcsRamRoleSource {
    /// Forgets every endpoint remembered as unreachable (D24), e.g. after the network came up.
    pub fn forget_unreachable_endpoints() {
        forget_unreachable();
    }

    /// Whether `endpoint` (a metadata base URL as configured) is remembered as unreachable.
    pub fn is_remembered_unreachable(endpoint: &str) -> bool {
        metadata_endpoint(endpoint, "endpoint").is_ok_and(|u| is_unreachable(&u))
    }

    fn url(&self, path: &str, role: Option<&str>) -> Url {
        let mut url = self.base.clone();
        url.set_path(&format!("{}{path}", self.base.path().trim_end_matches('/')));
        if let Some(role) = role {
            if let Ok(mut segments) = url.path_segments_mut() {
                segments.pop_if_empty().push(role);
            }
        }
        url
    }

    fn who(&self, role: Option<&str>) -> String {
        let mut s = match role {
            // A discovered role name is the metadata service's text, like a message.
            Some(r) => format!("{NAME} (role {}", Scrubber::new().scrub(r)),
            None => format!("{NAME} ({}", "role discovery"),
        };
        if self.origin != NAME {
            s.push_str(&format!(", from {}", self.origin));
        }
        s.push(')');
        s
    }

    fn transport(&self, role: Option<&str>, url: &Url, e: &TransportError) -> Error {
        let hint = match e.kind {
            TransportErrorKind::Connect | TransportErrorKind::ConnectTimeout => {
                "; the metadata service is unreachable: is this an ECS instance? (set ALIBABA_CLOUD_ECS_METADATA_ENDPOINT for a test server)"
            }
            _ => "",
        };
        ErrorKind::Transport {
            provider: self.who(role),
            endpoint: describe(url),
            message: format!("{}{hint}", e.message),
        }
        .into()
    }

    fn upstream(
        &self,
        role: Option<&str>,
        url: &Url,
        status: u16,
        message: Option<String>,
    ) -> Error {
        ErrorKind::Upstream {
            provider: self.who(role),
            endpoint: describe(url),
            status,
            code: None,
            message,
            request_id: None,
        }
        .into()
    }

    /// One attempt, direct, reporting the service's `Date`. Any answer proves the endpoint
    /// reachable and clears the D24 memo.
    async fn send(
        &self,
        method: http::Method,
        url: &Url,
        token: Option<&SecretString>,
        options: &RequestOptions,
    ) -> Got {
        exchange(
            &self.ctx, &self.base, HEADERS, method, url, token, TOKEN_TTL, options,
        )
        .await
    }

    /// Role discovery: `Ok(None)` when no role is attached (404 or an empty answer).
    async fn discover(&self, token: &mut Option<SecretString>) -> Result<Option<String>> {
        let url = self.url(ROLES_PATH, None);
        let got = match self.get(&url, token).await {
            Ok(got) => got,
            Err(TokenFailure::Error(e)) => return Err(e),
            Err(TokenFailure::Unreachable(e)) => return Err(self.transport(None, &url, &e)),
        };
        let response = got.map_err(|e| self.transport(None, &url, &e))?;
        if response.status == 404 {
            return Ok(None);
        }
        if !response.is_success() {
            return Err(self.upstream(None, &url, response.status, None));
        }
        let role = String::from_utf8_lossy(&response.body)
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty())
            .map(str::to_owned);
        self.discovered.store(role.clone().map(Arc::new));
        Ok(role)
    }

    fn no_role(&self) -> Result<Resolution> {
        let reason = format!(
            "no RAM role is attached to this instance (metadata service at {})",
            describe(&self.base)
        );
        if self.in_chain {
            Ok(Resolution::NotConfigured(reason))
        } else {
            Err(Error::invalid_config(
                self.who(None),
                format!(
                    "{reason}: attach a role to the instance or set the role name ({ECS_ROLE_VAR})"
                ),
            ))
        }
    }
}

impl Source for EcsRamRoleSource {
    fn fetch(&self) -> BoxFuture<'_, Result<Resolution>> {
        Box::pin(async move {
            let configured = self.role.as_ref().map(|(r, _)| r.clone());
            // Only a default-chain guess may turn an unreachable endpoint into "not configured".
            let guess = self.in_chain && configured.is_none();
            if guess && is_unreachable(&self.base) {
                return Ok(Resolution::NotConfigured(format!(
                    "the metadata service at {} was unreachable earlier in this process (not an ECS instance?)",
                    describe(&self.base)
                )));
            }
            let first_contact = matches!(**self.token.load(), TokenState::Unknown);
            let mut token = match self.token(guess && first_contact).await {
                Ok(t) => t,
                Err(TokenFailure::Error(e)) => return Err(e),
                Err(TokenFailure::Unreachable(e)) => {
                    mark_unreachable(&self.base);
                    if guess {
                        return Ok(Resolution::NotConfigured(format!(
                            "the metadata service at {} is unreachable ({}): not an ECS instance",
                            describe(&self.base),
                            e.message
                        )));
                    }
                    return Err(self.transport(
                        configured.as_deref(),
                        &self.url(TOKEN_PATH, None),
                        &e,
                    ));
                }
            };
            let cached_role = self.discovered.load_full().map(|r| (*r).clone());
            let (mut role, discovered) = match (configured, cached_role) {
                (Some(r), _) => (r, false),
                (None, Some(r)) => (r, true),
                (None, None) => match self.discover(&mut token).await? {
                    Some(r) => (r, true),
                    None => return self.no_role(),
                },
            };
            let mut rediscovered = false;
            let response = loop {
                let url = self.url(ROLES_PATH, Some(&role));
                let got = match self.get(&url, &mut token).await {
                    Ok(got) => got,
                    Err(TokenFailure::Error(e)) => return Err(e),
                    Err(TokenFailure::Unreachable(e)) => {
                        return Err(self.transport(Some(&role), &url, &e))
                    }
                };
                let response = got.map_err(|e| self.transport(Some(&role), &url, &e))?;
                if response.status == 404 && discovered && !rediscovered {
                    // D22: the attached role may have changed since it was discovered.
                    rediscovered = true;
                    match self.discover(&mut token).await? {
                        Some(r) => {
                            role = r;
                            continue;
                        }
                        None => {
                            return Err(self.upstream(
                                Some(&role),
                                &url,
                                404,
                                Some("the instance no longer has a RAM role attached".to_owned()),
                            ))
                        }
                    }
                }
                if !response.is_success() {
                    let hint = (response.status == 404).then(|| {
                        format!(
                            "the role {} is not attached to this instance; check the role name",
                            Scrubber::new().scrub(&role)
                        )
                    });
                    return Err(self.upstream(Some(&role), &url, response.status, hint));
                }
                break (response, url);
            };
            let (response, url) = response;
            let creds = credential_document::parse(
                &self.ctx,
                &response,
                // The metadata token is all the request carried.
                &token
                    .as_ref()
                    .map_or_else(Scrubber::new, |t| Scrubber::new().with_secret(t.expose())),
                CodeRule::Required,
                &self.who(Some(&role)),
                &describe(&url),
                self.name.clone(),
            )?;
            Ok(Resolution::Credentials(Arc::new(creds)))
        })
    }

    fn name(&self) -> &str {
        self.name.as_str()
    }

    fn inspect(&self) -> Inspection {
        let role = match &self.role {
            Some((r, from)) => format!("role {r} (from {from})"),
            None => "role discovery".to_owned(),
        };
        let mut reads = vec![format!(
            "instance metadata at {} ({role})",
            describe(&self.base)
        )];
        for var in [
            ECS_ROLE_VAR,
            ECS_ENDPOINT_VAR,
            IMDSV1_DISABLED_VAR,
            ECS_METADATA_DISABLED_VAR,
        ] {
            reads.push(self.ctx.describe_var(var));
        }
        let mut warnings = Vec::new();
        if self.in_chain && self.role.is_none() && is_unreachable(&self.base) {
            warnings.push(format!(
                "{} was unreachable earlier in this process; it is not asked again",
                describe(&self.base)
            ));
        }
        Inspection { reads, warnings }
    }
}

/// Builds an [`EcsRamRoleProvider`]. Builder values win over the environment.
#[derive(Debug)]
pub struct EcsRamRoleBuilder {
    ctx: Context,
    endpoint: Option<String>,
    role_name: Option<String>,
    v1_disabled: Option<bool>,
    in_chain: bool,
    options: RequestOptions,
    probe_connect_timeout: Duration,
    refresh: RefreshConfig,
    name: Option<ProviderName>,
    origin: Option<String>,
}

impl EcsRamRoleBuilder {
    /// The metadata base URL (wins over `ALIBABA_CLOUD_ECS_METADATA_ENDPOINT`).
    pub fn endpoint(mut self, url: impl Into<String>) -> Self {
        self.endpoint = Some(url.into());
        self
    }

    /// The role name (wins over `ALIBABA_CLOUD_ECS_METADATA`; skips discovery).
    pub fn role_name(mut self, role: impl Into<String>) -> Self {
        self.role_name = Some(role.into());
        self
    }

    /// Forbids (or allows) requests without a metadata token, over `ALIBABA_CLOUD_IMDSV1_DISABLED`.
    pub fn disable_imds_v1(mut self, disabled: bool) -> Self {
        self.v1_disabled = Some(disabled);
        self
    }

    /// Connect and read timeouts of each metadata request (default 1 s and 1 s).
    pub fn timeouts(mut self, connect: Duration, read: Duration) -> Self {
        self.options = self.options.with_timeouts(connect, read);
        self
    }

    /// Connect timeout of a default-chain guess's first contact (default 500 ms; module doc).
    pub fn probe_connect_timeout(mut self, timeout: Duration) -> Self {
        self.probe_connect_timeout = timeout;
        self
    }

    /// Default-chain semantics (spec 5.2, D8, D24): an unreachable endpoint or no attached role
    /// is "not configured" when no role name is configured, and
    /// `ALIBABA_CLOUD_ECS_METADATA_DISABLED` is left to the chain.
    pub fn in_chain(mut self) -> Self {
        self.in_chain = true;
        self
    }

    /// Where the settings came from (a profile), for errors.
    pub fn origin(mut self, origin: impl Into<String>) -> Self {
        self.origin = Some(origin.into());
        self
    }

    /// Reads the environment and validates the endpoint; no I/O.
    pub fn build(self) -> Result<EcsRamRoleProvider> {
        let ctx = self.ctx;
        let origin = self.origin.unwrap_or_else(|| NAME.to_owned());
        if !self.in_chain && ctx.flag(ECS_METADATA_DISABLED_VAR)? {
            return Err(Error::invalid_config(
                &origin,
                format!(
                    "the ECS RAM role (instance metadata) provider is disabled by the environment \
                     variable {ECS_METADATA_DISABLED_VAR}; unset it to use this source"
                ),
            ));
        }
        let base = match self.endpoint {
            Some(e) => metadata_endpoint(&e, "the metadata endpoint option")?,
            None => match ctx.var(ECS_ENDPOINT_VAR) {
                Some(e) => {
                    metadata_endpoint(&e, &format!("environment variable {ECS_ENDPOINT_VAR}"))?
                }
                None => metadata_endpoint(DEFAULT_ENDPOINT, "the default metadata endpoint")?,
            },
        };
        let role = match self.role_name.filter(|r| !r.trim().is_empty()) {
            Some(r) => Some((r.trim().to_owned(), origin.clone())),
            None => ctx
                .var(ECS_ROLE_VAR)
                .map(|r| (r, format!("environment variable {ECS_ROLE_VAR}"))),
        };
        let (v1_disabled, v1_origin) = match self.v1_disabled {
            Some(d) => (d, "the disable_imds_v1 option".to_owned()),
            None => (
                ctx.flag(IMDSV1_DISABLED_VAR)?,
                format!("environment variable {IMDSV1_DISABLED_VAR}"),
            ),
        };
        let mut options = self.options;
        // Metadata is never proxied (10.3) and follows 6.5 only: no transport retries.
        options.direct = true;
        options.retries = 0;
        let source = EcsRamRoleSource {
            ctx: ctx.clone(),
            base,
            role,
            v1_disabled,
            v1_origin,
            in_chain: self.in_chain,
            options,
            probe_connect_timeout: self.probe_connect_timeout,
            name: self.name.unwrap_or_else(|| ProviderName::new(NAME)),
            origin,
            token: ArcSwap::from_pointee(TokenState::Unknown),
            discovered: ArcSwapOption::empty(),
        };
        Ok(Refreshing::with_config(
            source,
            ctx.clock().clone(),
            self.refresh,
        ))
    }
}

source_builder_setters!(EcsRamRoleBuilder, "ecs_ram_role");
