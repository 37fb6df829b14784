//! The Huawei Cloud chains (spec 10).
//!
//! Generic chain `default` (spec 10.2): OIDC STS (`HUAWEICLOUD_OIDC_*`) → IdP federation from
//! `HUAWEICLOUD_SDK_IDP_ID` + `_ID_TOKEN_FILE` (which beats AK/SK, 5.2) → `HUAWEICLOUD_SDK_*`
//! AK/SK → the profile file → CCE pod identity (before metadata, H7) → ECS `securitykey`
//! metadata (left out with `HUAWEICLOUD_SDK_METADATA_DISABLED=true` or the builder switch).
//!
//! OBS-scoped chain `obs_default` (H4, the OBS SDK's `OBS_DEFAULT` policy): `OBS_*` variables →
//! the OBS `OIDC` federation (`HUAWEI_CLOUD_IDP_ID`) → the generic chain's providers. obs's own
//! order puts ECS before OIDC; cloudcred puts the explicitly configured OIDC first (spec 10.3).
//!
//! Building reads environment variables only; files and endpoints are touched at the first
//! request. The chain rules (not configured moves on, an error stops) are [`Chain`]'s.

use super::env::EnvProvider;
use super::federation::IdpFederationProvider;
use super::metadata::{MetadataProvider, METADATA_DISABLED_VAR};
use super::oidc_sts::OidcStsProvider;
use super::pod_identity::PodIdentityProvider;
use super::profile::ProfileProvider;
use super::CredentialType;
use crate::alibaba::default_chain::{or_failing, Failing};
use crate::chain::{Chain, ChainBuilder};
use crate::context::Context;
use crate::model::ProviderName;

/// Builds a Huawei chain.
#[derive(Debug, Clone)]
pub struct DefaultChainBuilder {
    ctx: Context,
    kind: CredentialType,
    reuse_last: bool,
    metadata: Option<bool>,
    obs: bool,
}

impl DefaultChainBuilder {
    /// `basic` (default: project id, `[basic]`) or `global` (domain id, `[global]`).
    pub fn credential_type(mut self, kind: CredentialType) -> Self {
        self.kind = kind;
        self
    }

    /// Whether to keep using the provider that succeeded first (default true).
    pub fn reuse_last_provider(mut self, reuse: bool) -> Self {
        self.reuse_last = reuse;
        self
    }

    /// Includes or removes the metadata provider regardless of the environment.
    pub fn metadata(mut self, enabled: bool) -> Self {
        self.metadata = Some(enabled);
        self
    }

    /// The OBS-scoped chain: `OBS_*` and the OBS OIDC provider first.
    pub fn obs(mut self, obs: bool) -> Self {
        self.obs = obs;
        self
    }

    /// The chain, named `default` (`obs_default` for the OBS chain). Building does no I/O.
    pub fn build(self) -> Chain {
        let ctx = &self.ctx;
        let outer = if self.obs { "obs_default" } else { "default" };
        let name = |n: &str| ProviderName::new(n).within(outer);
        let mut chain: ChainBuilder = Chain::builder()
            .name(outer)
            .reuse_last_provider(self.reuse_last);
        if self.obs {
            chain = chain
                .provider(EnvProvider::obs(ctx, name("obs_env")))
                .provider(IdpFederationProvider::from_obs_env(ctx, name("obs_oidc")));
        }
        chain = chain
            .provider(OidcStsProvider::from_env(ctx, self.kind, name("oidc_sts")))
            .provider(IdpFederationProvider::from_env(
                ctx,
                self.kind,
                name("idp_federation"),
            ))
            .provider(EnvProvider::sdk(ctx, self.kind, name("env")))
            .provider(ProfileProvider::builder(ctx, self.kind, None, outer))
            .provider(PodIdentityProvider::from_env(
                ctx,
                self.kind,
                name("pod_identity"),
            ));
        let metadata = match self.metadata {
            Some(enabled) => Ok(enabled),
            None => ctx.flag(METADATA_DISABLED_VAR).map(|d| !d),
        };
        match metadata {
            Ok(true) => {
                chain = chain.provider(or_failing(
                    "metadata",
                    MetadataProvider::builder(ctx)
                        .in_chain()
                        .name(name("metadata"))
                        .build(),
                ))
            }
            Ok(false) => {}
            Err(error) => {
                chain = chain.provider(Failing {
                    name: "metadata",
                    error,
                })
            }
        }
        chain.build()
    }
}

