//! The `ALIBABA_CLOUD_*` environment variables (spec 6.2), and the same rule for the product
//! conventions that use other names.
//!
//! Variables are read when the provider is built (D4), blank counts as unset (D5), and a partial
//! set is an error naming what is missing (D8) rather than a reason to try the next source.

use crate::context::Context;
use crate::error::{Error, Result};
use crate::model::{Credentials, ProviderName, Replicas};
use crate::provider::{Inspection, ProvideCredentials, Resolution};
use futures_util::future::BoxFuture;
use std::sync::Arc;

/// The three variable names of an environment convention.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct EnvNames {
    /// The AccessKey id variable.
    pub access_key_id: &'static str,
    /// The AccessKey secret variable.
    pub access_key_secret: &'static str,
    /// `None` for conventions without a token variable (the legacy `ALIYUN_*` names).
    pub security_token: Option<&'static str>,
}

impl EnvNames {
    /// Another convention's names: key id, secret and, when the convention has one, the
    /// security-token variable.
    pub const fn new(
        access_key_id: &'static str,
        access_key_secret: &'static str,
        security_token: Option<&'static str>,
    ) -> Self {
        Self {
            access_key_id,
            access_key_secret,
            security_token,
        }
    }
}

/// `ALIBABA_CLOUD_ACCESS_KEY_ID`, `_SECRET`, `_SECURITY_TOKEN`.
pub const ALIBABA_CLOUD: EnvNames = EnvNames {
    access_key_id: "ALIBABA_CLOUD_ACCESS_KEY_ID",
    access_key_secret: "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
    security_token: Some("ALIBABA_CLOUD_SECURITY_TOKEN"),
};

/// The OSS SDKs' names (`oss_env`, spec 6.14).
pub const OSS: EnvNames = EnvNames {
    access_key_id: "OSS_ACCESS_KEY_ID",
    access_key_secret: "OSS_ACCESS_KEY_SECRET",
    security_token: Some("OSS_SESSION_TOKEN"),
};

/// The Tablestore SDKs' names (`tablestore_env`, spec 6.14).
pub const TABLESTORE: EnvNames = EnvNames {
    access_key_id: "TABLESTORE_ACCESS_KEY_ID",
    access_key_secret: "TABLESTORE_ACCESS_KEY_SECRET",
    security_token: Some("TABLESTORE_SESSION_TOKEN"),
};

/// The legacy `AcsClient` names of aliyun-python-sdk-core (`aliyun_env`): no token variable.
pub const ALIYUN: EnvNames = EnvNames {
    access_key_id: "ALIYUN_ACCESS_KEY_ID",
    access_key_secret: "ALIYUN_ACCESS_KEY_SECRET",
    security_token: None,
};

// The variables of the network sources are named here, beside the others, so that the
// environment provider and this list exist in a build without the `http` feature.

/// The variable that names the URI (and, in the default chain, configures the provider).
pub const CREDENTIALS_URI_VAR: &str = "ALIBABA_CLOUD_CREDENTIALS_URI";
/// `ALIBABA_CLOUD_ROLE_ARN`: the role of OIDC role ARN (and the RAM-role default of profiles).
pub const ROLE_ARN_VAR: &str = "ALIBABA_CLOUD_ROLE_ARN";
/// `ALIBABA_CLOUD_OIDC_PROVIDER_ARN`: the OIDC identity provider of OIDC role ARN.
pub const OIDC_PROVIDER_ARN_VAR: &str = "ALIBABA_CLOUD_OIDC_PROVIDER_ARN";
/// `ALIBABA_CLOUD_OIDC_TOKEN_FILE`: the file holding the OIDC token, re-read on each fetch.
pub const OIDC_TOKEN_FILE_VAR: &str = "ALIBABA_CLOUD_OIDC_TOKEN_FILE";
/// `OSS_STS_ROLE_ARN`: with it, the OSS keys sign an AssumeRole into this role, as the OSS
/// guide's "RAM role" set-up does, and the chain yields the role's STS credentials.
pub const OSS_STS_ROLE_ARN_VAR: &str = "OSS_STS_ROLE_ARN";

