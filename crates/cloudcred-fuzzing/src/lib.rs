//! Test-only entry points of the fuzz targets (`fuzz/`) and of their proptest twins
//! (`tests/fuzz_props.rs`): a dev-only crate of the workspace, never published, that reaches the
//! library through its public API only.
//!
//! Each function takes raw input, runs the parsers (or signers) the providers run on such input
//! and panics when a property is broken; an ordinary error is not a failure. The properties live
//! here, in one place, so that the fuzzer, the proptests and the corpus replay all
//! check the same thing:
//!
//! - nothing panics, whatever the input;
//! - secrets never shape a message: the same input with every secret masked gives the same
//!   errors and the same `Debug` output (the differential form of "no secret in errors");
//! - the round trips a format has hold (INI render and re-parse, config.json write-back).

use chrono::{TimeZone, Utc};
use cloudcred::alibaba::credential_document::{self, CodeRule};
use cloudcred::alibaba::{cli_profile, oauth, rsa_key_pair, sts};
use cloudcred::context::{Clock, MapEnv};
use cloudcred::format::cli_config::CliConfig;
use cloudcred::format::cli_config_write;
use cloudcred::format::ini::IniFile;
use cloudcred::http::Response;
use cloudcred::huawei::profile::ProfileProvider;
use cloudcred::huawei::{federation, response, CredentialType};
use cloudcred::model::{Credentials, ProviderName};
use cloudcred::sign::{self, Addressing, ObsMode, TablestoreVersion};
use cloudcred::{Context, ErrorKind};
use serde_json::{Map, Value};
use std::fmt::{Debug, Write as _};
use std::path::Path;
use std::sync::OnceLock;
use std::time::Duration;

/// Every fuzz context: no process environment, a home nobody has, and a clock stopped at
/// 2020-01-01 so that the fixtures' expirations lie in the future.
fn ctx() -> &'static Context {
    static CTX: OnceLock<Context> = OnceLock::new();
    CTX.get_or_init(|| {
        let start = Utc.with_ymd_and_hms(2020, 1, 1, 0, 0, 0).unwrap();
        Context::from_env(MapEnv::from([("HOME", "/nonexistent/fuzz-home")]))
            .with_clock(Clock::manual(start).0)
    })
}

/// The secret with each ASCII letter and digit replaced: same length, same whitespace, same
/// punctuation, so every check a parser makes on its shape (empty, trimmed, quoted, valid header
/// value) comes out the same, and only a leak of its content can tell the two apart.
fn mask(secret: &str) -> String {
    secret
        .chars()
        .map(|c| match c {
            'Z' => 'Y',
            c if c.is_ascii_alphanumeric() => 'Z',
            c => c,
        })
        .collect()
}

/// `value` with every string under a key of `secret_keys` (at any depth) masked.
fn mask_json(value: &Value, secret_keys: &[&str]) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let v = match v {
                        Value::String(s) if secret_keys.contains(&k.as_str()) => {
                            Value::String(mask(s))
                        }
                        v => mask_json(v, secret_keys),
                    };
                    (k.clone(), v)
                })
                .collect(),
        ),
        Value::Array(items) => {
            Value::Array(items.iter().map(|v| mask_json(v, secret_keys)).collect())
        }
        v => v.clone(),
    }
}

/// What a result may show: its `Debug` (credentials redact their secrets) or the error's text.
fn shown<T: Debug>(result: &cloudcred::Result<T>) -> String {
    match result {
        Ok(v) => format!("ok {v:?}"),
        Err(e) => format!("error {e} / {e:?}"),
    }
}

/// Runs `parse` on `data`; when `data` is JSON, also on its re-serialisation and on that with
/// the `secret_keys` masked, which must show the same.
fn secrets_never_shown(data: &[u8], secret_keys: &[&str], parse: impl Fn(&[u8]) -> String) {
    let _ = parse(data);
    let Ok(json) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    let plain = serde_json::to_vec(&json).expect("a JSON value serialises");
    let masked = serde_json::to_vec(&mask_json(&json, secret_keys)).expect("serialises");
    assert_eq!(parse(&plain), parse(&masked), "a secret shaped the output");
}

// --- INI -------------------------------------------------------------------------------------

