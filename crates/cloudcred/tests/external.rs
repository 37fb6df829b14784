//! The External process provider (spec 6.11, D28) through the fixture profiles of config.json
//! and through its builder: argv splitting, modes, errors without stdout, timeout with process
//! group kill, caching without expiration, write-back (spec 7.3).

#![cfg(unix)]

mod common;

use cloudcred::alibaba::external::ExternalProvider;
use cloudcred::alibaba::CliProfileProvider;
use cloudcred::prelude::*;
use cloudcred::{CredentialKind, ProvideCredentials, Resolution, SharedProvider};
use common::{assert_no_secret, assert_only_owned_changed, fixture, profile, Home, STS_OWNED};
use serde_json::Value;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// A home with the fixture config.json whose External script is a private, executable copy.
fn home() -> (Home, PathBuf) {
    let home = Home::new();
    let bin = home.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let script = bin.join("external-sts");
    std::fs::write(&script, fixture("bin/external-sts")).unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let text = fixture("aliyun/config.json")
        .replace("@FIXTURES@/bin/external-sts", script.to_str().unwrap());
    let config = home.write(".aliyun/config.json", &text);
    std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o640)).unwrap();
    (home, config)
}

fn provider(home: &Home, profile: &str) -> CliProfileProvider {
    let mut env = home.env.clone();
    env.set("ALIBABA_CLOUD_PROFILE", profile);
    CliProfileProvider::new(&home.ctx().with_env(env))
}

fn resolve(home: &Home, profile: &str) -> cloudcred::Result<Resolution> {
    futures::executor::block_on(provider(home, profile).resolve())
}

fn parse(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn external_sts_runs_the_script_and_writes_back_once() {
    let (home, config) = home();
    let before = parse(&config);
    let creds = match resolve(&home, "external-sts").unwrap() {
        Resolution::Credentials(c) => c,
        other => panic!("{other:?}"),
    };
    assert_eq!(creds.kind(), CredentialKind::Sts);
    assert_eq!(creds.access_key_id(), "STS.FAKEEXTERNAL00001");
    assert_eq!(
        creds.security_token().unwrap().expose(),
        "fake-external-token-00001"
    );
    assert_eq!(creds.expiration().unwrap().timestamp(), 4_070_908_800);
    assert_eq!(creds.provider_name().as_str(), "cli_profile/external");

    let after = parse(&config);
    assert_only_owned_changed(&before, &after, "external-sts", STS_OWNED);
    let p = profile(&after, "external-sts");
    assert_eq!(p["access_key_id"], "STS.FAKEEXTERNAL00001");
    assert_eq!(p["access_key_secret"], "fake-external-secret-00001");
    assert_eq!(p["sts_token"], "fake-external-token-00001");
    assert_eq!(p["sts_expiration"], 4_070_908_800i64);
    let text = std::fs::read_to_string(&config).unwrap();
    assert!(text.ends_with("}\n") && text.contains("\n    \"profiles\": ["));
    let meta = std::fs::metadata(&config).unwrap();
    assert_eq!(meta.permissions().mode() & 0o777, 0o640, "file mode kept");
    assert!(config.with_file_name("config.json.lock").exists());

    // Same values again: nothing is rewritten (the inode would change with a rename).
    use std::os::unix::fs::MetadataExt;
    let ino = meta.ino();
    resolve(&home, "external-sts").unwrap();
    assert_eq!(std::fs::metadata(&config).unwrap().ino(), ino);
    assert_eq!(std::fs::read_to_string(&config).unwrap(), text);
}

#[test]
fn external_fails_reports_status_and_stderr_tail() {
    let (home, config) = home();
    let before = std::fs::read_to_string(&config).unwrap();
    let e = resolve(&home, "external-fails").unwrap_err();
    let text = e.to_string();
    assert!(text.contains("exit status 3"), "{text}");
    assert!(text.contains("external-sts: simulated failure"), "{text}");
    assert!(text.contains("external-fails"), "names the profile: {text}");
    assert_no_secret(&format!("{e} {e:?}"));
    assert_eq!(std::fs::read_to_string(&config).unwrap(), before);
}

#[test]
fn external_echo_ak_splits_quotes_and_yields_an_access_key() {
    let (home, _config) = home();
    let p = provider(&home, "external-echo-ak");
    let creds = match futures::executor::block_on(p.resolve()).unwrap() {
        Resolution::Credentials(c) => c,
        other => panic!("{other:?}"),
    };
    assert_eq!(creds.kind(), CredentialKind::AccessKey);
    assert_eq!(creds.access_key_id(), "LTAIFAKEEXTERNALAK01");
    assert_eq!(
        creds.access_key_secret().expose(),
        "fake external secret 01"
    );
    assert!(creds.expiration().is_none());
    let debug = format!("{p:?}");
    assert!(!debug.contains("fake external secret 01"), "{debug}");
}

/// A script in a temporary directory.
fn script(dir: &Path, name: &str, body: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path.to_str().unwrap().to_owned()
}

fn external(home: &Home, command: &str) -> SharedProvider {
    ExternalProvider::builder(&home.ctx())
        .command(command)
        .timeout(Duration::from_millis(800))
        .build()
        .unwrap()
        .into()
}

#[tokio::test]
async fn without_expiration_the_command_runs_once() {
    let home = Home::new();
    let counter = home.path().join("runs");
    let cmd = script(
        home.path(),
        "ak",
        &format!(
            "echo run >> '{}'\necho '{{\"mode\":\"ak\",\"access_key_id\":\"LTAIFAKECOUNT\",\"access_key_secret\":\"fake-count-secret\"}}'",
            counter.display()
        ),
    );
    let p = external(&home, &cmd);
    for _ in 0..3 {
        assert_eq!(p.get().await.unwrap().access_key_id(), "LTAIFAKECOUNT");
    }
    assert_eq!(
        std::fs::read_to_string(&counter).unwrap().lines().count(),
        1
    );
}

#[tokio::test]
async fn errors_never_contain_stdout() {
    let home = Home::new();
    let planted = "PLANTED-STDOUT-SECRET-0001";
    let cases = [
        (
            format!("printf '%s' '{{\"mode\":\"AK\",\"access_key_secret\":\"{planted}\"'"),
            "output is not valid JSON (",
        ),
        (format!("echo {planted}; exit 1"), "exit status 1"),
        (
            format!("echo '{{\"mode\":\"Bearer\",\"access_key_id\":\"x\",\"access_key_secret\":\"{planted}\"}}'"),
            "\"Bearer\"",
        ),
        (
            format!("echo '{{\"mode\":\"StsToken\",\"access_key_id\":\"x\",\"access_key_secret\":\"{planted}\"}}'"),
            "sts_token is empty",
        ),
        (
            format!("echo '{{\"mode\":\"AK\",\"access_key_id\":\"\",\"access_key_secret\":\"{planted}\"}}'"),
            "access_key_id or access_key_secret is empty",
        ),
        (
            format!("echo '{{\"mode\":\"StsToken\",\"access_key_id\":\"x\",\"access_key_secret\":\"{planted}\",\"sts_token\":\"{planted}\",\"expiration\":\"2001-01-01T00:00:00Z\"}}'"),
            "expired",
        ),
        (
            format!("echo '[\"{planted}\"]'"),
            "output is not valid JSON (",
        ),
    ];
    for (i, (body, needle)) in cases.iter().enumerate() {
        let cmd = script(home.path(), &format!("case{i}"), body);
        let e = external(&home, &cmd).get().await.unwrap_err();
        let text = format!("{e} {e:?}");
        assert!(text.contains(needle), "case {i}: {text}");
        assert!(!text.contains(planted), "case {i} leaked stdout: {text}");
    }
    // The program cannot be started: a clear error naming it, not a panic.
    let e = external(&home, "/nonexistent/cred-tool --secret x")
        .get()
        .await
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("/nonexistent/cred-tool") && e.contains("cannot start"),
        "{e}"
    );
    // Unsplittable commands fail at build time with the splitter's message.
    let e = ExternalProvider::builder(&home.ctx())
        .command("tool 'unclosed")
        .build()
        .unwrap_err()
        .to_string();
    assert!(e.contains("unclosed quote"), "{e}");
}

