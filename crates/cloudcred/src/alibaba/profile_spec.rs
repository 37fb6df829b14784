//! What a profile describes, independent of the file it came from.
//!
//! The INI file (types, spec 6.12) and the aliyun CLI `config.json` (modes, spec 6.13) both
//! reduce a profile to a [`ProfileSpec`]; one function turns a spec into a provider, so the two
//! files cannot drift apart in what a given kind of source does.

use crate::context::Context;
use crate::error::{Error, Result};
use crate::model::{ProviderName, SecretString};
use crate::provider::SharedProvider;
use std::fmt;

use super::{
    CloudSsoProvider, CredentialsUriProvider, EcsRamRoleProvider, OidcRoleArnProvider,
    RamRoleArnProvider, StaticProvider,
};

/// Default `DurationSeconds` of AssumeRole and AssumeRoleWithOIDC.
pub const DEFAULT_ROLE_DURATION_SECS: u32 = 3600;
/// The smallest `DurationSeconds` STS accepts.
pub const MIN_ROLE_DURATION_SECS: u32 = 900;

/// Settings of an STS AssumeRole call (spec 6.3).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AssumeRoleSettings {
    /// The role to assume (`RoleArn`).
    pub role_arn: String,
    /// The role session name; `None` takes the environment's, else a generated one.
    pub role_session_name: Option<String>,
    /// The session duration in seconds (`DurationSeconds`).
    pub duration_seconds: u32,
    /// An inline policy that narrows the role's permissions.
    pub policy: Option<String>,
    /// The role's external id (`ExternalId`).
    pub external_id: Option<String>,
    /// An STS host, `host:port` or URL that beats every other endpoint source.
    pub sts_endpoint: Option<String>,
    /// The STS region (`sts.<region>.aliyuncs.com`).
    pub sts_region: Option<String>,
    /// Whether to use the region's VPC endpoint.
    pub enable_vpc: Option<bool>,
}

/// Settings of an STS AssumeRoleWithOIDC call (spec 6.4).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct OidcSettings {
    /// The role to assume (`RoleArn`).
    pub role_arn: String,
    /// The OIDC identity provider (`OIDCProviderArn`).
    pub oidc_provider_arn: String,
    /// The file holding the OIDC token.
    pub oidc_token_file: std::path::PathBuf,
    /// The role session name; `None` takes the environment's, else a generated one.
    pub role_session_name: Option<String>,
    /// The session duration in seconds (`DurationSeconds`).
    pub duration_seconds: u32,
    /// An inline policy that narrows the role's permissions.
    pub policy: Option<String>,
    /// An STS host, `host:port` or URL that beats every other endpoint source.
    pub sts_endpoint: Option<String>,
    /// The STS region (`sts.<region>.aliyuncs.com`).
    pub sts_region: Option<String>,
    /// Whether to use the region's VPC endpoint.
    pub enable_vpc: Option<bool>,
}

