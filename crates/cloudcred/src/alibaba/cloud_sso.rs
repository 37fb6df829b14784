//! CloudSSO: STS credentials from the CloudSSO portal with the access token aliyun-cli obtained
//! at log-in (spec 6.9), provider `cloud_sso`.
//!
//! The access token is never refreshed here: only aliyun-cli can log in again, so an expired
//! token (at build time or later, while the process runs) is an error that says so rather than
//! "not configured" — the profile was selected, it is just unusable.

use super::sts;
use crate::context::Context;
use crate::engine::{RefreshConfig, Refreshing, Source};
use crate::error::{Error, ErrorKind, Result};
use crate::http::endpoint::{checked_url, describe, HttpAllowed};
use crate::http::{send_scrubbed, RequestOptions};
use crate::model::{ProviderName, SecretString};
use crate::provider::{Inspection, Resolution};
use futures_util::future::BoxFuture;
use std::sync::Arc;
use url::Url;

/// The CloudSSO source; use it through [`CloudSsoProvider`].
#[derive(Debug)]
pub struct CloudSsoSource {
    ctx: Context,
    url: Url,
    account_id: String,
    access_config: String,
    access_token: SecretString,
    access_token_expire: i64,
    options: RequestOptions,
    name: ProviderName,
    origin: String,
}

/// CloudSSO behind the refresh engine.
pub type CloudSsoProvider = Refreshing<CloudSsoSource>;

impl CloudSsoProvider {
    /// A builder; the sign-in URL, account id, access configuration and access token are required (a CLI `CloudSSO` profile supplies them).
    pub fn builder(ctx: &Context) -> CloudSsoBuilder {
        CloudSsoBuilder {
            ctx: ctx.clone(),
            sign_in_url: String::new(),
            account_id: String::new(),
            access_config: String::new(),
            access_token: SecretString::new(""),
            access_token_expire: 0,
            options: RequestOptions::credential_service(),
            name: None,
            refresh: RefreshConfig::default(),
            origin: "cloud_sso".to_owned(),
        }
    }
}

impl CloudSsoSource {
    fn relogin(&self) -> String {
        format!(
            "log in again with aliyun-cli (`aliyun configure` for {})",
            self.origin
        )
    }

    fn label(&self) -> String {
        format!(
            "cloud_sso (account {}, access configuration {}, from {})",
            self.account_id, self.access_config, self.origin
        )
    }
}

impl Source for CloudSsoSource {
    fn fetch(&self) -> BoxFuture<'_, Result<Resolution>> {
        Box::pin(async move {
            let clock = self.ctx.clock();
            if self.access_token_expire <= clock.now().timestamp() {
                return Err(Error::invalid_config(
                    &self.origin,
                    format!("the CloudSSO access token has expired: {}", self.relogin()),
                ));
            }
            let body = serde_json::json!({
                "AccountId": self.account_id,
                "AccessConfigurationId": self.access_config,
            });
            let request = http::Request::post(self.url.as_str())
                .header(http::header::ACCEPT, "application/json")
                .header(http::header::CONTENT_TYPE, "application/json")
                .header(
                    http::header::AUTHORIZATION,
                    format!("Bearer {}", self.access_token.expose()),
                )
                .body(body.to_string().into_bytes())
                .map_err(|_| {
                    // The header value holds the token: say only that it is malformed.
                    Error::invalid_config(
                        &self.origin,
                        format!(
                            "the CloudSSO access token or sign-in URL cannot form a request: {}",
                            self.relogin()
                        ),
                    )
                })?;
            let endpoint = describe(&self.url);
            let (response, scrubber) = send_scrubbed(self.ctx.http(), request, &self.options)
                .await
                .map_err(|e| -> Error {
                    ErrorKind::Transport {
                        provider: self.label(),
                        endpoint: endpoint.clone(),
                        message: e.message,
                    }
                    .into()
                })?;
            if let Some(date) = response.date() {
                clock.observe_server_time(date);
            }
            let json = sts::json_answer(&response, &scrubber, self.label(), endpoint).map_err(
                |e| match e.kind() {
                    // The portal refuses a revoked or expired token: only a new log-in helps.
                    ErrorKind::Upstream {
                        provider,
                        endpoint,
                        status: status @ (401 | 403),
                        code,
                        message,
                        request_id,
                    } => ErrorKind::Upstream {
                        provider: provider.clone(),
                        endpoint: endpoint.clone(),
                        status: *status,
                        code: code.clone(),
                        message: Some(format!(
                            "{}{}",
                            message
                                .as_deref()
                                .map(|m| format!("{m}; "))
                                .unwrap_or_default(),
                            self.relogin()
                        )),
                        request_id: request_id.clone(),
                    }
                    .into(),
                    _ => e,
                },
            )?;
            let creds = sts::sts_credentials(
                &self.ctx,
                &json,
                "CloudCredential",
                &self.label(),
                self.name.clone(),
            )?;
            Ok(Resolution::Credentials(Arc::new(creds)))
        })
    }

    fn name(&self) -> &str {
        self.name.as_str()
    }

    fn inspect(&self) -> Inspection {
        let mut warnings = Vec::new();
        if self.access_token_expire <= self.ctx.clock().now().timestamp() {
            warnings.push(format!(
                "the CloudSSO access token has expired: {}",
                self.relogin()
            ));
        }
        Inspection {
            reads: vec![format!(
                "CloudSSO at {} ({})",
                describe(&self.url),
                self.label()
            )],
            warnings,
        }
    }
}

