//! The aliyun CLI `config.json` (spec 7.2, 6.13), read side.
//!
//! The file is kept as a `serde_json::Value` rather than a typed struct: aliyun-cli adds fields
//! between releases, and the later write-back (spec 7.3) must preserve every unknown field and the
//! key order (the workspace enables `preserve_order`). Profiles are therefore views over their raw
//! JSON objects with typed accessors that apply the spec's leniency (trimmed strings, integer
//! strings, D6 string booleans, case-insensitive modes).
//!
//! Secrecy: the file holds AccessKey secrets and tokens. `Debug` shows names and keys only, and
//! no error quotes a value or the file's text; even serde_json's message is only used when it is
//! one of its fixed, content-free texts.
//!
//! This file is the file: parsing, profile lookup and `source_profile` chains; one profile's
//! typed, lenient accessors and its authentication [`Mode`] are in `cli_config/profile.rs`.

mod profile;

pub use profile::{CliProfile, Mode};

use super::printable;
use crate::error::{Error, ErrorKind, Result};
use serde_json::Value;
use std::fmt;
use std::path::{Path, PathBuf};

/// A parsed `config.json`.
#[derive(Clone)]
pub struct CliConfig {
    path: PathBuf,
    current: Option<String>,
    profiles: Vec<CliProfile>,
    value: Value,
}

/// serde_json's syntax and EOF messages are fixed texts; only those are passed on, so that a
/// future serde_json message quoting input could never reach an error.
const SERDE_SAFE_MESSAGES: &[&str] = &[
    "EOF while parsing a list",
    "EOF while parsing an object",
    "EOF while parsing a string",
    "EOF while parsing a value",
    "expected `:`",
    "expected `,` or `]`",
    "expected `,` or `}`",
    "expected ident",
    "expected value",
    "expected `\"`",
    "invalid escape",
    "invalid number",
    "number out of range",
    "invalid unicode code point",
    "control character (\\u0000-\\u001F) found while parsing a string",
    "key must be a string",
    "lone leading surrogate in hex escape",
    "trailing comma",
    "trailing characters",
    "unexpected end of hex escape",
    "recursion limit exceeded",
];

fn json_error_message(e: &serde_json::Error) -> String {
    use serde_json::error::Category;
    let full = e.to_string();
    // serde_json appends " at line L column C"; the position is reported separately.
    let head = full
        .rfind(" at line ")
        .map_or(full.as_str(), |i| &full[..i]);
    let detail = SERDE_SAFE_MESSAGES.iter().find(|m| **m == head).copied();
    let base = match e.classify() {
        Category::Eof => "invalid JSON: the file ends too early (truncated?)",
        Category::Syntax => "invalid JSON",
        Category::Data => "invalid JSON data",
        Category::Io => "cannot read the JSON",
    };
    match detail {
        Some(d) => format!("{base}: {d}"),
        None => base.to_owned(),
    }
}

impl CliConfig {
    /// Parses `text`; `path` names the file in errors and origins.
    ///
    /// Invalid JSON is `Error::Syntax` with line and column and never any content; a top level
    /// that is not an object, `profiles` that is not an array, or a profile without a string
    /// `name` is `Error::InvalidConfig` naming the path.
    pub fn parse(text: &str, path: &Path) -> Result<CliConfig> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let value: Value = serde_json::from_str(text).map_err(|e| -> Error {
            ErrorKind::Syntax {
                path: path.to_owned(),
                line: e.line(),
                column: Some(e.column()),
                message: json_error_message(&e),
            }
            .into()
        })?;
        let origin = path.display().to_string();
        let Value::Object(top) = &value else {
            return Err(Error::invalid_config(
                origin,
                "the top level must be a JSON object with `current` and `profiles`",
            ));
        };

