//! RAM role ARN: STS AssumeRole over any previous credentials, so roles chain (spec 6.3,
//! D18, D19), provider `ram_role_arn/<previous>`.

use super::profile_spec::{AssumeRoleSettings, DEFAULT_ROLE_DURATION_SECS, MIN_ROLE_DURATION_SECS};
use super::sts::{self, Auth, Caller, StsMethod, DEFAULT_STS_HOST};
use crate::context::Context;
use crate::engine::{RefreshConfig, Refreshing, Source};
use crate::error::{Error, Result};
use crate::http::endpoint::describe;
use crate::http::RequestOptions;
use crate::model::{CredentialKind, ProviderName};
use crate::provider::{Inspection, ProvideCredentialsExt, Resolution, SharedProvider};
use futures_util::future::BoxFuture;
use std::sync::Arc;
use url::Url;

/// The AssumeRole source; use it through [`RamRoleArnProvider`].
#[derive(Debug)]
pub struct RamRoleArnSource {
    ctx: Context,
    previous: SharedProvider,
    settings: AssumeRoleSettings,
    url: Url,
    method: StsMethod,
    options: RequestOptions,
    name: ProviderName,
    origin: String,
}

/// AssumeRole behind the refresh engine.
pub type RamRoleArnProvider = Refreshing<RamRoleArnSource>;

impl RamRoleArnProvider {
    /// A builder over the credentials `previous` signs AssumeRole with; the role ARN is required.
    pub fn builder(ctx: &Context, previous: impl Into<SharedProvider>) -> RamRoleArnBuilder {
        RamRoleArnBuilder {
            ctx: ctx.clone(),
            previous: previous.into(),
            settings: AssumeRoleSettings {
                role_arn: String::new(),
                role_session_name: None,
                duration_seconds: DEFAULT_ROLE_DURATION_SECS,
                policy: None,
                external_id: None,
                sts_endpoint: None,
                sts_region: None,
                enable_vpc: None,
            },
            method: StsMethod::PostForm,
            options: RequestOptions::credential_service(),
            name: None,
            refresh: RefreshConfig::default(),
            origin: "ram_role_arn".to_owned(),
        }
    }
}

impl RamRoleArnSource {
    fn detail(&self) -> String {
        let mut d = format!(
            "role {}, previous {}",
            self.settings.role_arn,
            self.previous.name()
        );
        if self.origin != "ram_role_arn" {
            d.push_str(&format!(", from {}", self.origin));
        }
        d
    }
}

impl Source for RamRoleArnSource {
    fn fetch(&self) -> BoxFuture<'_, Result<Resolution>> {
        Box::pin(async move {
            let caller = Caller {
                provider: "ram_role_arn",
                detail: self.detail(),
            };
            let previous = self.previous.get().await?;
            if !matches!(
                previous.kind(),
                CredentialKind::AccessKey | CredentialKind::Sts
            ) {
                return Err(Error::invalid_config(
                    format!("ram_role_arn ({})", caller.detail),
                    format!(
                        "AssumeRole must be signed with an AccessKey, but the previous provider yields a {} credential",
                        previous.kind()
                    ),
                ));
            }
            let s = &self.settings;
            let session = s
                .role_session_name
                .clone()
                .unwrap_or_else(|| sts::default_session_name(&self.ctx));
            let duration = s.duration_seconds.to_string();
            let mut params = vec![
                ("RoleArn", s.role_arn.as_str()),
                ("RoleSessionName", session.as_str()),
                ("DurationSeconds", duration.as_str()),
            ];
            if let Some(p) = s.policy.as_deref() {
                params.push(("Policy", p));
            }
            if let Some(e) = s.external_id.as_deref() {
                params.push(("ExternalId", e));
            }
            let json = sts::call(
                &self.ctx,
                &self.url,
                self.method,
                "AssumeRole",
                &params,
                Auth::Credentials(&previous),
                &self.options,
                &caller,
            )
            .await?;
            let origin = format!("ram_role_arn ({})", caller.detail);
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
            reads: vec![format!(
                "STS AssumeRole at {} ({})",
                describe(&self.url),
                self.detail()
            )],
            warnings: Vec::new(),
        }
    }
}

/// Builds a [`RamRoleArnProvider`]. Builder values win over the environment.
#[derive(Debug)]
pub struct RamRoleArnBuilder {
    ctx: Context,
    previous: SharedProvider,
    settings: AssumeRoleSettings,
    method: StsMethod,
    options: RequestOptions,
    name: Option<ProviderName>,
    refresh: RefreshConfig,
    origin: String,
}

impl RamRoleArnBuilder {
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

    /// An inline policy that narrows the role's permissions (`Policy`).
    pub fn policy(mut self, policy: impl Into<String>) -> Self {
        self.settings.policy = Some(policy.into());
        self
    }

    /// The role's external id (`ExternalId`).
    pub fn external_id(mut self, id: impl Into<String>) -> Self {
        self.settings.external_id = Some(id.into());
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
    pub fn settings(mut self, settings: AssumeRoleSettings) -> Self {
        self.settings = settings;
        self
    }

    /// Send the parameters in a GET query instead of a POST form (for gateways that need it).
    pub fn use_get(mut self) -> Self {
        self.method = StsMethod::Get;
        self
    }

    /// Validates everything before any request: role ARN (or `ALIBABA_CLOUD_ROLE_ARN`),
    /// duration, endpoint.
    pub fn build(mut self) -> Result<RamRoleArnProvider> {
        let ctx = self.ctx.clone();
        if self.settings.role_arn.trim().is_empty() {
            self.settings.role_arn = ctx.var("ALIBABA_CLOUD_ROLE_ARN").ok_or_else(|| {
                Error::invalid_config(
                    &self.origin,
                    "the role ARN is missing: set role_arn or ALIBABA_CLOUD_ROLE_ARN",
                )
            })?;
        }
        if self.settings.role_session_name.is_none() {
            self.settings.role_session_name = ctx.var("ALIBABA_CLOUD_ROLE_SESSION_NAME");
        }
        if self.settings.external_id.is_none() {
            self.settings.external_id = ctx.var("ALIBABA_CLOUD_EXTERNAL_ID");
        }
        if self.settings.duration_seconds < MIN_ROLE_DURATION_SECS {
            return Err(Error::invalid_config(
                &self.origin,
                format!(
                    "the session duration {} s is below the STS minimum of {MIN_ROLE_DURATION_SECS} s",
                    self.settings.duration_seconds
                ),
            ));
        }
        let url = sts::resolve_endpoint(
            &ctx,
            self.settings.sts_endpoint.as_deref(),
            self.settings.sts_region.as_deref(),
            self.settings.enable_vpc,
            DEFAULT_STS_HOST,
        )?;
        let name = self.name.unwrap_or_else(|| {
            ProviderName::new("ram_role_arn").wrapping(&ProviderName::new(self.previous.name()))
        });
        let source = RamRoleArnSource {
            ctx: ctx.clone(),
            previous: self.previous,
            settings: self.settings,
            url,
            method: self.method,
            options: self.options,
            name,
            origin: self.origin,
        };
        Ok(Refreshing::with_config(
            source,
            ctx.clock().clone(),
            self.refresh,
        ))
    }
}

source_builder_setters!(
    RamRoleArnBuilder,
    "ram_role_arn/<previous>",
    request_options
);