/// A source of credentials as a profile describes it.
#[derive(Clone)]
#[non_exhaustive]
pub enum ProfileSpec {
    /// A long-term AccessKey pair.
    AccessKey {
        /// The AccessKey id.
        id: String,
        /// The AccessKey secret.
        secret: SecretString,
    },
    /// STS credentials without a known expiration.
    Sts {
        /// The AccessKey id.
        id: String,
        /// The AccessKey secret.
        secret: SecretString,
        /// The security token.
        token: SecretString,
    },
    /// A bearer token.
    Bearer {
        /// The token.
        token: SecretString,
        /// The header that carries it, when not the default.
        header: Option<String>,
    },
    /// No credentials: requests go unsigned.
    Anonymous,
    /// AssumeRole with the credentials of `source` (role chaining when `source` is itself a role).
    RamRoleArn {
        /// The credentials AssumeRole is signed with.
        source: Box<ProfileSpec>,
        /// The AssumeRole settings.
        role: AssumeRoleSettings,
    },
    /// STS AssumeRoleWithOIDC.
    Oidc(OidcSettings),
    /// The ECS instance's RAM role from the metadata service.
    EcsRamRole {
        /// The role; `None` discovers the attached one.
        role_name: Option<String>,
    },
    /// STS GenerateSessionAccessKey signed with an RSA key pair.
    RsaKeyPair {
        /// The key pair's public key id.
        public_key_id: String,
        /// A path, or inline PEM when it starts with `-----BEGIN` (CLI `private_key`).
        private_key: String,
        /// The session duration in seconds (900–3600).
        duration_seconds: u32,
    },
    /// A credentials URI that answers the credential document.
    CredentialsUri {
        /// The URI.
        uri: String,
    },
    /// CloudSSO: an access configuration assumed with the CLI's sign-in token.
    CloudSso {
        /// The sign-in portal URL.
        sign_in_url: String,
        /// The account id.
        account_id: String,
        /// The access configuration id.
        access_config: String,
        /// The sign-in access token.
        access_token: SecretString,
        /// The access token's expiry, in epoch seconds.
        access_token_expire: i64,
    },
    /// aliyun-cli's OAuth login, exchanged for STS credentials.
    OAuth {
        /// The config.json profile whose tokens rotate.
        profile_name: String,
        /// The OAuth site (`CN` or `INTL`).
        site_type: String,
        /// The config.json holding the tokens (re-read and written back).
        config_path: std::path::PathBuf,
    },
    /// An external process that prints credentials.
    External {
        /// The command line.
        command: String,
        /// config.json and profile to write the credentials back to.
        write_back: Option<(std::path::PathBuf, String)>,
    },
}

impl fmt::Debug for ProfileSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Only the kind: ids, ARNs and paths are not secret, but nothing here needs them.
        write!(f, "ProfileSpec::{}", self.kind_name())
    }
}

impl ProfileSpec {
    /// The provider name of this kind (spec 2.2).
    pub fn kind_name(&self) -> &'static str {
        match self {
            ProfileSpec::AccessKey { .. } => "static_ak",
            ProfileSpec::Sts { .. } => "static_sts",
            ProfileSpec::Bearer { .. } => "bearer",
            ProfileSpec::Anonymous => "anonymous",
            ProfileSpec::RamRoleArn { .. } => "ram_role_arn",
            ProfileSpec::Oidc(_) => "oidc_role_arn",
            ProfileSpec::EcsRamRole { .. } => "ecs_ram_role",
            ProfileSpec::RsaKeyPair { .. } => "rsa_key_pair",
            ProfileSpec::CredentialsUri { .. } => "credential_uri",
            ProfileSpec::CloudSso { .. } => "cloud_sso",
            ProfileSpec::OAuth { .. } => "oauth",
            ProfileSpec::External { .. } => "external",
        }
    }

    /// The provider name this spec produces, e.g. `ram_role_arn/static_ak`.
    pub fn provider_name(&self) -> ProviderName {
        match self {
            ProfileSpec::RamRoleArn { source, .. } => {
                ProviderName::new("ram_role_arn").wrapping(&source.provider_name())
            }
            other => ProviderName::new(other.kind_name()),
        }
    }

    /// Builds the provider. `outer` is the name prefix (`profile`, `default/cli_profile`, …);
    /// `origin` names the file and profile for errors.
    pub fn build(&self, ctx: &Context, outer: &str, origin: &str) -> Result<SharedProvider> {
        let name = self.provider_name().within(outer);
        match self {
            ProfileSpec::AccessKey { id, secret } => {
                Ok(StaticProvider::access_key_from(id, secret.expose(), origin, name)?.into())
            }
            ProfileSpec::Sts { id, secret, token } => {
                Ok(
                    StaticProvider::sts_from(id, secret.expose(), token.expose(), origin, name)?
                        .into(),
                )
            }
            ProfileSpec::Bearer { token, header } => {
                Ok(
                    StaticProvider::bearer_from(token.expose(), header.as_deref(), origin, name)?
                        .into(),
                )
            }
            ProfileSpec::Anonymous => Ok(StaticProvider::from_credentials(
                crate::model::Credentials::anonymous(name),
            )
            .into()),
            ProfileSpec::RamRoleArn { source, role } => {
                // The previous credentials are an implementation detail of this provider: their
                // name is only the tail of ours.
                let previous = source.build(ctx, "", origin)?;
                Ok(RamRoleArnProvider::builder(ctx, previous)
                    .settings(role.clone())
                    .name(name)
                    .origin(origin)
                    .build()?
                    .into())
            }
            ProfileSpec::EcsRamRole { role_name } => {
                let mut b = EcsRamRoleProvider::builder(ctx).name(name).origin(origin);
                if let Some(role) = role_name {
                    b = b.role_name(role);
                }
                Ok(b.build()?.into())
            }
            ProfileSpec::CredentialsUri { uri } => Ok(CredentialsUriProvider::builder(ctx)
                .uri(uri)
                .name(name)
                .origin(origin)
                .build()?
                .into()),
            ProfileSpec::Oidc(settings) => Ok(OidcRoleArnProvider::builder(ctx)
                .settings(settings.clone())
                .name(name)
                .origin(origin)
                .build()?
                .into()),
            ProfileSpec::RsaKeyPair {
                public_key_id,
                private_key,
                duration_seconds,
            } => rsa_key_pair(
                ctx,
                public_key_id,
                private_key,
                *duration_seconds,
                name,
                origin,
            ),
            ProfileSpec::CloudSso {
                sign_in_url,
                account_id,
                access_config,
                access_token,
                access_token_expire,
            } => Ok(CloudSsoProvider::builder(ctx)
                .sign_in_url(sign_in_url)
                .account_id(account_id)
                .access_config(access_config)
                .access_token(access_token.clone(), *access_token_expire)
                .name(name)
                .origin(origin)
                .build()?
                .into()),
            ProfileSpec::OAuth {
                profile_name,
                site_type,
                config_path,
            } => oauth(ctx, profile_name, site_type, config_path, name, origin),
            ProfileSpec::External {
                command,
                write_back,
            } => external(ctx, command, write_back.as_ref(), name, origin),
        }
    }
}

