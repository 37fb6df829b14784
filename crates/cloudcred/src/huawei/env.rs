//! Huawei Cloud environment variables (spec 3, 4.2, 5.2): `HUAWEICLOUD_SDK_AK`, `_SK`,
//! `_SECURITY_TOKEN` with `_PROJECT_ID` / `_DOMAIN_ID`, and the OBS SDK's `OBS_ACCESS_KEY_ID`,
//! `OBS_SECRET_ACCESS_KEY`, `OBS_SECURITY_TOKEN` (OBS-scoped chain only, H4).
//!
//! The rules are those of the Alibaba environment provider, which this reuses: read when built,
//! blank is unset, none set → not configured, a partial set → an error naming the missing
//! variable. IdP federation from `HUAWEICLOUD_SDK_IDP_ID` + `_ID_TOKEN_FILE` is
//! [`super::federation::IdpFederationProvider::from_env`].

use super::CredentialType;
use crate::alibaba::env::EnvNames;
use crate::context::Context;
use crate::error::Result;
use crate::model::{Credentials, ProviderName};
use crate::provider::{Inspection, ProvideCredentials, Resolution};
use futures_util::future::BoxFuture;
use std::sync::Arc;

/// `HUAWEICLOUD_SDK_AK`: the AccessKey id.
pub const AK_VAR: &str = "HUAWEICLOUD_SDK_AK";
/// `HUAWEICLOUD_SDK_SK`: the secret key.
pub const SK_VAR: &str = "HUAWEICLOUD_SDK_SK";
/// `HUAWEICLOUD_SDK_SECURITY_TOKEN`: the security token of temporary credentials.
pub const SECURITY_TOKEN_VAR: &str = "HUAWEICLOUD_SDK_SECURITY_TOKEN";
/// `HUAWEICLOUD_SDK_PROJECT_ID`: the project id of `basic` credentials.
pub const PROJECT_ID_VAR: &str = "HUAWEICLOUD_SDK_PROJECT_ID";
/// `HUAWEICLOUD_SDK_DOMAIN_ID`: the domain id of `global` credentials.
pub const DOMAIN_ID_VAR: &str = "HUAWEICLOUD_SDK_DOMAIN_ID";

/// The Huawei Cloud SDK names.
pub const HUAWEICLOUD_SDK: EnvNames = EnvNames {
    access_key_id: AK_VAR,
    access_key_secret: SK_VAR,
    security_token: Some(SECURITY_TOKEN_VAR),
};

/// The OBS SDK's names (`loadtoken.ENV`).
pub const OBS: EnvNames = EnvNames {
    access_key_id: "OBS_ACCESS_KEY_ID",
    access_key_secret: "OBS_SECRET_ACCESS_KEY",
    security_token: Some("OBS_SECURITY_TOKEN"),
};

// The variables of the network sources are named here, beside the others, so that the
// environment provider and this list exist in a build without the `http` feature.

/// `HUAWEICLOUD_SDK_IDP_ID`: the identity provider of IdP federation.
pub const IDP_ID_VAR: &str = "HUAWEICLOUD_SDK_IDP_ID";
/// `HUAWEICLOUD_SDK_ID_TOKEN_FILE`: the id token file of IdP federation.
pub const ID_TOKEN_FILE_VAR: &str = "HUAWEICLOUD_SDK_ID_TOKEN_FILE";
/// The OBS SDK's IdP variable (note the different prefix).
pub const OBS_IDP_ID_VAR: &str = "HUAWEI_CLOUD_IDP_ID";
/// `OIDC_TOKEN_FILE`: the OBS SDK's id token file.
pub const OBS_TOKEN_FILE_VAR: &str = "OIDC_TOKEN_FILE";
/// `HUAWEICLOUD_OIDC_PROVIDER_URN`: the OIDC provider of OIDC STS.
pub const PROVIDER_URN_VAR: &str = "HUAWEICLOUD_OIDC_PROVIDER_URN";
/// `HUAWEICLOUD_OIDC_AGENCY_URN`: the agency OIDC STS assumes.
pub const AGENCY_URN_VAR: &str = "HUAWEICLOUD_OIDC_AGENCY_URN";
/// `HUAWEICLOUD_OIDC_ID_TOKEN`: an inline id token for OIDC STS.
pub const ID_TOKEN_VAR: &str = "HUAWEICLOUD_OIDC_ID_TOKEN";
/// `HUAWEICLOUD_OIDC_TOKEN_FILE`: the id token file of OIDC STS.
pub const TOKEN_FILE_VAR: &str = "HUAWEICLOUD_OIDC_TOKEN_FILE";
/// `HC_CONTAINER_CREDENTIALS_FULL_URI`: the CCE pod identity endpoint.
pub const FULL_URI_VAR: &str = "HC_CONTAINER_CREDENTIALS_FULL_URI";
/// `HC_CONTAINER_AUTHORIZATION_TOKEN_FILE`: the pod identity's authorization token file.
pub const AUTHORIZATION_TOKEN_FILE_VAR: &str = "HC_CONTAINER_AUTHORIZATION_TOKEN_FILE";

/// Every variable that holds a Huawei Cloud identity, or whose presence alone makes a source of
/// cloudcred or an official SDK apply (spec 3): AK/SK and tokens of the core and OBS SDKs, IdP
/// federation, OIDC STS, pod identity. Not the project and domain ids: they scope a credential and
/// are kept when the credential has none. `cloudcred exec` removes these from the child before
/// adding the resolved credentials.
pub const IDENTITY_VARS: &[&str] = &[
    AK_VAR,
    SK_VAR,
    SECURITY_TOKEN_VAR,
    OBS.access_key_id,
    OBS.access_key_secret,
    "OBS_SECURITY_TOKEN",
    IDP_ID_VAR,
    ID_TOKEN_FILE_VAR,
    OBS_IDP_ID_VAR,
    OBS_TOKEN_FILE_VAR,
    PROVIDER_URN_VAR,
    AGENCY_URN_VAR,
    ID_TOKEN_VAR,
    TOKEN_FILE_VAR,
    FULL_URI_VAR,
    AUTHORIZATION_TOKEN_FILE_VAR,
];

