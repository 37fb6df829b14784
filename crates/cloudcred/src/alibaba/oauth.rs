//! OAuth (spec 6.10, D27), provider `oauth`: the tokens aliyun-cli stored in config.json,
//! exchanged for STS credentials.
//!
//! - The access token is refreshed (`POST <base>/v1/token`) when a refresh token exists and the
//!   access token is missing, has expire 0, or has ≤ 1200 s left (so ≥ 15 minutes remain for the
//!   exchange).
//! - Refresh tokens rotate: the first use kills the old one. The refresh therefore runs under the
//!   cross-process lock of the config file (spec 7.3): take it, re-read the file, use the tokens
//!   another process rotated meanwhile if any, else refresh and persist the new tokens before the
//!   lock is released. Without this two CLIs invalidate each other (aliyun/iac-code PR #251).
//! - A rotated token that cannot be saved loses the login, so the refresh starts only once the
//!   lock is held and the file's replacement is open (a writable directory, an owner that can be
//!   kept). Otherwise nothing rotates: the current access token is used while ≥ 60 s of it are
//!   left, else an error names the file and the reason (a change to D27, which refreshed anyway
//!   and only logged). A save that still fails afterwards (a full disk) is reported through
//!   [`Context::take_unsaved`], which the CLI prints and turns into exit status 3.
//! - `POST <base>/v1/exchange` with the bearer access token; camelCase keys first, PascalCase
//!   accepted (credentials-python's reading); `expiration` as an ISO 8601 string or epoch seconds.
//! - STS credentials persisted in the profile are reused while outside the refresh window, and
//!   new ones are written back (only when they changed) to the OAuth profile.
//!
//! The access token is small protocol state re-read from the file on each fetch; the credentials
//! themselves are cached only by the refresh engine.
//!
//! This file is the provider; the profile's tokens and their rotation rule are [`tokens`], the
//! two endpoints' wire format [`wire`].

pub mod tokens;
pub mod wire;

pub use tokens::{ACCESS_TOKEN_MARGIN_SECS, ACCESS_TOKEN_MIN_LEFT_SECS};
pub use wire::DEFAULT_EXPIRES_IN;

use super::external::sts_fields;
use crate::context::Context;
use crate::engine::{RefreshConfig, Refreshing, Source};
use crate::error::{Error, ErrorKind, Result};
use crate::format::cli_config_write::{self, ConfigLock, UnsavedKind, LOCK_TIMEOUT};
use crate::format::printable;
use crate::http::endpoint::{checked_url, describe, HttpAllowed};
use crate::http::{send_scrubbed, RequestOptions, Scrubber};
use crate::model::{Credentials, ProviderName, SecretString};
use crate::provider::{Inspection, Resolution};
use chrono::{TimeZone, Utc};
use futures_util::future::BoxFuture;
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokens::{int_field, str_field, Tokens};
use url::Url;
use wire::{exchange_answer, token_answer, upstream_error, TOKEN_ANSWER_INCOMPLETE};

/// `ALIBABA_CLOUD_OAUTH_ENDPOINT`: cloudcred extension overriding the OAuth base URL (https, or
/// http to a loopback address), for tests and private deployments.
pub const OAUTH_ENDPOINT_VAR: &str = "ALIBABA_CLOUD_OAUTH_ENDPOINT";
/// An OAuth site of aliyun-cli.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Site {
    /// China site (`CN`): `oauth.aliyun.com`.
    Cn,
    /// International site (`INTL`): `oauth.alibabacloud.com`.
    Intl,
}

impl Site {
    /// `CN` or `INTL`, case-insensitive.
    pub fn parse(s: &str) -> Option<Site> {
        match s.trim().to_ascii_uppercase().as_str() {
            "CN" => Some(Site::Cn),
            "INTL" => Some(Site::Intl),
            _ => None,
        }
    }

    /// The site's OAuth base URL.
    pub fn base_url(self) -> &'static str {
        match self {
            Site::Cn => "https://oauth.aliyun.com",
            Site::Intl => "https://oauth.alibabacloud.com",
        }
    }

    /// aliyun-cli's OAuth client id on this site.
    pub fn client_id(self) -> &'static str {
        match self {
            Site::Cn => "4038181954557748008",
            Site::Intl => "4103531455503354461",
        }
    }
}

/// The OAuth source; use it through [`OAuthProvider`].
#[derive(Debug)]
pub struct OAuthSource {
    ctx: Context,
    site: Site,
    base: Url,
    config_path: PathBuf,
    profile: String,
    options: RequestOptions,
    reuse_window: Duration,
    name: ProviderName,
}

