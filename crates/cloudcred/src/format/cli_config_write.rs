//! Write-back into the aliyun CLI's `config.json` (spec 7.3, D39), used by the OAuth and
//! External providers to persist rotated tokens and fresh STS credentials.
//!
//! The official SDKs lose data here (go and java re-serialise their own struct and drop the
//! CLI's settings) or race (py takes the file lock after reading). This module:
//!
//! 1. resolves a symlinked config once to its final target, so a dotfiles link (stow, chezmoi,
//!    home-manager) stays a link and its target gets the new content;
//! 2. takes an in-process lock for the target, then an exclusive advisory lock on the sidecar
//!    `<target>.lock` (created if needed, never deleted: deleting it would let two processes
//!    lock two different inodes) and on the config file itself (py and go lock that one);
//!    waits at most [`LOCK_TIMEOUT`], then gives up;
//! 3. re-reads and parses the file under the lock;
//! 4. changes only the given fields of the target profile, keeping every other value, its key
//!    order and every number's text as written (`2.50`, `1e3`: a [`Document`] keeps numbers as
//!    raw text, where serde_json's `Value` would rewrite them as `2.5`, `1000.0`);
//! 5. writes with 4-space indentation, UTF-8 unescaped and a trailing newline, through
//!    `atomic-write-file`: an unnamed temporary file (O_TMPFILE on Linux) created 0600 in the
//!    target's directory that takes the original's owner, group and mode before any byte is
//!    written (or the write is refused: a `sudo` run must not hand the user's file to root),
//!    fsynced and linked over the original, the directory fsynced. A writer killed midway
//!    leaves nothing; named leftovers of older writers are swept under the lock;
//! 6. writes nothing when no value changed.
//!
//! [`ConfigLock::prepare`] opens the replacement before anything irreversible happens: OAuth
//! proves that the file can be replaced before its refresh token rotates upstream.
//!
//! Everything here blocks; async callers go through [`update_profile`] / [`ConfigLock::acquire`],
//! which run it on tokio's blocking pool. Messages name the path and profile only, never a
//! value.

use crate::context::{open_nonblocking, read_regular_file, Context, CONFIG_FILE_MAX_BYTES};
use crate::format::printable;
use indexmap::IndexMap;
use serde::{Serialize, Serializer};
use serde_json::value::RawValue;
use serde_json::{Map, Value};
use std::collections::HashSet;
use std::fmt;
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
    /// The resolved target: the file that is locked, read and replaced.
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

/// The file a write-back replaces: the final target of a symlinked `path` (resolved once, so
/// the lock, the read and the replacement all name the same file), else `path` itself.
pub fn target_of(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_owned())
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
    /// Blocks until both locks on the target of `path` are held, or `timeout` passed
    /// (`Ok(None)`).
    pub fn acquire_blocking(path: &Path, timeout: Duration) -> Result<Option<ConfigLock>, String> {
        let deadline = Instant::now() + timeout;
        let path = target_of(path);
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

    /// The locked file: the resolved target of the path asked for.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Opens the replacement of the locked file: an unnamed temporary file in its directory,
    /// already with the original's owner, group and mode. Succeeds only where the later
    /// [`Replacement::commit`] can replace the file (a writable directory, an owner this
    /// process may give away), so callers learn it before doing anything irreversible.
    pub fn prepare(&self) -> Result<Replacement, String> {
        sweep_leftovers(&self.path);
        let mut options = atomic_write_file::OpenOptions::new();
        #[cfg(unix)]
        {
            use atomic_write_file::unix::OpenOptionsExt as _;
            // 0600 until the original's mode is copied: no moment where the secret is readable.
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            // Refuse rather than silently keep the writer's own uid (the crate's default for a
            // non-root writer): a file handed to another owner locks its owner out.
            options.preserve_mode(true).preserve_owner(true);
        }
        let file = options.open(&self.path).map_err(|e| {
            format!(
                "cannot write a replacement of {} with its owner, group and mode ({}): \
                 the directory must be writable and the file owned by this user (or run as root)",
                self.path.display(),
                e.kind()
            )
        })?;
        Ok(Replacement {
            path: self.path.clone(),
            file,
        })
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
        self.update_with(None, profile, updates)
    }

    /// [`update`](Self::update) through a replacement opened earlier by
    /// [`prepare`](Self::prepare) (`None`: opened here when needed).
    pub fn update_with(
        &self,
        replacement: Option<Replacement>,
        profile: &str,
        updates: &[(&str, Value)],
    ) -> Result<Outcome, String> {
        let mut root = read_root(&self.path)?;
        match merge(&mut root, profile, updates) {
            None => Ok(Outcome::ProfileGone),
            Some(false) => Ok(Outcome::Unchanged),
            Some(true) => {
                let replacement = match replacement {
                    Some(r) => r,
                    None => self.prepare()?,
                };
                replacement.commit(&serialize(&root)?)?;
                Ok(Outcome::Written)
            }
        }
    }
}