/// Builds a [`CloudSsoProvider`].
#[derive(Debug)]
pub struct CloudSsoBuilder {
    ctx: Context,
    sign_in_url: String,
    account_id: String,
    access_config: String,
    access_token: SecretString,
    access_token_expire: i64,
    options: RequestOptions,
    name: Option<ProviderName>,
    refresh: RefreshConfig,
    origin: String,
}

impl CloudSsoBuilder {
    /// Where the settings came from (a profile), for errors.
    pub fn origin(mut self, origin: impl Into<String>) -> Self {
        self.origin = origin.into();
        self
    }

    /// The portal's sign-in URL; only its scheme, host and port are used.
    pub fn sign_in_url(mut self, url: impl Into<String>) -> Self {
        self.sign_in_url = url.into();
        self
    }

    /// The account whose access configuration is assumed (`cloud_sso_account_id`).
    pub fn account_id(mut self, id: impl Into<String>) -> Self {
        self.account_id = id.into();
        self
    }

    /// The access configuration to assume (`cloud_sso_access_config`).
    pub fn access_config(mut self, id: impl Into<String>) -> Self {
        self.access_config = id.into();
        self
    }

    /// The access token and its expiry (Unix seconds), as aliyun-cli stored them.
    pub fn access_token(mut self, token: impl Into<SecretString>, expires_at: i64) -> Self {
        self.access_token = token.into();
        self.access_token_expire = expires_at;
        self
    }

    /// Validates everything before any request: the URL (https, or http to loopback), the ids,
    /// and a token that has not expired.
    pub fn build(self) -> Result<CloudSsoProvider> {
        let origin = self.origin;
        for (value, key) in [
            (&self.sign_in_url, "sign-in URL"),
            (&self.account_id, "account id"),
            (&self.access_config, "access configuration"),
        ] {
            if value.trim().is_empty() {
                return Err(Error::invalid_config(
                    &origin,
                    format!("the CloudSSO {key} is missing: run `aliyun configure` again"),
                ));
            }
        }
        let mut url = checked_url(
            &self.sign_in_url,
            &format!("{origin}: cloud_sso_sign_in_url"),
            HttpAllowed::Loopback,
        )?;
        // The credentials endpoint is at the root of the portal host; the port is kept.
        url.set_path("/cloud-credentials");
        url.set_query(None);
        url.set_fragment(None);
        let source = CloudSsoSource {
            ctx: self.ctx.clone(),
            url,
            account_id: self.account_id,
            access_config: self.access_config,
            access_token: self.access_token,
            access_token_expire: self.access_token_expire,
            options: self.options,
            name: self.name.unwrap_or_else(|| ProviderName::new("cloud_sso")),
            origin,
        };
        if source.access_token.is_empty()
            || source.access_token_expire <= self.ctx.clock().now().timestamp()
        {
            return Err(Error::invalid_config(
                &source.origin,
                format!(
                    "the CloudSSO access token is missing or expired: {}",
                    source.relogin()
                ),
            ));
        }
        Ok(Refreshing::with_config(
            source,
            self.ctx.clock().clone(),
            self.refresh,
        ))
    }
}

source_builder_setters!(CloudSsoBuilder, "cloud_sso", request_options);
