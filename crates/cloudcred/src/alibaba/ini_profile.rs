//! The INI profile file `~/.alibabacloud/credentials` (spec 6.12, D29–D31), provider `profile`.
//!
//! The file is read and the section turned into an inner provider at the first request, once;
//! the inner provider (and its cache) is kept for this provider's lifetime.

use super::profile_file::{
    FromProfileFile, LazyProvider, Loaded, ProfileChoice, ProfileFileBuilder, ProfileFileOptions,
    PROFILE_VAR,
};
use super::profile_spec::{role_duration, AssumeRoleSettings, OidcSettings, ProfileSpec};
use super::sts::rsa_duration;
use crate::context::Context;
use crate::error::{Error, Result};
use crate::format::ini::{IniFile, IniSection};
use crate::format::printable;
use crate::model::{Credentials, SecretString};
use crate::provider::{Inspection, ProvideCredentials, Resolution};
use futures_util::future::BoxFuture;
use std::path::PathBuf;
use std::sync::Arc;

/// `ALIBABA_CLOUD_CREDENTIALS_FILE`: the INI file's path.
pub const CREDENTIALS_FILE_VAR: &str = "ALIBABA_CLOUD_CREDENTIALS_FILE";

/// The `type` values of spec 2.3 (plus `sts` and `bearer`).
pub const INI_TYPES: [&str; 8] = [
    "access_key",
    "sts",
    "bearer",
    "ecs_ram_role",
    "ram_role_arn",
    "rsa_key_pair",
    "oidc_role_arn",
    "credentials_uri",
];

/// Credentials from a section of the INI profile file.
#[derive(Debug)]
pub struct IniProfileProvider {
    options: ProfileFileOptions,
    lazy: LazyProvider,
}

/// Builds an [`IniProfileProvider`].
pub type IniProfileProviderBuilder = ProfileFileBuilder<IniProfileProvider>;

impl FromProfileFile for IniProfileProvider {
    const NAME: &'static str = "profile";

    fn from_options(options: ProfileFileOptions) -> Self {
        Self {
            options,
            lazy: LazyProvider::default(),
        }
    }
}

/// Where the file is, and what `doctor` should know about the choice.
struct Located {
    path: PathBuf,
    ignored_legacy: Option<PathBuf>,
}

impl IniProfileProvider {
    /// The file and section the environment selects; provider names `profile/<inner>`.
    pub fn new(ctx: &Context) -> Self {
        Self::builder(ctx).build()
    }

    /// A builder to choose the profile and the file (builder values beat the environment).
    pub fn builder(ctx: &Context) -> IniProfileProviderBuilder {
        ProfileFileBuilder::new(ctx)
    }

    fn locate(&self) -> Result<std::result::Result<Located, String>> {
        if let Some(path) = &self.options.path {
            return if self.options.ctx.exists(path) {
                Ok(Ok(Located {
                    path: path.clone(),
                    ignored_legacy: None,
                }))
            } else {
                Err(Error::invalid_config(
                    format!("profile file {}", path.display()),
                    "the file does not exist: create it or pass an existing path",
                ))
            };
        }
        if let Some(raw) = self.options.ctx.var(CREDENTIALS_FILE_VAR) {
            let path = self.options.ctx.expand_path(&raw);
            return if self.options.ctx.exists(&path) {
                Ok(Ok(Located {
                    path,
                    ignored_legacy: None,
                }))
            } else {
                Err(Error::invalid_config(
                    format!("environment variable {CREDENTIALS_FILE_VAR}"),
                    format!(
                        "{} does not exist: create the file or unset {CREDENTIALS_FILE_VAR}",
                        path.display()
                    ),
                ))
            };
        }
        let Some(home) = self.options.ctx.home_dir() else {
            return Ok(Err("no home directory (HOME is not set)".to_owned()));
        };
        let dir = home.join(".alibabacloud");
        let main = dir.join("credentials");
        let legacy = dir.join("credentials.ini");
        if self.options.ctx.exists(&main) {
            let ignored_legacy = self.options.ctx.exists(&legacy).then_some(legacy);
            Ok(Ok(Located {
                path: main,
                ignored_legacy,
            }))
        } else if self.options.ctx.exists(&legacy) {
            Ok(Ok(Located {
                path: legacy,
                ignored_legacy: None,
            }))
        } else {
            Ok(Err(format!(
                "neither {} nor {} exists",
                main.display(),
                legacy.display()
            )))
        }
    }