/// The new content of a locked config file, not yet visible; dropping it leaves the file as it
/// was and nothing behind.
#[derive(Debug)]
pub struct Replacement {
    path: PathBuf,
    file: atomic_write_file::AtomicWriteFile,
}

impl Replacement {
    /// Writes `bytes`, fsyncs, and puts the new file in place of the old one.
    pub fn commit(mut self, bytes: &[u8]) -> Result<(), String> {
        let io = |what: &str, e: std::io::Error| {
            format!("cannot {what} {}: {}", self.path.display(), e.kind())
        };
        self.file.write_all(bytes).map_err(|e| io("write", e))?;
        self.file.commit().map_err(|e| io("replace", e))
    }
}

/// Removes named temporary files of earlier writers that died mid-write (they hold full
/// secrets): `config.json.tmp-<pid>-<ns>` of cloudcred before the unnamed temporary file, and
/// `.config.json.XXXXXX` of `atomic-write-file` on file systems without O_TMPFILE. Only
/// called under the lock, which every cloudcred writer holds while its temporary file exists,
/// so none of these is in use. py's and go's `config.json.tmp-<time>` (one number) are theirs.
fn sweep_leftovers(path: &Path) {
    let (Some(dir), Some(name)) = (path.parent(), path.file_name().and_then(|n| n.to_str())) else {
        return;
    };
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let ours = |entry: &str| -> bool {
        if let Some(rest) = entry
            .strip_prefix(name)
            .and_then(|r| r.strip_prefix(".tmp-"))
        {
            let mut parts = rest.split('-');
            let number = |p: Option<&str>| {
                p.is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
            };
            return number(parts.next()) && number(parts.next()) && parts.next().is_none();
        }
        entry
            .strip_prefix('.')
            .and_then(|r| r.strip_prefix(name))
            .and_then(|r| r.strip_prefix('.'))
            .is_some_and(|s| s.len() == 6 && s.bytes().all(|b| b.is_ascii_alphanumeric()))
    };
    for entry in entries.flatten() {
        if entry.file_name().to_str().is_some_and(ours) {
            if let Err(e) = std::fs::remove_file(entry.path()) {
                tracing::warn!(
                    "cannot remove the leftover temporary file {}: {}",
                    entry.path().display(),
                    e.kind()
                );
            }
        }
    }
}

/// What a write-back did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Outcome {
    /// The file was rewritten with the new values.
    Written,
    /// Every value was already there: nothing written.
    Unchanged,
    /// The profile is no longer in the file.
    ProfileGone,
    /// The locks were not free within the timeout.
    LockTimeout,
}

/// What a write-back that did not reach the file would have saved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum UnsavedKind {
    /// The OAuth refresh token after it rotated: the stored one is dead, so this loses the
    /// login.
    RotatedRefreshToken,
    /// Fresh STS credentials: they work for this run; the next run fetches new ones.
    StsCredentials,
}

/// A write-back that did not reach the file, for the caller to tell the user even when no log
/// is configured (the CLI prints it and exits non-zero). Names the file, the profile and the
/// reason, never a value.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct UnsavedWriteBack {
    /// The config.json that was not rewritten.
    pub path: PathBuf,
    /// The profile whose values were not saved.
    pub profile: String,
    /// What was lost.
    pub kind: UnsavedKind,
    /// Why the write failed (no value quoted).
    pub reason: String,
}

impl fmt::Display for UnsavedWriteBack {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (path, profile, reason) = (self.path.display(), printable(&self.profile), &self.reason);
        match self.kind {
            UnsavedKind::RotatedRefreshToken => write!(
                f,
                "{path}: the rotated OAuth refresh token of profile {profile} could not be saved \
                 ({reason}); the stored one no longer works: fix the file, then log in again with \
                 `aliyun configure --profile {profile} --mode OAuth`"
            ),
            UnsavedKind::StsCredentials => write!(
                f,
                "{path}: the new STS credentials of profile {profile} could not be written back \
                 ({reason}); they work for this run, and the next run fetches new ones"
            ),
        }
    }
}