/// The INI dialect: never panics; a parsed file rendered back (`[name]`, `key=value`, CRLF)
/// parses to the same sections, keys and values; the outcome (and an error's text) depends
/// only on the punctuation, never on the letters and digits of names or values.
pub fn ini(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let path = Path::new("/fuzz/credentials");
    let parsed = IniFile::parse(text, path);
    let masked = IniFile::parse(&mask(text), path);
    let file = match (parsed, masked) {
        (Ok(file), Ok(_)) => file,
        (Err(a), Err(b)) => {
            assert_eq!(a.to_string(), b.to_string(), "an INI error shows content");
            return;
        }
        (a, b) => panic!(
            "masking changed the outcome: {:?} / {:?}",
            a.is_ok(),
            b.is_ok()
        ),
    };
    for warning in file.warnings() {
        let _ = warning.to_string();
    }
    let rendered = render_ini(&file);
    let again = IniFile::parse(&rendered, path).expect("a rendered INI file parses");
    assert_eq!(ini_content(&file), ini_content(&again), "INI round trip");
    // Debug shows names and keys only.
    assert_eq!(
        format!("{:?}", IniFile::parse(&render_ini_with(&file, mask), path)),
        format!("{:?}", IniFile::parse(&rendered, path)),
        "INI Debug shows a value"
    );
}

/// `\r\n` line ends: a value may itself end in `\r`, which a bare `\n` would let the parser strip.
fn render_ini(file: &IniFile) -> String {
    render_ini_with(file, str::to_owned)
}

fn render_ini_with(file: &IniFile, value: impl Fn(&str) -> String) -> String {
    let mut out = String::new();
    for section in file.sections() {
        let _ = write!(out, "[{}]\r\n", section.name());
        for key in section.keys() {
            let v = section.get(key).expect("a listed key has a value");
            let _ = write!(out, "{key}={}\r\n", value(v));
        }
    }
    out
}

type IniContent<'a> = Vec<(&'a str, Vec<(&'a str, &'a str)>)>;

fn ini_content(file: &IniFile) -> IniContent<'_> {
    file.sections()
        .map(|s| {
            let entries = s
                .keys()
                .map(|k| (k, s.get(k).unwrap_or_default()))
                .collect();
            (s.name(), entries)
        })
        .collect()
}

// --- config.json -------------------------------------------------------------------------

/// The fields of a profile that hold secrets.
const CLI_SECRETS: &[&str] = &[
    "access_key_secret",
    "sts_token",
    "bearer_token",
    "access_token",
    "oauth_access_token",
    "oauth_refresh_token",
];

/// What write-back sets: STS credentials and OAuth tokens (as the External and OAuth providers).
fn write_back_updates() -> Vec<(&'static str, Value)> {
    vec![
        ("access_key_id", Value::from("STS.FUZZWRITEBACK")),
        ("access_key_secret", Value::from("fuzz-written-secret")),
        ("sts_token", Value::from("fuzz-written-token")),
        ("sts_expiration", Value::from(1_900_000_000_i64)),
        ("oauth_access_token_expire", Value::from(1_900_000_000_i64)),
    ]
}

/// The aliyun CLI `config.json`: parsing, every profile's mode and source chain and the
/// provider spec it resolves to never panic nor show a secret; the write-back merge into each
/// profile keeps the file parseable, sets exactly the given fields, leaves every other profile
/// untouched and is idempotent.
pub fn cli_config(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    secrets_never_shown(data, CLI_SECRETS, |bytes| {
        let text = std::str::from_utf8(bytes).expect("JSON text is UTF-8");
        resolve_every_profile(text)
    });
    if let Ok(config) = CliConfig::parse(text, Path::new("/fuzz/config.json")) {
        let _ = config.warnings();
        check_write_back(text, &config);
    }
}

fn resolve_every_profile(text: &str) -> String {
    let config = match CliConfig::parse(text, Path::new("/fuzz/config.json")) {
        Ok(c) => c,
        Err(e) => return format!("error {e} / {e:?}"),
    };
    let mut out = format!("{config:?} current {:?}\n", config.current());
    for p in config.profiles() {
        let mode = p.mode().map(|(m, inferred)| (m.as_str(), inferred));
        let chain = config
            .source_chain(p.name())
            .map(|c| c.iter().map(|p| p.name()).collect::<Vec<_>>());
        let spec = cli_profile::spec_for(ctx(), &config, p.name());
        // What the OAuth provider decides from the stored tokens before any request.
        let now = ctx().clock().now().timestamp();
        let _ = oauth::tokens::Tokens::from_profile(p.raw()).needs_refresh(now);
        let _ = writeln!(out, "{}", shown(&mode));
        let _ = writeln!(out, "{}", shown(&chain));
        let _ = writeln!(out, "{}", shown(&spec));
    }
    out
}

