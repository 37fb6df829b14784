//! The aliyun CLI's `~/.aliyun/config.json` (spec 6.13, D32–D36), provider `cli_profile`.
//!
//! All 14 modes are parsed and validated here; each becomes a [`ProfileSpec`] and then a
//! provider. `source_profile` chains are followed with cycle detection (D35).

use super::profile_file::{
    FromProfileFile, LazyProvider, Loaded, ProfileChoice, ProfileFileBuilder, ProfileFileOptions,
    PROFILE_VAR,
};
use super::profile_spec::{role_duration, AssumeRoleSettings, OidcSettings, ProfileSpec};
use crate::context::Context;
use crate::error::{Error, Result};
use crate::format::cli_config::{CliConfig, CliProfile, Mode};
use crate::format::printable;
use crate::model::{Credentials, SecretString};
use crate::provider::{Inspection, ProvideCredentials, Resolution};
use futures_util::future::BoxFuture;
use std::path::PathBuf;
use std::sync::Arc;

/// `ALIBABA_CLOUD_CONFIG_FILE`: path of config.json (D11).
pub const CONFIG_FILE_VAR: &str = "ALIBABA_CLOUD_CONFIG_FILE";
/// `ALIBABA_CLOUD_CLI_PROFILE_DISABLED=true` removes this provider.
pub const DISABLED_VAR: &str = "ALIBABA_CLOUD_CLI_PROFILE_DISABLED";
/// `ALIBABA_CLOUD_DISABLE_EXTERNAL_PROCESS=true` refuses External and CredentialsURI profiles.
pub const DISABLE_EXTERNAL_PROCESS_VAR: &str = "ALIBABA_CLOUD_DISABLE_EXTERNAL_PROCESS";

/// Credentials from a profile of the aliyun CLI's config.json.
#[derive(Debug)]
pub struct CliProfileProvider {
    options: ProfileFileOptions,
    lazy: LazyProvider,
}

/// Builds a [`CliProfileProvider`].
pub type CliProfileProviderBuilder = ProfileFileBuilder<CliProfileProvider>;

impl FromProfileFile for CliProfileProvider {
    const NAME: &'static str = "cli_profile";

    fn from_options(options: ProfileFileOptions) -> Self {
        Self {
            options,
            lazy: LazyProvider::default(),
        }
    }
}

impl CliProfileProvider {
    /// The profile of the aliyun CLI `config.json` that `ALIBABA_CLOUD_PROFILE` or the file's `current` names, from `ALIBABA_CLOUD_CONFIG_FILE` or `~/.aliyun/config.json`.
    pub fn new(ctx: &Context) -> Self {
        Self::builder(ctx).build()
    }

    /// A builder to choose the profile and the file (builder values beat the environment).
    pub fn builder(ctx: &Context) -> CliProfileProviderBuilder {
        ProfileFileBuilder::new(ctx)
    }

    /// The config.json path, or why there is none.
    pub(crate) fn locate(&self) -> Result<std::result::Result<PathBuf, String>> {
        if let Some(path) = &self.options.path {
            return if self.options.ctx.exists(path) {
                Ok(Ok(path.clone()))
            } else {
                Err(Error::invalid_config(
                    format!("CLI config {}", path.display()),
                    "the file does not exist: run `aliyun configure` or pass an existing path",
                ))
            };
        }
        if let Some(raw) = self.options.ctx.var(CONFIG_FILE_VAR) {
            let path = self.options.ctx.expand_path(&raw);
            return if self.options.ctx.exists(&path) {
                Ok(Ok(path))
            } else {
                Err(Error::invalid_config(
                    format!("environment variable {CONFIG_FILE_VAR}"),
                    format!(
                        "{} does not exist: create it or unset {CONFIG_FILE_VAR}",
                        path.display()
                    ),
                ))
            };
        }
        let Some(home) = self.options.ctx.home_dir() else {
            return Ok(Err("no home directory (HOME is not set)".to_owned()));
        };
        let path = home.join(".aliyun").join("config.json");
        if self.options.ctx.exists(&path) {
            Ok(Ok(path))
        } else {
            Ok(Err(format!("{} does not exist", path.display())))
        }
    }