// Without a feature, its profiles are refused by name (never a silent fallback to other
// credentials), so each builder below has a refusing twin.

#[cfg(feature = "rsa")]
fn rsa_key_pair(
    ctx: &Context,
    public_key_id: &str,
    private_key: &str,
    duration_seconds: u32,
    name: ProviderName,
    origin: &str,
) -> Result<SharedProvider> {
    Ok(super::RsaKeyPairProvider::builder(ctx)
        .public_key_id(public_key_id)
        .private_key(super::rsa_key_pair::PrivateKey::from_setting(
            ctx,
            private_key,
        ))
        .duration_seconds(duration_seconds)
        .name(name)
        .origin(origin)
        .build()?
        .into())
}

#[cfg(not(feature = "rsa"))]
fn rsa_key_pair(
    _: &Context,
    _: &str,
    _: &str,
    _: u32,
    _: ProviderName,
    origin: &str,
) -> Result<SharedProvider> {
    Err(missing_feature(origin, "RsaKeyPair", "rsa"))
}

#[cfg(feature = "write-back")]
fn oauth(
    ctx: &Context,
    profile_name: &str,
    site_type: &str,
    config_path: &std::path::Path,
    name: ProviderName,
    origin: &str,
) -> Result<SharedProvider> {
    let site = super::oauth::Site::parse(site_type)
        .ok_or_else(|| Error::invalid_config(origin, "oauth_site_type must be CN or INTL"))?;
    Ok(
        super::oauth::OAuthProvider::builder(ctx, config_path, profile_name)
            .site(site)
            .name(name)
            .build()?
            .into(),
    )
}

#[cfg(not(feature = "write-back"))]
fn oauth(
    _: &Context,
    _: &str,
    _: &str,
    _: &std::path::Path,
    _: ProviderName,
    origin: &str,
) -> Result<SharedProvider> {
    Err(missing_feature(origin, "OAuth", "write-back"))
}

#[cfg(feature = "write-back")]
fn external(
    ctx: &Context,
    command: &str,
    write_back: Option<&(std::path::PathBuf, String)>,
    name: ProviderName,
    origin: &str,
) -> Result<SharedProvider> {
    let mut b = super::external::ExternalProvider::builder(ctx)
        .command(command)
        .name(name)
        .origin(origin);
    if let Some((path, profile)) = write_back {
        b = b.write_back(path, profile);
    }
    Ok(b.build()?.into())
}

