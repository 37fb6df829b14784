//! Write-back into the aliyun CLI's `config.json` (spec 7.3, D39), used by the OAuth and
//! External providers to persist rotated tokens and fresh STS credentials.
//!
//! The official SDKs lose data here (go and java re-serialise their own struct and drop the
//! CLI's settings) or race (py takes the file lock after reading). This module:
//!
//! 1. takes an in-process lock for the path, then an exclusive advisory lock on the sidecar
//!    `<config>.lock` (created if needed, never deleted: deleting it would let two processes
//!    lock two different inodes) and on the config file itself (py and go lock that one);
//!    waits at most [`LOCK_TIMEOUT`], then gives up;
//! 2. re-reads and parses the file under the lock;
//! 3. changes only the given fields of the target profile, keeping every other value, its key
//!    order and integer form (serde_json `preserve_order`);
//! 4. writes with 4-space indentation, UTF-8 unescaped and a trailing newline, into a temporary
//!    file in the same directory with the original's permissions, fsyncs it, renames it over the
//!    original and fsyncs the directory;
//! 5. writes nothing when no value changed.
//!
//! Everything here blocks; async callers go through [`update_profile`] / [`ConfigLock::acquire`],
//! which run it on tokio's blocking pool. Messages name the path and profile only, never a
//! value.

use crate::context::{open_nonblocking, read_regular_file, CONFIG_FILE_MAX_BYTES};
use serde_json::{Map, Value};
use std::collections::HashSet;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Condvar, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// The longest wait for the locks before a write-back is skipped.
pub const LOCK_TIMEOUT: Duration = Duration::from_secs(10);

/// Paths locked by this process, with a condition variable to wait on.
fn in_process() -> &'static (Mutex<HashSet<PathBuf>>, Condvar) {
    static LOCKS: OnceLock<(Mutex<HashSet<PathBuf>>, Condvar)> = OnceLock::new();
    LOCKS.get_or_init(|| (Mutex::new(HashSet::new()), Condvar::new()))
}

/// Both locks on one config file, held until dropped.
#[derive(Debug)]
pub struct ConfigLock {
    path: PathBuf,
    // Closing the descriptors releases the advisory locks.
    _sidecar: File,
    _config: Option<File>,
}

impl Drop for ConfigLock {
    fn drop(&mut self) {
        let (set, cv) = in_process();
        set.lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&self.path);
        cv.notify_all();
    }
}

/// The sidecar lock file of `path`: `<config>.lock` beside it.
pub fn lock_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".lock");
    path.with_file_name(name)
}

fn try_file_lock(file: &File, deadline: Instant) -> std::io::Result<bool> {
    loop {
        if fs4::fs_std::FileExt::try_lock_exclusive(file)? {
            return Ok(true);
        }
        if Instant::now() >= deadline {
            return Ok(false);
        }
        // A short poll: a failed try is one flock call, and under contention (several CLIs
        // refreshing at once) a long sleep leaves the lock idle between holders — at 20 ms
        // the 8-process write-back test spent half its time waiting on a free lock.
        std::thread::sleep(Duration::from_millis(2));
    }
}

