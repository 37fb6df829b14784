//! OIDC role ARN: STS AssumeRoleWithOIDC with a token file (spec 6.4, D10, D20), provider
//! `oidc_role_arn`.
//!
//! The token file is read again on every refresh, because Kubernetes (ACK RRSA) rotates the
//! projected token in place; caching its content would make the provider fail an hour later.
//! The request is unsigned and the token travels only in the form body: never in a URL, where
//! proxies and access logs would keep it, and never in an error or `Debug` output.

use super::profile_spec::{OidcSettings, DEFAULT_ROLE_DURATION_SECS, MIN_ROLE_DURATION_SECS};
use super::sts::{self, Auth, Caller, StsMethod, DEFAULT_STS_HOST};
use crate::context::Context;
use crate::engine::{RefreshConfig, Refreshing, Source};
use crate::error::{Error, Result};
use crate::http::endpoint::describe;
use crate::http::RequestOptions;
use crate::model::{Credentials, ProviderName};
use crate::provider::{Inspection, ProvideCredentials, Resolution};
use futures_util::future::BoxFuture;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use url::Url;

pub use super::env::{OIDC_PROVIDER_ARN_VAR, OIDC_TOKEN_FILE_VAR, ROLE_ARN_VAR};
/// `ALIBABA_CLOUD_ROLE_SESSION_NAME`: the role session name of OIDC and RAM role ARN when none is configured.
pub const ROLE_SESSION_NAME_VAR: &str = "ALIBABA_CLOUD_ROLE_SESSION_NAME";

/// The AssumeRoleWithOIDC source; use it through [`OidcRoleArnProvider`].
#[derive(Debug)]
pub struct OidcRoleArnSource {
    ctx: Context,
    settings: OidcSettings,
    url: Url,
    options: RequestOptions,
    name: ProviderName,
    origin: String,
}

/// AssumeRoleWithOIDC behind the refresh engine.
pub type OidcRoleArnProvider = Refreshing<OidcRoleArnSource>;

impl OidcRoleArnProvider {
    /// A builder; role ARN, OIDC provider ARN and token file are required.
    pub fn builder(ctx: &Context) -> OidcRoleArnBuilder {
        OidcRoleArnBuilder {
            ctx: ctx.clone(),
            settings: OidcSettings {
                role_arn: String::new(),
                oidc_provider_arn: String::new(),
                oidc_token_file: PathBuf::new(),
                role_session_name: None,
                duration_seconds: DEFAULT_ROLE_DURATION_SECS,
                policy: None,
                sts_endpoint: None,
                sts_region: None,
                enable_vpc: None,
            },
            options: RequestOptions::credential_service(),
            name: None,
            refresh: RefreshConfig::default(),
            origin: "oidc_role_arn".to_owned(),
        }
    }
}

impl OidcRoleArnSource {
    fn detail(&self) -> String {
        let mut d = format!(
            "role {}, OIDC provider {}",
            self.settings.role_arn, self.settings.oidc_provider_arn
        );
        if self.origin != "oidc_role_arn" {
            d.push_str(&format!(", from {}", self.origin));
        }
        d
    }
}

/// The token: the file's content without surrounding whitespace. Errors name the path only.
pub(crate) fn read_token(ctx: &Context, path: &Path, origin: &str) -> Result<String> {
    let text = sts::read_input_file(ctx, path, "OIDC token", origin)?;
    let token = text.trim();
    if token.is_empty() {
        return Err(Error::invalid_config(
            origin,
            format!("the OIDC token file {} is empty", path.display()),
        ));
    }
    Ok(token.to_owned())
}

