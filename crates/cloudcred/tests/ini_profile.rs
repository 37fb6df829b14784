//! The INI profile provider against every section of the fixture file (fixtures/README.md).

mod common;

use cloudcred::alibaba::IniProfileProvider;
use cloudcred::prelude::*;
use cloudcred::{CredentialKind, ErrorKind, Resolution, SharedProvider};
use common::{assert_no_secret, Home};

fn resolve_section(home: &Home, section: &str) -> cloudcred::Result<Resolution> {
    let ctx = home.ctx();
    let mut env = home.env.clone();
    env.set("ALIBABA_CLOUD_PROFILE", section);
    let ctx = ctx.with_env(env);
    let p = IniProfileProvider::new(&ctx);
    futures::executor::block_on(cloudcred::ProvideCredentials::resolve(&p))
}

fn creds(home: &Home, section: &str) -> std::sync::Arc<cloudcred::Credentials> {
    match resolve_section(home, section) {
        Ok(Resolution::Credentials(c)) => c,
        other => panic!("[{section}]: {other:?}"),
    }
}

fn error(home: &Home, section: &str) -> cloudcred::Error {
    match resolve_section(home, section) {
        Err(e) => {
            let text = format!("{e} {e:?}");
            assert_no_secret(&text);
            assert!(text.contains("credentials"), "error names the file: {text}");
            e
        }
        other => panic!("[{section}] should fail: {other:?}"),
    }
}

#[test]
fn access_key_sections() {
    let home = Home::new().with_ini();
    let cases = [
        (
            "default",
            "LTAIFAKEDEFAULT00001",
            "fake-secret-default-00001",
        ),
        (
            "ak_literal_chars",
            "LTAIFAKELITERAL00002",
            "fa%ke#sec;ret%%00002",
        ),
        (
            "ak_tab_comment",
            "LTAIFAKETABCMNT00003",
            "fake-secret-tab-00003",
        ),
        (
            "ak_mixed_case_keys",
            "LTAIFAKEMIXEDCASE004",
            "fake-secret-mixed-case-00004",
        ),
        (
            "ak_indented",
            "LTAIFAKEINDENTED0005",
            "fake-secret-indented-00005",
        ),
        (
            "ak_enabled",
            "LTAIFAKEENABLED00006",
            "fake-secret-enabled-00006",
        ),
        (
            "ak_quoted",
            "\"LTAIFAKEQUOTED000011\"",
            "fake-secret-quoted-00011",
        ),
        (
            "ak_duplicate_key",
            "LTAIFAKELASTVALUE012",
            "fake-secret-duplicate-00012",
        ),
        (
            "DEFAULT",
            "LTAIFAKEUPPERDEFLT25",
            "fake-secret-upper-default-00025",
        ),
    ];
    for (section, id, secret) in cases {
        let c = creds(&home, section);
        assert_eq!(c.kind(), CredentialKind::AccessKey, "[{section}]");
        assert_eq!(c.access_key_id(), id, "[{section}]");
        assert_eq!(c.access_key_secret().expose(), secret, "[{section}]");
        assert_eq!(c.provider_name().as_str(), "profile/static_ak");
        assert_eq!(c.expiration(), None);
    }
}

#[test]
fn sts_and_bearer_sections() {
    let home = Home::new().with_ini();
    let c = creds(&home, "sts_static");
    assert_eq!(c.kind(), CredentialKind::Sts);
    assert_eq!(c.access_key_id(), "STS.FAKESTATIC000013");
    assert_eq!(
        c.security_token().unwrap().expose(),
        "fake-security-token-00013"
    );
    assert_eq!(c.provider_name().as_str(), "profile/static_sts");
    let b = creds(&home, "bearer");
    assert_eq!(b.kind(), CredentialKind::Bearer);
    assert_eq!(
        b.bearer_token().unwrap().expose(),
        "fake-bearer-token-00022"
    );
    assert_eq!(b.provider_name().as_str(), "profile/bearer");
}