    fn load(&self) -> Result<Loaded> {
        let located = match self.locate()? {
            Ok(l) => l,
            Err(reason) => return Ok(Loaded::NotConfigured(reason)),
        };
        let path = located.path;
        let text = self.options.ctx.read_to_string(&path)?;
        let file = IniFile::parse(&text, &path)?;
        let choice = self.options.choice.resolve(&self.options.ctx);
        let section_name = choice.name().unwrap_or("default");
        let shown = printable(section_name);
        let origin = format!("{} [{shown}]", path.display());
        let Some(section) = file.section(section_name) else {
            return match choice {
                ProfileChoice::Required(name) => Err(Error::invalid_config(
                    format!("profile file {}", path.display()),
                    format!(
                        "has no section [{}]: add it or choose another profile",
                        printable(&name)
                    ),
                )),
                _ => Ok(Loaded::NotConfigured(format!(
                    "{} has no section [{shown}]",
                    path.display()
                ))),
            };
        };
        match section.flag("enable") {
            Err(msg) => return Err(Error::invalid_config(origin, format!("enable: {msg}"))),
            Ok(Some(false)) => {
                return match choice {
                    ProfileChoice::Default => Ok(Loaded::NotConfigured(format!(
                        "section [{shown}] of {} is disabled (enable = false)",
                        path.display()
                    ))),
                    _ => Err(Error::invalid_config(
                        origin,
                        format!(
                            "profile {shown} is disabled (enable = false): set enable = true or choose another profile"
                        ),
                    )),
                }
            }
            Ok(_) => {}
        }
        let spec = spec_from_section(&self.options.ctx, section, &origin)?;
        Ok(Loaded::Provider(spec.build(
            &self.options.ctx,
            &self.options.outer,
            &origin,
        )?))
    }
}

fn required<'a>(section: &'a IniSection, key: &str, origin: &str) -> Result<&'a str> {
    match section.get(key) {
        Some(v) if !v.is_empty() => Ok(v),
        Some(_) => Err(Error::invalid_config(
            origin,
            format!("{key} is empty: give it a value"),
        )),
        None => Err(Error::invalid_config(
            origin,
            format!("{key} is missing: add `{key} = …`"),
        )),
    }
}