/// Logs a write-back's result and reports a failure to `ctx` ([`Context::take_unsaved`]).
pub(crate) fn report(
    ctx: &Context,
    path: &Path,
    profile: &str,
    kind: UnsavedKind,
    result: Result<Outcome, String>,
) {
    let reason = match result {
        Ok(Outcome::Written | Outcome::Unchanged) => return,
        // A profile deleted meanwhile was deleted on purpose: nothing of value is lost.
        Ok(Outcome::ProfileGone) if kind == UnsavedKind::StsCredentials => {
            tracing::warn!("config.json write-back skipped: the profile is no longer in the file");
            return;
        }
        Ok(Outcome::ProfileGone) => "the profile is no longer in the file".to_owned(),
        Ok(Outcome::LockTimeout) => format!(
            "the file stayed locked for {} s by another process",
            LOCK_TIMEOUT.as_secs()
        ),
        Err(reason) => reason,
    };
    let unsaved = UnsavedWriteBack {
        path: path.to_owned(),
        profile: profile.to_owned(),
        kind,
        reason,
    };
    tracing::warn!("{unsaved}");
    ctx.report_unsaved(unsaved);
}

/// Reads the file and returns the raw object of `profile` (`Ok(None)` if it is gone). Callers
/// hold the [`ConfigLock`] of `path` when the answer must not change under them.
pub fn read_profile_at(path: &Path, profile: &str) -> Result<Option<Map<String, Value>>, String> {
    let root = read_root(path)?;
    let Some(found) = find_profile(&root, profile) else {
        return Ok(None);
    };
    match serde_json::to_value(found) {
        Ok(Value::Object(map)) => Ok(Some(map)),
        _ => Err(format!(
            "cannot read profile {profile} of {}",
            path.display()
        )),
    }
}

fn read_root(path: &Path) -> Result<Document, String> {
    let bytes = read_regular_file(path, CONFIG_FILE_MAX_BYTES)
        .map_err(|e| crate::Error::io(path, &e).to_string())?;
    let text =
        String::from_utf8(bytes).map_err(|_| format!("{}: not valid UTF-8", path.display()))?;
    // serde_json's message could quote nothing secret, but the position is all we pass on.
    Document::parse(&text).map_err(|e| {
        format!(
            "{} is not valid JSON (line {}, column {})",
            path.display(),
            e.line(),
            e.column()
        )
    })
}

/// A config.json as written: objects in key order, numbers as their text. Strings, booleans
/// and null are plain values (their escapes are normalised on write, as py's writer does).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Document {
    /// A JSON object, key order kept.
    Object(IndexMap<String, Document>),
    /// A JSON array.
    Array(Vec<Document>),
    /// A number exactly as written.
    Number(Box<RawValue>),
    /// A string, a boolean or null.
    Scalar(Value),
}

/// serde_json's nesting limit, kept by the recursive [`Document::parse`] too.
const MAX_DEPTH: usize = 128;

impl Document {
    /// Parses a JSON text (a leading BOM is ignored, as aliyun-cli does).
    pub fn parse(text: &str) -> serde_json::Result<Document> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        Document::from_raw(serde_json::from_str(text)?, 0)
    }

    fn from_raw(raw: &RawValue, depth: usize) -> serde_json::Result<Document> {
        use serde::de::Error as _;
        let text = raw.get();
        let nested = |d: usize| {
            if d >= MAX_DEPTH {
                Err(serde_json::Error::custom("recursion limit exceeded"))
            } else {
                Ok(d + 1)
            }
        };
        Ok(match text.as_bytes().first() {
            Some(b'{') => {
                let depth = nested(depth)?;
                let map: IndexMap<String, &RawValue> = serde_json::from_str(text)?;
                Document::Object(
                    map.into_iter()
                        .map(|(k, v)| Ok((k, Document::from_raw(v, depth)?)))
                        .collect::<serde_json::Result<_>>()?,
                )
            }
            Some(b'[') => {
                let depth = nested(depth)?;
                let items: Vec<&RawValue> = serde_json::from_str(text)?;
                Document::Array(
                    items
                        .into_iter()
                        .map(|v| Document::from_raw(v, depth))
                        .collect::<serde_json::Result<_>>()?,
                )
            }
            Some(b'-' | b'0'..=b'9') => Document::Number(raw.to_owned()),
            _ => Document::Scalar(serde_json::from_str(text)?),
        })
    }

    /// A value as the document holds it (a number by its shortest text).
    pub fn from_value(value: &Value) -> Document {
        match value {
            Value::Object(m) => Document::Object(
                m.iter()
                    .map(|(k, v)| (k.clone(), Document::from_value(v)))
                    .collect(),
            ),
            Value::Array(a) => Document::Array(a.iter().map(Document::from_value).collect()),
            Value::Number(n) => Document::Number(
                RawValue::from_string(n.to_string()).expect("a number's text is valid JSON"),
            ),
            other => Document::Scalar(other.clone()),
        }
    }

    fn object_mut(&mut self) -> Option<&mut IndexMap<String, Document>> {
        match self {
            Document::Object(m) => Some(m),
            _ => None,
        }
    }

    fn as_str(&self) -> Option<&str> {
        match self {
            Document::Scalar(Value::String(s)) => Some(s),
            _ => None,
        }
    }
}

