//! The fuzz targets' properties as proptests, on stable and in CI (`fuzz/` needs nightly flags
//! and libFuzzer), through the same entry points (`cloudcred_fuzzing`), plus a replay of every
//! committed corpus and regression input of the library's targets.
//!
//! Case counts are small: each property runs in well under a second in a debug build; the long
//! runs are the fuzzer's (see fuzz/README.md).

use arbitrary::{Arbitrary, Unstructured};
use cloudcred_fuzzing::{self as fuzzing, SignerCredentials, SignerInput};
use proptest::prelude::*;
use serde_json::{json, Map, Value};
use std::path::{Path, PathBuf};

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

// --- generators ------------------------------------------------------------------------------

/// Short text that often is one of `words`, else anything printable or a control character.
fn text(words: &'static [&'static str]) -> impl Strategy<Value = String> {
    prop_oneof![
        3 => proptest::sample::select(words).prop_map(str::to_owned),
        1 => "[ -~]{0,12}",
        1 => any::<String>().prop_map(|s| s.chars().take(12).collect()),
    ]
}

/// A JSON value of the shapes credential services answer with: objects keyed by `keys`, string,
/// number, boolean and null leaves, nested up to three levels.
fn json_value(keys: &'static [&'static str]) -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        text(TIMES_AND_WORDS).prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<bool>().prop_map(Value::from),
        Just(Value::Null),
    ];
    leaf.prop_recursive(3, 24, 6, move |inner| {
        prop_oneof![
            proptest::collection::vec((proptest::sample::select(keys), inner.clone()), 0..6)
                .prop_map(|pairs| {
                    Value::Object(
                        pairs
                            .into_iter()
                            .map(|(k, v)| (k.to_owned(), v))
                            .collect::<Map<_, _>>(),
                    )
                }),
            proptest::collection::vec(inner, 0..3).prop_map(Value::Array),
        ]
    })
}

const TIMES_AND_WORDS: &[&str] = &[
    "2030-01-01T00:00:00Z",
    "2019-12-31T23:59:59Z",
    "2030-01-01T08:00:00.123456+08:00",
    "1893456000",
    "Success",
    "Failed",
    "",
    " ",
    "fake-secret-value",
    "STS.FAKE",
    "string to sign is: x",
];

const ALIBABA_KEYS: &[&str] = &[
    "Credentials",
    "CloudCredential",
    "SessionAccessKey",
    "AccessKeyId",
    "AccessKeySecret",
    "SecurityToken",
    "Expiration",
    "SessionAccessKeyId",
    "SessionAccessKeySecret",
    "Code",
    "Message",
    "RequestId",
    "access_token",
    "refresh_token",
    "expires_in",
    "accessKeyId",
    "accessKeySecret",
    "securityToken",
    "expiration",
    "error",
    "error_description",
    "requestId",
];

const HUAWEI_KEYS: &[&str] = &[
    "credential",
    "credentials",
    "access",
    "accessKeyId",
    "access_key_id",
    "secret",
    "secretAccessKey",
    "secret_access_key",
    "securitytoken",
    "securityToken",
    "security_token",
    "expires_at",
    "expiration",
    "error",
    "code",
    "message",
    "error_code",
    "error_msg",
];

const PROFILE_KEYS: &[&str] = &[
    "mode",
    "access_key_id",
    "access_key_secret",
    "sts_token",
    "ram_role_arn",
    "ram_session_name",
    "source_profile",
    "ram_role_name",
    "private_key",
    "key_pair_name",
    "process_command",
    "oidc_provider_arn",
    "oidc_token_file",
    "credentials_uri",
    "bearer_token",
    "cloud_sso_sign_in_url",
    "cloud_sso_account_id",
    "cloud_sso_access_config",
    "access_token",
    "cloud_sso_access_token_expire",
    "oauth_site_type",
    "oauth_access_token",
    "oauth_refresh_token",
    "expired_seconds",
    "enable_vpc",
    "sts_region",
];

const MODES: &[&str] = &[
    "AK",
    "StsToken",
    "RamRoleArn",
    "ChainableRamRoleArn",
    "EcsRamRole",
    "RamRoleArnWithRoleName",
    "OIDC",
    "RsaKeyPair",
    "CredentialsURI",
    "External",
    "BearerToken",
    "CloudSSO",
    "OAuth",
    "Anonymous",
    "ak",
    "nonsense",
];

