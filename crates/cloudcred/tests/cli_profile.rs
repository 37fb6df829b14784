//! The CLI-profile provider against every profile of the fixture config.json
//! (fixtures/README.md, spec 6.13).

mod common;

use cloudcred::alibaba::CliProfileProvider;
use cloudcred::{CredentialKind, ErrorKind, ProvideCredentials, Resolution};
use common::{assert_no_secret, Home};

fn resolve(home: &Home, profile: Option<&str>) -> cloudcred::Result<Resolution> {
    let mut env = home.env.clone();
    if let Some(p) = profile {
        env.set("ALIBABA_CLOUD_PROFILE", p);
    }
    let p = CliProfileProvider::new(&home.ctx().env(env));
    futures::executor::block_on(p.resolve())
}

fn creds(home: &Home, profile: &str) -> std::sync::Arc<cloudcred::Credentials> {
    match resolve(home, Some(profile)) {
        Ok(Resolution::Credentials(c)) => c,
        other => panic!("{profile}: {other:?}"),
    }
}

fn error(home: &Home, profile: &str) -> cloudcred::Error {
    match resolve(home, Some(profile)) {
        Err(e) => {
            assert_no_secret(&format!("{e} {e:?}"));
            e
        }
        other => panic!("{profile} should fail: {other:?}"),
    }
}

