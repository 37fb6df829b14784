//! Echoed secrets through the real `cloudcred` binary (issue 11, item 10): `cloudcred get` with
//! `CLOUDCRED_LOG=trace` (the binary's own subscriber, which also receives the `log` records of
//! the HTTP stack) against a fake cloud whose endpoints quote the request back in their errors.
//! Neither stdout nor stderr may hold the token in the credentials URI's query, the OIDC token
//! or the Huawei id token, while the echo itself is shown, redacted.

use cloudcred_fakecloud::{Endpoint, FakeCloud, FakeCloudConfig, Fault};
use std::process::Command;

const URI_TOKEN: &str = "PLANTED-CLI-URI-TOKEN-0001";
const OIDC_TOKEN: &str = "PLANTED-CLI-OIDC-TOKEN-0001.eyJzdWIiOiJ4In0.c2ln";
const HW_ID_TOKEN: &str = "PLANTED-CLI-HW-ID-TOKEN-0001.eyJzdWIiOiJ4In0.c2ln";

/// The echoing endpoint, the status it answers with, the arguments and the environment.
type Case<'a> = (Endpoint, u16, &'a [&'a str], Vec<(&'a str, &'a str)>);

#[test]
fn get_against_echoing_endpoints_prints_and_logs_no_token() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let cloud = rt
        .block_on(FakeCloud::start(FakeCloudConfig::default()))
        .unwrap();
    let home = tempfile::tempdir().unwrap();
    let oidc_file = home.path().join("oidc-token");
    std::fs::write(&oidc_file, OIDC_TOKEN).unwrap();
    let base = cloud.base_url();
    let uri = cloud.url(&format!("/uri/fixture?token={URI_TOKEN}"));
    let oidc_path = oidc_file.to_str().unwrap();
    let cases: [Case; 3] = [
        (
            Endpoint::CredentialsUri,
            500,
            &["get"],
            vec![("ALIBABA_CLOUD_CREDENTIALS_URI", uri.as_str())],
        ),
        (
            Endpoint::StsAssumeRoleWithOidc,
            400,
            &["get"],
            vec![
                (
                    "ALIBABA_CLOUD_ROLE_ARN",
                    "acs:ram::1000000000000000:role/fake-env-oidc-role",
                ),
                (
                    "ALIBABA_CLOUD_OIDC_PROVIDER_ARN",
                    "acs:ram::1000000000000000:oidc-provider/fake-oidc-provider",
                ),
                ("ALIBABA_CLOUD_OIDC_TOKEN_FILE", oidc_path),
                ("ALIBABA_CLOUD_STS_ENDPOINT", base.as_str()),
            ],
        ),
        (
            Endpoint::HwOidcSts,
            400,
            &["get", "--cloud", "huawei"],
            vec![
                (
                    "HUAWEICLOUD_OIDC_PROVIDER_URN",
                    "urn:fake:identity-provider:fixture",
                ),
                ("HUAWEICLOUD_OIDC_AGENCY_URN", "urn:fake:agency:fixture"),
                ("HUAWEICLOUD_OIDC_ID_TOKEN", HW_ID_TOKEN),
                ("HUAWEICLOUD_SDK_STS_ENDPOINT", base.as_str()),
                ("HUAWEICLOUD_SDK_METADATA_DISABLED", "true"),
            ],
        ),
    ];
    for (endpoint, status, args, env) in cases {
        cloud.clear_faults();
        cloud.set_fault(endpoint, Fault::Echo(status));
        let out = Command::new(env!("CARGO_BIN_EXE_cloudcred"))
            .args(args)
            .env_clear()
            .env("HOME", home.path())
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("CLOUDCRED_LOG", "trace")
            .env("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true")
            .envs(env)
            .output()
            .unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!out.status.success(), "{endpoint:?}: {text}");
        assert!(
            text.contains("echo of") && text.contains("** redacted **"),
            "{endpoint:?}: the echo is shown, redacted: {text}"
        );
        assert!(
            text.contains("TRACE") || text.contains("DEBUG"),
            "logging is on: {text}"
        );
        for token in [URI_TOKEN, OIDC_TOKEN, HW_ID_TOKEN] {
            assert!(
                !text.contains(token),
                "{endpoint:?}: {token} leaked: {text}"
            );
        }
    }
    cloud.shutdown();
}