        let current = match top.get("current") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.trim()).filter(|s| !s.is_empty()).map(str::to_owned),
            Some(_) => {
                return Err(Error::invalid_config(
                    origin,
                    "`current` must be a string naming a profile",
                ))
            }
        };

        let items: &[Value] = match top.get("profiles") {
            None | Some(Value::Null) => &[],
            Some(Value::Array(items)) => items,
            Some(_) => {
                return Err(Error::invalid_config(
                    origin,
                    "`profiles` must be an array of profile objects",
                ))
            }
        };
        let mut profiles = Vec::with_capacity(items.len());
        for (index, item) in items.iter().enumerate() {
            let Value::Object(raw) = item else {
                return Err(Error::invalid_config(
                    origin,
                    format!("profiles[{index}] is not a JSON object"),
                ));
            };
            let name = match raw.get("name") {
                Some(Value::String(s)) if !s.trim().is_empty() => s.clone(),
                _ => {
                    return Err(Error::invalid_config(
                        origin,
                        format!("profiles[{index}] has no non-empty string `name`"),
                    ))
                }
            };
            profiles.push(CliProfile {
                name,
                index,
                path: path.to_owned(),
                raw: raw.clone(),
            });
        }

        Ok(CliConfig {
            path: path.to_owned(),
            current,
            profiles,
            value,
        })
    }

    /// The file's path, for errors and write-back.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The top-level `current` profile name, trimmed; empty is `None`.
    pub fn current(&self) -> Option<&str> {
        self.current.as_deref()
    }

    /// The profile named exactly `name`; of duplicates the first wins (aliyun-cli behaviour).
    pub fn profile(&self, name: &str) -> Option<&CliProfile> {
        self.profiles.iter().find(|p| p.name == name)
    }

    /// Profiles in file order, duplicates included.
    pub fn profiles(&self) -> impl Iterator<Item = &CliProfile> {
        self.profiles.iter()
    }

    /// The whole parsed document, unknown fields and key order included (for write-back).
    pub fn value(&self) -> &Value {
        &self.value
    }

    /// Things for `doctor` to point out: duplicate profile names.
    pub fn warnings(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (i, p) in self.profiles.iter().enumerate() {
            let first = self.profiles.iter().position(|q| q.name == p.name);
            if first == Some(i) {
                let count = self.profiles.iter().filter(|q| q.name == p.name).count();
                if count > 1 {
                    out.push(format!(
                        "{}: profile {} appears {count} times; the first one (profiles[{i}]) is used",
                        self.path.display(),
                        printable(&p.name)
                    ));
                }
            }
        }
        out
    }

    /// Follows `source_profile` from `name` through `ChainableRamRoleArn` profiles. Returns the
    /// profiles from `name` down to the first one of another mode (the source of the
    /// credentials), so `result.last()` is the base and the others are role hops in reverse.
    ///
    /// No SDK detects cycles (a self-reference recurses forever); here a cycle is an error
    /// naming it, e.g. `a -> b -> a` (D35).
    pub fn source_chain(&self, name: &str) -> Result<Vec<&CliProfile>> {
        let Some(mut profile) = self.profile(name) else {
            return Err(Error::invalid_config(
                self.path.display().to_string(),
                format!("no profile named {}", printable(name)),
            ));
        };
        let mut chain = vec![profile];
        loop {
            let (mode, _) = profile.mode()?;
            if mode != Mode::ChainableRamRoleArn {
                return Ok(chain);
            }
            let Some(source) = profile.string("source_profile")? else {
                return Err(Error::invalid_config(
                    profile.origin(),
                    "mode ChainableRamRoleArn needs `source_profile` naming the profile whose \
                     credentials assume the role",
                ));
            };
            if chain.iter().any(|p| p.name == source) {
                let mut walk: Vec<_> = chain.iter().map(|p| printable(p.name())).collect();
                walk.push(printable(source));
                return Err(Error::invalid_config(
                    chain[0].origin(),
                    format!("`source_profile` forms a cycle: {}", walk.join(" -> ")),
                ));
            }
            let Some(next) = self.profile(source) else {
                return Err(Error::invalid_config(
                    profile.origin(),
                    format!(
                        "`source_profile` names profile {}, which does not exist in this file",
                        printable(source)
                    ),
                ));
            };
            chain.push(next);
            profile = next;
        }
    }
}

