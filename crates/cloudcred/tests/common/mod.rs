//! Shared test scaffolding: a temporary home laid out from the fixtures, and a context whose
//! environment is a map (the process environment is never touched).

#![allow(dead_code)]

// The fake-cloud scaffolding needs the network providers; a lean test run
// (`--no-default-features --features sign`) builds only what the signer tests use.
#[cfg(all(feature = "alibaba", feature = "http"))]
pub mod cloud;
pub mod differential;
#[cfg(all(feature = "alibaba", feature = "http"))]
pub mod fake;
pub mod rsa_keys;
pub mod trace;

use cloudcred::context::MapEnv;
use cloudcred::Context;
use std::path::{Path, PathBuf};

pub fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/fixtures")
}

pub fn fixture(rel: &str) -> String {
    std::fs::read_to_string(fixtures_dir().join(rel)).unwrap()
}

/// A temporary home directory; files are written with the fixture placeholders replaced.
pub struct Home {
    pub dir: tempfile::TempDir,
    pub env: MapEnv,
}

impl Home {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let env = MapEnv::from([
            ("HOME", dir.path().to_str().unwrap()),
            // Never contact a real service from tests: no metadata, and STS on a closed local
            // port unless a test points it at the fake cloud.
            ("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true"),
            ("ALIBABA_CLOUD_STS_ENDPOINT", "http://127.0.0.1:9"),
            ("ALIBABA_CLOUD_ECS_METADATA_ENDPOINT", "http://127.0.0.1:9"),
        ]);
        Self { dir, env }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes `text` at `rel` under the home, replacing `@FIXTURES@` and `@PORT@`.
    pub fn write(&self, rel: &str, text: &str) -> PathBuf {
        let path = self.path().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let text = text
            .replace("@FIXTURES@", fixtures_dir().to_str().unwrap())
            .replace("@PORT@", "9");
        std::fs::write(&path, text).unwrap();
        path
    }

    /// Copies fixture `fixture_rel` to `rel` under the home.
    pub fn install(&self, fixture_rel: &str, rel: &str) -> PathBuf {
        self.write(rel, &fixture(fixture_rel))
    }

    pub fn with_ini(self) -> Self {
        self.install("alibabacloud/credentials", ".alibabacloud/credentials");
        self
    }

    pub fn with_cli_config(self) -> Self {
        self.install("aliyun/config.json", ".aliyun/config.json");
        self
    }

    pub fn set(mut self, name: &str, value: &str) -> Self {
        self.env.set(name, value);
        self
    }

    pub fn ctx(&self) -> Context {
        Context::from_env(self.env.clone())
    }
}

/// Every secret, token and key of the fixtures: none may ever appear in an error, a log line or
/// a `Debug` rendering.
pub fn fixture_secrets() -> Vec<String> {
    let mut out = Vec::new();
    for rel in [
        "alibabacloud/credentials",
        "alibabacloud/credentials.ini",
        "aliyun/config.json",
        "aliyun/config-invalid.json",
    ] {
        for line in fixture(rel).lines() {
            let l = line.trim().trim_end_matches(',');
            for key in [
                "access_key_secret",
                "security_token",
                "bearer_token",
                "sts_token",
                "access_token",
                "oauth_access_token",
                "oauth_refresh_token",
            ] {
                for sep in [" = ", "\": \""] {
                    if let Some(rest) = l
                        .strip_prefix(key)
                        .or_else(|| l.strip_prefix(&format!("\"{key}")))
                    {
                        if let Some(v) = rest.strip_prefix(sep) {
                            let v = v.trim_end_matches('"').trim();
                            if v.len() > 6 {
                                out.push(v.to_owned());
                            }
                        }
                    }
                }
            }
        }
    }
    out.push("FAKE-SECRET-MUST-NOT-APPEAR-IN-ERRORS".to_owned());
    out.sort();
    out.dedup();
    assert!(out.len() > 20, "secret harvest looks wrong: {out:?}");
    out
}

pub fn assert_no_secret(text: &str) {
    for s in fixture_secrets() {
        assert!(!text.contains(&s), "secret {s:?} leaked into: {text}");
    }
}

/// The config.json fields the External write-back owns: the STS set.
pub const STS_OWNED: &[&str] = &[
    "access_key_id",
    "access_key_secret",
    "sts_token",
    "sts_expiration",
];

/// The config.json fields the OAuth write-back owns: the tokens and the STS set.
pub const OAUTH_OWNED: &[&str] = &[
    "oauth_access_token",
    "oauth_access_token_expire",
    "oauth_refresh_token",
    "access_key_id",
    "access_key_secret",
    "sts_token",
    "sts_expiration",
];

/// Profile `name` of a parsed config.json.
pub fn profile<'a>(root: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    root["profiles"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == name)
        .unwrap()
}

/// The write-back check of the fixtures README: only `owned` fields of profile `target` differ;
/// every other value and every key order is unchanged.
pub fn assert_only_owned_changed(
    before: &serde_json::Value,
    after: &serde_json::Value,
    target: &str,
    owned: &[&str],
) {
    assert_only_owned_changed_in(before, after, &[(target, owned)]);
}

/// [`assert_only_owned_changed`] for several written-back profiles, each with its owned fields.
pub fn assert_only_owned_changed_in(
    before: &serde_json::Value,
    after: &serde_json::Value,
    targets: &[(&str, &[&str])],
) {
    let top_keys =
        |v: &serde_json::Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    assert_eq!(top_keys(before), top_keys(after));
    for (k, v) in before.as_object().unwrap() {
        if k != "profiles" {
            assert_eq!(v, &after[k], "top-level {k}");
        }
    }
    let (b, a) = (
        before["profiles"].as_array().unwrap(),
        after["profiles"].as_array().unwrap(),
    );
    assert_eq!(b.len(), a.len());
    for (pb, pa) in b.iter().zip(a) {
        let (pb, pa) = (pb.as_object().unwrap(), pa.as_object().unwrap());
        let Some(&(target, owned)) = targets.iter().find(|(t, _)| pb["name"] == *t) else {
            assert_eq!(pb, pa);
            assert_eq!(pb.keys().collect::<Vec<_>>(), pa.keys().collect::<Vec<_>>());
            continue;
        };
        // Existing keys keep their order; new keys (owned only) come after them.
        let kb: Vec<_> = pb.keys().collect();
        assert_eq!(kb, pa.keys().take(kb.len()).collect::<Vec<_>>());
        for (k, v) in pa {
            if !owned.contains(&k.as_str()) {
                assert_eq!(Some(v), pb.get(k), "{target}.{k} must not change");
            }
        }
    }
}

/// A query as the signers' wire contract wants it (signing.md §1.1): names and values encoded
/// RFC 3986 strict, `name` alone for a parameter without a value, joined with `&`.
pub fn encoded_query<K: AsRef<str>, V: AsRef<str>>(params: &[(K, Option<V>)]) -> String {
    use cloudcred::sign::encoding::encode;
    params
        .iter()
        .map(|(k, v)| match v {
            Some(v) => format!("{}={}", encode(k.as_ref()), encode(v.as_ref())),
            None => encode(k.as_ref()).into_owned(),
        })
        .collect::<Vec<_>>()
        .join("&")
}