/// OAuth behind the refresh engine.
pub type OAuthProvider = Refreshing<OAuthSource>;

impl OAuthProvider {
    /// A builder over profile `profile` of the config.json at `config_path`, whose tokens it rotates and writes back.
    pub fn builder(
        ctx: &Context,
        config_path: impl Into<PathBuf>,
        profile: impl Into<String>,
    ) -> OAuthBuilder {
        OAuthBuilder {
            ctx: ctx.clone(),
            config_path: config_path.into(),
            profile: profile.into(),
            site: None,
            base_url: None,
            options: RequestOptions::credential_service(),
            refresh: RefreshConfig::default(),
            name: None,
        }
    }
}

impl OAuthSource {
    fn origin(&self) -> String {
        format!(
            "{} profile {}",
            self.config_path.display(),
            printable(&self.profile)
        )
    }

    fn provider(&self) -> String {
        format!("oauth ({})", self.origin())
    }

    fn url(&self, path: &str) -> Url {
        let mut url = self.base.clone();
        let base = url.path().trim_end_matches('/').to_owned();
        url.set_path(&format!("{base}{path}"));
        url
    }

    /// The profile's raw object as the file holds it now (unlocked read).
    fn read_profile(&self) -> Result<Map<String, Value>> {
        let text = self.ctx.read_to_string(&self.config_path)?;
        let config = crate::format::cli_config::CliConfig::parse(&text, &self.config_path)?;
        config
            .profile(&self.profile)
            .map(|p| p.raw().clone())
            .ok_or_else(|| {
                Error::invalid_config(
                    format!("CLI config {}", self.config_path.display()),
                    format!("has no profile {} any more", printable(&self.profile)),
                )
            })
    }

    /// Persisted STS credentials still outside the refresh window.
    fn persisted_sts(&self, p: &Map<String, Value>) -> Option<Credentials> {
        let expiration = Utc
            .timestamp_opt(int_field(p, "sts_expiration")?, 0)
            .single()?;
        let left = (expiration - self.ctx.clock().server_now()).to_std().ok()?;
        if left <= self.reuse_window {
            return None;
        }
        Some(Credentials::sts(
            str_field(p, "access_key_id")?,
            str_field(p, "access_key_secret")?,
            str_field(p, "sts_token")?,
            Some(expiration),
            self.name.clone(),
        ))
    }

    /// The access token to exchange, refreshed under the lock when due. The refresh token
    /// rotates (the old one dies at first use), so the refresh happens only once the lock is
    /// held and the file's replacement is open: a config that cannot be saved fails here,
    /// before anything is lost upstream.
    async fn access_token(&self, tokens: Tokens) -> Result<SecretString> {
        let now = self.ctx.clock().now().timestamp();
        if !tokens.needs_refresh(now) {
            return tokens
                .access
                .ok_or_else(|| self.relogin("the profile has no oauth_access_token"));
        }
        let lock = match ConfigLock::acquire(&self.config_path, LOCK_TIMEOUT).await {
            Ok(Some(lock)) => lock,
            Ok(None) => {
                let why = format!(
                    "{} stayed locked for {} s by another process",
                    self.config_path.display(),
                    LOCK_TIMEOUT.as_secs()
                );
                return self.without_refresh(tokens, why);
            }
            Err(why) => return self.without_refresh(tokens, why),
        };
        // Another process may have rotated the tokens while we waited.
        let path = lock.path().to_owned();
        let tokens = self.reread_locked(&path).await.unwrap_or(tokens);
        if !tokens.needs_refresh(self.ctx.clock().now().timestamp()) {
            return tokens
                .access
                .ok_or_else(|| self.relogin("the profile has no oauth_access_token"));
        }
        let (lock, replacement) = crate::blocking::unblock(move || {
            let replacement = lock.prepare();
            (lock, replacement)
        })
        .await?;
        let replacement = match replacement {
            Ok(r) => r,
            Err(why) => return self.without_refresh(tokens, why),
        };
        let refresh = tokens
            .refresh
            .expect("needs_refresh implies a refresh token");
        // On failure the replacement is dropped unwritten: the file keeps the old tokens.
        let (access, new_refresh, expire) = self.refresh_token(&refresh).await?;
        let updates = vec![
            ("oauth_access_token", Value::from(access.expose())),
            ("oauth_access_token_expire", Value::from(expire)),
            ("oauth_refresh_token", Value::from(new_refresh.expose())),
        ];
        let profile = self.profile.clone();
        let result = crate::blocking::unblock(move || {
            lock.update_with(Some(replacement), &profile, &updates)
        })
        .await
        .unwrap_or_else(|e| Err(e.to_string()));
        cli_config_write::report(
            &self.ctx,
            &self.config_path,
            &self.profile,
            UnsavedKind::RotatedRefreshToken,
            result,
        );
        Ok(access)
    }