/// The id variable of a credential type: project id for basic, domain id for global.
pub fn scope_var(kind: CredentialType) -> &'static str {
    match kind {
        CredentialType::Basic => PROJECT_ID_VAR,
        CredentialType::Global => DOMAIN_ID_VAR,
    }
}

/// Credentials from the Huawei SDK's or the OBS SDK's environment variables, read once when
/// built. The rules are the Alibaba environment provider's, which this wraps.
#[derive(Debug, Clone)]
pub struct EnvProvider(crate::alibaba::EnvProvider);

impl EnvProvider {
    /// `HUAWEICLOUD_SDK_AK`, `_SK`, `_SECURITY_TOKEN` under the provider name `name` (usually
    /// `env`), with the project id (`basic`) or domain id (`global`) of `kind` from
    /// `HUAWEICLOUD_SDK_PROJECT_ID` / `_DOMAIN_ID`.
    pub fn sdk(ctx: &Context, kind: CredentialType, name: ProviderName) -> Self {
        let id = ctx.var(scope_var(kind));
        Self(
            crate::alibaba::EnvProvider::with_names(ctx, HUAWEICLOUD_SDK, name)
                .map_credentials(|c| kind.scope(c, id)),
        )
    }

    /// `OBS_ACCESS_KEY_ID`, `OBS_SECRET_ACCESS_KEY`, `OBS_SECURITY_TOKEN` under the provider
    /// name `name` (usually `obs_env`); the OBS-scoped chain reads them (H4).
    pub fn obs(ctx: &Context, name: ProviderName) -> Self {
        Self(crate::alibaba::EnvProvider::with_names(ctx, OBS, name))
    }
}

impl ProvideCredentials for EnvProvider {
    fn resolve(&self) -> BoxFuture<'_, Result<Resolution>> {
        self.0.resolve()
    }

    #[inline]
    fn cached(&self) -> Option<Arc<Credentials>> {
        self.0.cached()
    }

    fn name(&self) -> &str {
        self.0.name()
    }

    fn inspect(&self) -> Inspection {
        self.0.inspect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::MapEnv;
    use crate::model::CredentialKind;
    use crate::provider::{ProvideCredentials, Resolution};

    fn ctx(pairs: &[(&str, &str)]) -> Context {
        Context::from_env(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<MapEnv>(),
        )
    }

    fn outcome(p: &EnvProvider) -> crate::Result<Resolution> {
        futures::executor::block_on(p.resolve())
    }

    #[test]
    fn basic_and_global_ids() {
        let c = ctx(&[
            (AK_VAR, "FAKEHWAK"),
            (SK_VAR, "planted-sk"),
            (PROJECT_ID_VAR, "proj"),
            (DOMAIN_ID_VAR, "dom"),
        ]);
        let p = EnvProvider::sdk(&c, CredentialType::Basic, ProviderName::new("env"));
        let creds = p.cached().unwrap();
        assert_eq!(creds.kind(), CredentialKind::AccessKey);
        assert_eq!(
            (creds.project_id(), creds.domain_id()),
            (Some("proj"), None)
        );
        assert_eq!(creds.provider_name().as_str(), "env");
        let p = EnvProvider::sdk(&c, CredentialType::Global, ProviderName::new("env"));
        let creds = p.cached().unwrap();
        assert_eq!((creds.project_id(), creds.domain_id()), (None, Some("dom")));
        assert!(!format!("{creds:?}").contains("planted"));
    }

    #[test]
    fn token_and_not_configured() {
        let c = ctx(&[(AK_VAR, "a"), (SK_VAR, "s"), (SECURITY_TOKEN_VAR, "t")]);
        let p = EnvProvider::sdk(&c, CredentialType::Basic, ProviderName::new("env"));
        assert_eq!(p.cached().unwrap().kind(), CredentialKind::Sts);
        let p = EnvProvider::sdk(
            &ctx(&[(PROJECT_ID_VAR, "p")]),
            CredentialType::Basic,
            "env".into(),
        );
        assert!(matches!(outcome(&p), Ok(Resolution::NotConfigured(_))));
    }

    #[test]
    fn partial_sets_name_the_missing_variable() {
        let p = EnvProvider::sdk(
            &ctx(&[(SK_VAR, "planted-sk")]),
            CredentialType::Basic,
            "env".into(),
        );
        let e = outcome(&p).unwrap_err().to_string();
        assert!(
            e.contains(&format!("but {AK_VAR} is not")) && !e.contains("planted"),
            "{e}"
        );
        let p = EnvProvider::obs(&ctx(&[("OBS_ACCESS_KEY_ID", "a")]), "obs_env".into());
        let e = outcome(&p).unwrap_err().to_string();
        assert!(e.contains("but OBS_SECRET_ACCESS_KEY is not"), "{e}");
        let p = EnvProvider::obs(
            &ctx(&[
                ("OBS_ACCESS_KEY_ID", "a"),
                ("OBS_SECRET_ACCESS_KEY", "s"),
                ("OBS_SECURITY_TOKEN", "t"),
            ]),
            "obs_env".into(),
        );
        let c = p.cached().unwrap();
        assert_eq!(
            (c.kind(), c.provider_name().as_str()),
            (CredentialKind::Sts, "obs_env")
        );
    }
}
