//! What a hostile or mistaken value inside the files and variables must not do (issue 11,
//! item 16): a value of the wrong JSON type passing for "missing", and a profile or section
//! name with control characters reaching the reader's terminal raw through an error or
//! `doctor` output.

mod common;

use cloudcred::alibaba::{CliProfileProvider, DefaultChain, IniProfileProvider};
use cloudcred::prelude::*;
use cloudcred::{Chain, ProvideCredentials, SharedProvider};
use common::{assert_no_secret, Home};

fn err(chain: &Chain) -> String {
    futures::executor::block_on(chain.get())
        .unwrap_err()
        .to_string()
}

/// A number that must never be echoed: it stands for a secret typed without quotes.
const NUMERIC_SECRET: &str = "98765432109876543210";

#[test]
fn a_numeric_secret_in_config_json_must_be_a_string() {
    for mode in [r#""mode": "AK", "#, ""] {
        let home = Home::new();
        let path = home.write(
            ".aliyun/config.json",
            &format!(
                r#"{{"current": "num", "profiles": [{{"name": "num", {mode}"access_key_id": "LTAIFAKENUMERIC00001", "access_key_secret": {NUMERIC_SECRET}}}]}}"#
            ),
        );
        let e = err(&DefaultChain::builder(&home.ctx()).build());
        for want in [
            path.to_str().unwrap(),
            "profile num",
            "`access_key_secret` must be a JSON string, not a number",
        ] {
            assert!(e.contains(want), "mode {mode:?}: no {want:?} in: {e}");
        }
        assert!(!e.contains("missing or empty"), "{e}");
        assert!(!e.contains(NUMERIC_SECRET), "the value leaked: {e}");
        assert_no_secret(&e);
    }
    // Other types and other keys are named the same way.
    let home = Home::new();
    home.write(
        ".aliyun/config.json",
        r#"{"current": "t", "profiles": [{"name": "t", "mode": "StsToken", "access_key_id": "LTAIFAKE", "access_key_secret": "s3cr3t-value", "sts_token": true}]}"#,
    );
    let e = err(&DefaultChain::builder(&home.ctx()).build());
    assert!(
        e.contains("`sts_token` must be a JSON string, not a boolean"),
        "{e}"
    );
    let home = Home::new();
    home.write(
        ".aliyun/config.json",
        r#"{"current": "t", "profiles": [{"name": "t", "mode": 7}]}"#,
    );
    let e = err(&DefaultChain::builder(&home.ctx()).build());
    assert!(
        e.contains("`mode` must be a JSON string, not a number"),
        "{e}"
    );
}

/// An escape sequence that recolours the terminal, and a newline that forges a report line.
const EVIL: &str = "evil\u{1b}[31m\nFORGED LINE";
const EVIL_SHOWN: &str = "evil\\u{1b}[31m\\nFORGED LINE";

fn assert_escaped(what: &str, text: &str) {
    assert!(text.contains(EVIL_SHOWN), "{what}: not escaped: {text:?}");
    assert!(
        !text.contains('\u{1b}') && !text.contains("\nFORGED"),
        "{what}: raw control characters: {text:?}"
    );
}

#[test]
fn a_profile_name_from_the_variable_or_the_option_is_escaped() {
    let home = Home::new()
        .with_ini()
        .with_cli_config()
        .set("ALIBABA_CLOUD_PROFILE", EVIL);
    assert_escaped(
        "ALIBABA_CLOUD_PROFILE",
        &err(&DefaultChain::builder(&home.ctx()).build()),
    );
    // `--profile` of the CLI is the builder's profile.
    let home = Home::new().with_ini().with_cli_config();
    assert_escaped(
        "the profile option",
        &err(&DefaultChain::builder(&home.ctx()).profile(EVIL).build()),
    );
    // Each file's own provider, asked for the profile explicitly.
    let ctx = home.ctx();
    let ini = SharedProvider::new(IniProfileProvider::builder(&ctx).profile(EVIL).build());
    let cli = SharedProvider::new(CliProfileProvider::builder(&ctx).profile(EVIL).build());
    for (what, p) in [("INI provider", ini), ("config.json provider", cli)] {
        let e = futures::executor::block_on(p.get()).unwrap_err();
        assert_escaped(what, &e.to_string());
    }
}