/// Every variable that holds an Alibaba Cloud identity, or whose presence alone makes a source of
/// cloudcred or an official SDK apply (spec 6.2, 6.14): keys and tokens of every convention, the
/// bearer token, the OIDC role trio, the credentials URI, `OSS_STS_ROLE_ARN`. Settings (profile
/// name, file paths, endpoints, regions) are not in it. `cloudcred exec` removes these from the
/// child before adding the resolved credentials, so the child never sees a second identity;
/// other tools' aliases are [`super::ignored_vars::identity_aliases`].
pub const IDENTITY_VARS: &[&str] = &[
    ALIBABA_CLOUD.access_key_id,
    ALIBABA_CLOUD.access_key_secret,
    "ALIBABA_CLOUD_SECURITY_TOKEN",
    "ALIBABA_CLOUD_BEARER_TOKEN",
    ROLE_ARN_VAR,
    OIDC_PROVIDER_ARN_VAR,
    OIDC_TOKEN_FILE_VAR,
    CREDENTIALS_URI_VAR,
    OSS.access_key_id,
    OSS.access_key_secret,
    "OSS_SESSION_TOKEN",
    OSS_STS_ROLE_ARN_VAR,
    TABLESTORE.access_key_id,
    TABLESTORE.access_key_secret,
    "TABLESTORE_SESSION_TOKEN",
    ALIYUN.access_key_id,
    ALIYUN.access_key_secret,
];

/// Credentials from environment variables, read once when built.
#[derive(Debug, Clone)]
pub struct EnvProvider {
    name: ProviderName,
    names: EnvNames,
    outcome: std::result::Result<Resolution, Error>,
    /// Copies of the credentials in `outcome`, for uncontended cached reads.
    replicas: Option<Replicas>,
    set: [bool; 3],
}

impl EnvProvider {
    /// The `ALIBABA_CLOUD_*` variables, provider name `env`.
    pub fn new(ctx: &Context) -> Self {
        Self::with_names(ctx, ALIBABA_CLOUD, ProviderName::new("env"))
    }

    /// Another convention's variables under another provider name.
    pub fn with_names(ctx: &Context, names: EnvNames, name: ProviderName) -> Self {
        let id = ctx.var(names.access_key_id);
        let secret = ctx.var(names.access_key_secret);
        let token = names.security_token.and_then(|t| ctx.var(t));
        let set = [id.is_some(), secret.is_some(), token.is_some()];
        let outcome = match (id, secret, token) {
            (None, None, None) => Ok(Resolution::NotConfigured(format!(
                "{} and {} are not set",
                names.access_key_id, names.access_key_secret
            ))),
            (Some(id), Some(secret), None) => Ok(Resolution::Credentials(Arc::new(
                Credentials::access_key(id, secret, name.clone()),
            ))),
            (Some(id), Some(secret), Some(token)) => Ok(Resolution::Credentials(Arc::new(
                Credentials::sts(id, secret, token, None, name.clone()),
            ))),
            (id, secret, _) => {
                let missing: Vec<&str> = [
                    (id.is_none(), names.access_key_id),
                    (secret.is_none(), names.access_key_secret),
                ]
                .into_iter()
                .filter_map(|(m, n)| m.then_some(n))
                .collect();
                Err(Error::invalid_config(
                    "environment",
                    format!(
                        "{} is set but {} is not: set {} too, or unset the others",
                        present_list(&names, set),
                        missing.join(" and "),
                        missing.join(" and ")
                    ),
                ))
            }
        };
        Self {
            name,
            names,
            replicas: replicas_of(&outcome),
            outcome,
            set,
        }
    }
}

