//! The default chain's places for the network sources not built yet (credentials URI, ECS
//! instance metadata).
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
    /// The credentials URI of `ALIBABA_CLOUD_CREDENTIALS_URI` (spec 6.6).
    pub fn credentials_uri_from_env(ctx: &Context) -> Self {
        const VAR: &str = "ALIBABA_CLOUD_CREDENTIALS_URI";
        let outcome = match ctx.var(VAR) {
            None => Ok(Resolution::NotConfigured(format!("{VAR} is not set"))),
            Some(_) => Err(unsupported(
                &format!("environment variable {VAR}"),
                "a credentials URI",
            )),
        };
        Self {
            name: "credential_uri",
            outcome,
            reads: describe(ctx, &[VAR]),
        }
    }

    /// The ECS instance metadata service (spec 6.5). Off ECS it is "not configured"; with a role
    /// named in `ALIBABA_CLOUD_ECS_METADATA` it is configured.
    pub fn ecs_metadata(ctx: &Context) -> Self {
        const ROLE: &str = "ALIBABA_CLOUD_ECS_METADATA";
        let outcome = match ctx.var(ROLE) {
            Some(_) => Err(unsupported(
                &format!("environment variable {ROLE}"),
                "the ECS RAM role",
            )),
            None => Ok(Resolution::NotConfigured(
                "instance metadata is not queried by this build (no network providers yet)".into(),
            )),
        };
        Self {
            name: "ecs_ram_role",
            outcome,
            reads: describe(
                ctx,
                &[
                    ROLE,
                    "ALIBABA_CLOUD_ECS_METADATA_DISABLED",
                    "ALIBABA_CLOUD_IMDSV1_DISABLED",
                ],
            ),
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
