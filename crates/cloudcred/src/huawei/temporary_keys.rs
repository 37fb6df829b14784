//! Temporary AK/SK from an IAM token: "CreateTemporaryAccessKeyByToken" (spec 9), used by IdP
//! federation (step 2) and offered as a provider of its own for a user, federated or agency
//! token held by the caller.
//!
//! `POST {iam}/v3.0/OS-CREDENTIAL/securitytokens` with the token both as `X-Auth-Token` and as
//! `auth.identity.token.id` (H6), `duration_seconds` 900–86400 (default 21600; outside the range
//! an error before any request). The IAM endpoint comes from the builder or profile
//! (`iam_endpoint`), else `HUAWEICLOUD_SDK_IAM_ENDPOINT`, else the global IAM endpoint; HTTPS
//! except for loopback test servers (H12). The token is a secret: never printed or logged.

use super::response;
use crate::context::Context;
use crate::engine::{RefreshConfig, Refreshing, Source};
use crate::error::{Error, Result};
use crate::http::endpoint::{checked_url, describe, HttpAllowed};
use crate::http::RequestOptions;
use crate::model::{Credentials, ProviderName, SecretString};
use crate::provider::{Inspection, Resolution};
use futures_util::future::BoxFuture;
use std::sync::Arc;
use url::Url;

/// `HUAWEICLOUD_SDK_IAM_ENDPOINT`.
pub const IAM_ENDPOINT_VAR: &str = "HUAWEICLOUD_SDK_IAM_ENDPOINT";
/// The global IAM endpoint (core and obs default).
pub const DEFAULT_IAM_ENDPOINT: &str = "https://iam.myhuaweicloud.com";
/// Default lifetime of temporary keys (core's 6 hours).
pub const DEFAULT_DURATION_SECONDS: u32 = 21600;
/// The range the API accepts.
pub const DURATION_RANGE: std::ops::RangeInclusive<u32> = 900..=86400;

const SECURITY_TOKENS_PATH: &str = "/v3.0/OS-CREDENTIAL/securitytokens";
pub(crate) const JSON_CONTENT_TYPE: &str = "application/json;charset=utf8";
const NAME: &str = "temporary_keys";

/// The IAM endpoint: `explicit` (value, origin), else the variable, else the default.
pub fn iam_endpoint(ctx: &Context, explicit: Option<(&str, &str)>) -> Result<Url> {
    service_endpoint(
        ctx,
        explicit,
        IAM_ENDPOINT_VAR,
        DEFAULT_IAM_ENDPOINT,
        "an IAM endpoint",
    )
}

/// A service base URL (IAM, STS): `explicit` (value, origin), else the variable `var`, else
/// `default`; HTTPS except for loopback (H12), no query or fragment, trailing `/` dropped.
pub(crate) fn service_endpoint(
    ctx: &Context,
    explicit: Option<(&str, &str)>,
    var: &str,
    default: &str,
    what: &str,
) -> Result<Url> {
    let (raw, origin) = match explicit {
        Some((v, o)) => (v.to_owned(), o.to_owned()),
        None => match ctx.var(var) {
            Some(v) => (v, format!("environment variable {var}")),
            None => (default.to_owned(), "the default".to_owned()),
        },
    };
    let mut url = checked_url(&raw, &origin, HttpAllowed::Loopback)?;
    if url.query().is_some() || url.fragment().is_some() {
        return Err(Error::invalid_config(
            origin,
            format!("{what} must not have a query or fragment"),
        ));
    }
    let path = url.path().trim_end_matches('/').to_owned();
    url.set_path(&path);
    Ok(url)
}

/// `base` + `path`, keeping a path prefix of the base.
pub(crate) fn join(base: &Url, path: &str) -> Url {
    let mut url = base.clone();
    url.set_path(&format!("{}{path}", base.path().trim_end_matches('/')));
    url
}

/// A duration in the API's range, or an error naming `origin`.
pub fn check_duration(seconds: u32, origin: &str) -> Result<u32> {
    if DURATION_RANGE.contains(&seconds) {
        Ok(seconds)
    } else {
        Err(Error::invalid_config(
            origin,
            format!(
                "duration_seconds {seconds} is outside {}–{} seconds",
                DURATION_RANGE.start(),
                DURATION_RANGE.end()
            ),
        ))
    }
}

/// One "CreateTemporaryAccessKeyByToken" call; `who` names the caller in errors.
pub(crate) async fn create(
    ctx: &Context,
    iam: &Url,
    token: &SecretString,
    duration: u32,
    options: &RequestOptions,
    who: &str,
    name: ProviderName,
) -> Result<Credentials> {
    let url = join(iam, SECURITY_TOKENS_PATH);
    let body = serde_json::json!({
        "auth": {"identity": {"methods": ["token"], "token": {
            "id": token.expose(), "duration_seconds": duration}}}
    });
    let request = http::Request::builder()
        .method(http::Method::POST)
        .uri(url.as_str())
        .header(http::header::CONTENT_TYPE, JSON_CONTENT_TYPE)
        .header("X-Auth-Token", token.expose())
        .body(body.to_string().into_bytes())
        .map_err(|_| {
            Error::invalid_config(who, "the IAM endpoint does not form a valid request")
        })?;
    response::fetch_credentials(ctx, request, options, who, &url, name).await
}

/// Temporary keys for a token the caller holds; use it through [`TemporaryKeysProvider`].
pub struct TemporaryKeysSource {
    ctx: Context,
    token: SecretString,
    iam: Url,
    duration: u32,
    options: RequestOptions,
    name: ProviderName,
    project_id: Option<String>,
}

