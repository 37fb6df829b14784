//! Variables other tools read that cloudcred deliberately does not (spec 4.3, D13), with the
//! name to use instead. `cloudcred doctor` reports every one that is set.

use crate::context::Context;

/// `(variable, advice)` for every ignored variable, in a stable order.
const IGNORED: &[(&str, &str)] = &[
    ("ALIBABACLOUD_ACCESS_KEY_ID", "use ALIBABA_CLOUD_ACCESS_KEY_ID"),
    ("ALICLOUD_ACCESS_KEY_ID", "use ALIBABA_CLOUD_ACCESS_KEY_ID"),
    ("ACCESS_KEY_ID", "use ALIBABA_CLOUD_ACCESS_KEY_ID"),
    ("ALIYUN_ACCESS_KEY_ID", "use ALIBABA_CLOUD_ACCESS_KEY_ID (aliyun-python-sdk-core's name)"),
    ("ALIBABA_CLOUD_ACCESS_KEY_Id", "misspelt: use ALIBABA_CLOUD_ACCESS_KEY_ID"),
    ("ALICLOUD_ACCESS_KEY", "use ALIBABA_CLOUD_ACCESS_KEY_ID"),
    ("ALIBABACLOUD_ACCESS_KEY_SECRET", "use ALIBABA_CLOUD_ACCESS_KEY_SECRET"),
    ("ALICLOUD_ACCESS_KEY_SECRET", "use ALIBABA_CLOUD_ACCESS_KEY_SECRET"),
    ("ACCESS_KEY_SECRET", "use ALIBABA_CLOUD_ACCESS_KEY_SECRET"),
    ("ALIYUN_ACCESS_KEY_SECRET", "use ALIBABA_CLOUD_ACCESS_KEY_SECRET (aliyun-python-sdk-core's name)"),
    ("ALIBABACLOUD_SECURITY_TOKEN", "use ALIBABA_CLOUD_SECURITY_TOKEN"),
    ("ALICLOUD_SECURITY_TOKEN", "use ALIBABA_CLOUD_SECURITY_TOKEN"),
    ("SECURITY_TOKEN", "use ALIBABA_CLOUD_SECURITY_TOKEN"),
    ("ALIBABACLOUD_PROFILE", "use ALIBABA_CLOUD_PROFILE"),
    ("ALICLOUD_PROFILE", "use ALIBABA_CLOUD_PROFILE"),
    ("ALIBABACLOUD_OIDC_PROVIDER_ARN", "use ALIBABA_CLOUD_OIDC_PROVIDER_ARN"),
    ("ALIBABACLOUD_OIDC_TOKEN_FILE", "use ALIBABA_CLOUD_OIDC_TOKEN_FILE"),
    ("ALIBABACLOUD_ROLE_ARN", "use ALIBABA_CLOUD_ROLE_ARN"),
    ("ALIBABACLOUD_EXTERNAL_ID", "use ALIBABA_CLOUD_EXTERNAL_ID"),
    ("ALIBABA_CLOUD_REGION_ID", "credentials do not depend on a region; set it in the client, or ALIBABA_CLOUD_STS_REGION for STS"),
    ("ALIBABACLOUD_REGION_ID", "credentials do not depend on a region; set it in the client, or ALIBABA_CLOUD_STS_REGION for STS"),
    ("ALICLOUD_REGION_ID", "credentials do not depend on a region; set it in the client, or ALIBABA_CLOUD_STS_REGION for STS"),
    ("ALIBABA_CLOUD_IMDSV1_DISABLE", "misspelt: use ALIBABA_CLOUD_IMDSV1_DISABLED"),
    ("ALIBABA_CLOUD_ECS_IMDSV2_ENABLE", "deprecated no-op: the metadata token is always tried first"),
    ("ALIBABA_CLOUD_IGNORE_PROFILE", "aliyun-cli only; use ALIBABA_CLOUD_CLI_PROFILE_DISABLED=true to skip config.json"),
    ("ALIBABA_CLOUD_PROFILE_MODE", "aliyun-cli only; the profile's own `mode` decides"),
    ("DEBUG", "logging is controlled with CLOUDCRED_LOG (tracing filters), never DEBUG"),
];

/// The ignored names that other tools read as an identity: those whose advice names a variable of
/// [`super::env::IDENTITY_VARS`] (`ALICLOUD_ACCESS_KEY`, `ALIBABACLOUD_ROLE_ARN`, …).
pub fn identity_aliases() -> impl Iterator<Item = &'static str> {
    IGNORED
        .iter()
        .filter(|(_, advice)| {
            advice
                .strip_prefix("use ")
                .and_then(|rest| rest.split(' ').next())
                .is_some_and(|name| super::env::IDENTITY_VARS.contains(&name))
        })
        .map(|(var, _)| *var)
}

/// Every ignored variable that is set (non-blank), with advice.
pub fn ignored_variables(ctx: &Context) -> Vec<(&'static str, &'static str)> {
    IGNORED
        .iter()
        .copied()
        .filter(|(var, _)| ctx.var(var).is_some())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::MapEnv;

    #[test]
    fn reports_only_set_variables() {
        let ctx = Context::from_env(MapEnv::from([
            ("ALICLOUD_ACCESS_KEY_ID", "x"),
            ("ALIBABACLOUD_ACCESS_KEY_SECRET", " "),
            ("ALIBABA_CLOUD_ACCESS_KEY_ID", "y"),
        ]));
        let found = ignored_variables(&ctx);
        assert_eq!(
            found,
            vec![("ALICLOUD_ACCESS_KEY_ID", "use ALIBABA_CLOUD_ACCESS_KEY_ID")]
        );
    }

    #[test]
    fn identity_aliases_are_the_credential_names_only() {
        let aliases: Vec<_> = identity_aliases().collect();
        for var in [
            "ALICLOUD_ACCESS_KEY",
            "ALIBABACLOUD_ACCESS_KEY_SECRET",
            "SECURITY_TOKEN",
            "ALIBABACLOUD_ROLE_ARN",
        ] {
            assert!(aliases.contains(&var), "{var} missing from {aliases:?}");
        }
        for setting in [
            "ALIBABACLOUD_PROFILE",
            "ALIBABA_CLOUD_REGION_ID",
            "ALIBABACLOUD_EXTERNAL_ID",
            "DEBUG",
        ] {
            assert!(!aliases.contains(&setting), "{setting} is a setting");
        }
    }
}
