//! config.json write-back on a hostile local machine (issue 11, items 1–4), through the built
//! `cloudcred` binary against the fake cloud: a symlinked config, another owner, a writer that
//! cannot keep the owner, a read-only directory, a held lock, a full disk, and writers killed
//! with SIGKILL mid-write. Runs as root (as the project's machines and CI do): the other users
//! are `Command::uid`, the full disk a 16 KiB tmpfs.

#![cfg(target_os = "linux")]

use cloudcred_fakecloud::{Endpoint, FakeCloud, FakeCloudConfig};
use serde_json::Value;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The other users of these tests: the file's owner and a writer who is not root.
const OWNER: u32 = 1234;
const OTHER_WRITER: u32 = 1235;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/fixtures")
}

/// The fake cloud on its own runtime (the tests block on child processes).
fn cloud() -> (tokio::runtime::Runtime, FakeCloud) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let cloud = rt
        .block_on(FakeCloud::start(FakeCloudConfig::default()))
        .unwrap();
    (rt, cloud)
}

/// A temporary HOME whose `.aliyun/config.json` is the fixture pointed at `cloud`.
struct Home {
    dir: tempfile::TempDir,
    oauth: String,
}

impl Home {
    fn new(cloud: &FakeCloud) -> Self {
        let dir = tempfile::tempdir().unwrap();
        // Other users must reach the files below.
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::create_dir(dir.path().join(".aliyun")).unwrap();
        Home {
            dir,
            oauth: cloud.base_url(),
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn aliyun(&self) -> PathBuf {
        self.path().join(".aliyun")
    }

    fn config(&self) -> PathBuf {
        self.aliyun().join("config.json")
    }

    /// The fixture's text with the placeholders filled in.
    fn fixture_text(&self) -> String {
        std::fs::read_to_string(fixtures().join("aliyun/config.json"))
            .unwrap()
            .replace("@FIXTURES@", fixtures().to_str().unwrap())
            .replace("@PORT@", "9")
    }

    fn write_config(&self, at: &Path) {
        std::fs::write(at, self.fixture_text()).unwrap();
        std::fs::set_permissions(at, std::fs::Permissions::from_mode(0o600)).unwrap();
    }

    fn command(&self, profile: &str) -> Command {
        self.cli(&["get", "--format", "json", "--profile", profile])
    }

    /// `cloudcred args…` in this home's controlled environment.
    fn cli(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_cloudcred"));
        cmd.args(args)
            .env_clear()
            .env("HOME", self.path())
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("ALIBABA_CLOUD_OAUTH_ENDPOINT", &self.oauth)
            .env("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true")
            .env("ALIBABA_CLOUD_STS_ENDPOINT", "http://127.0.0.1:9")
            .env("ALIBABA_CLOUD_ECS_METADATA_ENDPOINT", "http://127.0.0.1:9");
        cmd
    }

    fn get(&self, profile: &str) -> Output {
        self.command(profile).output().unwrap()
    }

    fn get_as(&self, uid: u32, profile: &str) -> Output {
        self.command(profile).uid(uid).gid(uid).output().unwrap()
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn parse(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn profile<'a>(root: &'a Value, name: &str) -> &'a Value {
    root["profiles"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == name)
        .unwrap()
}

fn chown(path: &Path, uid: u32) {
    std::os::unix::fs::chown(path, Some(uid), Some(uid)).unwrap();
}

/// No secret of the fixture or of the fake cloud in `stderr`.
fn assert_clean(cloud: &FakeCloud, stderr: &str) {
    let mut secrets = vec![
        "fake-oauth-refresh-token-00001".to_owned(),
        "fake-oauth-access-token-00001".to_owned(),
        cloud.oauth_refresh_token(),
    ];
    for i in cloud.issued() {
        secrets.push(i.access_key_secret.clone());
        secrets.extend(i.security_token.clone());
    }
    for s in secrets {
        assert!(!stderr.contains(&s), "{s} leaked into: {stderr}");
    }
}

/// Item 1: a dotfiles link (two hops, relative) stays a link; its final target gets the rotated
/// token; the next process finds it there.
#[test]
fn a_symlinked_config_stays_a_link_and_its_target_is_written() {
    let (_rt, cloud) = cloud();
    let home = Home::new(&cloud);
    let store = home.path().join("dotfiles/store");
    std::fs::create_dir_all(&store).unwrap();
    home.write_config(&store.join("config.json"));
    std::os::unix::fs::symlink("store/config.json", home.path().join("dotfiles/link.json"))
        .unwrap();
    std::os::unix::fs::symlink("../dotfiles/link.json", home.config()).unwrap();

    let out = home.get("oauth-cn");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(cloud.count(Endpoint::OAuthToken), 1);
    for link in [home.config(), home.path().join("dotfiles/link.json")] {
        let meta = std::fs::symlink_metadata(&link).unwrap();
        assert!(meta.file_type().is_symlink(), "{} replaced", link.display());
    }
    let saved = parse(&store.join("config.json"));
    assert_eq!(
        profile(&saved, "oauth-cn")["oauth_refresh_token"],
        cloud.oauth_refresh_token().as_str()
    );
    // The lock sits beside the file it guards; nothing else appeared beside the link.
    assert!(store.join("config.json.lock").exists());
    let beside_link: Vec<_> = std::fs::read_dir(home.aliyun())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(beside_link, ["config.json"]);

    // The next process reads the persisted STS through the link: no refresh at all.
    let again = home.get("oauth-cn");
    assert!(again.status.success(), "{}", text(&again.stderr));
    assert_eq!(cloud.count(Endpoint::OAuthToken), 1);
    assert_eq!(cloud.count(Endpoint::OAuthExchange), 1);
}

/// Item 2: root writing back the file of user 1234 (group 1234, mode 0640) leaves owner,
/// group and mode as they were.
#[test]
fn owner_group_and_mode_survive_a_root_write_back() {
    let (_rt, cloud) = cloud();
    let home = Home::new(&cloud);
    home.write_config(&home.config());
    chown(&home.config(), OWNER);
    std::fs::set_permissions(home.config(), std::fs::Permissions::from_mode(0o640)).unwrap();

    let out = home.get("oauth-cn");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let meta = std::fs::metadata(home.config()).unwrap();
    assert_eq!(
        (meta.uid(), meta.gid(), meta.mode() & 0o7777),
        (OWNER, OWNER, 0o640)
    );
    assert_eq!(
        profile(&parse(&home.config()), "oauth-cn")["oauth_refresh_token"],
        cloud.oauth_refresh_token().as_str()
    );
}

/// Items 2 and 4: a writer that may not give the new file its owner (user 1235 on user 1234's
/// world-writable file in its own directory) refuses before the token rotates: nothing
/// requested, the file untouched, an error that says why and what to do.
#[test]
fn a_writer_that_cannot_keep_the_owner_refuses_before_rotating() {
    let (_rt, cloud) = cloud();
    let home = Home::new(&cloud);
    home.write_config(&home.config());
    chown(&home.aliyun(), OTHER_WRITER);
    chown(&home.config(), OWNER);
    std::fs::set_permissions(home.config(), std::fs::Permissions::from_mode(0o666)).unwrap();
    let before = std::fs::read(home.config()).unwrap();

    let out = home.get_as(OTHER_WRITER, "oauth-cn");
    let stderr = text(&out.stderr);
    // 5: a configuration error (cmd/exit.rs): the file must be made writable; nothing rotated.
    assert_eq!(out.status.code(), Some(5), "{stderr}");
    assert!(out.stdout.is_empty());
    assert!(
        stderr.contains("owner") && stderr.contains("nothing was refreshed"),
        "{stderr}"
    );
    assert!(stderr.contains(home.config().to_str().unwrap()), "{stderr}");
    assert_eq!(cloud.count(Endpoint::OAuthToken), 0, "the token rotated");
    assert_eq!(std::fs::read(home.config()).unwrap(), before);
    assert_eq!(std::fs::metadata(home.config()).unwrap().uid(), OWNER);
    assert_clean(&cloud, &stderr);
}

/// `home`'s `.aliyun` made read-only for [`OTHER_WRITER`], who owns it and the config (and the
/// lock file, when `lock_exists`).
fn make_read_only(home: &Home, lock_exists: bool) {
    let lock = home.aliyun().join("config.json.lock");
    if lock_exists {
        std::fs::write(&lock, "").unwrap();
        chown(&lock, OTHER_WRITER);
    }
    chown(&home.config(), OTHER_WRITER);
    chown(&home.aliyun(), OTHER_WRITER);
    std::fs::set_permissions(home.aliyun(), std::fs::Permissions::from_mode(0o555)).unwrap();
}

/// Item 4: a read-only directory (for a user who is not root; with and without an existing
/// lock file) fails before the token rotates.
#[test]
fn a_read_only_directory_fails_before_rotating() {
    for lock_exists in [true, false] {
        let (_rt, cloud) = cloud();
        let home = Home::new(&cloud);
        home.write_config(&home.config());
        make_read_only(&home, lock_exists);
        let before = std::fs::read(home.config()).unwrap();

        let out = home.get_as(OTHER_WRITER, "oauth-cn");
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(5), "lock {lock_exists}: {stderr}");
        assert!(
            stderr.contains("could not be saved") && stderr.contains("nothing was refreshed"),
            "{stderr}"
        );
        assert_eq!(cloud.count(Endpoint::OAuthToken), 0, "the token rotated");
        assert_eq!(std::fs::read(home.config()).unwrap(), before);
        assert_clean(&cloud, &stderr);
    }
}

/// Item 4: a refresh that is due (≤ 1,200 s left) but could not be saved is skipped while the
/// current access token still works: it is exchanged, nothing rotates. The exchanged STS cannot
/// be written back either: printed, reported, exit status 3.
#[test]
fn a_due_refresh_that_cannot_be_saved_keeps_the_current_access_token() {
    let (_rt, cloud) = cloud();
    let home = Home::new(&cloud);
    let expire = chrono::Utc::now().timestamp() + 600;
    let text_due = home.fixture_text().replace(
        "\"oauth_access_token_expire\": 10,",
        &format!("\"oauth_access_token_expire\": {expire},"),
    );
    assert!(text_due.contains(&expire.to_string()));
    std::fs::write(home.config(), text_due).unwrap();
    make_read_only(&home, true);

    let out = home.get_as(OTHER_WRITER, "oauth-cn");
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    let printed: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        printed["access_key_id"],
        cloud.issued().last().unwrap().access_key_id.as_str()
    );
    assert_eq!(cloud.count(Endpoint::OAuthToken), 0, "the token rotated");
    let exchange = cloud.requests().pop().unwrap();
    assert_eq!(
        exchange.header("authorization"),
        Some("Bearer fake-oauth-access-token-00001")
    );
    assert!(
        stderr.contains("new STS credentials of profile oauth-cn could not be written back")
            && !stderr.contains("rotated"),
        "{stderr}"
    );
    assert_clean(&cloud, &stderr);
}

/// Item 4: a lock another process holds past the 10 s wait (util-linux `flock`) fails before
/// the token rotates.
#[test]
fn a_held_lock_fails_before_rotating() {
    let (_rt, cloud) = cloud();
    let home = Home::new(&cloud);
    home.write_config(&home.config());
    let lock = home.aliyun().join("config.json.lock");
    let ready = home.path().join("locked");
    // `-o`: only flock itself holds the lock, so killing it releases the lock at once.
    let mut holder = Command::new("flock")
        .arg("-o")
        .arg(&lock)
        .args(["sh", "-c", "touch \"$0\"; exec sleep 12"])
        .arg(&ready)
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while !ready.exists() {
        assert!(Instant::now() < deadline, "flock did not start");
        std::thread::sleep(Duration::from_millis(10));
    }
    let before = std::fs::read(home.config()).unwrap();

    let started = Instant::now();
    let out = home.get("oauth-cn");
    let waited = started.elapsed();
    let _ = holder.kill();
    let _ = holder.wait();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(5), "{stderr}");
    assert!(
        stderr.contains("stayed locked") && stderr.contains("nothing was refreshed"),
        "{stderr}"
    );
    assert!(waited >= Duration::from_secs(10) && waited < Duration::from_secs(25));
    assert_eq!(cloud.count(Endpoint::OAuthToken), 0, "the token rotated");
    assert_eq!(std::fs::read(home.config()).unwrap(), before);
}