fn check_write_back(text: &str, config: &CliConfig) {
    let updates = write_back_updates();
    for target in config.profiles() {
        if config.profile(target.name()).map(|p| p.index()) != Some(target.index()) {
            continue; // a duplicate name: write-back goes to the first one
        }
        let mut root = cli_config_write::Document::parse(text).expect("parsed once already");
        let changed = cli_config_write::merge(&mut root, target.name(), &updates)
            .expect("a parsed profile is found by its name");
        let bytes = cli_config_write::serialize(&root).expect("a JSON value serialises");
        let text = std::str::from_utf8(&bytes).expect("serde_json writes UTF-8");
        let after = CliConfig::parse(text, config.path()).expect("written config parses");
        let written = after
            .profile(target.name())
            .expect("the profile is still there");
        for (key, value) in &updates {
            assert_eq!(written.raw().get(*key), Some(value), "write-back set {key}");
        }
        let before_keys: Vec<_> = target.raw().keys().collect();
        let after_keys: Vec<_> = written.raw().keys().take(before_keys.len()).collect();
        assert_eq!(before_keys, after_keys, "write-back keeps the key order");
        for (key, value) in target.raw() {
            if !updates.iter().any(|(k, _)| k == key) {
                assert_eq!(written.raw().get(key), Some(value), "write-back kept {key}");
            }
        }
        assert_eq!(changed, !is_subset(&updates, target.raw()));
        for (a, b) in config.profiles().zip(after.profiles()) {
            if a.index() != target.index() {
                assert_eq!(a.raw(), b.raw(), "write-back left other profiles alone");
            }
        }
        assert_eq!(after.profiles().count(), config.profiles().count());
        let mut again = root.clone();
        assert_eq!(
            cli_config_write::merge(&mut again, target.name(), &updates),
            Some(false),
            "a second write-back of the same values changes nothing"
        );
    }
}

fn is_subset(updates: &[(&str, Value)], raw: &Map<String, Value>) -> bool {
    updates.iter().all(|(k, v)| raw.get(*k) == Some(v))
}

// --- Alibaba responses -----------------------------------------------------------------------

const ALIBABA_SECRETS: &[&str] = &[
    "AccessKeySecret",
    "SecurityToken",
    "SessionAccessKeySecret",
    "accessKeySecret",
    "securityToken",
    "access_token",
    "refresh_token",
];

/// The statuses a selector byte picks from: success, the client and server errors the
/// providers treat specially, and a 2xx that is not 200.
const STATUSES: [u16; 8] = [200, 400, 401, 403, 404, 500, 503, 204];

/// Alibaba credential services' answers. `data[0]` selects the parser, `data[1]` the HTTP status
/// (of `STATUSES`), the rest is the body:
///
/// 0. STS AssumeRole / AssumeRoleWithOIDC (`Credentials`);
/// 1. GenerateSessionAccessKey;
/// 2. ECS metadata credentials document (`Code` required);
/// 3. credentials URI document (`Code` checked if present);
/// 4. CloudSSO (`CloudCredential`);
/// 5. OAuth token;
/// 6. OAuth exchange;
/// 7. an OAuth error answer.
pub fn alibaba_responses(data: &[u8]) {
    let [selector, status, body @ ..] = data else {
        return;
    };
    let status = STATUSES[usize::from(*status) % STATUSES.len()];
    let selector = *selector % 8;
    secrets_never_shown(body, ALIBABA_SECRETS, |body| {
        alibaba_answer(selector, status, body)
    });
}

