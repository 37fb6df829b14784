//! The Alibaba Cloud default chain (spec 5.2, D14–D17): env → OIDC → CLI config.json → INI file
//! → credentials URI → ECS metadata.
//!
//! Building the chain reads environment variables but does no I/O and starts no thread or task
//! (D16); files are read at the first request.

use super::env::{EnvProvider, ALIBABA_CLOUD};
use super::oidc_role_arn::OidcRoleArnFromEnv;
use super::profile_file::{ProfileChoice, PROFILE_VAR};
use super::{CliProfileProvider, CredentialsUriProvider, EcsRamRoleProvider, IniProfileProvider};
use crate::chain::Chain;
use crate::context::Context;
use crate::error::{Error, Result};
use crate::format::printable;
use crate::model::ProviderName;
use crate::provider::{ProvideCredentials, Resolution, SharedProvider};
use futures_util::future::BoxFuture;

/// `ALIBABA_CLOUD_ECS_METADATA_DISABLED=true` removes the metadata provider.
pub const ECS_METADATA_DISABLED_VAR: &str = "ALIBABA_CLOUD_ECS_METADATA_DISABLED";

/// Builds the default chain.
#[derive(Debug, Clone)]
pub struct DefaultChainBuilder {
    ctx: Context,
    profile: Option<String>,
    reuse_last: bool,
    ecs_metadata: Option<bool>,
}

impl DefaultChainBuilder {
    /// Uses this profile (INI section or CLI profile), as `ALIBABA_CLOUD_PROFILE` would.
    pub fn profile(mut self, name: impl Into<String>) -> Self {
        self.profile = Some(name.into());
        self
    }

    /// Whether to keep using the provider that succeeded first (default true).
    pub fn reuse_last_provider(mut self, reuse: bool) -> Self {
        self.reuse_last = reuse;
        self
    }

    /// Includes or removes the metadata provider regardless of the environment.
    pub fn ecs_metadata(mut self, enabled: bool) -> Self {
        self.ecs_metadata = Some(enabled);
        self
    }

    /// The chain, named `default`. Building does no I/O and starts no thread.
    pub fn build(self) -> Chain {
        let ctx = &self.ctx;
        let outer = "default";
        let choice = match self.profile.clone().or_else(|| ctx.var(PROFILE_VAR)) {
            Some(name) => ProfileChoice::Selected(name),
            None => ProfileChoice::Default,
        };
        // Inside Function Compute the runtime injects the execution role's STS credentials as
        // ALIBABA_CLOUD_* (spec 6.14): same variables, but reported as `fc`.
        let env_name = if super::function_compute::detected(ctx) {
            "fc"
        } else {
            "env"
        };
        let mut chain = Chain::builder()
            .name(outer)
            .reuse_last_provider(self.reuse_last)
            .provider(EnvProvider::with_names(
                ctx,
                ALIBABA_CLOUD,
                ProviderName::new(env_name).within(outer),
            ))
            .provider(OidcRoleArnFromEnv::new(
                ctx,
                ProviderName::new("oidc_role_arn").within(outer),
            ))
            .provider(
                CliProfileProvider::builder(ctx)
                    .choice(choice.clone())
                    .name_prefix(outer)
                    .build(),
            )
            .provider(
                IniProfileProvider::builder(ctx)
                    .choice(choice.clone())
                    .name_prefix(outer)
                    .build(),
            );
        if let ProfileChoice::Selected(name) = choice {
            chain = chain.provider(ProfileGuard::new(ctx, name, self.profile.is_some()));
        }
        chain = chain.provider(or_failing(
            "credential_uri",
            CredentialsUriProvider::builder(ctx)
                .in_chain()
                .name(ProviderName::new("credential_uri").within(outer))
                .build(),
        ));
        let ecs = match self.ecs_metadata {
            Some(enabled) => Ok(enabled),
            None => ctx
                .flag(ECS_METADATA_DISABLED_VAR)
                .map(|disabled| !disabled),
        };
        match ecs {
            Ok(true) => {
                chain = chain.provider(or_failing(
                    "ecs_ram_role",
                    EcsRamRoleProvider::builder(ctx)
                        .in_chain()
                        .name(ProviderName::new("ecs_ram_role").within(outer))
                        .build(),
                ))
            }
            Ok(false) => {}
            Err(e) => {
                chain = chain.provider(Failing {
                    name: "ecs_ram_role",
                    error: e,
                })
            }
        }
        chain.build()
    }
}

/// The default chain of `ctx`.
pub fn default_chain(ctx: &Context) -> Chain {
    DefaultChain::builder(ctx).build()
}

/// Entry point of the default chain.
/// Alibaba Cloud's default chain (spec 5.2); see [`DefaultChainBuilder`].
#[derive(Debug)]
pub struct DefaultChain;

impl DefaultChain {
    /// A builder over `ctx` (environment, files, clock); its setters beat the environment.
    pub fn builder(ctx: &Context) -> DefaultChainBuilder {
        DefaultChainBuilder {
            ctx: ctx.clone(),
            profile: None,
            reuse_last: true,
            ecs_metadata: None,
        }
    }
}

/// Spec D15: a profile named for the chain that neither file has stops the chain, instead of
/// letting the URI or metadata providers hand out another identity.
#[derive(Debug)]
struct ProfileGuard {
    name: String,
    origin: String,
    files: String,
}

impl ProfileGuard {
    fn new(ctx: &Context, name: String, from_builder: bool) -> Self {
        let home = ctx.home_dir();
        let file = |var: &str, rel: &str| match ctx.var(var) {
            Some(p) => p,
            None => home
                .as_ref()
                .map(|h| h.join(rel).display().to_string())
                .unwrap_or_else(|| format!("~/{rel}")),
        };
        let files = format!(
            "{} nor {}",
            file(super::cli_profile::CONFIG_FILE_VAR, ".aliyun/config.json"),
            file(
                super::ini_profile::CREDENTIALS_FILE_VAR,
                ".alibabacloud/credentials"
            )
        );
        let origin = if from_builder {
            "the profile option".to_owned()
        } else {
            format!("environment variable {PROFILE_VAR}")
        };
        Self {
            name,
            origin,
            files,
        }
    }
}

impl ProvideCredentials for ProfileGuard {
    fn resolve(&self) -> BoxFuture<'_, Result<Resolution>> {
        Box::pin(futures_util::future::ready(Err(Error::invalid_config(
            &self.origin,
            format!(
                "names the profile {0}, but neither {1} has it: create it (`aliyun configure --profile {0}`) or fix the name",
                printable(&self.name),
                self.files
            ),
        ))))
    }

    fn name(&self) -> &str {
        "profile_selection"
    }
}

/// The provider, or one that reports why it could not be built.
pub(crate) fn or_failing<P: Into<SharedProvider>>(
    name: &'static str,
    built: Result<P>,
) -> SharedProvider {
    match built {
        Ok(p) => p.into(),
        Err(error) => Failing { name, error }.into(),
    }
}

/// A provider whose configuration could not even be read (e.g. a non-boolean switch).
#[derive(Debug)]
pub(crate) struct Failing {
    pub(crate) name: &'static str,
    pub(crate) error: Error,
}

impl ProvideCredentials for Failing {
    fn resolve(&self) -> BoxFuture<'_, Result<Resolution>> {
        Box::pin(futures_util::future::ready(Err(self.error.clone())))
    }

    fn name(&self) -> &str {
        self.name
    }
}

impl From<DefaultChainBuilder> for SharedProvider {
    fn from(b: DefaultChainBuilder) -> Self {
        SharedProvider::new(b.build())
    }
}
