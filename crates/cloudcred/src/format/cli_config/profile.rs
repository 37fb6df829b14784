//! One profile of the aliyun CLI `config.json` (spec 6.13): its authentication [`Mode`] and
//! typed accessors over its raw JSON object that apply the spec's leniency (trimmed strings,
//! integer strings, D6 string booleans, case-insensitive modes). `Debug` shows names and keys
//! only: the values are secrets.

use crate::context::{bool_error, parse_bool};
use crate::error::{Error, Result};
use crate::format::{json_type, printable};
use serde_json::{Map, Value};
use std::fmt;
use std::path::PathBuf;

/// An authentication mode of a CLI profile (spec 6.13).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Mode {
    /// `AK`: a long-term AccessKey pair.
    Ak,
    /// `StsToken`: STS credentials.
    StsToken,
    /// `RamRoleArn`: AssumeRole over the profile's own AccessKey.
    RamRoleArn,
    /// `EcsRamRole`: the instance's RAM role.
    EcsRamRole,
    /// `RsaKeyPair`: GenerateSessionAccessKey with a key pair.
    RsaKeyPair,
    /// `RamRoleArnWithRoleName`: AssumeRole over an ECS RAM role.
    RamRoleArnWithRoleName,
    /// `ChainableRamRoleArn`: AssumeRole over another profile (`source_profile`).
    ChainableRamRoleArn,
    /// `External`: a process that prints credentials.
    External,
    /// `CredentialsURI`: a credentials URI.
    CredentialsUri,
    /// `OIDC`: AssumeRoleWithOIDC.
    Oidc,
    /// `CloudSSO`: CloudSSO sign-in.
    CloudSso,
    /// `OAuth`: aliyun-cli's OAuth login.
    OAuth,
    /// `BearerToken`: a bearer token.
    BearerToken,
    /// `Anonymous`: no credentials.
    Anonymous,
}

impl Mode {
    /// Every mode, in the order of aliyun-cli's documentation.
    pub const ALL: [Mode; 14] = [
        Mode::Ak,
        Mode::StsToken,
        Mode::RamRoleArn,
        Mode::EcsRamRole,
        Mode::RsaKeyPair,
        Mode::RamRoleArnWithRoleName,
        Mode::ChainableRamRoleArn,
        Mode::External,
        Mode::CredentialsUri,
        Mode::Oidc,
        Mode::CloudSso,
        Mode::OAuth,
        Mode::BearerToken,
        Mode::Anonymous,
    ];

    /// Case-insensitive, like aliyun-cli's `NormalizeMode` (D32); the SDKs are case-sensitive,
    /// which rejects files the CLI itself wrote by hand-edit.
    pub fn parse(s: &str) -> Option<Mode> {
        let s = s.trim();
        Mode::ALL
            .into_iter()
            .find(|m| m.as_str().eq_ignore_ascii_case(s))
    }