    /// The refresh is due but its result could not be saved (`why`): no refresh, so the stored
    /// refresh token stays valid. The current access token is used while it still works; past
    /// that, an error says what to fix.
    fn without_refresh(&self, tokens: Tokens, why: String) -> Result<SecretString> {
        let now = self.ctx.clock().now().timestamp();
        match tokens.access {
            Some(access) if tokens.expire.saturating_sub(now) >= ACCESS_TOKEN_MIN_LEFT_SECS => {
                tracing::warn!(
                    profile = %printable(&self.profile),
                    "the OAuth access token is due for a refresh, but a new refresh token could \
                     not be saved ({why}); using the current access token meanwhile"
                );
                Ok(access)
            }
            _ => Err(ErrorKind::Io {
                path: self.config_path.clone(),
                message: format!(
                    "the OAuth access token of profile {} needs a refresh, but the new refresh \
                     token it brings could not be saved ({why}); nothing was refreshed, so the \
                     stored tokens still work once the file can be written",
                    printable(&self.profile)
                ),
            }
            .into()),
        }
    }

    async fn reread_locked(&self, path: &Path) -> Option<Tokens> {
        let (path, profile) = (path.to_owned(), self.profile.clone());
        let raw = crate::blocking::unblock(move || {
            crate::format::cli_config_write::read_profile_at(&path, &profile)
        })
        .await
        .ok()?
        .ok()??;
        Some(Tokens::from_profile(&raw))
    }

    fn relogin(&self, why: &str) -> Error {
        Error::invalid_config(
            self.origin(),
            format!("{why}: log in again with aliyun-cli (`aliyun configure --profile {} --mode OAuth`)", printable(&self.profile)),
        )
    }

    fn upstream(&self, url: &Url, scrubber: &Scrubber, status: u16, body: &[u8]) -> Error {
        upstream_error(scrubber, self.provider(), describe(url), status, body)
    }

    fn transport(&self, url: &Url, message: String) -> Error {
        ErrorKind::Transport {
            provider: self.provider(),
            endpoint: describe(url),
            message,
        }
        .into()
    }

    async fn post(&self, url: &Url, req: http::request::Builder, body: Vec<u8>) -> Result<Value> {
        let req = req
            .method(http::Method::POST)
            .uri(url.as_str())
            .header(http::header::ACCEPT, "application/json")
            .body(body)
            .map_err(|_| {
                Error::invalid_config(
                    self.origin(),
                    "the OAuth endpoint does not form a valid request",
                )
            })?;
        let (response, scrubber) = send_scrubbed(self.ctx.http(), req, &self.options)
            .await
            .map_err(|e| self.transport(url, e.message))?;
        if let Some(date) = response.date() {
            self.ctx.clock().observe_server_time(date);
        }
        if !response.is_success() {
            return Err(self.upstream(url, &scrubber, response.status, &response.body));
        }
        serde_json::from_slice(&response.body)
            .ok()
            .filter(Value::is_object)
            .ok_or_else(|| {
                self.transport(
                    url,
                    format!(
                        "the response is not a JSON object ({} bytes)",
                        response.body.len()
                    ),
                )
            })
    }

    /// `POST /v1/token`: new access token, new refresh token, new expire (epoch s).
    async fn refresh_token(
        &self,
        refresh: &SecretString,
    ) -> Result<(SecretString, SecretString, i64)> {
        let url = self.url("/v1/token");
        let timestamp = self
            .ctx
            .clock()
            .server_now()
            .format("%Y-%m-%dT%H:%M:%SZ")
            .to_string();
        let body = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("grant_type", "refresh_token")
            .append_pair("refresh_token", refresh.expose())
            .append_pair("client_id", self.site.client_id())
            .append_pair("Timestamp", &timestamp)
            .finish();
        let req = http::Request::builder().header(
            http::header::CONTENT_TYPE,
            "application/x-www-form-urlencoded",
        );
        let json = self.post(&url, req, body.into_bytes()).await?;
        token_answer(&json, self.ctx.clock().now().timestamp())
            .ok_or_else(|| self.transport(&url, TOKEN_ANSWER_INCOMPLETE.to_owned()))
    }

