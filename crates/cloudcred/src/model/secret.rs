//! A string that never prints and is wiped from memory when dropped.

use std::fmt;
use zeroize::Zeroize;

/// The placeholder printed instead of any secret value (spec D2).
pub const REDACTED: &str = "** redacted **";

/// A secret value: access key secret, security token, bearer token, OIDC token.
///
/// `Debug` and `Display` print [`REDACTED`] and never a character of the value; the memory is
/// zeroized on drop. Read the value with [`SecretString::expose`].
#[derive(Clone, Default, PartialEq, Eq)]
pub struct SecretString(String);

impl SecretString {
    /// Takes ownership of `value`; it is wiped when the last clone drops.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret value. Call sites are easy to audit: nothing else returns it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether the value is empty (safe to ask: it says nothing else about the value).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Drop for SecretString {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl fmt::Display for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl From<String> for SecretString {
    fn from(value: String) -> Self {
        Self(value)
    }
}

impl From<&str> for SecretString {
    fn from(value: &str) -> Self {
        Self(value.to_owned())
    }
}