#[test]
fn invalid_sections_are_errors_naming_file_section_and_key() {
    let home = Home::new().with_ini();
    let cases = [
        ("ak_disabled", "disabled (enable = false)"),
        ("ak_enable_invalid", "enable"),
        ("ak_missing_secret", "access_key_secret"),
        ("ak_empty_id", "access_key_id"),
        ("ram_short_duration", "600"),
        ("oidc_missing_token_file", "tokens/does-not-exist"),
        ("unknown_type", "access_key, sts, bearer, ecs_ram_role, ram_role_arn, rsa_key_pair, oidc_role_arn, credentials_uri"),
        ("no_type", "type = access_key"),
        ("ram_missing_role_arn", "role_arn"),
    ];
    for (section, needle) in cases {
        let e = error(&home, section);
        let text = e.to_string();
        assert!(
            text.contains(&format!("[{section}]")),
            "names the section: {text}"
        );
        assert!(
            text.contains(needle),
            "[{section}] should mention {needle:?}: {text}"
        );
        assert!(matches!(e.kind(), ErrorKind::InvalidConfig { .. }), "{e:?}");
    }
    // `enable = maybe` is reported without echoing the value.
    assert!(!error(&home, "ak_enable_invalid")
        .to_string()
        .contains("maybe"));
}

#[test]
fn role_arn_may_come_from_the_environment() {
    let home = Home::new()
        .with_ini()
        .set("ALIBABA_CLOUD_ROLE_ARN", "acs:ram::1:role/from-env");
    // The section is now complete: what fails is the call to the (closed) STS port.
    let e = error(&home, "ram_missing_role_arn");
    assert!(matches!(e.kind(), ErrorKind::Transport { .. }), "{e}");
    assert!(e.to_string().contains("acs:ram::1:role/from-env"), "{e}");
}

#[test]
fn network_types_are_validated_then_reported_unsupported() {
    let home = Home::new().with_ini();
    for section in ["ram", "ram_default_session", "oidc"] {
        // STS is on a closed local port here (tests/sts.rs runs these against the fake cloud).
        let e = error(&home, section);
        assert!(
            matches!(e.kind(), ErrorKind::Transport { .. }),
            "[{section}] {e}"
        );
    }
    let e = error(&home, "rsa").to_string();
    assert!(e.contains("fake-rsa-private-key.pem"), "{e}");
    for section in ["ecs", "ecs_discover"] {
        // Metadata is disabled by the test home (tests/ecs_ram_role.rs uses the fake cloud).
        let e = error(&home, section);
        assert!(
            e.to_string()
                .contains("ALIBABA_CLOUD_ECS_METADATA_DISABLED"),
            "[{section}] {e}"
        );
    }
}

#[test]
fn implicit_default_and_disabled_default() {
    let home = Home::new().with_ini();
    let c = futures::executor::block_on(
        SharedProvider::new(IniProfileProvider::new(&home.ctx())).get(),
    )
    .unwrap();
    assert_eq!(c.access_key_id(), "LTAIFAKEDEFAULT00001");

    // A disabled implicit section passes (not configured); selected, it is an error.
    let home = Home::new();
    home.write(
        ".alibabacloud/credentials",
        "[default]\nenable = off\ntype = access_key\naccess_key_id = a\naccess_key_secret = b\n",
    );
    let p = IniProfileProvider::new(&home.ctx());
    match futures::executor::block_on(cloudcred::ProvideCredentials::resolve(&p)) {
        Ok(Resolution::NotConfigured(r)) => assert!(r.contains("disabled"), "{r}"),
        other => panic!("{other:?}"),
    }
    let p = IniProfileProvider::builder(&home.ctx())
        .profile("default")
        .build();
    assert!(futures::executor::block_on(cloudcred::ProvideCredentials::resolve(&p)).is_err());
}