const NAMES: &[&str] = &["default", "a", "b", "c", ""];

/// A `config.json` whose profiles name each other, so that chains (and cycles) occur.
fn cli_config_text() -> impl Strategy<Value = String> {
    let field = prop_oneof![
        text(MODES).prop_map(Value::from),
        text(NAMES).prop_map(Value::from),
        text(TIMES_AND_WORDS).prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<bool>().prop_map(Value::from),
        Just(Value::Null),
    ];
    let profile = (
        text(NAMES),
        proptest::collection::vec((proptest::sample::select(PROFILE_KEYS), field), 0..8),
    )
        .prop_map(|(name, fields)| {
            let mut p = Map::new();
            p.insert("name".into(), name.into());
            for (k, v) in fields {
                p.insert(k.into(), v);
            }
            Value::Object(p)
        });
    (
        text(NAMES),
        proptest::collection::vec(profile, 0..5),
        any::<bool>(),
    )
        .prop_map(|(current, profiles, pretty)| {
            let doc = json!({"current": current, "profiles": profiles, "meta_path": "x"});
            if pretty {
                serde_json::to_string_pretty(&doc).unwrap()
            } else {
                doc.to_string()
            }
        })
}

/// A header, a key-value line (maybe without separator), a comment or a BOM.
const INI_LINE: &str = concat!(
    r"\[[a-zA-Z \]]{0,6}\]?",
    r#"|[a-zA-Z_ ]{0,6}[=:]?[ a-z#;'"\r]{0,8}"#,
    r"|[#;].{0,4}",
    "|\u{feff}",
);

const HUAWEI_LINE: &str = concat!(
    r"\[(basic|global|x)\]|#.{0,4}",
    r"|(ak|sk|security_token|project_id|domain_id|idp_id|id_token_file|iam_endpoint)",
    r" ?= ?[a-z0-9:/.]{0,10}",
);

/// Up to `max + 1` lines of the regex `line`, `\n` or `\r\n` separated.
fn lines(line: &str, max: usize) -> impl Strategy<Value = String> {
    proptest::string::string_regex(&format!("({line})(\r?\n({line})){{0,{max}}}"))
        .expect("a valid regex")
}

fn with_prefix(prefix: Vec<u8>, body: &[u8]) -> Vec<u8> {
    let mut out = prefix;
    out.extend_from_slice(body);
    out
}

fn signer_credentials() -> impl Strategy<Value = SignerCredentials> {
    let s = || text(&["fake-key", "ak", "secret with spaces", "sk\u{e9}", ""]);
    prop_oneof![
        (s(), s()).prop_map(|(id, secret)| SignerCredentials::AccessKey { id, secret }),
        (s(), s(), s()).prop_map(|(id, secret, token)| SignerCredentials::Sts {
            id,
            secret,
            token
        }),
        (
            s(),
            proptest::option::of(text(&["x-acs-bearer-token", "bad name"]))
        )
            .prop_map(|(token, header)| SignerCredentials::Bearer { token, header }),
        Just(SignerCredentials::Anonymous),
    ]
}

fn signer_input() -> impl Strategy<Value = SignerInput> {
    let header = (
        text(&[
            "content-type",
            "x-oss-meta-a",
            "x-acs-action",
            "Host",
            "date",
            "x-obs-date",
        ]),
        text(&["text/plain", "application/json", " v ", "2024-01-02"]),
    );
    (
        (
            text(&["GET", "PUT", "POST", "DELETE", "PATCH"]),
            text(&["bucket.oss-cn-hangzhou.example.invalid", "h:8080", "h"]),
            text(&["/", "/dir/a%20b.txt", "/bucket/key", "/a+b~c", ""]),
            proptest::option::of(text(&[
                "acl",
                "Action=X&Version=1",
                "a=%2F&b",
                "uploadId=1&partNumber=2",
                "",
            ])),
            proptest::collection::vec(header, 0..4),
            proptest::collection::vec(any::<u8>(), 0..16),
        ),
        (
            signer_credentials(),
            prop_oneof![0i64..4_102_444_800, any::<i64>()],
            prop_oneof![0u64..604_800, any::<u64>()],
            text(&["nonce", ""]),
            text(&["cn-hangzhou", "cb-f8z7yvzgwfkl9q0h", ""]),
            proptest::option::of(text(&["bucket", "b"])),
            any::<bool>(),
            proptest::collection::vec(
                (
                    text(&["resourceGroup", "x-oss-meta-a", "acl"]),
                    text(&["", "v"]),
                ),
                0..3,
            ),
        ),
    )
        .prop_map(
            |(
                (method, host, path, query, headers, body),
                (credentials, time, expires, nonce, region, bucket, path_style, extra),
            )| SignerInput {
                method,
                host,
                path,
                query,
                headers,
                body,
                credentials,
                time,
                expires,
                nonce,
                region,
                bucket,
                path_style,
                extra,
                // RSA signing in a debug build is slow; the fuzz runs cover it.
                rsa: false,
            },
        )
}

