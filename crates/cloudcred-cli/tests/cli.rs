//! The built `cloudcred` binary in a temporary HOME with a controlled environment.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/fixtures")
}

struct Home(tempfile::TempDir);

impl Home {
    fn new() -> Self {
        Home(tempfile::tempdir().unwrap())
    }
    fn install(self, fixture: &str, rel: &str) -> Self {
        let text = std::fs::read_to_string(fixtures().join(fixture))
            .unwrap()
            .replace("@FIXTURES@", fixtures().to_str().unwrap())
            .replace("@PORT@", "9");
        let path = self.0.path().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
        self
    }
    fn with_files(self) -> Self {
        self.install("alibabacloud/credentials", ".alibabacloud/credentials")
            .install("aliyun/config.json", ".aliyun/config.json")
    }
    fn run(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_cloudcred"))
            .args(args)
            .env_clear()
            .env("HOME", self.0.path())
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true")
            .envs(env.iter().copied())
            .output()
            .unwrap()
    }
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

const SECRETS: [&str; 6] = [
    "fake-cli-secret-default-00001",
    "fake-secret-default-00001",
    "fake-cli-sts-token-00004",
    "fake-cli-secret-sts-00004",
    "FAKE-SECRET-MUST-NOT-APPEAR-IN-ERRORS",
    "fake-cli-bearer-token-00001",
];

fn assert_no_secret(text: &str) {
    for s in SECRETS {
        assert!(!text.contains(s), "{s} leaked: {text}");
    }
}

#[test]
fn get_json_prints_exactly_one_object() {
    let home = Home::new().with_files();
    let out = home.run(&["get", "--format", "json"], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys.len(), 5);
    for k in [
        "access_key_id",
        "access_key_secret",
        "security_token",
        "expiration",
        "provider",
    ] {
        assert!(keys.contains(&k), "{keys:?}");
    }
    assert_eq!(v["access_key_id"], "LTAIFAKECLIDEFAULT01");
    assert_eq!(v["access_key_secret"], "fake-cli-secret-default-00001");
    assert_eq!(v["security_token"], Value::Null);
    assert_eq!(v["expiration"], Value::Null);
    assert_eq!(v["provider"], "default/cli_profile/static_ak");
    assert_eq!(stdout(&out).lines().count(), 1);

    let out = home.run(&["get", "--profile", "sts", "--format", "json"], &[]);
    let v: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["security_token"], "fake-cli-sts-token-00004");
    // Not a terminal: JSON by default.
    let out = home.run(&["get"], &[("ALIBABA_CLOUD_PROFILE", "sts_static")]);
    let v: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["provider"], "default/profile/static_sts");
}

#[test]
fn get_failure_prints_nothing_on_stdout() {
    for (home, env, needle) in [
        (Home::new(), vec![], "no credentials found"),
        (
            Home::new().install("aliyun/config-invalid.json", ".aliyun/config.json"),
            vec![],
            "config.json:10",
        ),
        (
            Home::new().with_files(),
            vec![("ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAIONLY")],
            "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
        ),
        (
            Home::new().with_files(),
            vec![("ALIBABA_CLOUD_PROFILE", "chain-self")],
            "chain-self -> chain-self",
        ),
    ] {
        let out = home.run(&["get", "--format", "json"], &env);
        assert!(!out.status.success());
        assert_eq!(stdout(&out), "");
        let err = stderr(&out);
        assert!(err.contains(needle), "{needle}: {err}");
        assert_no_secret(&err);
    }
}