/// Equal values: numbers by their text (`1` and `1.0` differ: rewriting one as the other
/// changes the file).
impl PartialEq for Document {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Document::Object(a), Document::Object(b)) => a == b,
            (Document::Array(a), Document::Array(b)) => a == b,
            (Document::Number(a), Document::Number(b)) => a.get() == b.get(),
            (Document::Scalar(a), Document::Scalar(b)) => a == b,
            _ => false,
        }
    }
}

impl Serialize for Document {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Document::Object(m) => serializer.collect_map(m),
            Document::Array(a) => serializer.collect_seq(a),
            Document::Number(raw) => raw.serialize(serializer),
            Document::Scalar(v) => v.serialize(serializer),
        }
    }
}

fn profiles(root: &Document) -> impl Iterator<Item = &IndexMap<String, Document>> {
    let list = match root {
        Document::Object(m) => match m.get("profiles") {
            Some(Document::Array(a)) => a.as_slice(),
            _ => &[],
        },
        _ => &[],
    };
    list.iter().filter_map(|p| match p {
        Document::Object(m) => Some(m),
        _ => None,
    })
}

fn find_profile<'a>(root: &'a Document, name: &str) -> Option<&'a IndexMap<String, Document>> {
    profiles(root).find(|p| p.get("name").and_then(Document::as_str) == Some(name))
}

fn find_profile_mut<'a>(
    root: &'a mut Document,
    name: &str,
) -> Option<&'a mut IndexMap<String, Document>> {
    match root.object_mut()?.get_mut("profiles")? {
        Document::Array(a) => a
            .iter_mut()
            .filter_map(Document::object_mut)
            .find(|p| p.get("name").and_then(Document::as_str) == Some(name)),
        _ => None,
    }
}

/// Sets `updates` in the first profile named `profile` of the parsed file `root`: `None` when
/// there is no such profile, else whether a value changed. Every other value, key order and
/// number text is kept; an existing key keeps its position, a new one goes last.
pub fn merge(root: &mut Document, profile: &str, updates: &[(&str, Value)]) -> Option<bool> {
    let target = find_profile_mut(root, profile)?;
    let mut changed = false;
    for (key, value) in updates {
        let value = Document::from_value(value);
        if target.get(*key) != Some(&value) {
            target.insert((*key).to_owned(), value);
            changed = true;
        }
    }
    Some(changed)
}

/// 4-space indentation, non-ASCII as is (serde_json never escapes it), trailing newline.
pub fn serialize(root: &Document) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    let formatter = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut ser = serde_json::Serializer::with_formatter(&mut out, formatter);
    root.serialize(&mut ser)
        .map_err(|_| "cannot serialise the config".to_owned())?;
    out.push(b'\n');
    Ok(out)
}