// --- properties ------------------------------------------------------------------------------

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn ini_any_text(text in any::<String>()) {
        fuzzing::ini(text.as_bytes());
    }

    #[test]
    fn ini_line_soup(text in lines(INI_LINE, 8)) {
        fuzzing::ini(text.as_bytes());
    }

    #[test]
    fn huawei_credentials_file(text in lines(HUAWEI_LINE, 6)) {
        fuzzing::huawei_responses(&with_prefix(vec![3], text.as_bytes()));
    }
}

proptest! {
    #![proptest_config(config(128))]

    #[test]
    fn cli_config_documents(text in cli_config_text()) {
        fuzzing::cli_config(text.as_bytes());
    }

    #[test]
    fn cli_config_any_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
        fuzzing::cli_config(&bytes);
    }

    #[test]
    fn alibaba_answers(selector in 0u8..8, status in 0u8..8, body in json_value(ALIBABA_KEYS)) {
        let body = serde_json::to_vec(&body).unwrap();
        fuzzing::alibaba_responses(&with_prefix(vec![selector, status], &body));
    }

    #[test]
    fn huawei_answers(selector in 0u8..3, status in 0u8..8, body in json_value(HUAWEI_KEYS)) {
        let body = serde_json::to_vec(&body).unwrap();
        let prefix = if selector == 1 { vec![1, status] } else { vec![selector] };
        fuzzing::huawei_responses(&with_prefix(prefix, &body));
    }

    #[test]
    fn responses_any_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
        fuzzing::alibaba_responses(&bytes);
        fuzzing::huawei_responses(&bytes);
    }
}

proptest! {
    #![proptest_config(config(48))]

    #[test]
    fn signers(input in signer_input()) {
        fuzzing::signers(&input);
    }
}

// --- corpus replay ---------------------------------------------------------------------------

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz")
}

/// Every file of `fuzz/corpus/<target>` and `fuzz/regressions/<target>`, with its path.
fn inputs(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    for dir in ["corpus", "regressions"] {
        let Ok(entries) = std::fs::read_dir(fuzz_dir().join(dir).join(target)) else {
            continue;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_file() {
                let bytes = std::fs::read(&path).unwrap();
                out.push((path, bytes));
            }
        }
    }
    out.sort();
    out
}

fn replay(target: &str, run: impl Fn(&[u8])) {
    let inputs = inputs(target);
    assert!(!inputs.is_empty(), "no committed corpus for {target}");
    for (path, bytes) in &inputs {
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run(bytes)));
        assert!(result.is_ok(), "{target}: {} fails", path.display());
    }
}

#[test]
fn replay_ini_corpus() {
    replay("ini", fuzzing::ini);
}

#[test]
fn replay_cli_config_corpus() {
    replay("cli_config", fuzzing::cli_config);
}

#[test]
fn replay_alibaba_responses_corpus() {
    replay("alibaba_responses", fuzzing::alibaba_responses);
}

#[test]
fn replay_huawei_responses_corpus() {
    replay("huawei_responses", fuzzing::huawei_responses);
}

/// Decoded as libFuzzer's typed `fuzz_target!` decodes: `arbitrary_take_rest` on the bytes.
#[test]
fn replay_signers_corpus() {
    replay("signers", |bytes| {
        if let Ok(input) = SignerInput::arbitrary_take_rest(Unstructured::new(bytes)) {
            fuzzing::signers(&input);
        }
    });
}
