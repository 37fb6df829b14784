//! The built `cloudcred` binary on a hostile local machine (issue 11): a FIFO where a
//! credentials file belongs, and a profile name carrying a terminal escape sequence and a
//! newline, seen the way a user sees them — in `get` and `doctor` output.

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Runs the binary in `home`, killed if it has not exited within `limit`.
fn run(home: &Path, args: &[&str], env: &[(&str, &str)], limit: Duration) -> (Output, Duration) {
    let started = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_cloudcred"))
        .args(args)
        .env_clear()
        .env("HOME", home)
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true")
        .env("ALIBABA_CLOUD_STS_ENDPOINT", "http://127.0.0.1:9")
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("cloudcred {args:?} still running after {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let took = started.elapsed();
    (child.wait_with_output().unwrap(), took)
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn mkfifo(path: &Path) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    assert!(Command::new("mkfifo").arg(path).status().unwrap().success());
}

#[test]
fn get_and_doctor_refuse_a_fifo_at_once() {
    let home = tempfile::tempdir().unwrap();
    let ini = home.path().join(".alibabacloud/credentials");
    let json = home.path().join(".aliyun/config.json");
    mkfifo(&ini);
    let (out, took) = run(home.path(), &["get"], &[], Duration::from_secs(10));
    let t = text(&out);
    assert!(!out.status.success(), "{t}");
    assert!(
        t.contains(ini.to_str().unwrap()) && t.contains("FIFO"),
        "{t}"
    );
    assert!(took < Duration::from_secs(2), "took {took:?}");

    mkfifo(&json);
    let (out, took) = run(home.path(), &["doctor"], &[], Duration::from_secs(10));
    let t = text(&out);
    assert!(
        t.contains("ERROR (the chain stops here)")
            && t.contains(json.to_str().unwrap())
            && t.contains("FIFO"),
        "{t}"
    );
    assert!(took < Duration::from_secs(2), "took {took:?}");
}

const EVIL: &str = "evil\u{1b}]0;pwned\u{7}\nFORGED: APPLIES";

fn assert_escaped(what: &str, t: &str) {
    assert!(
        !t.contains('\u{1b}') && !t.contains('\u{7}') && !t.contains("\nFORGED"),
        "{what}: raw control characters reached the terminal: {t:?}"
    );
    assert!(
        t.contains("evil\\u{1b}]0;pwned\\u{7}\\nFORGED"),
        "{what}: {t:?}"
    );
}

#[test]
fn a_profile_name_with_control_characters_is_escaped_in_get_and_doctor() {
    let home = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(home.path().join(".alibabacloud")).unwrap();
    std::fs::write(
        home.path().join(".alibabacloud/credentials"),
        "[default]\ntype = access_key\naccess_key_id = LTAIFAKE\naccess_key_secret = fake-secret-hostile-local\n",
    )
    .unwrap();
    let limit = Duration::from_secs(20);
    for cmd in ["get", "doctor"] {
        let (out, _) = run(home.path(), &[cmd, "--profile", EVIL], &[], limit);
        assert_escaped(&format!("{cmd} --profile"), &text(&out));
        let (out, _) = run(
            home.path(),
            &[cmd],
            &[("ALIBABA_CLOUD_PROFILE", EVIL)],
            limit,
        );
        assert_escaped(&format!("{cmd} with ALIBABA_CLOUD_PROFILE"), &text(&out));
    }
}