    /// `POST /v1/exchange`: STS credentials for the access token.
    async fn exchange(&self, access: &SecretString) -> Result<Credentials> {
        let url = self.url("/v1/exchange");
        let req = http::Request::builder()
            .header(http::header::CONTENT_TYPE, "application/json")
            .header(
                http::header::AUTHORIZATION,
                format!("Bearer {}", access.expose()),
            );
        let json = self.post(&url, req, Vec::new()).await?;
        exchange_answer(
            &self.ctx,
            &json,
            &self.provider(),
            self.name.clone(),
            |message| self.transport(&url, message),
        )
    }
}

impl Source for OAuthSource {
    fn fetch(&self) -> BoxFuture<'_, Result<Resolution>> {
        Box::pin(async move {
            let profile = self.read_profile()?;
            if let Some(creds) = self.persisted_sts(&profile) {
                return Ok(Resolution::Credentials(Arc::new(creds)));
            }
            let access = self.access_token(Tokens::from_profile(&profile)).await?;
            let creds = self.exchange(&access).await?;
            let kind = UnsavedKind::StsCredentials;
            let fields = sts_fields(&creds);
            let _ = cli_config_write::update_profile(
                &self.ctx,
                &self.config_path,
                &self.profile,
                kind,
                fields,
            )
            .await;
            Ok(Resolution::Credentials(Arc::new(creds)))
        })
    }

    fn name(&self) -> &str {
        self.name.as_str()
    }

    fn inspect(&self) -> Inspection {
        Inspection {
            reads: vec![
                format!(
                    "file {} (profile {})",
                    self.config_path.display(),
                    printable(&self.profile)
                ),
                format!("OAuth at {}", describe(&self.base)),
                self.ctx.describe_var(OAUTH_ENDPOINT_VAR),
            ],
            warnings: Vec::new(),
        }
    }
}

/// Builds an [`OAuthProvider`]. Builder values win over the environment.
#[derive(Debug)]
pub struct OAuthBuilder {
    ctx: Context,
    config_path: PathBuf,
    profile: String,
    site: Option<Site>,
    base_url: Option<String>,
    options: RequestOptions,
    refresh: RefreshConfig,
    name: Option<ProviderName>,
}

impl OAuthBuilder {
    /// The OAuth site (`oauth_site_type` of the profile); default China.
    pub fn site(mut self, site: Site) -> Self {
        self.site = Some(site);
        self
    }

    /// Overrides the site's base URL (https, or http to a loopback address).
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// Reads `oauth_site_type` from the profile when no site was given.
    pub fn build(self) -> Result<OAuthProvider> {
        let origin = format!(
            "{} profile {}",
            self.config_path.display(),
            printable(&self.profile)
        );
        let site = match self.site {
            Some(s) => s,
            None => {
                let text = self.ctx.read_to_string(&self.config_path)?;
                let config = crate::format::cli_config::CliConfig::parse(&text, &self.config_path)?;
                config
                    .profile(&self.profile)
                    .and_then(|p| p.str("oauth_site_type"))
                    .and_then(Site::parse)
                    .ok_or_else(|| {
                        Error::invalid_config(
                            &origin,
                            "oauth_site_type must be CN or INTL: set it, or log in again with aliyun-cli",
                        )
                    })?
            }
        };
        let base = match (self.base_url, self.ctx.var(OAUTH_ENDPOINT_VAR)) {
            (Some(u), _) => checked_url(&u, "OAuth base URL", HttpAllowed::Loopback)?,
            (None, Some(u)) => checked_url(
                &u,
                &format!("environment variable {OAUTH_ENDPOINT_VAR}"),
                HttpAllowed::Loopback,
            )?,
            (None, None) => Url::parse(site.base_url()).expect("constant URL"),
        };
        let source = OAuthSource {
            ctx: self.ctx.clone(),
            site,
            base,
            config_path: self.config_path,
            profile: self.profile,
            options: self.options,
            reuse_window: self.refresh.window,
            name: self.name.unwrap_or_else(|| ProviderName::new("oauth")),
        };
        Ok(Refreshing::with_config(
            source,
            self.ctx.clock().clone(),
            self.refresh,
        ))
    }
}

source_builder_setters!(OAuthBuilder, "oauth", request_options);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sites() {
        assert_eq!(Site::parse("cn"), Some(Site::Cn));
        assert_eq!(
            Site::parse("INTL").unwrap().client_id(),
            "4103531455503354461"
        );
        assert_eq!(Site::parse("EU"), None);
    }
}