impl ConfigLock {
    /// Blocks until both locks are held, or `timeout` passed (`Ok(None)`).
    pub fn acquire_blocking(path: &Path, timeout: Duration) -> Result<Option<ConfigLock>, String> {
        let deadline = Instant::now() + timeout;
        let path = path.to_owned();
        {
            let (set, cv) = in_process();
            let mut held = set.lock().unwrap_or_else(|p| p.into_inner());
            while held.contains(&path) {
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    return Ok(None);
                }
                held = cv
                    .wait_timeout(held, left)
                    .unwrap_or_else(|p| p.into_inner())
                    .0;
            }
            held.insert(path.clone());
        }
        // From here on, dropping a partly built lock must release the in-process entry.
        struct Entry(Option<PathBuf>);
        impl Drop for Entry {
            fn drop(&mut self) {
                if let Some(p) = self.0.take() {
                    let (set, cv) = in_process();
                    set.lock().unwrap_or_else(|e| e.into_inner()).remove(&p);
                    cv.notify_all();
                }
            }
        }
        let mut entry = Entry(Some(path.clone()));
        let sidecar_path = lock_path(&path);
        let sidecar = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&sidecar_path)
            .map_err(|e| {
                format!(
                    "cannot open the lock file {}: {}",
                    sidecar_path.display(),
                    e.kind()
                )
            })?;
        if !try_file_lock(&sidecar, deadline)
            .map_err(|e| format!("cannot lock {}: {}", sidecar_path.display(), e.kind()))?
        {
            return Ok(None);
        }
        // The config file may not exist yet; the sidecar alone then serialises writers.
        let config = match open_nonblocking(&path) {
            Ok(f) => {
                if !try_file_lock(&f, deadline)
                    .map_err(|e| format!("cannot lock {}: {}", path.display(), e.kind()))?
                {
                    return Ok(None);
                }
                Some(f)
            }
            Err(_) => None,
        };
        entry.0 = None;
        Ok(Some(ConfigLock {
            path,
            _sidecar: sidecar,
            _config: config,
        }))
    }

    /// Takes the locks on tokio's blocking pool. `Ok(None)` when they were not free in time.
    pub async fn acquire(path: &Path, timeout: Duration) -> Result<Option<ConfigLock>, String> {
        let path = path.to_owned();
        crate::blocking::unblock(move || ConfigLock::acquire_blocking(&path, timeout))
            .await
            .map_err(|e| e.to_string())?
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// [`update`](Self::update), then releases the locks (for a move to the blocking pool).
    pub fn update_owned(
        self,
        profile: String,
        updates: Vec<(&'static str, Value)>,
    ) -> Result<Outcome, String> {
        self.update(&profile, &updates)
    }

    /// Re-reads the file, sets `updates` in `profile`, and writes the file if a value changed.
    pub fn update(&self, profile: &str, updates: &[(&str, Value)]) -> Result<Outcome, String> {
        let mut root = read_root(&self.path)?;
        match merge(&mut root, profile, updates) {
            None => Ok(Outcome::ProfileGone),
            Some(false) => Ok(Outcome::Unchanged),
            Some(true) => {
                write_atomically(&self.path, &serialize(&root)?)?;
                Ok(Outcome::Written)
            }
        }
    }
}

/// What a write-back did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Written,
    /// Every value was already there: nothing written.
    Unchanged,
    /// The profile is no longer in the file.
    ProfileGone,
    /// The locks were not free within the timeout.
    LockTimeout,
}

/// Reads the file and returns the raw object of `profile` (`Ok(None)` if it is gone). Callers
/// hold the [`ConfigLock`] of `path` when the answer must not change under them.
pub fn read_profile_at(path: &Path, profile: &str) -> Result<Option<Map<String, Value>>, String> {
    let root = read_root(path)?;
    Ok(find_profile(&root, profile).cloned())
}

fn read_root(path: &Path) -> Result<Value, String> {
    let bytes = read_regular_file(path, CONFIG_FILE_MAX_BYTES)
        .map_err(|e| crate::Error::io(path, &e).to_string())?;
    let text =
        String::from_utf8(bytes).map_err(|_| format!("{}: not valid UTF-8", path.display()))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    // serde_json's message could quote nothing secret, but the position is all we pass on.
    serde_json::from_str(text).map_err(|e| {
        format!(
            "{} is not valid JSON (line {}, column {})",
            path.display(),
            e.line(),
            e.column()
        )
    })
}

fn profiles_mut(root: &mut Value) -> Option<&mut Vec<Value>> {
    root.get_mut("profiles")?.as_array_mut()
}