/// Entry point of the Huawei chains.
/// Huawei Cloud's default chain (the Huawei SDK order, spec 5.2); see [`DefaultChainBuilder`].
#[derive(Debug)]
pub struct DefaultChain;

impl DefaultChain {
    /// A builder over `ctx`; its setters beat the environment.
    pub fn builder(ctx: &Context) -> DefaultChainBuilder {
        DefaultChainBuilder {
            ctx: ctx.clone(),
            kind: CredentialType::Basic,
            reuse_last: true,
            metadata: None,
            obs: false,
        }
    }
}

/// The generic Huawei chain of `ctx` for basic credentials.
pub fn default_chain(ctx: &Context) -> Chain {
    DefaultChain::builder(ctx).build()
}

/// The OBS-scoped chain (`OBS_DEFAULT`) of `ctx`.
pub fn obs_chain(ctx: &Context) -> Chain {
    DefaultChain::builder(ctx).obs(true).build()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::MapEnv;
    use crate::prelude::*;

    fn names(chain: &Chain) -> Vec<String> {
        chain
            .providers()
            .iter()
            .map(|p| p.name().to_owned())
            .collect()
    }

    #[test]
    fn orders() {
        let ctx = Context::from_env(MapEnv::default());
        assert_eq!(
            names(&default_chain(&ctx)),
            [
                "default/oidc_sts",
                "default/idp_federation",
                "default/env",
                "default/profile",
                "default/pod_identity",
                "default/metadata"
            ]
        );
        assert_eq!(
            names(&obs_chain(&ctx)),
            [
                "obs_default/obs_env",
                "obs_default/obs_oidc",
                "obs_default/oidc_sts",
                "obs_default/idp_federation",
                "obs_default/env",
                "obs_default/profile",
                "obs_default/pod_identity",
                "obs_default/metadata"
            ]
        );
        let ctx = Context::from_env(MapEnv::from([(METADATA_DISABLED_VAR, "true")]));
        assert_eq!(default_chain(&ctx).providers().len(), 5);
    }

    #[test]
    fn env_wins_over_profile_and_obs_env_first() {
        let ctx = Context::from_env(MapEnv::from([
            ("HUAWEICLOUD_SDK_AK", "FAKEAK"),
            ("HUAWEICLOUD_SDK_SK", "planted-sk"),
            ("OBS_ACCESS_KEY_ID", "FAKEOBSAK"),
            ("OBS_SECRET_ACCESS_KEY", "planted-obs-sk"),
            (METADATA_DISABLED_VAR, "true"),
        ]));
        let c = default_chain(&ctx).get_blocking().unwrap();
        assert_eq!(
            (c.access_key_id(), c.provider_name().as_str()),
            ("FAKEAK", "default/env")
        );
        let c = obs_chain(&ctx).get_blocking().unwrap();
        assert_eq!(
            (c.access_key_id(), c.provider_name().as_str()),
            ("FAKEOBSAK", "obs_default/obs_env")
        );
    }

    #[test]
    fn nothing_configured_lists_every_provider() {
        let home = tempfile::tempdir().unwrap();
        let ctx = Context::from_env(MapEnv::from([
            ("HOME", home.path().to_str().unwrap()),
            (METADATA_DISABLED_VAR, "true"),
        ]));
        let e = default_chain(&ctx).get_blocking().unwrap_err().to_string();
        for n in [
            "default/oidc_sts",
            "default/idp_federation",
            "default/env",
            "default/profile",
            "default/pod_identity",
        ] {
            assert!(e.contains(n), "{e}");
        }
    }
}