    /// The canonical spelling, as aliyun-cli writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Ak => "AK",
            Mode::StsToken => "StsToken",
            Mode::RamRoleArn => "RamRoleArn",
            Mode::EcsRamRole => "EcsRamRole",
            Mode::RsaKeyPair => "RsaKeyPair",
            Mode::RamRoleArnWithRoleName => "RamRoleArnWithRoleName",
            Mode::ChainableRamRoleArn => "ChainableRamRoleArn",
            Mode::External => "External",
            Mode::CredentialsUri => "CredentialsURI",
            Mode::Oidc => "OIDC",
            Mode::CloudSso => "CloudSSO",
            Mode::OAuth => "OAuth",
            Mode::BearerToken => "BearerToken",
            Mode::Anonymous => "Anonymous",
        }
    }

    /// "AK, StsToken, …, Anonymous", for error messages.
    pub fn list() -> String {
        Mode::ALL.map(Mode::as_str).join(", ")
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One entry of `profiles`: its name and its raw JSON object.
#[derive(Clone)]
pub struct CliProfile {
    pub(super) name: String,
    pub(super) index: usize,
    pub(super) path: PathBuf,
    pub(super) raw: Map<String, Value>,
}

impl CliProfile {
    /// The profile's `name`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Position in the file's `profiles` array (write-back targets this entry).
    pub fn index(&self) -> usize {
        self.index
    }

    /// The profile's raw JSON object, unknown fields included.
    pub fn raw(&self) -> &Map<String, Value> {
        &self.raw
    }

    /// `<path> profile <name>`, the origin of errors about this profile.
    pub fn origin(&self) -> String {
        format!("{} profile {}", self.path.display(), printable(&self.name))
    }

    /// The mode and whether it was inferred. An explicit `mode` is matched case-insensitively;
    /// a missing or empty one is inferred like aliyun-cli's `AutoModeRecognition`, in its order.
    pub fn mode(&self) -> Result<(Mode, bool)> {
        if let Some(m) = self.string("mode")? {
            // The unknown value is not quoted: a secret pasted into the wrong field must not
            // reach an error; the user has the file in front of them.
            return Mode::parse(m).map(|m| (m, false)).ok_or_else(|| {
                Error::unsupported(
                    self.origin(),
                    format!(
                        "unsupported `mode`; supported modes (case-insensitive): {}",
                        Mode::list()
                    ),
                )
            });
        }
        let has = |k: &str| self.is_set(k);
        let inferred = if has("access_key_id") && has("access_key_secret") {
            if has("sts_token") {
                Mode::StsToken
            } else if has("ram_role_arn") {
                Mode::RamRoleArn
            } else {
                Mode::Ak
            }
        } else if has("private_key") && has("key_pair_name") {
            Mode::RsaKeyPair
        } else if has("ram_role_name") {
            Mode::EcsRamRole
        } else if has("process_command") {
            Mode::External
        } else if has("oidc_provider_arn") && has("oidc_token_file") && has("ram_role_arn") {
            Mode::Oidc
        } else if has("cloud_sso_sign_in_url") {
            Mode::CloudSso
        } else {
            return Err(Error::invalid_config(
                self.origin(),
                format!(
                    "no `mode`, and none can be inferred from the keys present; set `mode` to one \
                     of {}",
                    Mode::list()
                ),
            ));
        };
        Ok((inferred, true))
    }

    /// A string field, trimmed; empty, whitespace-only, non-string and null are `None`.
    pub fn str(&self, key: &str) -> Option<&str> {
        match self.raw.get(key) {
            Some(Value::String(s)) => Some(s.trim()).filter(|s| !s.is_empty()),
            _ => None,
        }
    }

    /// A string field, trimmed, for a value the profile needs: absent, null, empty and
    /// whitespace-only are `Ok(None)`; a number, boolean, array or object is an error naming
    /// the file, the profile and the key (not the value: a number may be a secret) instead of
    /// passing for "missing".
    pub fn string(&self, key: &str) -> Result<Option<&str>> {
        match self.raw.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.trim()).filter(|s| !s.is_empty())),
            Some(other) => Err(Error::invalid_config(
                self.origin(),
                format!(
                    "`{key}` must be a JSON string, not {}: put the value in double quotes",
                    json_type(other)
                ),
            )),
        }
    }

    /// Whether `key` holds a value: a non-blank string or any other non-null JSON value (for
    /// mode inference, so a wrongly typed value reaches [`string`](Self::string)'s error).
    fn is_set(&self, key: &str) -> bool {
        match self.raw.get(key) {
            None | Some(Value::Null) => false,
            Some(Value::String(s)) => !s.trim().is_empty(),
            Some(_) => true,
        }
    }

    /// An integer field: a JSON integer or an integer string. Absent, null and `""` are
    /// `Ok(None)`; anything else is an error naming profile and key (not the value).
    pub fn int(&self, key: &str) -> Result<Option<i64>> {
        let bad = || {
            Error::invalid_config(
                self.origin(),
                format!("`{key}` must be an integer (a JSON number or a string of digits)"),
            )
        };
        match self.raw.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) => n.as_i64().map(Some).ok_or_else(bad),
            Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
            Some(Value::String(s)) => s.trim().parse::<i64>().map(Some).map_err(|_| bad()),
            Some(_) => Err(bad()),
        }
    }

    /// A boolean field: a JSON boolean or a D6 string boolean. Absent, null and `""` are
    /// `Ok(None)` (callers default to false, as D6 does for empty); anything else is an error
    /// naming profile and key.
    pub fn bool(&self, key: &str) -> Result<Option<bool>> {
        let bad =
            |v: &str| Error::invalid_config(self.origin(), format!("`{key}`: {}", bool_error(v)));
        match self.raw.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
            Some(Value::String(s)) => parse_bool(s).map(Some).ok_or_else(|| bad(s)),
            Some(_) => Err(bad("")),
        }
    }

    /// Whether `key` is present at all (even null or empty).
    pub fn has(&self, key: &str) -> bool {
        self.raw.contains_key(key)
    }
}

/// Names and keys only: values are secrets.
impl fmt::Debug for CliProfile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CliProfile")
            .field("name", &self.name)
            .field("index", &self.index)
            .field("keys", &self.raw.keys().collect::<Vec<_>>())
            .finish()
    }
}