#[tokio::test]
async fn a_stderr_flood_is_capped_to_its_tail() {
    let home = Home::new();
    let cmd = script(
        home.path(),
        "flood",
        "i=0; while [ $i -lt 2000 ]; do echo 'noise noise noise noise noise noise noise' >&2; i=$((i+1)); done; echo 'the real reason' >&2; exit 2",
    );
    let e = external(&home, &cmd).get().await.unwrap_err().to_string();
    assert!(
        e.contains("exit status 2") && e.ends_with("the real reason"),
        "{e}"
    );
    assert!(e.len() < 1400, "stderr tail is capped: {} bytes", e.len());
}

#[tokio::test]
async fn a_hanging_command_is_killed_with_its_process_group() {
    let home = Home::new();
    let pidfile = home.path().join("child.pid");
    let cmd = script(
        home.path(),
        "hang",
        &format!("sleep 30 &\necho $! > '{}'\nwait", pidfile.display()),
    );
    let p: SharedProvider = ExternalProvider::builder(&home.ctx())
        .command(&cmd)
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap()
        .into();
    let start = Instant::now();
    let e = p.get().await.unwrap_err().to_string();
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "{:?}",
        start.elapsed()
    );
    assert!(e.contains("timed out after 300 milliseconds"), "{e}");
    // The background `sleep` (a grandchild) died with the group.
    let pid = std::fs::read_to_string(&pidfile).unwrap().trim().to_owned();
    let proc = PathBuf::from(format!("/proc/{pid}/stat"));
    let deadline = Instant::now() + Duration::from_secs(3);
    loop {
        let alive = std::fs::read_to_string(&proc)
            .map(|s| !s.contains(") Z "))
            .unwrap_or(false);
        if !alive {
            break;
        }
        assert!(Instant::now() < deadline, "grandchild {pid} still running");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn the_blocking_facade_runs_the_command_off_any_runtime() {
    let home = Home::new();
    let cmd = script(
        home.path(),
        "ak",
        "echo '{\"mode\":\"AK\",\"access_key_id\":\"LTAIFAKEBLOCKING\",\"access_key_secret\":\"fake-blocking-secret\"}'",
    );
    assert_eq!(
        external(&home, &cmd)
            .get_blocking()
            .unwrap()
            .access_key_id(),
        "LTAIFAKEBLOCKING"
    );
}