#[cfg(not(feature = "write-back"))]
fn external(
    _: &Context,
    _: &str,
    _: Option<&(std::path::PathBuf, String)>,
    _: ProviderName,
    origin: &str,
) -> Result<SharedProvider> {
    Err(missing_feature(origin, "External", "write-back"))
}

#[cfg(not(all(feature = "rsa", feature = "write-back")))]
fn missing_feature(origin: &str, kind: &str, feature: &str) -> Error {
    Error::unsupported(
        origin,
        format!(
            "{kind} profiles need cloudcred's `{feature}` feature, which this program was built \
             without: enable it in the program's Cargo.toml, or use another kind of profile"
        ),
    )
}

/// Checks a role session duration read from `origin` (`key` names the setting).
pub fn role_duration(value: Option<i64>, origin: &str, key: &str) -> Result<u32> {
    match value {
        None | Some(0) => Ok(DEFAULT_ROLE_DURATION_SECS),
        Some(v) if v < MIN_ROLE_DURATION_SECS as i64 => Err(Error::invalid_config(
            origin,
            format!("{key} is {v} seconds; STS requires at least {MIN_ROLE_DURATION_SECS}"),
        )),
        Some(v) if v > u32::MAX as i64 => Err(Error::invalid_config(
            origin,
            format!("{key} is {v} seconds, which is out of range"),
        )),
        Some(v) => Ok(v as u32),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_compose() {
        let spec = ProfileSpec::RamRoleArn {
            source: Box::new(ProfileSpec::RamRoleArn {
                source: Box::new(ProfileSpec::AccessKey {
                    id: "id".into(),
                    secret: "s".into(),
                }),
                role: settings(),
            }),
            role: settings(),
        };
        assert_eq!(
            spec.provider_name().within("cli_profile").as_str(),
            "cli_profile/ram_role_arn/ram_role_arn/static_ak"
        );
        assert_eq!(format!("{spec:?}"), "ProfileSpec::ram_role_arn");
    }

    fn settings() -> AssumeRoleSettings {
        AssumeRoleSettings {
            role_arn: "acs:ram::1:role/x".into(),
            role_session_name: None,
            duration_seconds: 3600,
            policy: None,
            external_id: None,
            sts_endpoint: None,
            sts_region: None,
            enable_vpc: None,
        }
    }

    #[test]
    fn durations() {
        assert_eq!(role_duration(None, "o", "k").unwrap(), 3600);
        assert_eq!(role_duration(Some(0), "o", "k").unwrap(), 3600);
        assert_eq!(role_duration(Some(900), "o", "k").unwrap(), 900);
        let e = role_duration(
            Some(600),
            "file [ram_short_duration]",
            "role_session_expiration",
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("600") && e.contains("900") && e.contains("role_session_expiration"),
            "{e}"
        );
    }

    /// A build without `rsa` or `write-back` refuses the profiles that need it, naming the
    /// profile and the feature; it never falls back to other credentials.
    #[cfg(not(all(feature = "rsa", feature = "write-back")))]
    #[test]
    fn profiles_of_a_missing_feature_are_refused_by_name() {
        use crate::context::MapEnv;
        let ctx = Context::from_env(MapEnv::new());
        let origin = "~/.alibabacloud/credentials [k]";
        let mut refused = Vec::new();
        #[cfg(not(feature = "rsa"))]
        refused.push((
            ProfileSpec::RsaKeyPair {
                public_key_id: "TMPSK.x".into(),
                private_key: "/k.pem".into(),
                duration_seconds: 3600,
            },
            "`rsa`",
        ));
        #[cfg(not(feature = "write-back"))]
        refused.extend([
            (
                ProfileSpec::OAuth {
                    profile_name: "p".into(),
                    site_type: "CN".into(),
                    config_path: "/c.json".into(),
                },
                "`write-back`",
            ),
            (
                ProfileSpec::External {
                    command: "/bin/echo".into(),
                    write_back: None,
                },
                "`write-back`",
            ),
        ]);
        for (spec, feature) in refused {
            let e = spec.build(&ctx, "profile", origin).err().expect("refused");
            assert!(
                matches!(e.kind(), crate::error::ErrorKind::Unsupported { .. }),
                "{e:?}"
            );
            let text = e.to_string();
            assert!(text.starts_with(origin) && text.contains(feature), "{text}");
        }
    }
}