#[test]
fn get_text_masks_and_env_exports() {
    let home = Home::new().with_files();
    let out = home.run(&["get", "--format", "text", "--profile", "sts"], &[]);
    let text = stdout(&out);
    assert!(
        text.contains("access key id:     STS**************004"),
        "{text}"
    );
    assert!(text.contains("** redacted **"), "{text}");
    assert_no_secret(&text);

    let out = home.run(&["get", "--format", "env"], &[]);
    let text = stdout(&out);
    assert!(
        text.contains("export ALIBABA_CLOUD_ACCESS_KEY_ID='LTAIFAKECLIDEFAULT01'"),
        "{text}"
    );
    assert!(
        text.contains("export ALIBABA_CLOUD_ACCESS_KEY_SECRET='fake-cli-secret-default-00001'"),
        "{text}"
    );
    assert!(
        text.contains("unset ALIBABA_CLOUD_SECURITY_TOKEN"),
        "{text}"
    );
    // The output is valid shell: evaluate it and read the values back.
    let script = format!("{text}\nprintf '%s|%s' \"$ALIBABA_CLOUD_ACCESS_KEY_ID\" \"${{ALIBABA_CLOUD_SECURITY_TOKEN-unset}}\"");
    let sh = Command::new("sh")
        .arg("-c")
        .arg(script)
        .env("ALIBABA_CLOUD_SECURITY_TOKEN", "stale")
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8(sh.stdout).unwrap(),
        "LTAIFAKECLIDEFAULT01|unset"
    );
}

#[test]
fn doctor_explains_without_secrets() {
    let home = Home::new().with_files().install(
        "alibabacloud/credentials.ini",
        ".alibabacloud/credentials.ini",
    );
    let out = home.run(
        &["doctor"],
        &[
            ("ALICLOUD_ACCESS_KEY_ID", "x"),
            ("ALIBABA_CLOUD_PROFILE", "ak_duplicate_key"),
        ],
    );
    let text = stdout(&out);
    assert!(out.status.success(), "{text}");
    for needle in [
        "default/env",
        "not configured",
        "APPLIES",
        "default/profile/static_ak",
        "credentials.ini is ignored",
        "duplicate key",
        "ALICLOUD_ACCESS_KEY_ID: use ALIBABA_CLOUD_ACCESS_KEY_ID",
        "Result:",
    ] {
        assert!(text.contains(needle), "{needle}: {text}");
    }
    assert_no_secret(&text);
    for profile in [
        "default",
        "sts",
        "bearer",
        "ak-missing-secret",
        "chain-cycle-a",
        "nonexistent",
    ] {
        let out = home.run(&["doctor"], &[("ALIBABA_CLOUD_PROFILE", profile)]);
        assert_no_secret(&stdout(&out));
        assert_no_secret(&stderr(&out));
    }
    let broken = Home::new().install("aliyun/config-invalid.json", ".aliyun/config.json");
    let out = broken.run(&["doctor"], &[]);
    assert!(!out.status.success());
    assert!(stdout(&out).contains("the chain stops here"));
    assert_no_secret(&stdout(&out));
}

#[test]
fn exec_passes_credentials_and_exit_status() {
    let home = Home::new().with_files();
    let script = r#"printf '%s|%s|%s|%s|%s' "$ALIBABA_CLOUD_ACCESS_KEY_ID" "$OSS_ACCESS_KEY_ID" "$TABLESTORE_ACCESS_KEY_SECRET" "$OSS_SESSION_TOKEN" "$TABLESTORE_SESSION_TOKEN"; exit 7"#;
    let out = home.run(&["exec", "--profile", "sts", "--", "sh", "-c", script], &[]);
    assert_eq!(out.status.code(), Some(7));
    assert_eq!(
        stdout(&out),
        "STS.FAKECLISTATIC004|STS.FAKECLISTATIC004|fake-cli-secret-sts-00004|fake-cli-sts-token-00004|fake-cli-sts-token-00004"
    );
    // No token: stale token variables of the parent are removed.
    let out = home.run(
        &[
            "exec",
            "--",
            "sh",
            "-c",
            "printf %s \"${ALIBABA_CLOUD_SECURITY_TOKEN-none}\"",
        ],
        &[("ALIBABA_CLOUD_SECURITY_TOKEN", " ")],
    );
    assert_eq!(stdout(&out), "none");
    // Resolution failure: the command does not run.
    let out = Home::new().run(&["exec", "--", "sh", "-c", "echo ran"], &[]);
    assert!(!out.status.success());
    assert_eq!(stdout(&out), "");
}
