//! Injected I/O: environment variables, file system, clock (spec 3.1, D4).
//!
//! Providers never read the process environment, the disk or the time directly; they ask the
//! [`Context`] they were built with. Tests build a context from a map and a temporary directory
//! and move a manual clock, so nothing mutates the process and time is under control.

mod clock;
mod env;
mod fs;

pub use clock::{Clock, Deadline, ManualClock};
pub use env::{Env, MapEnv, ProcessEnv};
#[cfg(feature = "write-back")]
pub(crate) use fs::open_nonblocking;
pub use fs::{
    read_regular_file, FileRefusal, FileSystem, OsFileSystem, CONFIG_FILE_MAX_BYTES,
    TOKEN_FILE_MAX_BYTES,
};

use crate::error::{Error, ErrorKind, Result};
#[cfg(feature = "write-back")]
use crate::format::cli_config_write::UnsavedWriteBack;
#[cfg(feature = "http")]
use crate::http::{HttpClient, ReqwestClient};
use std::path::{Path, PathBuf};
use std::sync::Arc;
#[cfg(feature = "write-back")]
use std::sync::Mutex;
#[cfg(feature = "http")]
use std::sync::OnceLock;

/// Environment, file system, clock and HTTP client shared by the providers of a chain.
#[derive(Clone, Debug)]
pub struct Context {
    env: Arc<dyn Env>,
    fs: Arc<dyn FileSystem>,
    clock: Clock,
    /// Created at the first request (building a chain makes no client), shared by clones.
    #[cfg(feature = "http")]
    http: Arc<OnceLock<Arc<dyn HttpClient>>>,
    #[cfg(feature = "http")]
    http_injected: bool,
    /// Write-backs that did not reach their file, shared by clones: see [`Context::take_unsaved`].
    #[cfg(feature = "write-back")]
    unsaved: Arc<Mutex<Vec<UnsavedWriteBack>>>,
}

impl Default for Context {
    fn default() -> Self {
        Self::from_process()
    }
}

impl Context {
    /// The real process environment, file system and system clock.
    pub fn from_process() -> Self {
        Self {
            env: Arc::new(ProcessEnv),
            fs: Arc::new(OsFileSystem),
            clock: Clock::system(),
            #[cfg(feature = "http")]
            http: Arc::new(OnceLock::new()),
            #[cfg(feature = "http")]
            http_injected: false,
            #[cfg(feature = "write-back")]
            unsaved: Arc::default(),
        }
    }

    /// A context with the given environment, the real file system and the system clock.
    pub fn from_env(env: impl Env + 'static) -> Self {
        Self::from_process().with_env(env)
    }

    /// Another environment. An HTTP client not injected explicitly is made anew, since its
    /// proxies come from the environment.
    pub fn with_env(mut self, env: impl Env + 'static) -> Self {
        self.env = Arc::new(env);
        #[cfg(feature = "http")]
        if !self.http_injected {
            self.http = Arc::new(OnceLock::new());
        }
        self
    }

    /// Sends every request of this context's providers through `client`.
    #[cfg(feature = "http")]
    #[cfg_attr(docsrs, doc(cfg(feature = "http")))]
    pub fn with_http_client(self, client: impl HttpClient + 'static) -> Self {
        let cell = OnceLock::new();
        let _ = cell.set(Arc::new(client) as Arc<dyn HttpClient>);
        Self {
            http: Arc::new(cell),
            http_injected: true,
            ..self
        }
    }

    /// The HTTP client (the default one is built at first use, with this environment's proxies).
    #[cfg(feature = "http")]
    #[cfg_attr(docsrs, doc(cfg(feature = "http")))]
    pub fn http(&self) -> &Arc<dyn HttpClient> {
        if let Some(c) = self.http.get() {
            return c;
        }
        // Racing first users may each build one; the first is kept (no blocking wait).
        let _ = self
            .http
            .set(Arc::new(ReqwestClient::from_context(self)) as Arc<dyn HttpClient>);
        self.http.get().expect("set above")
    }

    /// Replaces the file system every provider of this context reads through.
    pub fn with_file_system(mut self, fs: impl FileSystem + 'static) -> Self {
        self.fs = Arc::new(fs);
        self
    }

    /// Replaces the clock (a [`Clock::manual`] in tests).
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// The clock of this context.
    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// The file system of this context.
    pub fn file_system(&self) -> &dyn FileSystem {
        &*self.fs
    }

    /// The environment of this context (raw values; [`var`](Self::var) trims them).
    pub fn env(&self) -> &dyn Env {
        &*self.env
    }

    /// A variable's value trimmed; blank or whitespace-only counts as unset (spec D5).
    pub fn var(&self, name: &str) -> Option<String> {
        let value = self.env.var(name)?;
        let trimmed = value.trim();
        if trimmed.is_empty() {
            None
        } else {
            Some(trimmed.to_owned())
        }
    }

    /// `env NAME (set)` or `env NAME (unset)`, for `doctor`: never the value.
    pub fn describe_var(&self, name: &str) -> String {
        let state = if self.var(name).is_some() {
            "set"
        } else {
            "unset"
        };
        format!("env {name} ({state})")
    }

    /// A boolean variable read with the rules of spec D6; unset is `None`.
    pub fn var_bool(&self, name: &str) -> Result<Option<bool>> {
        match self.var(name) {
            None => Ok(None),
            Some(v) => parse_bool(&v).map(Some).ok_or_else(|| {
                Error::invalid_config(format!("environment variable {name}"), bool_error(&v))
            }),
        }
    }

    /// A boolean variable that is `false` when unset.
    pub fn flag(&self, name: &str) -> Result<bool> {
        Ok(self.var_bool(name)?.unwrap_or(false))
    }