#[test]
fn file_selection_order() {
    // credentials.ini alone is read.
    let home = Home::new();
    home.install(
        "alibabacloud/credentials.ini",
        ".alibabacloud/credentials.ini",
    );
    assert_eq!(
        creds(&home, "default").access_key_id(),
        "LTAIFAKEINIFALLBACK1"
    );
    assert_eq!(
        creds(&home, "only_in_ini").access_key_id(),
        "LTAIFAKEINIONLY00002"
    );
    // Next to `credentials` it is ignored, and doctor says so.
    let home = home.with_ini();
    assert_eq!(
        creds(&home, "default").access_key_id(),
        "LTAIFAKEDEFAULT00001"
    );
    assert!(matches!(
        resolve_section(&home, "only_in_ini"),
        Ok(Resolution::NotConfigured(_))
    ));
    let warnings =
        cloudcred::ProvideCredentials::inspect(&IniProfileProvider::new(&home.ctx())).warnings;
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("credentials.ini is ignored")),
        "{warnings:?}"
    );
    // No file at all: not configured.
    let home = Home::new();
    match resolve_section(&home, "default") {
        Ok(Resolution::NotConfigured(r)) => assert!(r.contains("credentials.ini"), "{r}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn credentials_file_variable() {
    let home = Home::new();
    let path = home.install("alibabacloud/credentials", "elsewhere/creds");
    let home = home.set("ALIBABA_CLOUD_CREDENTIALS_FILE", path.to_str().unwrap());
    assert_eq!(
        creds(&home, "default").access_key_id(),
        "LTAIFAKEDEFAULT00001"
    );
    let home = Home::new()
        .with_ini()
        .set("ALIBABA_CLOUD_CREDENTIALS_FILE", "/nonexistent/creds");
    let e = resolve_section(&home, "default").unwrap_err().to_string();
    assert!(
        e.contains("ALIBABA_CLOUD_CREDENTIALS_FILE") && e.contains("/nonexistent/creds"),
        "{e}"
    );
    // `~/` expands to the home directory.
    let home = Home::new();
    home.install("alibabacloud/credentials", "cfg/creds");
    let home = home.set("ALIBABA_CLOUD_CREDENTIALS_FILE", "~/cfg/creds");
    assert_eq!(
        creds(&home, "default").access_key_id(),
        "LTAIFAKEDEFAULT00001"
    );
}

#[test]
fn syntax_errors_name_file_and_line_without_content() {
    for (fixture, line) in [
        ("alibabacloud/credentials-broken-section", 4),
        ("alibabacloud/credentials-key-before-section", 1),
        ("alibabacloud/credentials-no-separator", 6),
    ] {
        let home = Home::new();
        let path = home.install(fixture, ".alibabacloud/credentials");
        let e = resolve_section(&home, "default").unwrap_err();
        let text = e.to_string();
        assert!(
            text.starts_with(&format!("{}:{line}:", path.display())),
            "{text}"
        );
        assert!(
            !text.contains("LTAIFAKE") && !text.contains("fake-secret"),
            "{text}"
        );
    }
}

#[test]
fn the_inner_provider_is_built_once_and_cached() {
    let home = Home::new().with_ini();
    let p = IniProfileProvider::new(&home.ctx());
    assert!(
        cloudcred::ProvideCredentials::cached(&p).is_none(),
        "nothing is read before the first request"
    );
    let first = futures::executor::block_on(
        SharedProvider::new(IniProfileProvider::new(&home.ctx())).get(),
    )
    .unwrap();
    let sp = SharedProvider::new(p);
    let a = futures::executor::block_on(sp.get()).unwrap();
    // The file is gone, but the provider keeps what it built.
    std::fs::remove_file(home.path().join(".alibabacloud/credentials")).unwrap();
    let b = futures::executor::block_on(sp.get()).unwrap();
    assert!(std::sync::Arc::ptr_eq(&a, &b));
    assert_eq!(first.access_key_id(), a.access_key_id());
}