fn find_profile<'a>(root: &'a Value, name: &str) -> Option<&'a Map<String, Value>> {
    root.get("profiles")?
        .as_array()?
        .iter()
        .filter_map(Value::as_object)
        .find(|p| p.get("name").and_then(Value::as_str) == Some(name))
}

fn find_profile_mut<'a>(root: &'a mut Value, name: &str) -> Option<&'a mut Map<String, Value>> {
    profiles_mut(root)?
        .iter_mut()
        .filter_map(Value::as_object_mut)
        .find(|p| p.get("name").and_then(Value::as_str) == Some(name))
}

/// Sets `updates` in the first profile named `profile` of the parsed file `root`: `None` when
/// there is no such profile, else whether a value changed. Every other value, key order and
/// number form is kept; an existing key keeps its position, a new one goes last.
pub(crate) fn merge(root: &mut Value, profile: &str, updates: &[(&str, Value)]) -> Option<bool> {
    let target = find_profile_mut(root, profile)?;
    let mut changed = false;
    for (key, value) in updates {
        if target.get(*key) != Some(value) {
            target.insert((*key).to_owned(), value.clone());
            changed = true;
        }
    }
    Some(changed)
}

/// 4-space indentation, non-ASCII as is (serde_json never escapes it), trailing newline.
pub(crate) fn serialize(root: &Value) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    let formatter = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut ser = serde_json::Serializer::with_formatter(&mut out, formatter);
    serde::Serialize::serialize(root, &mut ser)
        .map_err(|_| "cannot serialise the config".to_owned())?;
    out.push(b'\n');
    Ok(out)
}

fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let io = |what: &str, e: std::io::Error| {
        format!("cannot {what} for {}: {}", path.display(), e.kind())
    };
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let mut tmp_name = path.file_name().unwrap_or_default().to_os_string();
    tmp_name.push(format!(".tmp-{}-{stamp}", std::process::id()));
    let tmp = dir.join(tmp_name);
    let result = (|| {
        let mut options = OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            // Created private; the original's mode is applied before any byte is written.
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        }
        let mut file = options
            .open(&tmp)
            .map_err(|e| io("create a temporary file", e))?;
        match std::fs::metadata(path) {
            Ok(meta) => file
                .set_permissions(meta.permissions())
                .map_err(|e| io("copy the permissions", e))?,
            Err(_) => {
                #[cfg(unix)]
                {
                    use std::os::unix::fs::PermissionsExt;
                    file.set_permissions(std::fs::Permissions::from_mode(0o600))
                        .map_err(|e| io("set the permissions", e))?;
                }
            }
        }
        file.write_all(bytes).map_err(|e| io("write", e))?;
        file.sync_all().map_err(|e| io("flush", e))?;
        drop(file);
        std::fs::rename(&tmp, path).map_err(|e| io("replace the file", e))?;
        #[cfg(unix)]
        {
            // Makes the rename itself durable.
            if let Ok(d) = File::open(dir) {
                let _ = d.sync_all();
            }
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Sets `updates` in `profile` of the config at `path` under the locks, on tokio's blocking
/// pool. Never fails the caller: problems are logged as warnings (no values) and reported in
/// the outcome.
pub async fn update_profile(
    path: &Path,
    profile: &str,
    updates: Vec<(&'static str, Value)>,
) -> Outcome {
    let (path, profile) = (path.to_owned(), profile.to_owned());
    let result = crate::blocking::unblock(move || -> Result<Outcome, String> {
        match ConfigLock::acquire_blocking(&path, LOCK_TIMEOUT)? {
            None => Ok(Outcome::LockTimeout),
            Some(lock) => lock.update(&profile, &updates),
        }
    })
    .await;
    let outcome = match result {
        Ok(Ok(o)) => o,
        Ok(Err(msg)) => {
            tracing::warn!("config.json write-back skipped: {msg}");
            return Outcome::LockTimeout;
        }
        Err(e) => {
            tracing::warn!("config.json write-back skipped: {e}");
            return Outcome::LockTimeout;
        }
    };
    warn_outcome(outcome);
    outcome
}

/// Logs the outcomes a user should hear about.
pub fn warn_outcome(outcome: Outcome) {
    match outcome {
        Outcome::LockTimeout => tracing::warn!(
            "config.json write-back skipped: the file stayed locked for {} s",
            LOCK_TIMEOUT.as_secs()
        ),
        Outcome::ProfileGone => {
            tracing::warn!("config.json write-back skipped: the profile is no longer in the file")
        }
        Outcome::Written | Outcome::Unchanged => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn setup(text: &str) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.json");
        std::fs::write(&path, text).unwrap();
        (dir, path)
    }

    const SAMPLE: &str = r#"{"current":"p","profiles":[{"name":"o","mode":"AK"},{"name":"p","mode":"External","z":1,"access_key_id":"old","a":"ü"}],"x":{"b":2,"a":[1.5,3]}}"#;

    #[test]
    fn changes_only_owned_fields_and_keeps_order() {
        let (_d, path) = setup(SAMPLE);
        let lock = ConfigLock::acquire_blocking(&path, LOCK_TIMEOUT)
            .unwrap()
            .unwrap();
        let out = lock
            .update(
                "p",
                &[
                    ("access_key_id", json!("new")),
                    ("sts_expiration", json!(42)),
                ],
            )
            .unwrap();
        assert_eq!(out, Outcome::Written);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.ends_with("}\n") && text.contains("\n    \"current\"") && text.contains("\"ü\""),
            "{text}"
        );
        let v: Value = serde_json::from_str(&text).unwrap();
        let keys: Vec<_> = v["profiles"][1]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        assert_eq!(
            keys,
            ["name", "mode", "z", "access_key_id", "a", "sts_expiration"]
        );
        assert_eq!(v["x"], json!({"b": 2, "a": [1.5, 3]}));
        assert!(text.contains("\"b\": 2,"));
        assert_eq!(
            lock.update("p", &[("access_key_id", json!("new"))])
                .unwrap(),
            Outcome::Unchanged
        );
        assert_eq!(
            lock.update("gone", &[("a", json!(1))]).unwrap(),
            Outcome::ProfileGone
        );
        assert!(lock_path(&path).exists());
    }

    #[cfg(unix)]
    #[test]
    fn keeps_the_mode() {
        use std::os::unix::fs::PermissionsExt;
        let (_d, path) = setup(SAMPLE);
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
        let lock = ConfigLock::acquire_blocking(&path, LOCK_TIMEOUT)
            .unwrap()
            .unwrap();
        lock.update("p", &[("sts_token", json!("t"))]).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o640);
    }

    #[test]
    fn a_held_lock_times_out() {
        let (_d, path) = setup(SAMPLE);
        let held = ConfigLock::acquire_blocking(&path, LOCK_TIMEOUT)
            .unwrap()
            .unwrap();
        let start = Instant::now();
        assert!(
            ConfigLock::acquire_blocking(&path, Duration::from_millis(100))
                .unwrap()
                .is_none()
        );
        assert!(start.elapsed() >= Duration::from_millis(100));
        drop(held);
        assert!(
            ConfigLock::acquire_blocking(&path, Duration::from_millis(100))
                .unwrap()
                .is_some()
        );
    }

    #[test]
    fn invalid_json_is_reported_without_content() {
        let (_d, path) = setup("{\"profiles\": [\"SECRET-VALUE\"");
        let lock = ConfigLock::acquire_blocking(&path, LOCK_TIMEOUT)
            .unwrap()
            .unwrap();
        let e = lock.update("p", &[("a", json!(1))]).unwrap_err();
        assert!(
            !e.contains("SECRET-VALUE") && e.contains("not valid JSON"),
            "{e}"
        );
    }
}