fn optional(section: &IniSection, key: &str) -> Option<String> {
    section
        .get(key)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

/// A required key that an environment variable may fill (spec 6.12: the fallbacks of 6.3/6.4).
fn required_or_env(
    ctx: &Context,
    section: &IniSection,
    key: &str,
    var: &str,
    origin: &str,
) -> Result<String> {
    optional(section, key)
        .or_else(|| ctx.var(var))
        .ok_or_else(|| {
            Error::invalid_config(
                origin,
                format!("{key} is missing: add `{key} = …` or set {var}"),
            )
        })
}

fn duration_key(section: &IniSection, key: &str, origin: &str) -> Result<Option<i64>> {
    match optional(section, key) {
        None => Ok(None),
        Some(v) => v.parse::<i64>().map(Some).map_err(|_| {
            Error::invalid_config(origin, format!("{key} is not a whole number of seconds"))
        }),
    }
}

/// Turns a section into a [`ProfileSpec`], validating every key its type needs.
fn spec_from_section(ctx: &Context, s: &IniSection, origin: &str) -> Result<ProfileSpec> {
    let kind = match s.get("type") {
        Some(t) if !t.is_empty() => t,
        _ => {
            return Err(Error::invalid_config(
                origin,
                "type is missing: add `type = access_key` (or another supported type)",
            ))
        }
    };
    let secret = |key: &str| required(s, key, origin).map(SecretString::from);
    Ok(match kind {
        "access_key" => ProfileSpec::AccessKey {
            id: required(s, "access_key_id", origin)?.to_owned(),
            secret: secret("access_key_secret")?,
        },
        "sts" => ProfileSpec::Sts {
            id: required(s, "access_key_id", origin)?.to_owned(),
            secret: secret("access_key_secret")?,
            token: secret("security_token")?,
        },
        "bearer" => ProfileSpec::Bearer {
            token: secret("bearer_token")?,
            header: None,
        },
        "ram_role_arn" => ProfileSpec::RamRoleArn {
            source: Box::new(ProfileSpec::AccessKey {
                id: required(s, "access_key_id", origin)?.to_owned(),
                secret: secret("access_key_secret")?,
            }),
            role: AssumeRoleSettings {
                role_arn: required_or_env(ctx, s, "role_arn", "ALIBABA_CLOUD_ROLE_ARN", origin)?,
                role_session_name: optional(s, "role_session_name")
                    .or_else(|| ctx.var("ALIBABA_CLOUD_ROLE_SESSION_NAME")),
                duration_seconds: role_duration(
                    duration_key(s, "role_session_expiration", origin)?,
                    origin,
                    "role_session_expiration",
                )?,
                policy: optional(s, "policy"),
                external_id: optional(s, "external_id")
                    .or_else(|| ctx.var("ALIBABA_CLOUD_EXTERNAL_ID")),
                sts_endpoint: None,
                sts_region: None,
                enable_vpc: None,
            },
        },
        "oidc_role_arn" => {
            let token_file = ctx.expand_path(&required_or_env(
                ctx,
                s,
                "oidc_token_file_path",
                "ALIBABA_CLOUD_OIDC_TOKEN_FILE",
                origin,
            )?);
            if !ctx.exists(&token_file) {
                return Err(Error::invalid_config(
                    origin,
                    format!(
                        "oidc_token_file_path {} does not exist: point it at the OIDC token file",
                        token_file.display()
                    ),
                ));
            }
            ProfileSpec::Oidc(OidcSettings {
                role_arn: required_or_env(ctx, s, "role_arn", "ALIBABA_CLOUD_ROLE_ARN", origin)?,
                oidc_provider_arn: required_or_env(
                    ctx,
                    s,
                    "oidc_provider_arn",
                    "ALIBABA_CLOUD_OIDC_PROVIDER_ARN",
                    origin,
                )?,
                oidc_token_file: token_file,
                role_session_name: optional(s, "role_session_name")
                    .or_else(|| ctx.var("ALIBABA_CLOUD_ROLE_SESSION_NAME")),
                duration_seconds: role_duration(
                    duration_key(s, "role_session_expiration", origin)?,
                    origin,
                    "role_session_expiration",
                )?,
                policy: optional(s, "policy"),
                sts_endpoint: None,
                sts_region: None,
                enable_vpc: None,
            })
        }
        "ecs_ram_role" => ProfileSpec::EcsRamRole {
            role_name: optional(s, "role_name").or_else(|| ctx.var("ALIBABA_CLOUD_ECS_METADATA")),
        },
        "rsa_key_pair" => ProfileSpec::RsaKeyPair {
            public_key_id: required(s, "public_key_id", origin)?.to_owned(),
            private_key: ctx
                .expand_path(required(s, "private_key_file", origin)?)
                .to_string_lossy()
                .into_owned(),
            duration_seconds: rsa_duration(duration_key(s, "session_expiration", origin)?, origin)?,
        },
        "credentials_uri" => ProfileSpec::CredentialsUri {
            uri: required(s, "credentials_uri", origin)?.to_owned(),
        },
        _ => {
            return Err(Error::invalid_config(
                origin,
                format!("unknown type; supported types are {}", INI_TYPES.join(", ")),
            ))
        }
    })
}

impl ProvideCredentials for IniProfileProvider {
    fn resolve(&self) -> BoxFuture<'_, Result<Resolution>> {
        Box::pin(self.lazy.resolve(|| self.load()))
    }

    #[inline]
    fn cached(&self) -> Option<Arc<Credentials>> {
        self.lazy.cached()
    }

    fn name(&self) -> &str {
        "profile"
    }

    fn inspect(&self) -> Inspection {
        let mut out = Inspection::default();
        out.reads.push(format!(
            "env {CREDENTIALS_FILE_VAR} ({})",
            if self.options.ctx.var(CREDENTIALS_FILE_VAR).is_some() {
                "set"
            } else {
                "unset"
            }
        ));
        out.reads.push(format!(
            "env {PROFILE_VAR} ({})",
            if self.options.ctx.var(PROFILE_VAR).is_some() {
                "set"
            } else {
                "unset"
            }
        ));
        if let Ok(Ok(located)) = self.locate() {
            out.reads.push(format!("file {}", located.path.display()));
            out.warnings
                .extend(self.options.ctx.exposure_warnings(&located.path));
            if let Some(legacy) = located.ignored_legacy {
                out.warnings.push(format!(
                    "{} is ignored because {} exists; merge the two files",
                    legacy.display(),
                    located.path.display()
                ));
            }
            if let Ok(text) = self.options.ctx.read_to_string(&located.path) {
                if let Ok(file) = IniFile::parse(&text, &located.path) {
                    out.warnings.extend(file.warnings().iter().map(|w| {
                        format!("{} line {}: {}", located.path.display(), w.line, w.message)
                    }));
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

    fn spec(text: &str, section: &str, env: &[(&str, &str)]) -> Result<ProfileSpec> {
        let file = IniFile::parse(text, std::path::Path::new("/t/credentials")).unwrap();
        let ctx = Context::from_env(
            env.iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<MapEnv>(),
        );
        spec_from_section(&ctx, file.section(section).unwrap(), "/t/credentials [s]")
    }

    #[test]
    fn ram_role_arn_settings() {
        let text = "[s]\ntype = ram_role_arn\naccess_key_id = LTAI1\naccess_key_secret = sec\nrole_arn = acs:ram::1:role/r\nrole_session_name = sess\nrole_session_expiration = 1800\npolicy = {\"Statement\": [], \"Version\": \"1\"}\nregion_id = cn-hangzhou\n";
        let ProfileSpec::RamRoleArn { source, role } =
            spec(text, "s", &[("ALIBABA_CLOUD_EXTERNAL_ID", "ext")]).unwrap()
        else {
            panic!()
        };
        assert!(matches!(*source, ProfileSpec::AccessKey { ref id, .. } if id == "LTAI1"));
        assert_eq!(role.role_arn, "acs:ram::1:role/r");
        assert_eq!(role.role_session_name.as_deref(), Some("sess"));
        assert_eq!(role.duration_seconds, 1800);
        assert_eq!(
            role.policy.as_deref(),
            Some("{\"Statement\": [], \"Version\": \"1\"}")
        );
        assert_eq!(role.external_id.as_deref(), Some("ext"));
    }

    #[test]
    fn ram_defaults_and_environment_fallbacks() {
        let text = "[s]\ntype = ram_role_arn\naccess_key_id = LTAI1\naccess_key_secret = sec\n";
        let env = [
            ("ALIBABA_CLOUD_ROLE_ARN", "acs:ram::1:role/env"),
            ("ALIBABA_CLOUD_ROLE_SESSION_NAME", "env-sess"),
        ];
        let ProfileSpec::RamRoleArn { role, .. } = spec(text, "s", &env).unwrap() else {
            panic!()
        };
        assert_eq!(
            (
                role.role_arn.as_str(),
                role.role_session_name.as_deref(),
                role.duration_seconds
            ),
            ("acs:ram::1:role/env", Some("env-sess"), 3600)
        );
        let text = "[s]\ntype = ram_role_arn\naccess_key_id = LTAI1\naccess_key_secret = sec\nrole_arn = r\nrole_session_expiration = soon\n";
        assert!(spec(text, "s", &[])
            .unwrap_err()
            .to_string()
            .contains("role_session_expiration"));
    }

    #[test]
    fn oidc_ecs_rsa_uri_settings() {
        let token = tempfile::NamedTempFile::new().unwrap();
        let text = format!(
            "[o]\ntype = oidc_role_arn\nrole_arn = r\noidc_provider_arn = p\noidc_token_file_path = {}\nrole_session_name = s\n\
             [e]\ntype = ecs_ram_role\nrole_name = Role\n[d]\ntype = ecs_ram_role\n\
             [k]\ntype = rsa_key_pair\npublic_key_id = TMPSK.x\nprivate_key_file = /k.pem\nsession_expiration = 4000\n\
             [u]\ntype = credentials_uri\ncredentials_uri = http://127.0.0.1:1/c\n",
            token.path().display()
        );
        let ProfileSpec::Oidc(o) = spec(&text, "o", &[]).unwrap() else {
            panic!()
        };
        assert_eq!(
            (
                o.role_arn.as_str(),
                o.oidc_provider_arn.as_str(),
                o.oidc_token_file.as_path(),
                o.role_session_name.as_deref()
            ),
            ("r", "p", token.path(), Some("s"))
        );
        assert!(
            matches!(spec(&text, "e", &[]).unwrap(), ProfileSpec::EcsRamRole { role_name: Some(ref r) } if r == "Role")
        );
        assert!(matches!(
            spec(&text, "d", &[]).unwrap(),
            ProfileSpec::EcsRamRole { role_name: None }
        ));
        assert!(
            matches!(spec(&text, "d", &[("ALIBABA_CLOUD_ECS_METADATA", "EnvRole")]).unwrap(), ProfileSpec::EcsRamRole { role_name: Some(ref r) } if r == "EnvRole")
        );
        assert!(spec(&text, "k", &[])
            .unwrap_err()
            .to_string()
            .contains("900–3600"));
        assert!(
            matches!(spec(&text, "u", &[]).unwrap(), ProfileSpec::CredentialsUri { ref uri } if uri == "http://127.0.0.1:1/c")
        );
    }
}
