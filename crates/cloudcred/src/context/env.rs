//! Environment variables behind a trait.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

/// A source of environment variables.
///
/// `Debug` implementations must not print values: the environment holds secrets.
pub trait Env: Send + Sync + fmt::Debug {
    /// The raw value of a variable, `None` when unset.
    fn var(&self, name: &str) -> Option<String>;

    /// Names of all variables (for `doctor`, which reports ignored alias variables).
    fn names(&self) -> Vec<String>;

    /// The home directory from the operating system's user database, if this environment stands
    /// for the real process.
    fn os_home_dir(&self) -> Option<PathBuf> {
        None
    }
}

/// The process environment.
#[derive(Clone, Copy, Default)]
pub struct ProcessEnv;

impl fmt::Debug for ProcessEnv {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ProcessEnv")
    }
}

impl Env for ProcessEnv {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var_os(name).map(|v| v.to_string_lossy().into_owned())
    }

    fn names(&self) -> Vec<String> {
        std::env::vars_os()
            .map(|(k, _)| k.to_string_lossy().into_owned())
            .collect()
    }

    fn os_home_dir(&self) -> Option<PathBuf> {
        home::home_dir()
    }
}

/// A fixed set of variables, for tests and embedders.
#[derive(Clone, Default)]
pub struct MapEnv(BTreeMap<String, String>);

impl MapEnv {
    /// No variable set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets `name` to `value`, replacing an earlier value.
    pub fn set(&mut self, name: impl Into<String>, value: impl Into<String>) -> &mut Self {
        self.0.insert(name.into(), value.into());
        self
    }

    /// [`set`](Self::set), by value: `MapEnv::new().with("A", "1").with("B", "2")`.
    pub fn with(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.set(name, value);
        self
    }

    /// Unsets `name`.
    pub fn remove(&mut self, name: &str) -> &mut Self {
        self.0.remove(name);
        self
    }
}

impl<K: Into<String>, V: Into<String>, const N: usize> From<[(K, V); N]> for MapEnv {
    fn from(pairs: [(K, V); N]) -> Self {
        Self(
            pairs
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        )
    }
}

impl<K: Into<String>, V: Into<String>> FromIterator<(K, V)> for MapEnv {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        Self(
            iter.into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        )
    }
}

impl fmt::Debug for MapEnv {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.0.keys()).finish()
    }
}

impl Env for MapEnv {
    fn var(&self, name: &str) -> Option<String> {
        self.0.get(name).cloned()
    }

    fn names(&self) -> Vec<String> {
        self.0.keys().cloned().collect()
    }
}