impl Source for OidcRoleArnSource {
    fn fetch(&self) -> BoxFuture<'_, Result<Resolution>> {
        Box::pin(async move {
            let caller = Caller {
                provider: "oidc_role_arn",
                detail: self.detail(),
            };
            let origin = format!("oidc_role_arn ({})", caller.detail);
            // Re-read at every refresh: the token rotates under our feet (Kubernetes).
            let token = read_token(&self.ctx, &self.settings.oidc_token_file, &origin)?;
            let s = &self.settings;
            let session = s
                .role_session_name
                .clone()
                .unwrap_or_else(|| sts::default_session_name(&self.ctx));
            let duration = s.duration_seconds.to_string();
            let mut params = vec![
                ("RoleArn", s.role_arn.as_str()),
                ("OIDCProviderArn", s.oidc_provider_arn.as_str()),
                ("OIDCToken", token.as_str()),
                ("RoleSessionName", session.as_str()),
                ("DurationSeconds", duration.as_str()),
            ];
            if let Some(p) = s.policy.as_deref().filter(|p| !p.is_empty()) {
                params.push(("Policy", p));
            }
            let json = sts::call(
                &self.ctx,
                &self.url,
                StsMethod::PostForm,
                "AssumeRoleWithOIDC",
                &params,
                Auth::None,
                &self.options,
                &caller,
            )
            .await?;
            let creds =
                sts::sts_credentials(&self.ctx, &json, "Credentials", &origin, self.name.clone())?;
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
                    "STS AssumeRoleWithOIDC at {} ({})",
                    describe(&self.url),
                    self.detail()
                ),
                format!(
                    "file {} (OIDC token, read at every refresh)",
                    self.settings.oidc_token_file.display()
                ),
            ],
            warnings: Vec::new(),
        }
    }
}

/// Builds an [`OidcRoleArnProvider`]. Builder values win over the environment.
#[derive(Debug)]
pub struct OidcRoleArnBuilder {
    ctx: Context,
    settings: OidcSettings,
    options: RequestOptions,
    name: Option<ProviderName>,
    refresh: RefreshConfig,
    origin: String,
}

impl OidcRoleArnBuilder {
    /// Where the settings came from (a profile), for errors.
    pub fn origin(mut self, origin: impl Into<String>) -> Self {
        self.origin = origin.into();
        self
    }

    /// The role to assume (`RoleArn`).
    pub fn role_arn(mut self, arn: impl Into<String>) -> Self {
        self.settings.role_arn = arn.into();
        self
    }

    /// The OIDC identity provider (`OIDCProviderArn`).
    pub fn oidc_provider_arn(mut self, arn: impl Into<String>) -> Self {
        self.settings.oidc_provider_arn = arn.into();
        self
    }

    /// The file holding the OIDC token, re-read on every fetch (Kubernetes rotates it).
    pub fn oidc_token_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.settings.oidc_token_file = path.into();
        self
    }

    /// The role session name; default `ALIBABA_CLOUD_ROLE_SESSION_NAME`, else a generated one.
    pub fn role_session_name(mut self, name: impl Into<String>) -> Self {
        self.settings.role_session_name = Some(name.into());
        self
    }

    /// The session duration in seconds (`DurationSeconds`); default 3600, at least 900.
    pub fn duration_seconds(mut self, secs: u32) -> Self {
        self.settings.duration_seconds = secs;
        self
    }

    /// Sent only when non-empty.
    pub fn policy(mut self, policy: impl Into<String>) -> Self {
        self.settings.policy = Some(policy.into());
        self
    }

    /// A host, `host:port` or URL (spec 4.2); wins over every other endpoint source.
    pub fn sts_endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.settings.sts_endpoint = Some(endpoint.into());
        self
    }

    /// The STS region, and whether to use its VPC endpoint (`sts-vpc.<region>.aliyuncs.com`).
    pub fn sts_region(mut self, region: impl Into<String>, vpc: bool) -> Self {
        self.settings.sts_region = Some(region.into());
        self.settings.enable_vpc = Some(vpc);
        self
    }

    /// All settings at once (profiles).
    pub fn settings(mut self, settings: OidcSettings) -> Self {
        self.settings = settings;
        self
    }

    /// Validates everything before any request: the three required values (else their
    /// variables), duration, endpoint. The token file is not read here but at each refresh.
    pub fn build(mut self) -> Result<OidcRoleArnProvider> {
        let ctx = self.ctx.clone();
        let s = &mut self.settings;
        let fill = |value: &mut String, key: &str, var: &str, origin: &str| -> Result<()> {
            if value.trim().is_empty() {
                *value = ctx.var(var).ok_or_else(|| {
                    Error::invalid_config(origin, format!("{key} is missing: set it or {var}"))
                })?;
            }
            Ok(())
        };
        fill(&mut s.role_arn, "role_arn", ROLE_ARN_VAR, &self.origin)?;
        fill(
            &mut s.oidc_provider_arn,
            "oidc_provider_arn",
            OIDC_PROVIDER_ARN_VAR,
            &self.origin,
        )?;
        if s.oidc_token_file.as_os_str().is_empty() {
            let mut raw = String::new();
            fill(
                &mut raw,
                "oidc_token_file",
                OIDC_TOKEN_FILE_VAR,
                &self.origin,
            )?;
            s.oidc_token_file = ctx.expand_path(&raw);
        }
        if s.role_session_name.is_none() {
            s.role_session_name = ctx.var(ROLE_SESSION_NAME_VAR);
        }
        if s.duration_seconds < MIN_ROLE_DURATION_SECS {
            return Err(Error::invalid_config(
                &self.origin,
                format!(
                    "the session duration {} s is below the STS minimum of {MIN_ROLE_DURATION_SECS} s",
                    s.duration_seconds
                ),
            ));
        }
        let url = sts::resolve_endpoint(
            &ctx,
            s.sts_endpoint.as_deref(),
            s.sts_region.as_deref(),
            s.enable_vpc,
            DEFAULT_STS_HOST,
        )?;
        let source = OidcRoleArnSource {
            ctx: ctx.clone(),
            settings: self.settings,
            url,
            options: self.options,
            name: self
                .name
                .unwrap_or_else(|| ProviderName::new("oidc_role_arn")),
            origin: self.origin,
        };
        Ok(Refreshing::with_config(
            source,
            ctx.clock().clone(),
            self.refresh,
        ))
    }
}

