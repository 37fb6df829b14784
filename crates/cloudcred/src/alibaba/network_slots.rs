//! The default chain's place for the OIDC role ARN from the environment.
//!
//! This build does not include the network providers yet. Each slot already decides, from the
//! environment, whether its source is configured (spec 5.2) — so a configured source stops the
//! chain with a clear "not supported yet" error instead of being silently skipped in favour of
//! a weaker identity — and passes when it is not.

use crate::context::Context;
use crate::error::{Error, Result};
use crate::provider::{Inspection, ProvideCredentials, Resolution};
use futures::future::BoxFuture;

/// A network source that is not available in this build.
#[derive(Debug, Clone)]
pub struct NetworkSlot {
    name: &'static str,
    outcome: std::result::Result<Resolution, Error>,
    reads: Vec<String>,
}

fn unsupported(origin: &str, what: &str) -> Error {
    Error::unsupported(
        origin,
        format!(
            "{what} needs the network providers, which this build of cloudcred does not include yet; \
             unset the variable or use static credentials meanwhile"
        ),
    )
}

fn describe(ctx: &Context, vars: &[&str]) -> Vec<String> {
    vars.iter()
        .map(|v| {
            format!(
                "env {v} ({})",
                if ctx.var(v).is_some() { "set" } else { "unset" }
            )
        })
        .collect()
}

impl NetworkSlot {
    /// OIDC role ARN from `ALIBABA_CLOUD_ROLE_ARN`, `_OIDC_PROVIDER_ARN`, `_OIDC_TOKEN_FILE`:
    /// configured when either OIDC variable is set; then all three are required (spec 6.4).
    pub fn oidc_from_env(ctx: &Context) -> Self {
        const VARS: [&str; 3] = [
            "ALIBABA_CLOUD_ROLE_ARN",
            "ALIBABA_CLOUD_OIDC_PROVIDER_ARN",
            "ALIBABA_CLOUD_OIDC_TOKEN_FILE",
        ];
        let set: Vec<bool> = VARS.iter().map(|v| ctx.var(v).is_some()).collect();
        let outcome = if !set[1] && !set[2] {
            Ok(Resolution::NotConfigured(
                "ALIBABA_CLOUD_OIDC_PROVIDER_ARN and ALIBABA_CLOUD_OIDC_TOKEN_FILE are not set"
                    .into(),
            ))
        } else if let Some(missing) = VARS.iter().zip(&set).find(|(_, s)| !**s).map(|(v, _)| v) {
            Err(Error::invalid_config(
                "environment",
                format!(
                    "OIDC is configured but {missing} is not set: set all of {}",
                    VARS.join(", ")
                ),
            ))
        } else {
            Err(unsupported(
                "environment (OIDC role ARN)",
                "AssumeRoleWithOIDC",
            ))
        };
        Self {
            name: "oidc_role_arn",
            outcome,
            reads: describe(ctx, &VARS),
        }
    }
}

impl ProvideCredentials for NetworkSlot {
    fn resolve(&self) -> BoxFuture<'_, Result<Resolution>> {
        Box::pin(futures::future::ready(self.outcome.clone()))
    }

    fn name(&self) -> &str {
        self.name
    }

    fn inspect(&self) -> Inspection {
        Inspection {
            reads: self.reads.clone(),
            warnings: Vec::new(),
        }
    }
}