/// Sets `updates` in `profile` of the config at `path` under the locks, on tokio's blocking
/// pool. A write-back that did not happen is logged (no values) and reported to `ctx` as
/// `kind`.
pub async fn update_profile(
    ctx: &Context,
    path: &Path,
    profile: &str,
    kind: UnsavedKind,
    updates: Vec<(&'static str, Value)>,
) -> Result<Outcome, String> {
    let (owned_path, owned_profile) = (path.to_owned(), profile.to_owned());
    let result = crate::blocking::unblock(move || -> Result<Outcome, String> {
        match ConfigLock::acquire_blocking(&owned_path, LOCK_TIMEOUT)? {
            None => Ok(Outcome::LockTimeout),
            Some(lock) => lock.update(&owned_profile, &updates),
        }
    })
    .await
    .unwrap_or_else(|e| Err(e.to_string()));
    report(ctx, path, profile, kind, result.clone());
    result
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

    /// Issue 11 item 16: serde_json's `Value` rewrote `2.50` as `2.5` and `1e3` as `1000.0`.
    #[test]
    fn keeps_each_numbers_text() {
        let (_d, path) = setup(
            r#"{"x": {"price": 2.50, "big": 1e3, "neg": -0.0, "e": 1.0E+2, "n": [10, 0.10]},
               "profiles": [{"name": "p", "timeout": 2.50, "sts_expiration": 1700000000}]}"#,
        );
        let lock = ConfigLock::acquire_blocking(&path, LOCK_TIMEOUT)
            .unwrap()
            .unwrap();
        // The same integer is no change, whatever type it came from.
        assert_eq!(
            lock.update("p", &[("sts_expiration", json!(1_700_000_000_i64))])
                .unwrap(),
            Outcome::Unchanged
        );
        lock.update(
            "p",
            &[("sts_token", json!("t")), ("sts_expiration", json!(42))],
        )
        .unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        for kept in [
            "\"price\": 2.50,",
            "\"big\": 1e3,",
            "\"neg\": -0.0,",
            "\"e\": 1.0E+2,",
            "0.10\n",
            "\"timeout\": 2.50,",
            "\"sts_expiration\": 42,",
        ] {
            assert!(text.contains(kept), "{kept} lost in {text}");
        }
    }

    #[test]
    fn sweeps_only_leftovers_of_cloudcred_writers() {
        let (d, path) = setup(SAMPLE);
        let gone = ["config.json.tmp-4242-1700000000000", ".config.json.Ab12Cd"];
        // py's and go's temporary names (one number), and anything else, are not ours.
        let kept = [
            "config.json.tmp-1700000000",
            "config.json.tmp-12-x",
            ".config.json.Ab12Cd7",
            "config.json.bak",
            "other.json.tmp-1-2",
        ];
        for name in gone.iter().chain(&kept) {
            std::fs::write(d.path().join(name), "x").unwrap();
        }
        let lock = ConfigLock::acquire_blocking(&path, LOCK_TIMEOUT)
            .unwrap()
            .unwrap();
        lock.update("p", &[("sts_token", json!("t"))]).unwrap();
        for name in gone {
            assert!(!d.path().join(name).exists(), "{name} left");
        }
        for name in kept {
            assert!(d.path().join(name).exists(), "{name} removed");
        }
    }

    #[test]
    fn deep_nesting_is_an_error() {
        for text in ["[".repeat(100_000), "{\"a\":".repeat(100_000)] {
            assert!(Document::parse(&text).is_err());
        }
        let ok = format!("{}{}", "[".repeat(100), "]".repeat(100));
        assert!(Document::parse(&ok).is_ok());
    }

    #[test]
    fn unsaved_write_backs_reach_the_context_bounded() {
        let ctx = Context::from_process();
        let path = Path::new("/h/.aliyun/config.json");
        let kind = UnsavedKind::RotatedRefreshToken;
        report(&ctx, path, "p", kind, Ok(Outcome::Written));
        report(&ctx, path, "p", kind, Ok(Outcome::Unchanged));
        // A deleted profile loses nothing for STS, but a rotated token all the same.
        report(
            &ctx,
            path,
            "p",
            UnsavedKind::StsCredentials,
            Ok(Outcome::ProfileGone),
        );
        assert!(ctx.take_unsaved().is_empty());
        report(&ctx, path, "p", kind, Ok(Outcome::ProfileGone));
        report(&ctx.clone(), path, "p", kind, Err("disk full".into()));
        let taken = ctx.take_unsaved();
        assert_eq!(taken.len(), 2);
        let text = taken[1].to_string();
        assert!(
            text.starts_with(
                "/h/.aliyun/config.json: the rotated OAuth refresh token of profile p"
            ) && text.contains("(disk full)")
                && text.contains("aliyun configure --profile p --mode OAuth"),
            "{text}"
        );
        assert!(ctx.take_unsaved().is_empty());
        for _ in 0..40 {
            report(&ctx, path, "p", kind, Ok(Outcome::LockTimeout));
        }
        assert_eq!(ctx.take_unsaved().len(), 16);
    }
}