    fn load(&self) -> Result<Loaded> {
        if self.options.ctx.flag(DISABLED_VAR)? {
            return match self.options.choice {
                ProfileChoice::Required(_) => Err(Error::invalid_config(
                    format!("environment variable {DISABLED_VAR}"),
                    format!("the CLI profile provider is disabled: unset {DISABLED_VAR} to use it"),
                )),
                _ => Ok(Loaded::NotConfigured(format!("disabled by {DISABLED_VAR}"))),
            };
        }
        let path = match self.locate()? {
            Ok(p) => p,
            Err(reason) => return Ok(Loaded::NotConfigured(reason)),
        };
        let text = self.options.ctx.read_to_string(&path)?;
        let config = CliConfig::parse(&text, &path)?;
        let choice = self.options.choice.resolve(&self.options.ctx);
        let name = match choice.name() {
            Some(n) => n.to_owned(),
            None => match config.current() {
                Some(c) => c.to_owned(),
                None => {
                    return Ok(Loaded::NotConfigured(format!(
                        "{} has no `current` profile",
                        path.display()
                    )))
                }
            },
        };
        if config.profile(&name).is_none() {
            return match choice {
                ProfileChoice::Selected(_) => Ok(Loaded::NotConfigured(format!(
                    "{} has no profile {}",
                    path.display(),
                    printable(&name)
                ))),
                ProfileChoice::Required(_) => Err(Error::invalid_config(
                    format!("CLI config {}", path.display()),
                    format!(
                        "has no profile {0}: run `aliyun configure --profile {0}` or choose another",
                        printable(&name)
                    ),
                )),
                ProfileChoice::Default => Err(Error::invalid_config(
                    format!("CLI config {}", path.display()),
                    format!(
                        "`current` names the profile {}, which does not exist: run `aliyun configure set --profile <name>` or fix `current`",
                        printable(&name)
                    ),
                )),
            };
        }
        let spec = spec_for(&self.options.ctx, &config, &name)?;
        let origin = format!("{} profile {}", path.display(), printable(&name));
        Ok(Loaded::Provider(spec.build(
            &self.options.ctx,
            &self.options.outer,
            &origin,
        )?))
    }
}

fn required(p: &CliProfile, key: &str) -> Result<String> {
    p.string(key)?.map(str::to_owned).ok_or_else(|| {
        Error::invalid_config(
            p.origin(),
            format!(
                "{key} is missing or empty: run `aliyun configure --profile {}` or add it",
                printable(p.name())
            ),
        )
    })
}

fn optional(p: &CliProfile, key: &str) -> Result<Option<String>> {
    Ok(p.string(key)?.map(str::to_owned))
}

fn assume_role(ctx: &Context, p: &CliProfile) -> Result<AssumeRoleSettings> {
    Ok(AssumeRoleSettings {
        role_arn: required(p, "ram_role_arn")?,
        role_session_name: optional(p, "ram_session_name")?
            .or_else(|| ctx.var("ALIBABA_CLOUD_ROLE_SESSION_NAME")),
        duration_seconds: role_duration(p.int("expired_seconds")?, &p.origin(), "expired_seconds")?,
        policy: optional(p, "policy")?,
        external_id: optional(p, "external_id")?.or_else(|| ctx.var("ALIBABA_CLOUD_EXTERNAL_ID")),
        sts_endpoint: optional(p, "sts_endpoint")?,
        sts_region: optional(p, "sts_region")?,
        enable_vpc: p.bool("enable_vpc")?,
    })
}

fn external_processes_allowed(ctx: &Context, p: &CliProfile, mode: Mode) -> Result<()> {
    if ctx.flag(DISABLE_EXTERNAL_PROCESS_VAR)? {
        return Err(Error::invalid_config(
            p.origin(),
            format!(
                "mode {} is refused because {DISABLE_EXTERNAL_PROCESS_VAR} is true: unset it to allow this profile",
                mode.as_str()
            ),
        ));
    }
    Ok(())
}