fn alibaba_answer(selector: u8, status: u16, body: &[u8]) -> String {
    let ctx = ctx();
    let name = ProviderName::new("fuzz");
    let origin = "fuzz origin";
    let response = Response::new(status, http::HeaderMap::new(), body.to_vec());
    let scrubber = cloudcred::http::Scrubber::new();
    let answer = || {
        sts::json_answer(
            &response,
            &scrubber,
            origin.to_owned(),
            "endpoint".to_owned(),
        )
    };
    match selector {
        0 | 4 => {
            let object = if selector == 0 {
                "Credentials"
            } else {
                "CloudCredential"
            };
            let creds =
                answer().and_then(|json| sts::sts_credentials(ctx, &json, object, origin, name));
            shown(&creds)
        }
        1 => shown(
            &answer().and_then(|json| rsa_key_pair::session_access_key(ctx, &json, origin, name)),
        ),
        2 | 3 => {
            let rule = if selector == 2 {
                CodeRule::Required
            } else {
                CodeRule::IfPresent
            };
            shown(&credential_document::parse(
                ctx, &response, &scrubber, rule, origin, "endpoint", name,
            ))
        }
        5 | 6 => {
            // As `OAuthSource::post`: a 2xx JSON object, anything else is refused before parsing.
            let Some(json) = serde_json::from_slice::<Value>(body)
                .ok()
                .filter(Value::is_object)
            else {
                return "not an object".to_owned();
            };
            if selector == 5 {
                let now = ctx.clock().now().timestamp();
                format!("{:?}", oauth::wire::token_answer(&json, now))
            } else {
                let incomplete = |message: String| {
                    cloudcred::Error::from(ErrorKind::Transport {
                        provider: origin.to_owned(),
                        endpoint: "exchange".to_owned(),
                        message,
                    })
                };
                match oauth::wire::exchange_answer(ctx, &json, origin, name, incomplete) {
                    Ok(creds) => format!("ok {creds:?}"),
                    Err(e) => format!("error {e} / {e:?}"),
                }
            }
        }
        _ => {
            let e = oauth::wire::upstream_error(
                &scrubber,
                origin.to_owned(),
                "endpoint".to_owned(),
                status,
                body,
            );
            format!("{e} / {e:?}")
        }
    }
}

// --- Huawei responses ------------------------------------------------------------------------

const HUAWEI_SECRETS: &[&str] = &[
    "secret",
    "secretAccessKey",
    "secret_access_key",
    "securitytoken",
    "securityToken",
    "security_token",
];

/// Huawei credential services' answers and the Huawei credentials file. `data[0]` selects, the
/// rest is the input:
///
/// 0. the shared credential shape (metadata `securitykey`, OIDC STS, pod identity, temporary keys);
/// 1. an error answer (`data[1]` picks the status of `STATUSES`);
/// 2. the federation token header of an id-token answer;
/// 3. `~/.huaweicloud/credentials` as `[basic]` and `[global]`.
pub fn huawei_responses(data: &[u8]) {
    let [selector, rest @ ..] = data else {
        return;
    };
    match selector % 4 {
        0 => secrets_never_shown(rest, HUAWEI_SECRETS, |body| {
            let creds = response::parse_credentials(
                ctx(),
                body,
                "fuzz origin",
                "endpoint",
                ProviderName::new("fuzz"),
            );
            shown(&creds)
        }),
        1 => {
            let [status, body @ ..] = rest else {
                return;
            };
            let response = Response::new(
                STATUSES[usize::from(*status) % STATUSES.len()],
                http::HeaderMap::new(),
                body.to_vec(),
            );
            let scrubber = cloudcred::http::Scrubber::new();
            let _ = response::upstream_error(&response, &scrubber, "fuzz origin", "endpoint")
                .to_string();
        }
        2 => {
            let mut headers = http::HeaderMap::new();
            if let Ok(value) = http::HeaderValue::from_bytes(rest) {
                headers.insert("x-subject-token", value);
            }
            if let Some(token) = federation::subject_token(&headers) {
                let token = token.expose();
                assert!(!token.is_empty() && token.trim() == token);
            }
        }
        _ => {
            let Ok(text) = std::str::from_utf8(rest) else {
                return;
            };
            for kind in [CredentialType::Basic, CredentialType::Global] {
                let show = |text: &str| {
                    let provider = ProfileProvider::new(ctx(), kind);
                    let inner = provider.configure(text, Path::new("/fuzz/hw-credentials"));
                    shown(&inner)
                };
                assert_eq!(
                    show(text),
                    show(&mask_ini_secrets(text)),
                    "a value was shown"
                );
            }
        }
    }
}