/// Row 2 of the default chain (spec 5.2): configured when `ALIBABA_CLOUD_OIDC_PROVIDER_ARN` or
/// `ALIBABA_CLOUD_OIDC_TOKEN_FILE` is set, and then all three variables are required.
/// `ALIBABA_CLOUD_ROLE_ARN` alone configures nothing: it is also the RAM-role default.
#[derive(Debug)]
pub struct OidcRoleArnFromEnv {
    state: std::result::Result<Option<OidcRoleArnProvider>, Error>,
    reads: Vec<String>,
}

const ENV_VARS: [&str; 3] = [ROLE_ARN_VAR, OIDC_PROVIDER_ARN_VAR, OIDC_TOKEN_FILE_VAR];

impl OidcRoleArnFromEnv {
    /// Decides from the environment (no I/O); `name` is the full provider name of the result.
    pub fn new(ctx: &Context, name: ProviderName) -> Self {
        let set = ENV_VARS.map(|v| ctx.var(v).is_some());
        let state = if !set[1] && !set[2] {
            Ok(None)
        } else if let Some((missing, _)) = ENV_VARS.iter().zip(set).find(|(_, s)| !s) {
            Err(Error::invalid_config(
                "environment",
                format!(
                    "OIDC is configured but {missing} is not set: set all of {}",
                    ENV_VARS.join(", ")
                ),
            ))
        } else {
            OidcRoleArnProvider::builder(ctx)
                .name(name)
                .origin("environment (OIDC role ARN)")
                .build()
                .map(Some)
        };
        let mut reads: Vec<String> = ENV_VARS.iter().map(|v| ctx.describe_var(v)).collect();
        reads.push(ctx.describe_var(ROLE_SESSION_NAME_VAR));
        Self { state, reads }
    }
}

impl ProvideCredentials for OidcRoleArnFromEnv {
    fn resolve(&self) -> BoxFuture<'_, Result<Resolution>> {
        match &self.state {
            Ok(Some(p)) => p.resolve(),
            Ok(None) => Box::pin(futures_util::future::ready(Ok(Resolution::NotConfigured(
                format!("{OIDC_PROVIDER_ARN_VAR} and {OIDC_TOKEN_FILE_VAR} are not set"),
            )))),
            Err(e) => Box::pin(futures_util::future::ready(Err(e.clone()))),
        }
    }

    fn cached(&self) -> Option<Arc<Credentials>> {
        match &self.state {
            Ok(Some(p)) => p.cached(),
            _ => None,
        }
    }

    fn name(&self) -> &str {
        "oidc_role_arn"
    }

    fn inspect(&self) -> Inspection {
        let mut i = match &self.state {
            Ok(Some(p)) => p.inspect(),
            _ => Inspection::default(),
        };
        i.reads.splice(0..0, self.reads.iter().cloned());
        i
    }
}

source_builder_setters!(OidcRoleArnBuilder, "oidc_role_arn", request_options);