#[test]
fn a_name_inside_the_files_is_escaped_in_errors_and_doctor() {
    // config.json: JSON can carry any control character as \u escapes.
    let json_name = serde_json::to_string(EVIL).unwrap();
    let home = Home::new();
    home.write(
        ".aliyun/config.json",
        &format!(
            r#"{{"current": {json_name}, "profiles": [{{"name": {json_name}, "mode": "AK", "access_key_id": "LTAIFAKE"}}, {{"name": {json_name}}}]}}"#
        ),
    );
    assert_escaped(
        "config.json error",
        &err(&DefaultChain::builder(&home.ctx()).build()),
    );
    // `doctor` shows the inspection: the duplicate-name warning echoes the name.
    let inspection = CliProfileProvider::new(&home.ctx()).inspect();
    let doctor = format!("{:?} {}", inspection.reads, inspection.warnings.join("\n"));
    assert!(
        inspection
            .warnings
            .iter()
            .any(|w| w.contains("appears 2 times")),
        "{doctor}"
    );
    assert_escaped("doctor warnings", &inspection.warnings.join(" "));

    // The INI file: a section header with an escape sequence (a newline cannot be in one).
    let home = Home::new().set("ALIBABA_CLOUD_PROFILE", "evil\u{1b}[31m");
    home.write(
        ".alibabacloud/credentials",
        "[evil\u{1b}[31m]\ntype = access_key\naccess_key_id = LTAIFAKE\n\n[evil\u{1b}[31m]\nx = 1\n",
    );
    let e = err(&DefaultChain::builder(&home.ctx()).build());
    assert!(e.contains("[evil\\u{1b}[31m]"), "{e:?}");
    assert!(!e.contains('\u{1b}'), "{e:?}");
    let inspection = IniProfileProvider::new(&home.ctx()).inspect();
    let warnings = inspection.warnings.join("\n");
    assert!(warnings.contains("appears again"), "{warnings}");
    assert!(!warnings.contains('\u{1b}'), "{warnings:?}");
}

#[test]
fn the_oauth_provider_escapes_its_profile_name() {
    let home = Home::new();
    let path = home.write(".aliyun/config.json", r#"{"profiles": []}"#);
    let e = cloudcred::alibaba::oauth::OAuthProvider::builder(&home.ctx(), &path, EVIL)
        .build()
        .unwrap_err();
    assert_escaped("OAuth builder", &e.to_string());
    let p = cloudcred::alibaba::oauth::OAuthProvider::builder(&home.ctx(), &path, EVIL)
        .site(cloudcred::alibaba::oauth::Site::Cn)
        .build()
        .unwrap();
    assert_escaped("OAuth doctor line", &p.inspect().reads.join(" "));
}

/// The output of a `process_command` is a document of the same shape: a number there is named
/// as such, not "empty".
#[tokio::test]
async fn a_numeric_secret_in_external_process_output_must_be_a_string() {
    use std::os::unix::fs::PermissionsExt;
    let home = Home::new();
    let tool = home.path().join("tool");
    std::fs::write(
        &tool,
        format!(
            "#!/bin/sh\necho '{{\"mode\": \"AK\", \"access_key_id\": \"LTAIFAKE\", \"access_key_secret\": {NUMERIC_SECRET}}}'\n"
        ),
    )
    .unwrap();
    std::fs::set_permissions(&tool, std::fs::Permissions::from_mode(0o755)).unwrap();
    home.write(
        ".aliyun/config.json",
        &format!(
            r#"{{"current": "ext", "profiles": [{{"name": "ext", "mode": "External", "process_command": "{}"}}]}}"#,
            tool.display()
        ),
    );
    let e = DefaultChain::builder(&home.ctx())
        .build()
        .get()
        .await
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("`access_key_secret` in the output must be a JSON string, not a number"),
        "{e}"
    );
    assert!(!e.contains(NUMERIC_SECRET), "the value leaked: {e}");
}