impl EnvProvider {
    /// The same provider with its credentials passed through `f` (e.g. to add the Huawei project
    /// or domain id); "not configured" and errors are kept.
    pub fn map_credentials(mut self, f: impl FnOnce(Credentials) -> Credentials) -> Self {
        if let Ok(Resolution::Credentials(c)) = &self.outcome {
            self.outcome = Ok(Resolution::Credentials(Arc::new(f((**c).clone()))));
            self.replicas = replicas_of(&self.outcome);
        }
        self
    }
}

fn replicas_of(outcome: &std::result::Result<Resolution, Error>) -> Option<Replicas> {
    match outcome {
        Ok(Resolution::Credentials(c)) => Some(Replicas::new(c.clone())),
        _ => None,
    }
}

impl EnvNames {
    /// The variable names, the token's last when there is one.
    fn all(&self) -> impl Iterator<Item = &'static str> {
        [self.access_key_id, self.access_key_secret]
            .into_iter()
            .chain(self.security_token)
    }
}

fn present_list(names: &EnvNames, set: [bool; 3]) -> String {
    names
        .all()
        .zip(set)
        .filter_map(|(n, s)| s.then_some(n))
        .collect::<Vec<_>>()
        .join(" and ")
}

impl ProvideCredentials for EnvProvider {
    fn resolve(&self) -> BoxFuture<'_, Result<Resolution>> {
        Box::pin(futures_util::future::ready(self.outcome.clone()))
    }

    #[inline]
    fn cached(&self) -> Option<Arc<Credentials>> {
        self.replicas.as_ref().map(|r| r.get().clone())
    }

    fn name(&self) -> &str {
        self.name.as_str()
    }

    fn inspect(&self) -> Inspection {
        Inspection {
            reads: self
                .names
                .all()
                .zip(self.set)
                .map(|(v, s)| format!("env {v} ({})", if s { "set" } else { "unset" }))
                .collect(),
            warnings: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::MapEnv;
    use crate::model::CredentialKind;

    fn provider(pairs: &[(&str, &str)]) -> EnvProvider {
        EnvProvider::new(&Context::from_env(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<MapEnv>(),
        ))
    }

    #[test]
    fn unset_and_blank_are_not_configured() {
        for p in [
            provider(&[]),
            provider(&[
                ("ALIBABA_CLOUD_ACCESS_KEY_ID", " "),
                ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", ""),
            ]),
        ] {
            assert!(matches!(p.outcome, Ok(Resolution::NotConfigured(_))));
        }
    }

    #[test]
    fn pair_and_triple() {
        let p = provider(&[
            ("ALIBABA_CLOUD_ACCESS_KEY_ID", " LTAIFAKE "),
            ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "sec"),
        ]);
        let c = p.cached().unwrap();
        assert_eq!(
            (c.kind(), c.access_key_id()),
            (CredentialKind::AccessKey, "LTAIFAKE")
        );
        assert_eq!(c.provider_name().as_str(), "env");
        let p = provider(&[
            ("ALIBABA_CLOUD_ACCESS_KEY_ID", "STS.x"),
            ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "sec"),
            ("ALIBABA_CLOUD_SECURITY_TOKEN", "tok"),
        ]);
        let c = p.cached().unwrap();
        assert_eq!(c.kind(), CredentialKind::Sts);
        assert_eq!(c.expiration(), None);
    }

    #[test]
    fn partial_sets_are_errors_naming_the_missing_variable() {
        let cases: [(&[(&str, &str)], &str); 3] = [
            (
                &[("ALIBABA_CLOUD_ACCESS_KEY_ID", "id")],
                "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
            ),
            (
                &[("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "planted-secret")],
                "ALIBABA_CLOUD_ACCESS_KEY_ID",
            ),
            (
                &[("ALIBABA_CLOUD_SECURITY_TOKEN", "planted-token")],
                "ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET",
            ),
        ];
        for (pairs, missing) in cases {
            let err = provider(pairs).outcome.unwrap_err();
            let text = format!("{err} {err:?}");
            assert!(text.contains(&format!("but {missing} is not")), "{text}");
            assert!(!text.contains("planted"), "{text}");
        }
    }
}