impl std::fmt::Debug for TemporaryKeysSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TemporaryKeysSource")
            .field("iam", &describe(&self.iam))
            .field("duration", &self.duration)
            .finish_non_exhaustive()
    }
}

/// [`TemporaryKeysSource`] behind the refresh engine.
pub type TemporaryKeysProvider = Refreshing<TemporaryKeysSource>;

impl TemporaryKeysProvider {
    /// Temporary keys for `token` (an IAM user, federated or agency token).
    pub fn builder(ctx: &Context, token: impl Into<SecretString>) -> TemporaryKeysBuilder {
        TemporaryKeysBuilder {
            ctx: ctx.clone(),
            token: token.into(),
            iam_endpoint: None,
            duration: DEFAULT_DURATION_SECONDS,
            options: RequestOptions::credential_service(),
            name: None,
            project_id: None,
            refresh: super::refresh_config(),
        }
    }
}

impl Source for TemporaryKeysSource {
    fn fetch(&self) -> BoxFuture<'_, Result<Resolution>> {
        Box::pin(async move {
            let creds = create(
                &self.ctx,
                &self.iam,
                &self.token,
                self.duration,
                &self.options,
                NAME,
                self.name.clone(),
            )
            .await?
            .with_project_id(self.project_id.clone());
            Ok(Resolution::Credentials(Arc::new(creds)))
        })
    }

    fn name(&self) -> &str {
        self.name.as_str()
    }

    fn inspect(&self) -> Inspection {
        Inspection {
            reads: vec![
                format!("IAM at {}", describe(&self.iam)),
                self.ctx.describe_var(IAM_ENDPOINT_VAR),
            ],
            warnings: Vec::new(),
        }
    }
}

/// Builds a [`TemporaryKeysProvider`].
#[derive(Debug)]
pub struct TemporaryKeysBuilder {
    ctx: Context,
    token: SecretString,
    iam_endpoint: Option<String>,
    duration: u32,
    options: RequestOptions,
    name: Option<ProviderName>,
    project_id: Option<String>,
    refresh: RefreshConfig,
}

impl TemporaryKeysBuilder {
    /// The IAM endpoint (wins over `HUAWEICLOUD_SDK_IAM_ENDPOINT`).
    pub fn iam_endpoint(mut self, url: impl Into<String>) -> Self {
        self.iam_endpoint = Some(url.into());
        self
    }

    /// Lifetime of the keys, 900–86400 s (default 21600).
    pub fn duration_seconds(mut self, seconds: u32) -> Self {
        self.duration = seconds;
        self
    }

    /// The project id attached to the credentials.
    pub fn project_id(mut self, id: impl Into<String>) -> Self {
        self.project_id = Some(id.into());
        self
    }

    /// Validates the token, endpoint and duration; no I/O.
    pub fn build(self) -> Result<TemporaryKeysProvider> {
        if self.token.expose().trim().is_empty() {
            return Err(Error::invalid_config(NAME, "the token is empty"));
        }
        let iam = iam_endpoint(
            &self.ctx,
            self.iam_endpoint
                .as_deref()
                .map(|v| (v, "the iam_endpoint option")),
        )?;
        let duration = check_duration(self.duration, NAME)?;
        let source = TemporaryKeysSource {
            ctx: self.ctx.clone(),
            token: self.token,
            iam,
            duration,
            options: self.options,
            name: self.name.unwrap_or_else(|| ProviderName::new(NAME)),
            project_id: self.project_id,
        };
        Ok(Refreshing::with_config(
            source,
            self.ctx.clock().clone(),
            self.refresh,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::MapEnv;

    #[test]
    fn endpoint_rules() {
        let ctx = Context::from_env(MapEnv::default());
        assert_eq!(iam_endpoint(&ctx, None).unwrap().scheme(), "https");
        let ctx = Context::from_env(MapEnv::from([(IAM_ENDPOINT_VAR, "http://127.0.0.1:9/p/")]));
        let url = iam_endpoint(&ctx, None).unwrap();
        assert_eq!(
            join(&url, SECURITY_TOKENS_PATH).as_str(),
            "http://127.0.0.1:9/p/v3.0/OS-CREDENTIAL/securitytokens"
        );
        let ctx = Context::from_env(MapEnv::from([(IAM_ENDPOINT_VAR, "http://iam.example")]));
        let e = iam_endpoint(&ctx, None).unwrap_err().to_string();
        assert!(e.contains(IAM_ENDPOINT_VAR) && e.contains("https"), "{e}");
        assert!(iam_endpoint(&ctx, Some(("https://iam.example/?q=1", "profile"))).is_err());
    }

    #[test]
    fn duration_range_and_empty_token() {
        assert!(check_duration(899, "x").is_err());
        assert!(check_duration(86401, "x").is_err());
        assert_eq!(check_duration(900, "x").unwrap(), 900);
        let ctx = Context::from_env(MapEnv::default());
        let e = TemporaryKeysProvider::builder(&ctx, "planted-token")
            .duration_seconds(100)
            .build()
            .unwrap_err()
            .to_string();
        assert!(e.contains("900") && !e.contains("planted"), "{e}");
        assert!(TemporaryKeysProvider::builder(&ctx, " ").build().is_err());
        let p = TemporaryKeysProvider::builder(&ctx, "planted-token")
            .build()
            .unwrap();
        assert!(!format!("{p:?}").contains("planted"));
    }
}

source_builder_setters!(TemporaryKeysBuilder, "temporary_keys", request_options);