/// Names and keys only: values are secrets.
impl fmt::Debug for CliConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CliConfig")
            .field("path", &self.path)
            .field("current", &self.current)
            .field("profiles", &self.profiles)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn parse(text: &str) -> CliConfig {
        CliConfig::parse(text, Path::new("/h/.aliyun/config.json")).expect("parses")
    }

    fn one(profile: &str) -> CliConfig {
        parse(&format!(r#"{{"current": " p ", "profiles": [{profile}]}}"#))
    }

    #[test]
    fn modes_parse_case_insensitively_and_print_canonically() {
        for m in Mode::ALL {
            assert_eq!(Mode::parse(m.as_str()), Some(m));
            assert_eq!(Mode::parse(&m.as_str().to_ascii_lowercase()), Some(m));
            assert_eq!(
                Mode::parse(&format!(" {} ", m.as_str().to_ascii_uppercase())),
                Some(m)
            );
        }
        assert_eq!(Mode::parse("Kerberos"), None);
        assert_eq!(Mode::parse(""), None);
        assert_eq!(Mode::CredentialsUri.as_str(), "CredentialsURI");
        assert_eq!(Mode::list().split(", ").count(), 14);
    }

    #[test]
    fn inference_follows_aliyun_cli_order() {
        let cases = [
            (r#""access_key_id":"a","access_key_secret":"s""#, Mode::Ak),
            (
                r#""access_key_id":"a","access_key_secret":"s","sts_token":"t","ram_role_arn":"r""#,
                Mode::StsToken,
            ),
            (
                r#""access_key_id":"a","access_key_secret":"s","ram_role_arn":"r""#,
                Mode::RamRoleArn,
            ),
            (
                r#""private_key":"k","key_pair_name":"n","ram_role_name":"x""#,
                Mode::RsaKeyPair,
            ),
            (
                r#""ram_role_name":"x","process_command":"c""#,
                Mode::EcsRamRole,
            ),
            (
                r#""access_key_id":"a","process_command":"c""#,
                Mode::External,
            ),
            (
                r#""oidc_provider_arn":"p","oidc_token_file":"f","ram_role_arn":"r""#,
                Mode::Oidc,
            ),
            (r#""cloud_sso_sign_in_url":"u","mode":" ""#, Mode::CloudSso),
        ];
        for (fields, want) in cases {
            let c = one(&format!(r#"{{"name":"p",{fields}}}"#));
            assert_eq!(
                c.profile("p").unwrap().mode().unwrap(),
                (want, true),
                "{fields}"
            );
        }
        let c = one(r#"{"name":"p","access_key_id":"a","oidc_token_file":"f"}"#);
        let err = c.profile("p").unwrap().mode().unwrap_err().to_string();
        assert!(err.contains("profile p") && err.contains("OIDC"), "{err}");
    }

    #[test]
    fn unknown_mode_lists_all_modes_without_quoting_the_value() {
        let c = one(r#"{"name":"p","mode":"SecretLookingValue123"}"#);
        let err = c.profile("p").unwrap().mode().unwrap_err();
        assert!(matches!(err.kind(), ErrorKind::Unsupported { .. }));
        let text = err.to_string();
        for m in Mode::ALL {
            assert!(text.contains(m.as_str()), "{text}");
        }
        assert!(!text.contains("SecretLookingValue123"));
    }

    #[test]
    fn typed_accessors() {
        let c = one(r#"{"name":"p","s":"  v  ","e":"  ","n":null,"num":5,
                "i1":1800,"i2":" 1800 ","i3":"abc","i4":1.5,"i5":"","i6":true,
                "b1":true,"b2":"yes","b3":"OFF","b4":"maybe","b5":1,"b6":""}"#);
        let p = c.profile("p").unwrap();
        assert_eq!(c.current(), Some("p"));
        assert_eq!(p.str("s"), Some("v"));
        assert_eq!(p.str("e"), None);
        assert_eq!(p.str("n"), None);
        assert_eq!(p.str("num"), None);
        assert_eq!(p.str("absent"), None);
        assert!(p.has("n") && p.has("e") && !p.has("absent"));
        assert_eq!(p.int("i1").unwrap(), Some(1800));
        assert_eq!(p.int("i2").unwrap(), Some(1800));
        assert_eq!(p.int("i5").unwrap(), None);
        assert_eq!(p.int("n").unwrap(), None);
        assert_eq!(p.int("absent").unwrap(), None);
        for k in ["i3", "i4", "i6"] {
            let e = p.int(k).unwrap_err().to_string();
            assert!(e.contains("profile p") && e.contains(k), "{e}");
        }
        assert!(!p.int("i3").unwrap_err().to_string().contains("abc"));
        assert_eq!(p.bool("b1").unwrap(), Some(true));
        assert_eq!(p.bool("b2").unwrap(), Some(true));
        assert_eq!(p.bool("b3").unwrap(), Some(false));
        assert_eq!(p.bool("b6").unwrap(), None);
        assert_eq!(p.bool("absent").unwrap(), None);
        for k in ["b4", "b5"] {
            let e = p.bool(k).unwrap_err().to_string();
            assert!(
                e.contains("profile p") && e.contains(k) && e.contains("true"),
                "{e}"
            );
        }
        assert!(!p.bool("b4").unwrap_err().to_string().contains("maybe"));
    }

    #[test]
    fn structure_errors_name_the_path() {
        for text in [
            "[]",
            "\"x\"",
            r#"{"profiles": {}}"#,
            r#"{"profiles": [1]}"#,
            r#"{"profiles": [{"mode":"AK"}]}"#,
            r#"{"profiles": [{"name": 3}]}"#,
            r#"{"profiles": [{"name": " "}]}"#,
            r#"{"current": 1, "profiles": []}"#,
        ] {
            let e = CliConfig::parse(text, Path::new("/h/c.json")).unwrap_err();
            assert!(
                matches!(e.kind(), ErrorKind::InvalidConfig { .. }),
                "{text}: {e:?}"
            );
            assert!(e.to_string().starts_with("/h/c.json: "), "{e}");
        }
        let c = parse("{}");
        assert_eq!(c.current(), None);
        assert_eq!(c.profiles().count(), 0);
    }

    #[test]
    fn json_errors_have_position_and_no_content() {
        let e =
            CliConfig::parse("{\n  \"a\": \"SECRET\" x\n}", Path::new("/h/c.json")).unwrap_err();
        match e.kind() {
            ErrorKind::Syntax {
                line,
                column,
                message,
                ..
            } => {
                assert_eq!((*line, *column), (2, Some(17)));
                assert_eq!(message, "invalid JSON: expected `,` or `}`");
            }
            other => panic!("{other:?}"),
        }
        assert!(!format!("{e} {e:?}").contains("SECRET"));
    }

    #[test]
    fn duplicates_first_wins_and_warn() {
        let c = parse(
            r#"{"profiles":[{"name":"a","x":"1"},{"name":"b"},{"name":"a","x":"2"},{"name":"a"}]}"#,
        );
        assert_eq!(c.profile("a").unwrap().str("x"), Some("1"));
        assert_eq!(c.profile("a").unwrap().index(), 0);
        assert_eq!(c.profiles().count(), 4);
        let w = c.warnings();
        assert_eq!(w.len(), 1);
        assert!(w[0].contains("profile a appears 3 times"), "{w:?}");
    }

    #[test]
    fn debug_shows_no_value() {
        let c =
            one(r#"{"name":"p","access_key_secret":"PLANTED-SECRET","nested":{"t":"PLANTED-2"}}"#);
        let dbg = format!("{c:?} {:?}", c.profile("p").unwrap());
        assert!(
            dbg.contains("access_key_secret") && dbg.contains("\"p\""),
            "{dbg}"
        );
        assert!(!dbg.contains("PLANTED"), "{dbg}");
    }

    proptest! {
        #[test]
        fn never_panics_on_any_text(text in any::<String>()) {
            let _ = CliConfig::parse(&text, Path::new("p"));
        }

        #[test]
        fn never_panics_on_line_soup(text in "[\\[\\]=:#; \\ta-zA-Z\\n]{0,200}") {
            let _ = CliConfig::parse(&text, Path::new("p"));
        }

        #[test]
        fn never_panics_on_json_soup(text in r#"[\[\]{}",:0-9a-z \n\\-]{0,120}"#) {
            if let Ok(c) = CliConfig::parse(&text, Path::new("p")) {
                for p in c.profiles() {
                    let _ = (p.mode(), c.source_chain(p.name()), p.int("x"), p.bool("x"));
                }
                let _ = c.warnings();
            }
        }

        #[test]
        fn source_chain_always_terminates(links in proptest::collection::vec(proptest::option::of(0usize..8), 1..7)) {
            // Profile i is ChainableRamRoleArn with source p<k> (k may not exist) or an AK profile.
            let profiles: Vec<String> = links.iter().enumerate().map(|(i, l)| match l {
                Some(k) => format!(r#"{{"name":"p{i}","mode":"chainableramrolearn","source_profile":"p{k}"}}"#),
                None => format!(r#"{{"name":"p{i}","mode":"AK"}}"#),
            }).collect();
            let c = parse(&format!(r#"{{"profiles":[{}]}}"#, profiles.join(",")));
            for i in 0..links.len() {
                match c.source_chain(&format!("p{i}")) {
                    Ok(chain) => {
                        prop_assert_eq!(chain[0].name(), format!("p{i}"));
                        prop_assert_eq!(chain.last().unwrap().mode().unwrap().0, Mode::Ak);
                        prop_assert!(chain.len() <= links.len());
                    }
                    Err(e) => {
                        let text = e.to_string();
                        prop_assert!(text.contains(" -> ") || text.contains("does not exist"), "{}", text);
                    }
                }
            }
        }
    }
}