/// The spec of profile `name`, following `source_profile` for chained roles.
pub fn spec_for(ctx: &Context, config: &CliConfig, name: &str) -> Result<ProfileSpec> {
    let p = config.profile(name).ok_or_else(|| {
        Error::invalid_config(
            format!("CLI config {}", config.path().display()),
            format!("has no profile {}", printable(name)),
        )
    })?;
    let (mode, _inferred) = p.mode()?;
    let now = ctx.clock().now().timestamp();
    Ok(match mode {
        Mode::Ak => ProfileSpec::AccessKey {
            id: required(p, "access_key_id")?,
            secret: SecretString::new(required(p, "access_key_secret")?),
        },
        Mode::StsToken => ProfileSpec::Sts {
            id: required(p, "access_key_id")?,
            secret: SecretString::new(required(p, "access_key_secret")?),
            token: SecretString::new(required(p, "sts_token")?),
        },
        Mode::RamRoleArn => {
            let id = required(p, "access_key_id")?;
            let secret = SecretString::new(required(p, "access_key_secret")?);
            let source = match optional(p, "sts_token")? {
                Some(token) => ProfileSpec::Sts {
                    id,
                    secret,
                    token: SecretString::new(token),
                },
                None => ProfileSpec::AccessKey { id, secret },
            };
            ProfileSpec::RamRoleArn {
                source: Box::new(source),
                role: assume_role(ctx, p)?,
            }
        }
        Mode::ChainableRamRoleArn => {
            // Validates the whole chain (cycles, missing profiles) before any request.
            let chain = config.source_chain(name)?;
            let source_name = chain
                .get(1)
                .map(|s| s.name().to_owned())
                .ok_or_else(|| Error::invalid_config(p.origin(), "source_profile is missing"))?;
            ProfileSpec::RamRoleArn {
                source: Box::new(spec_for(ctx, config, &source_name)?),
                role: assume_role(ctx, p)?,
            }
        }
        Mode::RamRoleArnWithRoleName => ProfileSpec::RamRoleArn {
            source: Box::new(ProfileSpec::EcsRamRole {
                role_name: optional(p, "ram_role_name")?,
            }),
            role: assume_role(ctx, p)?,
        },
        Mode::EcsRamRole => ProfileSpec::EcsRamRole {
            role_name: optional(p, "ram_role_name")?,
        },
        Mode::Oidc => {
            let token_file = ctx.expand_path(&required(p, "oidc_token_file")?);
            ProfileSpec::Oidc(OidcSettings {
                role_arn: required(p, "ram_role_arn")?,
                oidc_provider_arn: required(p, "oidc_provider_arn")?,
                oidc_token_file: token_file,
                role_session_name: optional(p, "ram_session_name")?
                    .or(optional(p, "role_session_name")?)
                    .or_else(|| ctx.var("ALIBABA_CLOUD_ROLE_SESSION_NAME")),
                duration_seconds: role_duration(
                    p.int("expired_seconds")?,
                    &p.origin(),
                    "expired_seconds",
                )?,
                policy: optional(p, "policy")?,
                sts_endpoint: optional(p, "sts_endpoint")?,
                sts_region: optional(p, "sts_region")?,
                enable_vpc: p.bool("enable_vpc")?,
            })
        }
        Mode::RsaKeyPair => ProfileSpec::RsaKeyPair {
            public_key_id: required(p, "key_pair_name")?,
            private_key: {
                let raw = required(p, "private_key")?;
                if raw.starts_with("-----BEGIN") {
                    raw
                } else {
                    ctx.expand_path(&raw).to_string_lossy().into_owned()
                }
            },
            duration_seconds: super::sts::rsa_duration(p.int("expired_seconds")?, &p.origin())?,
        },
        Mode::CredentialsUri => {
            external_processes_allowed(ctx, p, mode)?;
            ProfileSpec::CredentialsUri {
                uri: optional(p, "credentials_uri")?
                    .or_else(|| ctx.var("ALIBABA_CLOUD_CREDENTIALS_URI"))
                    .ok_or_else(|| {
                        Error::invalid_config(
                            p.origin(),
                            "credentials_uri is missing: add it or set ALIBABA_CLOUD_CREDENTIALS_URI",
                        )
                    })?,
            }
        }
        Mode::External => {
            external_processes_allowed(ctx, p, mode)?;
            ProfileSpec::External {
                command: required(p, "process_command")?,
                write_back: Some((config.path().to_owned(), p.name().to_owned())),
            }
        }
        Mode::BearerToken => ProfileSpec::Bearer {
            token: SecretString::new(
                optional(p, "bearer_token")?
                    .or_else(|| ctx.var("ALIBABA_CLOUD_BEARER_TOKEN"))
                    .ok_or_else(|| {
                        Error::invalid_config(
                            p.origin(),
                            "bearer_token is missing: add it or set ALIBABA_CLOUD_BEARER_TOKEN",
                        )
                    })?,
            ),
            header: optional(p, "bearer_token_header_key")?,
        },
        Mode::CloudSso => {
            let access_token = p.string("access_token")?;
            let expire = p.int("cloud_sso_access_token_expire")?.unwrap_or(0);
            if access_token.is_none() || expire <= now {
                return Err(Error::invalid_config(
                    p.origin(),
                    format!(
                        "the CloudSSO access token is missing or expired: log in again with aliyun-cli \
                         (`aliyun configure --profile {} --mode CloudSSO`)",
                        printable(p.name())
                    ),
                ));
            }
            ProfileSpec::CloudSso {
                sign_in_url: required(p, "cloud_sso_sign_in_url")?,
                account_id: required(p, "cloud_sso_account_id")?,
                access_config: required(p, "cloud_sso_access_config")?,
                access_token: SecretString::new(access_token.unwrap_or_default()),
                access_token_expire: expire,
            }
        }
        Mode::OAuth => {
            let site = p
                .string("oauth_site_type")?
                .unwrap_or_default()
                .to_ascii_uppercase();
            if site != "CN" && site != "INTL" {
                return Err(Error::invalid_config(
                    p.origin(),
                    "oauth_site_type must be CN or INTL: set it, or log in again with aliyun-cli",
                ));
            }
            ProfileSpec::OAuth {
                profile_name: p.name().to_owned(),
                site_type: site,
                config_path: config.path().to_owned(),
            }
        }
        Mode::Anonymous => ProfileSpec::Anonymous,
    })
}

