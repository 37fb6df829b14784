//! Function Compute (spec 6.14): inside FC the runtime exports the execution role's temporary
//! credentials as `ALIBABA_CLOUD_*` and hands the same triple to handlers in their context.
//!
//! FC's tokens last 36 hours and carry no expiration, so a long-running process outside FC must
//! not copy them; inside FC a fresh set arrives with each instance.

use crate::context::Context;
use crate::error::Result;
use crate::model::ProviderName;

use super::StaticProvider;

/// Variables only the FC runtime sets (FC 2.0 and 3.0); the `FC_` prefix is reserved there.
const FC_MARKERS: [&str; 3] = ["FC_FUNCTION_NAME", "FC_SERVICE_NAME", "FC_FUNC_CODE_PATH"];

/// Whether this process runs inside Function Compute.
pub fn detected(ctx: &Context) -> bool {
    FC_MARKERS.iter().any(|v| ctx.var(v).is_some())
}

/// The credentials of an FC handler's context (`context.credentials` in Python:
/// `access_key_id`, `access_key_secret`, `security_token`; `x-fc-*` headers in custom runtimes),
/// provider name `fc`.
pub fn context_credentials(
    access_key_id: &str,
    access_key_secret: &str,
    security_token: &str,
) -> Result<StaticProvider> {
    StaticProvider::sts_from(
        access_key_id,
        access_key_secret,
        security_token,
        "Function Compute context credentials",
        ProviderName::new("fc"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::MapEnv;
    use crate::model::CredentialKind;

    #[test]
    fn detection_and_context_credentials() {
        assert!(!detected(&Context::from_env(MapEnv::new())));
        assert!(detected(&Context::from_env(MapEnv::from([(
            "FC_FUNCTION_NAME",
            "f"
        )]))));
        use crate::provider::ProvideCredentials;
        let c = context_credentials("STS.fc", "s", "t")
            .unwrap()
            .cached()
            .unwrap();
        assert_eq!(
            (c.kind(), c.provider_name().as_str()),
            (CredentialKind::Sts, "fc")
        );
        let e = context_credentials("STS.fc", "s", "")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("Function Compute") && e.contains("security_token"),
            "{e}"
        );
    }
}
