//! Shared pieces of the differential replays (`tests/differential_*.rs`): the vector files of
//! `testdata/differential/vectors/` and the fixed credentials and times their cases were drawn with.

use chrono::{DateTime, Utc};
use cloudcred::{Credentials, ProviderName};
use serde_json::Value;

/// Every vector file holds at least this many cases (the generators draw 320).
pub const MIN_CASES: usize = 300;

/// The credentials of `testdata/differential/common.py`: a secret and token with `+/=`.
pub const ACCESS_KEY_ID: &str = "LTAI5tDiffAccessKeyId01";
pub const ACCESS_KEY_SECRET: &str = "diffSecret+/=0123456789abcdefXYZ";
pub const SECURITY_TOKEN: &str = "CAIS+diff/token==AbCdEf0123456789+/=";

/// `vectors/<algorithm>.json`, checked to be that algorithm's and drawn from `package` at `version`.
pub fn load(algorithm: &str, package: &str, version: &str) -> Value {
    let path = format!(
        "{}/../../testdata/differential/vectors/{algorithm}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let doc: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
    assert_eq!(doc["algorithm"], algorithm, "{path}");
    assert_eq!(doc["packages"][package], version, "{path}");
    doc
}

/// The case's credentials: an STS triple when it was signed with a token, else an AccessKey pair.
pub fn creds(case: &Value) -> Credentials {
    let name = ProviderName::new("differential");
    if case["token"].as_bool().unwrap() {
        Credentials::sts(ACCESS_KEY_ID, ACCESS_KEY_SECRET, SECURITY_TOKEN, None, name)
    } else {
        Credentials::access_key(ACCESS_KEY_ID, ACCESS_KEY_SECRET, name)
    }
}

/// The case's signing time (whole seconds since the epoch).
pub fn time(case: &Value) -> DateTime<Utc> {
    DateTime::from_timestamp(case["time"].as_i64().unwrap(), 0).unwrap()
}

/// A string field of a case, naming the case when it is missing.
pub fn s<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key]
        .as_str()
        .unwrap_or_else(|| panic!("missing string `{key}` in {}", v["id"]))
}