impl ProvideCredentials for CliProfileProvider {
    fn resolve(&self) -> BoxFuture<'_, Result<Resolution>> {
        Box::pin(self.lazy.resolve(|| self.load()))
    }

    #[inline]
    fn cached(&self) -> Option<Arc<Credentials>> {
        self.lazy.cached()
    }

    fn name(&self) -> &str {
        "cli_profile"
    }

    fn inspect(&self) -> Inspection {
        let mut out = Inspection::default();
        for var in [DISABLED_VAR, CONFIG_FILE_VAR, PROFILE_VAR] {
            out.reads.push(format!(
                "env {var} ({})",
                if self.options.ctx.var(var).is_some() {
                    "set"
                } else {
                    "unset"
                }
            ));
        }
        if let Ok(Ok(path)) = self.locate() {
            out.reads.push(format!("file {}", path.display()));
            out.warnings
                .extend(self.options.ctx.exposure_warnings(&path));
            if let Ok(text) = self.options.ctx.read_to_string(&path) {
                if let Ok(config) = CliConfig::parse(&text, &path) {
                    out.warnings.extend(config.warnings());
                    let choice = self.options.choice.resolve(&self.options.ctx);
                    let name = choice
                        .name()
                        .map(str::to_owned)
                        .or_else(|| config.current().map(str::to_owned));
                    if let Some(p) = name.as_deref().and_then(|n| config.profile(n)) {
                        if let Ok((mode, true)) = p.mode() {
                            out.warnings.push(format!(
                                "profile {} has no `mode`; inferred {} as aliyun-cli does: add \"mode\": \"{}\"",
                                printable(p.name()),
                                mode.as_str(),
                                mode.as_str()
                            ));
                        }
                    }
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::MapEnv;

    fn fixture_config() -> CliConfig {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../testdata/fixtures/aliyun/config.json");
        CliConfig::parse(&std::fs::read_to_string(&path).unwrap(), &path).unwrap()
    }

    fn spec(name: &str) -> ProfileSpec {
        spec_for(&Context::from_env(MapEnv::new()), &fixture_config(), name).unwrap()
    }

    #[test]
    fn ram_role_fields() {
        let ProfileSpec::RamRoleArn { source, role } = spec("ramrole") else {
            panic!()
        };
        assert!(
            matches!(*source, ProfileSpec::AccessKey { ref id, .. } if id == "LTAIFAKECLIRAMSRC005")
        );
        assert_eq!(
            role.role_session_name.as_deref(),
            Some("fixture-cli-session")
        );
        assert_eq!(role.duration_seconds, 1800);
        assert_eq!(role.external_id.as_deref(), Some("fake external id"));
        assert!(role.policy.as_deref().unwrap().contains("\"Statement\": ["));
        assert_eq!(
            (role.sts_region.as_deref(), role.enable_vpc),
            (Some("cn-hangzhou"), Some(false))
        );
        let ProfileSpec::RamRoleArn { role, .. } = spec("ramrole-vpc") else {
            panic!()
        };
        assert_eq!(
            (
                role.sts_region.as_deref(),
                role.enable_vpc,
                role.duration_seconds
            ),
            (Some("cn-beijing"), Some(true), 3600)
        );
        let ProfileSpec::RamRoleArn { role, .. } = spec("ramrole-endpoint") else {
            panic!()
        };
        assert_eq!(
            role.sts_endpoint.as_deref(),
            Some("http://127.0.0.1:@PORT@")
        );
    }

    #[test]
    fn chains_nest_their_sources() {
        let ProfileSpec::RamRoleArn { source, role } = spec("chain-two-hops") else {
            panic!()
        };
        assert_eq!(role.role_arn, "acs:ram::1000000000000000:role/fake-hop-2");
        assert_eq!(role.external_id.as_deref(), Some("fake-external-id-2"));
        let ProfileSpec::RamRoleArn {
            source: inner,
            role: hop1,
        } = *source
        else {
            panic!()
        };
        assert_eq!(hop1.role_arn, "acs:ram::1000000000000000:role/fake-hop-1");
        assert!(
            matches!(*inner, ProfileSpec::AccessKey { ref id, .. } if id == "LTAIFAKECLIDEFAULT01")
        );
        assert_eq!(
            spec("chain-two-hops").provider_name().as_str(),
            "ram_role_arn/ram_role_arn/static_ak"
        );
        let ProfileSpec::RamRoleArn { source, .. } = spec("ram-with-ecs") else {
            panic!()
        };
        assert!(
            matches!(*source, ProfileSpec::EcsRamRole { role_name: Some(ref r) } if r == "FakeCliEcsRole")
        );
        let ProfileSpec::RamRoleArn { source, .. } = spec("chain-over-oauth") else {
            panic!()
        };
        assert!(
            matches!(*source, ProfileSpec::OAuth { ref profile_name, ref site_type, .. } if profile_name == "oauth-cn" && site_type == "CN")
        );
    }

    #[test]
    fn oidc_session_name_spellings_and_other_modes() {
        let ProfileSpec::Oidc(o) = spec("oidc") else {
            panic!()
        };
        assert_eq!(o.role_session_name.as_deref(), Some("fixture-cli-oidc"));
        let ProfileSpec::Oidc(o) = spec("oidc-role-session-name-key") else {
            panic!()
        };
        assert_eq!(
            o.role_session_name.as_deref(),
            Some("fixture-python-spelling")
        );
        assert!(matches!(
            spec("ecs-discover"),
            ProfileSpec::EcsRamRole { role_name: None }
        ));
        assert!(
            matches!(spec("uri"), ProfileSpec::CredentialsUri { ref uri } if uri.ends_with("/uri/fixture"))
        );
        assert!(
            matches!(spec("external-echo-ak"), ProfileSpec::External { ref command, .. } if command.starts_with("/bin/echo '"))
        );
        assert!(
            matches!(spec("rsa"), ProfileSpec::RsaKeyPair { ref public_key_id, duration_seconds: 3600, .. } if public_key_id == "TMPSK.FAKEPUBLICKEY0021")
        );
        assert!(
            matches!(spec("sso"), ProfileSpec::CloudSso { ref account_id, .. } if account_id == "1000000000000000")
        );
    }
}