#[test]
fn static_modes() {
    let home = Home::new().with_cli_config();
    // `current` = default.
    match resolve(&home, None).unwrap() {
        Resolution::Credentials(c) => {
            assert_eq!(c.access_key_id(), "LTAIFAKECLIDEFAULT01");
            assert_eq!(c.provider_name().as_str(), "cli_profile/static_ak");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        creds(&home, "ak-lowercase-mode").access_key_id(),
        "LTAIFAKECLILOWER0002"
    );
    let sts = creds(&home, "sts");
    assert_eq!(
        (sts.kind(), sts.access_key_id()),
        (CredentialKind::Sts, "STS.FAKECLISTATIC004")
    );
    assert_eq!(
        sts.security_token().unwrap().expose(),
        "fake-cli-sts-token-00004"
    );
    assert_eq!(sts.provider_name().as_str(), "cli_profile/static_sts");
    let bearer = creds(&home, "bearer");
    assert_eq!(bearer.kind(), CredentialKind::Bearer);
    assert_eq!(bearer.bearer_token_header(), "x-acs-bearer-token");
    let anon = creds(&home, "anonymous");
    assert_eq!(anon.kind(), CredentialKind::Anonymous);
    assert_eq!(anon.provider_name().as_str(), "cli_profile/anonymous");
}

#[test]
fn invalid_profiles_are_errors_naming_the_profile_and_the_fix() {
    let home = Home::new().with_cli_config();
    let cases = [
        ("ak-missing-secret", "access_key_secret"),
        (
            "chain-cycle-a",
            "chain-cycle-a -> chain-cycle-b -> chain-cycle-a",
        ),
        (
            "chain-cycle-b",
            "chain-cycle-b -> chain-cycle-a -> chain-cycle-b",
        ),
        ("chain-self", "chain-self -> chain-self"),
        ("chain-missing-source", "no-such-profile"),
        ("sso-expired", "log in again with aliyun-cli"),
        ("oauth-bad-site", "oauth_site_type must be CN or INTL"),
        ("unsupported", "AK, StsToken, RamRoleArn"),
    ];
    for (profile, needle) in cases {
        let e = error(&home, profile);
        let text = e.to_string();
        assert!(text.contains(profile), "names the profile: {text}");
        assert!(
            text.contains(needle),
            "{profile}: expected {needle:?} in {text}"
        );
    }
    assert!(
        !error(&home, "unsupported").to_string().contains("Kerberos"),
        "the bad value is not echoed"
    );
}

#[test]
fn network_modes_are_validated_then_reported_unsupported() {
    let home = Home::new().with_cli_config();
    for profile in [
        "ramrole",
        "ramrole-vpc",
        "ramrole-endpoint",
        "chain-one-hop",
        "chain-two-hops",
    ] {
        // STS is on a closed local port here (tests/sts.rs runs these against the fake cloud).
        let e = error(&home, profile);
        assert!(
            matches!(e.kind(), ErrorKind::Transport { .. }),
            "{profile}: {e}"
        );
        assert!(e.to_string().contains("http://127.0.0.1:9/"), "{e}");
    }
    for profile in [
        "ecs",
        "ecs-discover",
        "oidc",
        "oidc-role-session-name-key",
        "ram-with-ecs",
        "sso",
        "uri",
        "rsa",
    ] {
        let e = error(&home, profile);
        assert!(
            matches!(e.kind(), ErrorKind::Unsupported { .. }),
            "{profile}: {e}"
        );
    }
}

#[test]
fn external_processes_can_be_refused() {
    let home = Home::new()
        .with_cli_config()
        .set("ALIBABA_CLOUD_DISABLE_EXTERNAL_PROCESS", "true");
    for profile in ["external-sts", "uri"] {
        let e = error(&home, profile).to_string();
        assert!(e.contains("ALIBABA_CLOUD_DISABLE_EXTERNAL_PROCESS"), "{e}");
    }
}

#[test]
fn profile_absence_rules() {
    let home = Home::new().with_cli_config();
    // A name from ALIBABA_CLOUD_PROFILE that the file lacks: not configured (the INI may have it).
    assert!(matches!(
        resolve(&home, Some("nope")),
        Ok(Resolution::NotConfigured(_))
    ));
    // An explicit builder name: error.
    let p = CliProfileProvider::builder(&home.ctx())
        .profile("nope")
        .build();
    let e = futures::executor::block_on(p.resolve())
        .unwrap_err()
        .to_string();
    assert!(e.contains("no profile nope"), "{e}");
    // `current` naming a missing profile: error naming it.
    let home = Home::new();
    home.install("aliyun/config-current-missing.json", ".aliyun/config.json");
    let e = resolve(&home, None).unwrap_err().to_string();
    assert!(e.contains("vanished") && e.contains("current"), "{e}");
    // No `current`: not configured.
    let home = Home::new();
    home.write(".aliyun/config.json", r#"{"profiles": []}"#);
    assert!(matches!(
        resolve(&home, None),
        Ok(Resolution::NotConfigured(_))
    ));
    // No file: not configured.
    assert!(matches!(
        resolve(&Home::new(), None),
        Ok(Resolution::NotConfigured(_))
    ));
}

#[test]
fn invalid_json_names_line_and_column_without_content() {
    let home = Home::new();
    let path = home.install("aliyun/config-invalid.json", ".aliyun/config.json");
    let e = resolve(&home, None).unwrap_err();
    let text = format!("{e} {e:?}");
    assert!(
        matches!(
            e.kind(),
            ErrorKind::Syntax {
                column: Some(_),
                ..
            }
        ),
        "{text}"
    );
    assert!(
        e.to_string().starts_with(&path.display().to_string()),
        "{text}"
    );
    assert!(
        !text.contains("FAKE-SECRET-MUST-NOT-APPEAR-IN-ERRORS"),
        "{text}"
    );
    assert!(!text.contains("LTAIFAKELEAKCHECK001"), "{text}");
}

#[test]
fn disabled_and_path_variables() {
    let home = Home::new()
        .with_cli_config()
        .set("ALIBABA_CLOUD_CLI_PROFILE_DISABLED", "TRUE");
    match resolve(&home, None) {
        Ok(Resolution::NotConfigured(r)) => {
            assert!(r.contains("ALIBABA_CLOUD_CLI_PROFILE_DISABLED"), "{r}")
        }
        other => panic!("{other:?}"),
    }
    let p = CliProfileProvider::builder(&home.ctx())
        .profile("default")
        .build();
    let e = futures::executor::block_on(p.resolve())
        .unwrap_err()
        .to_string();
    assert!(e.contains("ALIBABA_CLOUD_CLI_PROFILE_DISABLED"), "{e}");

    let home = Home::new();
    let path = home.install("aliyun/config.json", "other/config.json");
    let home = home.set("ALIBABA_CLOUD_CONFIG_FILE", path.to_str().unwrap());
    assert_eq!(
        creds(&home, "default").access_key_id(),
        "LTAIFAKECLIDEFAULT01"
    );
    let home = Home::new().set("ALIBABA_CLOUD_CONFIG_FILE", "/nonexistent/config.json");
    let e = resolve(&home, None).unwrap_err().to_string();
    assert!(
        e.contains("ALIBABA_CLOUD_CONFIG_FILE") && e.contains("/nonexistent/config.json"),
        "{e}"
    );
}

#[test]
fn mode_inference_is_reported_by_doctor() {
    let home = Home::new();
    home.write(
        ".aliyun/config.json",
        r#"{"current": "p", "profiles": [{"name": "p", "access_key_id": "LTAIINFER", "access_key_secret": "s3cr3t-inferred"}]}"#,
    );
    assert_eq!(creds(&home, "p").access_key_id(), "LTAIINFER");
    let w = CliProfileProvider::new(&home.ctx()).inspect().warnings;
    assert!(w.iter().any(|w| w.contains("inferred AK")), "{w:?}");
}