/// `text` with the letters and digits of the secret values (`sk`, `security_token`) masked;
/// names, other keys and the line structure stay.
fn mask_ini_secrets(text: &str) -> String {
    text.split('\n')
        .map(|line| match line.find(['=', ':']) {
            Some(i)
                if !line.trim_start().starts_with('[')
                    && ["sk", "security_token"]
                        .contains(&line[..i].trim().to_ascii_lowercase().as_str()) =>
            {
                format!("{}{}", &line[..=i], mask(&line[i + 1..]))
            }
            _ => line.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

// --- Signers ---------------------------------------------------------------------------------

/// The credentials a signer gets.
#[derive(Debug, Clone, arbitrary::Arbitrary)]
pub enum SignerCredentials {
    AccessKey {
        id: String,
        secret: String,
    },
    Sts {
        id: String,
        secret: String,
        token: String,
    },
    Bearer {
        token: String,
        header: Option<String>,
    },
    Anonymous,
}

/// One request and everything the signers take besides it.
#[derive(Debug, Clone, arbitrary::Arbitrary)]
pub struct SignerInput {
    pub method: String,
    pub host: String,
    pub path: String,
    pub query: Option<String>,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub credentials: SignerCredentials,
    /// Signing time, seconds since the epoch.
    pub time: i64,
    /// Presigned URL lifetime, seconds.
    pub expires: u64,
    pub nonce: String,
    pub region: String,
    pub bucket: Option<String>,
    pub path_style: bool,
    /// Extra subresources (OSS V1), additional headers (OSS V4), extra canonical-resource
    /// parameters (OBS V2).
    pub extra: Vec<(String, String)>,
    /// Also sign with SHA256withRSA (slow: RSA signing dominates an execution).
    pub rsa: bool,
}

impl SignerCredentials {
    fn build(&self, secret: impl Fn(&str) -> String) -> Credentials {
        let name = ProviderName::new("fuzz");
        match self {
            Self::AccessKey { id, secret: s } => Credentials::access_key(id, secret(s), name),
            Self::Sts {
                id,
                secret: s,
                token,
            } => Credentials::sts(id, secret(s), secret(token), None, name),
            Self::Bearer { token, header } => {
                let c = Credentials::bearer(secret(token), name);
                match header {
                    Some(h) => c.with_bearer_token_header(h),
                    None => c,
                }
            }
            Self::Anonymous => Credentials::anonymous(name),
        }
    }
}

/// Every signer on one request: never panics; deterministic (the same input signs the same);
/// a signed request keeps the caller's URI as its prefix, a presigned URL too; the secret and
/// the token shape no error and no `Debug` output.
pub fn signers(input: &SignerInput) {
    let Some(transcript) = sign_all(input, &input.credentials.build(str::to_owned)) else {
        return;
    };
    let again = sign_all(input, &input.credentials.build(str::to_owned)).expect("same input");
    assert_eq!(transcript.full, again.full, "signing is deterministic");
    let masked = sign_all(input, &input.credentials.build(mask)).expect("same request");
    assert_eq!(
        transcript.shown, masked.shown,
        "a secret shaped an error or Debug"
    );
}

/// What one run of every signer produced: everything (for determinism) and what a user may see
/// (errors and `Debug`, for the secret check).
#[derive(Default)]
struct Transcript {
    full: Vec<String>,
    shown: Vec<String>,
}

impl Transcript {
    /// Signs `req` with `sign` and records the outcome.
    fn sign<T: Debug>(
        &mut self,
        uri: &str,
        mut req: http::Request<Vec<u8>>,
        sign: impl FnOnce(&mut http::Request<Vec<u8>>) -> cloudcred::Result<T>,
    ) {
        let r = sign(&mut req);
        if r.is_ok() {
            assert!(
                req.uri().to_string().starts_with(uri),
                "a signer changed the caller's URI"
            );
        }
        self.full.push(format!(
            "{:?} {:?} {:?}",
            req.uri(),
            req.headers(),
            shown(&r)
        ));
        self.record_shown(&r);
    }

    fn presigned(&mut self, uri: &str, r: cloudcred::Result<sign::Presigned>) {
        if let Ok(p) = &r {
            assert!(
                p.url.starts_with(uri),
                "a presigner changed the caller's URI"
            );
            self.full.push(format!("{} {:?}", p.url, p.details));
        }
        self.record_shown(&r);
    }

    fn record_shown<T: Debug>(&mut self, r: &cloudcred::Result<T>) {
        self.shown.push(shown(r));
    }
}

/// A 1024-bit key made at first use from a fixed seed (no key in the repository; small, as
/// only the canonical string matters here, not the key's strength).
fn rsa_key() -> &'static sign::RsaKey {
    static KEY: OnceLock<sign::RsaKey> = OnceLock::new();
    KEY.get_or_init(|| {
        use rand::SeedableRng;
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let key = rsa::RsaPrivateKey::new(&mut rng, 1024).expect("a key can be generated");
        sign::RsaKey::from_key(key)
    })
}

/// Runs every signer; `None` when the input does not make a request at all.
fn sign_all(input: &SignerInput, creds: &Credentials) -> Option<Transcript> {
    let method = http::Method::from_bytes(input.method.as_bytes()).ok()?;
    let mut uri = format!("https://{}{}", input.host, input.path);
    if let Some(q) = &input.query {
        let _ = write!(uri, "?{q}");
    }
    let parsed: http::Uri = uri.parse().ok()?;
    let uri = parsed.to_string();
    let mut headers = http::HeaderMap::new();
    for (name, value) in &input.headers {
        if let (Ok(n), Ok(v)) = (
            http::HeaderName::from_bytes(name.as_bytes()),
            http::HeaderValue::from_str(value),
        ) {
            headers.append(n, v);
        }
    }
    let time = Utc.timestamp_opt(input.time, 0).single()?;
    let expires = Duration::from_secs(input.expires);
    let request = || {
        let mut req = http::Request::new(input.body.clone());
        *req.method_mut() = method.clone();
        *req.uri_mut() = parsed.clone();
        *req.headers_mut() = headers.clone();
        req
    };
    let bucket = input.bucket.as_deref();
    let addressing = if input.path_style {
        Addressing::PathStyle
    } else {
        Addressing::VirtualHosted
    };
    let extra: Vec<(&str, &str)> = input
        .extra
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let mut t = Transcript::default();

    t.sign(&uri, request(), |req| {
        sign::rpc::sign_request(req, creds, time, &input.nonce)
    });
    t.sign(&uri, request(), |req| {
        sign::rpc::sign_form_request(req, creds, time, &input.nonce)
    });
    t.sign(&uri, request(), |req| {
        sign::rpc::prepare_unsigned(req, time)
    });
    if input.rsa {
        t.sign(&uri, request(), |req| {
            sign::rpc::sign_request_rsa(req, "fuzz-key-id", rsa_key(), time, &input.nonce)
        });
    }
    t.sign(&uri, request(), |req| {
        sign::roa::sign_request(req, creds, time)
    });
    t.sign(&uri, request(), |req| {
        sign::acs3::sign_request(req, creds, time, &input.nonce)
    });
    t.sign(&uri, request(), |req| {
        sign::huawei_apig::sign_request(req, creds, time)
    });

    let v1 = sign::OssV1Signer::new(bucket)
        .with_addressing(addressing)
        .with_extra_subresources(input.extra.iter().map(|(k, _)| k.clone()));
    t.sign(&uri, request(), |req| v1.sign_request(req, creds, time));
    t.presigned(
        &uri,
        v1.presign(&method, &parsed, &headers, creds, time, expires),
    );
    t.record_shown(&v1.canonical_resource(&parsed, &extra));

    for v4 in [
        sign::OssV4Signer::new(&input.region, bucket),
        sign::OssV4Signer::cloudbox(&input.region, bucket),
    ] {
        let v4 = v4
            .with_addressing(addressing)
            .with_additional_headers(input.extra.iter().map(|(k, _)| k.as_str()));
        t.sign(&uri, request(), |req| {
            v4.sign_request_with_details(req, creds, time)
        });
        t.presigned(
            &uri,
            v4.presign(&method, &parsed, &headers, creds, time, expires),
        );
    }

    for version in [
        TablestoreVersion::V2,
        TablestoreVersion::V4 {
            region: input.region.clone(),
        },
    ] {
        let ots = sign::TablestoreSigner::new(bucket.unwrap_or_default(), version);
        t.sign(&uri, request(), |req| ots.sign_request(req, creds, time));
        t.record_shown(&ots.verify_response(&headers, &input.nonce, creds, time));
    }

    for mode in [ObsMode::Native, ObsMode::AwsV2] {
        let obs = sign::ObsSigner::new(mode, bucket).with_addressing(addressing);
        t.sign(&uri, request(), |req| obs.sign_request(req, creds, time));
        t.presigned(
            &uri,
            obs.presign(&method, &parsed, &headers, creds, time, expires),
        );
        t.record_shown(&obs.canonical_resource(&parsed, &extra));
    }
    let obs4 = sign::ObsV4Signer::new(&input.region);
    t.sign(&uri, request(), |req| {
        obs4.sign_request_with_details(req, creds, time)
    });
    t.presigned(
        &uri,
        obs4.presign(&method, &parsed, &headers, creds, time, expires),
    );
    Some(t)
}