    /// The home directory (spec D7): `HOME`; on Windows `USERPROFILE`, then
    /// `HOMEDRIVE`+`HOMEPATH`; finally the operating system's user database, but only for the
    /// process environment (a test's map environment stays hermetic).
    pub fn home_dir(&self) -> Option<PathBuf> {
        if let Some(home) = self.var("HOME") {
            return Some(PathBuf::from(home));
        }
        if cfg!(windows) {
            if let Some(p) = self.var("USERPROFILE") {
                return Some(PathBuf::from(p));
            }
            if let Some(path) = self.var("HOMEPATH") {
                let drive = self.var("HOMEDRIVE").unwrap_or_default();
                return Some(PathBuf::from(format!("{drive}{path}")));
            }
        }
        self.env.os_home_dir()
    }

    /// A path from configuration: a leading `~/` expands to the home directory (spec 3.5).
    pub fn expand_path(&self, raw: &str) -> PathBuf {
        if let Some(rest) = raw.strip_prefix("~/") {
            if let Some(home) = self.home_dir() {
                return home.join(rest);
            }
        }
        PathBuf::from(raw)
    }

    /// Reads a UTF-8 credentials or configuration file through the injected file system
    /// (at most [`CONFIG_FILE_MAX_BYTES`]).
    pub fn read_to_string(&self, path: &Path) -> Result<String> {
        self.read_to_string_limited(path, CONFIG_FILE_MAX_BYTES)
    }

    /// Reads a UTF-8 text file of at most `max_bytes` through the injected file system.
    pub fn read_to_string_limited(&self, path: &Path, max_bytes: u64) -> Result<String> {
        let bytes = self
            .fs
            .read_limited(path, max_bytes)
            .map_err(|e| Error::io(path, &e))?;
        String::from_utf8(bytes).map_err(|_| {
            ErrorKind::Io {
                path: path.to_owned(),
                message: "not valid UTF-8".to_owned(),
            }
            .into()
        })
    }

    /// The write-backs of this context's providers that could not be saved since the last call
    /// (a rotated OAuth refresh token above all: losing it loses the login). Credentials were
    /// still returned; a program should tell its user, as `cloudcred` does on stderr.
    #[cfg(feature = "write-back")]
    #[cfg_attr(docsrs, doc(cfg(feature = "write-back")))]
    pub fn take_unsaved(&self) -> Vec<UnsavedWriteBack> {
        std::mem::take(&mut *self.unsaved.lock().unwrap_or_else(|p| p.into_inner()))
    }

    #[cfg(feature = "write-back")]
    pub(crate) fn report_unsaved(&self, unsaved: UnsavedWriteBack) {
        // A long-running program that never asks must not grow without bound: the newest count.
        const KEPT: usize = 16;
        let mut list = self.unsaved.lock().unwrap_or_else(|p| p.into_inner());
        if list.len() == KEPT {
            list.remove(0);
        }
        list.push(unsaved);
    }

    /// Whether `path` exists on this context's file system (following links).
    pub fn exists(&self, path: &Path) -> bool {
        self.fs.exists(path)
    }

    /// Who else can reach the credentials in `path` (group/other access, a symlink to a file
    /// another user owns), as `doctor` warnings. See [`FileSystem::exposure_warnings`].
    pub fn exposure_warnings(&self, path: &Path) -> Vec<String> {
        self.fs.exposure_warnings(path)
    }
}

/// Spec D6: case-insensitive `true/1/yes/on` and `false/0/no/off`; anything else is `None`.
pub fn parse_bool(value: &str) -> Option<bool> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Some(true),
        "false" | "0" | "no" | "off" | "" => Some(false),
        _ => None,
    }
}

/// The error text for a value that is not a D6 boolean. The value itself is not quoted: it may
/// have been a secret pasted into the wrong place.
pub fn bool_error(_value: &str) -> String {
    "not a boolean: use true, false, 1, 0, yes, no, on or off".to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_is_unset_and_values_are_trimmed() {
        let ctx = Context::from_env(MapEnv::from([("A", "  "), ("B", " v a "), ("C", "")]));
        assert_eq!(ctx.var("A"), None);
        assert_eq!(ctx.var("B").as_deref(), Some("v a"));
        assert_eq!(ctx.var("C"), None);
        assert_eq!(ctx.var("D"), None);
    }

    #[test]
    fn booleans_follow_d6() {
        for (v, want) in [
            ("TRUE", Some(true)),
            ("1", Some(true)),
            ("Yes", Some(true)),
            ("on", Some(true)),
            ("false", Some(false)),
            ("0", Some(false)),
            ("NO", Some(false)),
            ("off", Some(false)),
            ("maybe", None),
        ] {
            assert_eq!(parse_bool(v), want, "{v}");
        }
        let ctx = Context::from_env(MapEnv::from([("FLAG", "maybe")]));
        let err = ctx.flag("FLAG").unwrap_err().to_string();
        assert!(err.contains("FLAG") && err.contains("true, false"), "{err}");
        assert!(!err.contains("maybe"));
    }

    #[test]
    fn home_from_map_env_is_hermetic() {
        let ctx = Context::from_env(MapEnv::default());
        assert_eq!(ctx.home_dir(), None);
        let ctx = Context::from_env(MapEnv::from([("HOME", "/tmp/h")]));
        assert_eq!(ctx.home_dir(), Some(PathBuf::from("/tmp/h")));
        assert_eq!(ctx.expand_path("~/x/y"), PathBuf::from("/tmp/h/x/y"));
        assert_eq!(ctx.expand_path("rel/x"), PathBuf::from("rel/x"));
    }
}
