//! Service-scoped chains (spec 6.14, D37): the environment convention of one product's SDK
//! first, then the default chain. The generic default chain reads none of these names.
//!
//! | chain | first provider | variables |
//! |---|---|---|
//! | [`oss_chain`] | `oss_env` (or `ram_role_arn/oss_env` with `OSS_STS_ROLE_ARN`) | `OSS_ACCESS_KEY_ID`, `OSS_ACCESS_KEY_SECRET`, `OSS_SESSION_TOKEN` |
//! | [`tablestore_chain`] | `tablestore_env` | `TABLESTORE_ACCESS_KEY_ID`, `TABLESTORE_ACCESS_KEY_SECRET`, `TABLESTORE_SESSION_TOKEN` |
//! | [`acs_client_chain`] | `aliyun_env` | `ALIYUN_ACCESS_KEY_ID`, `ALIYUN_ACCESS_KEY_SECRET` (aliyun-python-sdk-core's `AcsClient`) |

use super::default_chain::{DefaultChain, Failing};
use super::env::{EnvNames, EnvProvider, ALIYUN, OSS, TABLESTORE};
use super::RamRoleArnProvider;
use crate::chain::Chain;
use crate::context::Context;
use crate::model::ProviderName;
use crate::provider::SharedProvider;

pub use super::env::OSS_STS_ROLE_ARN_VAR;

fn scoped(ctx: &Context, chain: &str, first: SharedProvider) -> Chain {
    Chain::builder()
        .name(chain)
        .provider(first)
        .provider(DefaultChain::builder(ctx).build())
        .build()
}

fn env(ctx: &Context, names: EnvNames, name: &str) -> SharedProvider {
    EnvProvider::with_names(ctx, names, ProviderName::new(name)).into()
}

/// `[oss_env] + default chain`; with `OSS_STS_ROLE_ARN`, `[ram_role_arn/oss_env] + default`.
pub fn oss_chain(ctx: &Context) -> Chain {
    let keys = env(ctx, OSS, "oss_env");
    let first = match ctx.var(OSS_STS_ROLE_ARN_VAR) {
        None => keys,
        Some(role) => match RamRoleArnProvider::builder(ctx, keys)
            .role_arn(role)
            .origin(format!("environment variable {OSS_STS_ROLE_ARN_VAR}"))
            .build()
        {
            Ok(p) => p.into(),
            Err(error) => Failing {
                name: "ram_role_arn",
                error,
            }
            .into(),
        },
    };
    scoped(ctx, "oss", first)
}

/// `[tablestore_env] + default chain`.
pub fn tablestore_chain(ctx: &Context) -> Chain {
    scoped(ctx, "tablestore", env(ctx, TABLESTORE, "tablestore_env"))
}

/// `[aliyun_env] + default chain`, for code ported from the `AcsClient` of aliyun-python-sdk-core.
pub fn acs_client_chain(ctx: &Context) -> Chain {
    scoped(ctx, "acs_client", env(ctx, ALIYUN, "aliyun_env"))
}
