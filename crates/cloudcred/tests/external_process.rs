//! The External command on a hostile machine (issue 11, item 6), with real shell scripts: the
//! documented 60 s timeout is the one that applies, a cancelled fetch kills the command's whole
//! process group, a background job holding stdout does not hold up a command that has exited,
//! and a stdout flood is cut at the cap.

#![cfg(unix)]

mod common;

use cloudcred::alibaba::external::{ExternalProvider, DEFAULT_TIMEOUT, MAX_STDOUT};
use cloudcred::engine::RefreshConfig;
use cloudcred::prelude::*;
use cloudcred::{ProvideCredentials, SharedProvider};
use common::Home;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::{Duration, Instant};

const AK_JSON: &str =
    r#"{"mode":"AK","access_key_id":"LTAIFAKEPROCESS","access_key_secret":"fake-process-secret"}"#;

fn script(dir: &Path, name: &str, body: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path.to_str().unwrap().to_owned()
}

fn provider(home: &Home, command: &str, timeout: Duration) -> SharedProvider {
    ExternalProvider::builder(&home.ctx())
        .command(command)
        .timeout(timeout)
        .refresh(RefreshConfig::default().background(false))
        .build()
        .unwrap()
        .into()
}

/// The pid a script wrote to `file`, once it is there.
fn read_pid(file: &Path) -> i32 {
    let deadline = Instant::now() + Duration::from_secs(3);
    loop {
        if let Ok(s) = std::fs::read_to_string(file) {
            if let Ok(pid) = s.trim().parse() {
                return pid;
            }
        }
        assert!(Instant::now() < deadline, "no pid in {}", file.display());
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Whether `pid` runs (a zombie waiting for its new parent to reap it does not).
fn running(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|s| !s.contains(") Z "))
        .unwrap_or(false)
}

fn assert_ends(pid: i32) {
    let deadline = Instant::now() + Duration::from_secs(3);
    while running(pid) {
        assert!(Instant::now() < deadline, "process {pid} still running");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Ends a process a test left running on purpose.
fn stop(pid: i32) {
    // SAFETY: kill only sends a signal, to a process this test started.
    unsafe {
        libc::kill(pid, libc::SIGKILL);
    }
}

#[tokio::test]
async fn the_command_timeout_not_the_engine_deadline_decides() {
    assert_eq!(DEFAULT_TIMEOUT, Duration::from_secs(60));
    let home = Home::new();
    let cmd = script(home.path(), "slow", &format!("sleep 0.6\necho '{AK_JSON}'"));
    // The engine's deadline alone would cut the command at 200 ms (as its 30 s default cut the
    // documented 60 s); the command's own timeout (5 s) is what applies.
    let p: SharedProvider = ExternalProvider::builder(&home.ctx())
        .command(&cmd)
        .timeout(Duration::from_secs(5))
        .refresh(
            RefreshConfig::default()
                .background(false)
                .deadline(Duration::from_millis(200)),
        )
        .build()
        .unwrap()
        .into();
    let creds = p.get().await.unwrap();
    assert_eq!(creds.access_key_id(), "LTAIFAKEPROCESS");
    // No timeout too long to add the engine's margin to.
    let p: SharedProvider = ExternalProvider::builder(&home.ctx())
        .command(&cmd)
        .timeout(Duration::MAX)
        .build()
        .unwrap()
        .into();
    assert_eq!(p.get().await.unwrap().access_key_id(), "LTAIFAKEPROCESS");
    // The default is what doctor shows.
    let p = ExternalProvider::builder(&home.ctx())
        .command(&cmd)
        .build()
        .unwrap();
    let shown = format!("{:?}", p.inspect());
    assert!(shown.contains("timeout 60000 ms"), "{shown}");
}

#[tokio::test]
async fn a_caller_giving_up_leaves_no_process_past_the_timeout() {
    let home = Home::new();
    let pidfile = home.path().join("sleep.pid");
    let cmd = script(
        home.path(),
        "hang",
        &format!("sleep 30 &\necho $! > '{}'\nwait", pidfile.display()),
    );
    let p = provider(&home, &cmd, Duration::from_millis(800));
    let cut = tokio::time::timeout(Duration::from_millis(300), p.get()).await;
    assert!(cut.is_err(), "the command hangs: the caller gives up first");
    // The refresh goes on without the caller (others may join it) and ends at the command's
    // timeout, taking the `sleep` grandchild with it.
    assert_ends(read_pid(&pidfile));
}

#[tokio::test]
async fn a_timed_out_command_and_its_grandchild_are_killed_in_bound() {
    let home = Home::new();
    let pidfile = home.path().join("sleep.pid");
    let cmd = script(
        home.path(),
        "hang",
        &format!("sleep 30 &\necho $! > '{}'\nwait", pidfile.display()),
    );
    let started = Instant::now();
    let e = provider(&home, &cmd, Duration::from_millis(400))
        .get()
        .await
        .unwrap_err()
        .to_string();
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert!(
        e.contains("command process timed out after 400 milliseconds and was killed"),
        "{e}"
    );
    assert!(
        e.contains("external") && e.contains(&cmd),
        "names the source: {e}"
    );
    assert_ends(read_pid(&pidfile));
}

#[tokio::test]
async fn a_background_job_holding_stdout_does_not_hold_up_the_answer() {
    let home = Home::new();
    let pidfile = home.path().join("sleep.pid");
    // `sleep 30 &` inherits stdout: the pipe stays open for 30 s after the script exits 0.
    let cmd = script(
        home.path(),
        "detach",
        &format!(
            "echo '{AK_JSON}'\nsleep 30 &\necho $! > '{}'\nexit 0",
            pidfile.display()
        ),
    );
    let started = Instant::now();
    let got = provider(&home, &cmd, Duration::from_secs(10)).get().await;
    let elapsed = started.elapsed();
    stop(read_pid(&pidfile));
    assert_eq!(got.unwrap().access_key_id(), "LTAIFAKEPROCESS");
    assert!(elapsed < Duration::from_millis(1500), "{elapsed:?}");
}

#[tokio::test]
async fn a_stdout_flood_is_cut_at_the_cap_and_killed() {
    let home = Home::new();
    let pidfile = home.path().join("yes.pid");
    // `yes` never ends: only stopping at the cap ends the run before the 20 s timeout.
    let cmd = script(
        home.path(),
        "flood",
        &format!("yes '{AK_JSON}' &\necho $! > '{}'\nwait", pidfile.display()),
    );
    let started = Instant::now();
    let e = provider(&home, &cmd, Duration::from_secs(20))
        .get()
        .await
        .unwrap_err()
        .to_string();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert!(
        e.contains(&format!("the output exceeds {MAX_STDOUT} bytes")),
        "{e}"
    );
    assert!(!e.contains("fake-process-secret"), "stdout leaked: {e}");
    assert_ends(read_pid(&pidfile));
}

#[tokio::test]
async fn stdout_repeated_on_stderr_is_redacted_from_the_error() {
    let home = Home::new();
    let planted = "PLANTED-EXTERNAL-SECRET-0001";
    // `set -x` makes the shell trace every command, the `printf` with the secret included, to
    // stderr; the script then fails.
    let cmd = script(
        home.path(),
        "traced",
        &format!(
            "set -x\nprintf '%s' '{{\"mode\":\"AK\",\"access_key_id\":\"LTAIFAKETRACED\",\"access_key_secret\":\"{planted}\"}}'\necho 'cannot reach the vault' >&2\nexit 3"
        ),
    );
    let e = provider(&home, &cmd, Duration::from_secs(5))
        .get()
        .await
        .unwrap_err();
    let text = format!("{e} {e:?}");
    assert!(
        text.contains("exit status 3") && text.contains("cannot reach the vault"),
        "{text}"
    );
    assert!(
        text.contains("** redacted **"),
        "the trace was shown, redacted: {text}"
    );
    assert!(
        !text.contains(planted),
        "stdout leaked through stderr: {text}"
    );
}