/// A 16 KiB tmpfs on `dir`, unmounted on drop.
struct Tmpfs(PathBuf);

impl Tmpfs {
    /// `None` only where this machine cannot mount (not root, no mount namespace rights).
    fn mount(dir: &Path) -> Option<Tmpfs> {
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=16k", "tmpfs"])
            .arg(dir)
            .status()
            .is_ok_and(|s| s.success());
        ok.then(|| Tmpfs(dir.to_owned()))
    }

    /// Fills the file system to the last byte.
    fn fill(&self) {
        let mut f = std::fs::File::create(self.0.join("filler")).unwrap();
        let block = [0u8; 1024];
        while std::io::Write::write_all(&mut f, &block).is_ok() {}
        let free = Command::new("df")
            .args(["--output=avail", "-B1"])
            .arg(&self.0)
            .output()
            .unwrap();
        assert!(text(&free.stdout).trim().ends_with('0'), "not full");
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

/// A full disk under `home`'s `.aliyun`, with the config and its lock file in place; `None`
/// (the test says why and passes) only where mounting is impossible.
fn full_disk(home: &Home) -> Option<Tmpfs> {
    let Some(fs) = Tmpfs::mount(&home.aliyun()) else {
        eprintln!("SKIPPED: cannot mount a tmpfs here (needs root): full-disk case not run");
        return None;
    };
    home.write_config(&home.config());
    std::fs::write(home.aliyun().join("config.json.lock"), "").unwrap();
    fs.fill();
    Some(fs)
}

/// Item 4: the disk is full when the rotated token is written. The credentials are still
/// printed, stderr says by default (no `CLOUDCRED_LOG`) that the token was not saved and what
/// to do, the exit status is 3, and nothing secret is on stderr.
#[test]
fn a_rotated_token_that_cannot_be_saved_is_reported_with_exit_3() {
    let (_rt, cloud) = cloud();
    let home = Home::new(&cloud);
    let Some(_fs) = full_disk(&home) else {
        return;
    };
    let before = std::fs::read(home.config()).unwrap();

    let out = home.get("oauth-cn");
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    let printed: Value = serde_json::from_slice(&out.stdout).unwrap();
    let issued = cloud.issued();
    assert_eq!(
        printed["access_key_id"],
        issued.last().unwrap().access_key_id.as_str()
    );
    assert_eq!(cloud.count(Endpoint::OAuthToken), 1);
    assert!(
        stderr.contains("cloudcred: warning:")
            && stderr
                .contains("rotated OAuth refresh token of profile oauth-cn could not be saved")
            && stderr.contains("aliyun configure --profile oauth-cn --mode OAuth"),
        "{stderr}"
    );
    assert!(stderr.contains(home.config().to_str().unwrap()), "{stderr}");
    assert_clean(&cloud, &stderr);
    assert_eq!(std::fs::read(home.config()).unwrap(), before);
}

/// The same for External: fresh STS that cannot be written back are printed, reported on
/// stderr, exit status 3.
#[test]
fn an_external_write_back_that_cannot_be_saved_is_reported_with_exit_3() {
    let (_rt, cloud) = cloud();
    let home = Home::new(&cloud);
    let Some(_fs) = full_disk(&home) else {
        return;
    };
    let out = home.get("external-sts");
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    let printed: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(printed["access_key_id"], "STS.FAKEEXTERNAL00001");
    assert!(
        stderr.contains("new STS credentials of profile external-sts could not be written back"),
        "{stderr}"
    );
    assert!(!stderr.contains("fake-external-secret-00001"), "{stderr}");
}

/// Item 4 for `serve`, which never exits: the unsaved rotation of its first resolution is on
/// stderr before it starts serving.
#[test]
fn serve_reports_an_unsaved_rotation_on_stderr() {
    use std::io::BufRead;
    let (_rt, cloud) = cloud();
    let home = Home::new(&cloud);
    let Some(_fs) = full_disk(&home) else {
        return;
    };
    // coreutils `timeout` bounds the test should serve never print its banner.
    let cmd = home.cli(&["serve", "--profile", "oauth-cn", "--port", "0"]);
    let mut bounded = Command::new("timeout");
    bounded
        .arg("30")
        .arg(cmd.get_program())
        .args(cmd.get_args())
        .env_clear()
        .envs(cmd.get_envs().filter_map(|(k, v)| Some((k, v?))));
    let mut child = bounded
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = Vec::new();
    for line in std::io::BufReader::new(child.stderr.take().unwrap()).lines() {
        let line = line.unwrap();
        let serving = line.starts_with("cloudcred serve: serving");
        lines.push(line);
        if serving {
            break;
        }
    }
    // SIGTERM to `timeout` is passed on to serve.
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let _ = child.wait();
    let stderr = lines.join("\n");
    assert!(
        stderr.contains("rotated OAuth refresh token of profile oauth-cn could not be saved")
            && lines
                .last()
                .unwrap()
                .starts_with("cloudcred serve: serving"),
        "{stderr}"
    );
    assert_clean(&cloud, &stderr);
}

/// Prints fresh StsToken JSON, a unique secret per run.
const SCRIPT: &str = r#"#!/bin/sh
n=$(date +%s%N)$$
printf '{"mode":"StsToken","access_key_id":"STS.KILL%s","access_key_secret":"fake-kill-secret-%s","sts_token":"fake-kill-token-%s","expiration":"2099-01-01T00:00:00Z"}\n' "$n" "$n" "$n"
"#;

const KILL_ROUNDS: usize = 80;
const PER_ROUND: usize = 3;

/// Item 3: 80 rounds of 3 concurrent `cloudcred get` on an External profile (every run writes
/// back new secrets), each killed with SIGKILL after a random delay across its run time. Then
/// no file but the config and its lock is left in the directory, nothing else holds a secret,
/// the config parses with every other value kept, and leftovers of older writers that were
/// there before are gone.
#[test]
fn writers_killed_mid_write_leave_no_temporary_file() {
    let (_rt, cloud) = cloud();
    let home = Home::new(&cloud);
    let script = home.path().join("kill-sts");
    std::fs::write(&script, SCRIPT).unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let text_before = home.fixture_text().replace(
        &format!("{}/bin/external-sts", fixtures().display()),
        script.to_str().unwrap(),
    );
    std::fs::write(home.config(), &text_before).unwrap();
    std::fs::set_permissions(home.config(), std::fs::Permissions::from_mode(0o600)).unwrap();
    // Residue of earlier cloudcred versions: the named temporary files this fix removes.
    for old in [
        "config.json.tmp-4242-1700000000000000000",
        ".config.json.Ab12Cd",
    ] {
        std::fs::write(home.aliyun().join(old), "fake-kill-secret-old").unwrap();
    }
    let before: Value = serde_json::from_str(&text_before).unwrap();

    // How long one run takes, to spread the kills across it.
    let started = Instant::now();
    let out = home.get("external-sts");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let run_micros = started.elapsed().as_micros() as u64;

    let (mut killed, mut finished) = (0, 0);
    let started = Instant::now();
    for _ in 0..KILL_ROUNDS {
        let mut children: Vec<_> = (0..PER_ROUND)
            .map(|_| {
                home.command("external-sts")
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for child in &mut children {
            let delay = rand_below(run_micros * 3 / 2);
            std::thread::sleep(Duration::from_micros(delay / PER_ROUND as u64));
            // SIGKILL, the signal no process can act on.
            let _ = child.kill();
        }
        for mut child in children {
            let status = child.wait().unwrap();
            if status.success() {
                finished += 1;
            } else {
                killed += 1;
            }
        }
    }
    let elapsed = started.elapsed();
    // One more run sweeps what an unlucky kill between link and rename could leave.
    let out = home.get("external-sts");
    assert!(out.status.success(), "{}", text(&out.stderr));

    let mut left: Vec<_> = std::fs::read_dir(home.aliyun())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    left.sort();
    eprintln!(
        "kill loop: {KILL_ROUNDS} rounds × {PER_ROUND} processes in {elapsed:?} (one run \
         {run_micros} µs): {killed} killed, {finished} finished; files left: {left:?}"
    );
    assert_eq!(left, ["config.json", "config.json.lock"]);
    let after = parse(&home.config());
    let (b, a) = (
        before["profiles"].as_array().unwrap(),
        after["profiles"].as_array().unwrap(),
    );
    assert_eq!(b.len(), a.len());
    for (pb, pa) in b.iter().zip(a) {
        for (k, v) in pb.as_object().unwrap() {
            let owned = [
                "access_key_id",
                "access_key_secret",
                "sts_token",
                "sts_expiration",
            ];
            if pb["name"] != "external-sts" || !owned.contains(&k.as_str()) {
                assert_eq!(Some(v), pa.get(k), "{}.{k}", pb["name"]);
            }
        }
    }
    for (k, v) in before.as_object().unwrap() {
        if k != "profiles" {
            assert_eq!(v, &after[k], "{k}");
        }
    }
    let p = profile(&after, "external-sts");
    let id = p["access_key_id"].as_str().unwrap();
    let n = id.strip_prefix("STS.KILL").unwrap();
    assert_eq!(
        p["access_key_secret"],
        format!("fake-kill-secret-{n}").as_str()
    );
    assert!(killed > 0, "no process was killed");
}

/// A pseudo-random number below `n` (the kill delays need spread, not quality).
fn rand_below(n: u64) -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(n);
    h.finish() % n.max(1)
}
