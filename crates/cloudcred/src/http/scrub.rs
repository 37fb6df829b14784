//! The one scrubber of server-provided text (spec 11.3): every `Message`, `Code`, request id,
//! OAuth `error_description` or Huawei `error_msg` passes it before it enters an error, and so
//! before any log line (the library logs errors, never bodies).
//!
//! A server may echo the request: a credentials URI answering 500 with its path and query in the
//! `Message`, a gateway quoting the `Authorization` header, an STS string to sign. The scrubber
//! knows what the request carried (`Scrubber::of_request`, with the `http` feature) and, in
//! this order:
//!
//! 1. cuts the text at "string to sign" (any case): what follows is the canonical request;
//! 2. drops the query (or fragment) of anything URL-like: a `?` or `#` followed by `name=value`;
//! 3. replaces every secret of the request with [`REDACTED`], raw and percent-encoded, and a
//!    secret's beginning or end that the server's own truncation left at the text's edge;
//! 4. turns control characters into spaces (no forged log lines) and caps the text at
//!    [`MAX_SERVICE_TEXT_CHARS`].
//!
//! The secrets of a request are every query, form or JSON body value and every header value
//! except those named in the short lists of public parameters and headers below: a parameter
//! nobody listed (a token in a user's credentials URI, `?sig=`) is secret by default.

use crate::error::{Error, ErrorKind};
use crate::model::REDACTED;
use crate::sign::encoding;
#[cfg(feature = "http")]
use percent_encoding::percent_decode_str;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
#[cfg(feature = "http")]
use serde_json::Value;
use std::fmt;

/// Longest server text kept in an error: enough for any real service message, short enough
/// that a body echoed whole does not flood a log line.
pub const MAX_SERVICE_TEXT_CHARS: usize = 512;

/// Shortest value treated as a secret: replacing shorter values (`JSON`, `1.0`, `3600`) would
/// garble ordinary words and numbers of the message while no credential is that short.
const MIN_SECRET_CHARS: usize = 6;

/// Shortest piece of a header value treated as a secret on its own: the scheme words around a
/// token (`Bearer`, `Access`, `SignedHeaders`) stay readable, tokens and signatures are longer.
#[cfg(feature = "http")]
const MIN_HEADER_PIECE_CHARS: usize = 16;

/// Query, form and JSON parameters whose values are public (the action, the role, the session
/// name, the access key id, timestamps), so messages that quote them stay readable. Compared
/// case-insensitively.
#[cfg(feature = "http")]
const PUBLIC_PARAMETERS: &[&str] = &[
    "action",
    "version",
    "format",
    "signaturemethod",
    "signatureversion",
    "signaturetype",
    "timestamp",
    "regionid",
    "rolearn",
    "rolesessionname",
    "durationseconds",
    "duration_seconds",
    "policy",
    "oidcproviderarn",
    "accesskeyid",
    "publickeyid",
    "grant_type",
    "client_id",
    "accountid",
    "accessconfigurationid",
    "provider_urn",
    "agency_urn",
    "agency_session_name",
    "methods",
];

/// Request headers whose values are public; every other header value is a secret (metadata
/// tokens, `Authorization`, `X-Auth-Token`, security tokens, signatures).
#[cfg(feature = "http")]
const PUBLIC_HEADERS: &[&str] = &[
    "accept",
    "accept-encoding",
    "content-type",
    "content-length",
    "user-agent",
    "host",
    "date",
    "x-acs-version",
    "x-acs-action",
    "x-acs-date",
    "x-acs-signature-nonce",
    "x-acs-credentials-provider",
    "x-sdk-date",
    "x-idp-id",
    "x-aliyun-ecs-metadata-token-ttl-seconds",
    "x-metadata-token-ttl-seconds",
];

/// What one request carried that no server answer may bring back into an error.
#[derive(Clone, Default)]
pub struct Scrubber {
    /// Longest first, so a secret containing another is replaced whole.
    secrets: Vec<String>,
}

impl fmt::Debug for Scrubber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Scrubber")
            .field("secrets", &self.secrets.len())
            .finish()
    }
}

impl Scrubber {
    /// A scrubber that knows no secret yet: it still cuts, drops queries and caps.
    pub fn new() -> Self {
        Self::default()
    }

    /// The secrets of `request`: its query values, URL password, header values and form or
    /// JSON body values, except the public ones.
    #[cfg(feature = "http")]
    #[cfg_attr(docsrs, doc(cfg(feature = "http")))]
    pub fn of_request<B: AsRef<[u8]>>(request: &http::Request<B>) -> Self {
        let mut s = Self::new();
        if let Some(query) = request.uri().query() {
            s.add_pairs(query);
        }
        if let Some(authority) = request.uri().authority() {
            if let Some((userinfo, _)) = authority.as_str().rsplit_once('@') {
                if let Some((_, password)) = userinfo.split_once(':') {
                    s.add(password);
                }
            }
        }
        for (name, value) in request.headers() {
            let name = name.as_str();
            if PUBLIC_HEADERS.contains(&name) {
                continue;
            }
            let Ok(value) = value.to_str() else { continue };
            s.add(value);
            // The credential after a scheme word, whatever its length.
            if let Some((_, credential)) = value.split_once(' ') {
                s.add(credential);
            }
            // `Bearer <token>`, `acs <id>:<signature>`, `SDK-HMAC-SHA256 Access=…, Signature=…`.
            for piece in value.split(|c: char| c.is_whitespace() || ",;=:".contains(c)) {
                if piece.chars().count() >= MIN_HEADER_PIECE_CHARS {
                    s.add(piece);
                }
            }
        }
        let body = request.body().as_ref();
        if let Ok(json) = serde_json::from_slice::<Value>(body) {
            s.add_json(None, &json);
        } else if let Ok(text) = std::str::from_utf8(body) {
            if text.contains('=') {
                s.add_pairs(text);
            }
        }
        s
    }

    /// Every word of `text` (letters, digits and `+/=._-~%` runs) as a secret: for output that
    /// holds secrets in no known shape, such as an External command's stdout.
    pub fn of_words(text: &str) -> Self {
        let mut s = Self::new();
        for word in text.split(|c: char| !(c.is_alphanumeric() || "+/=._-~%".contains(c))) {
            s.add(word);
        }
        s
    }

    /// Adds one secret (and its percent-encoded forms) the request does not show, such as a
    /// key a signature was made with.
    pub fn with_secret(mut self, secret: &str) -> Self {
        self.add(secret);
        self
    }

    fn add(&mut self, secret: &str) {
        let secret = secret.trim();
        if secret.chars().count() < MIN_SECRET_CHARS {
            return;
        }
        for v in [
            secret.to_owned(),
            encoding::encode(secret).into_owned(),
            form_encode(secret),
        ] {
            if !self.secrets.contains(&v) {
                self.secrets.push(v);
            }
        }
        self.secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    }

    /// `a=b&c=d` (a query or a form body): every non-public value, raw and decoded.
    #[cfg(feature = "http")]
    fn add_pairs(&mut self, pairs: &str) {
        for pair in pairs.split('&') {
            let (name, raw) = pair.split_once('=').unwrap_or(("", pair));
            let name = decode(name);
            if is_public(&name) {
                continue;
            }
            self.add(raw);
            self.add(&decode(raw));
        }
    }

    #[cfg(feature = "http")]
    fn add_json(&mut self, key: Option<&str>, v: &Value) {
        match v {
            Value::String(s) if !key.is_some_and(is_public) => self.add(s),
            Value::Array(items) if !key.is_some_and(is_public) => {
                items.iter().for_each(|i| self.add_json(key, i))
            }
            Value::Object(map) => map.iter().for_each(|(k, v)| self.add_json(Some(k), v)),
            _ => {}
        }
    }

    /// `text` (server-provided) fit for an error or a log line.
    pub fn scrub(&self, text: &str) -> String {
        let cut = match text.to_ascii_lowercase().find("string to sign") {
            Some(i) => &text[..i],
            None => text,
        };
        self.redact(&drop_queries(cut.trim_end()))
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .take(MAX_SERVICE_TEXT_CHARS)
            .collect()
    }

    /// Only the secrets of `text` replaced (whole, or cut at its edges): for text that keeps
    /// its lines and length, such as the stderr tail of a command.
    pub fn redact(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for secret in &self.secrets {
            if out.contains(secret.as_str()) {
                out = out.replace(secret.as_str(), REDACTED);
            }
        }
        self.redact_edges(out)
    }

    /// A server that truncates its echo may cut a secret: its remaining start at the end of the
    /// text, or its remaining end at the start, is redacted too.
    fn redact_edges(&self, mut text: String) -> String {
        for secret in &self.secrets {
            let cuts: Vec<usize> = secret
                .char_indices()
                .map(|(i, _)| i)
                .skip(MIN_SECRET_CHARS)
                .collect();
            // Longest first: a shorter match could leave the rest of a longer one shown.
            for &i in cuts.iter().rev() {
                if text.ends_with(&secret[..i]) {
                    text.truncate(text.len() - i);
                    text.push_str(REDACTED);
                    break;
                }
            }
            let tails = secret.char_indices().map(|(i, _)| i).skip(1);
            for i in tails {
                let tail = &secret[i..];
                if tail.chars().count() < MIN_SECRET_CHARS {
                    break;
                }
                if text.starts_with(tail) {
                    text.replace_range(..tail.len(), REDACTED);
                    break;
                }
            }
        }
        text
    }

    /// [`ErrorKind::Upstream`] from a service's answer: its code, message and request id are
    /// scrubbed here, the only place they enter an error.
    pub fn upstream(
        &self,
        provider: impl Into<String>,
        endpoint: impl Into<String>,
        status: u16,
        code: Option<&str>,
        message: Option<&str>,
        request_id: Option<&str>,
    ) -> Error {
        let clean = |t: Option<&str>| t.map(|t| self.scrub(t)).filter(|t| !t.is_empty());
        ErrorKind::Upstream {
            provider: provider.into(),
            endpoint: endpoint.into(),
            status,
            code: clean(code),
            message: clean(message),
            request_id: clean(request_id),
        }
        .into()
    }
}

#[cfg(feature = "http")]
fn is_public(name: &str) -> bool {
    PUBLIC_PARAMETERS
        .iter()
        .any(|p| p.eq_ignore_ascii_case(name.trim()))
}

/// What `application/x-www-form-urlencoded` leaves as is: alphanumerics and `*-._` (WHATWG URL,
/// section 5.2); a space becomes `+`. Written here rather than taken from `url` so that the
/// scrubber, which every build has, does not pull `url` and ICU into a lean build; the tests
/// compare it with `url::form_urlencoded`.
const FORM_KEPT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'*')
    .remove(b'-')
    .remove(b'.')
    .remove(b'_');

/// `s` as a form body or a query would carry it.
fn form_encode(s: &str) -> String {
    utf8_percent_encode(s, FORM_KEPT)
        .to_string()
        .replace("%20", "+")
}

/// The value of one form field (`+` is a space), undecodable bytes replaced.
#[cfg(feature = "http")]
fn decode(s: &str) -> String {
    let field = s.split('&').next().unwrap_or_default().replace('+', " ");
    percent_decode_str(&field).decode_utf8_lossy().into_owned()
}

/// Whether `c` ends a URL in running text.
fn ends_url(c: char) -> bool {
    c.is_whitespace() || "\"'<>()[]{}`".contains(c)
}

/// Replaces the query or fragment of anything URL-like (`?` or `#` followed by a run holding
/// `=`) with [`REDACTED`]; a `?` of a sentence is kept.
fn drop_queries(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find(['?', '#']) {
        let after = &rest[i + 1..];
        let run_end = after.find(ends_url).unwrap_or(after.len());
        // Punctuation closing the sentence is not part of the URL.
        let run = after[..run_end].trim_end_matches(['.', ',', ';', ':', '!']);
        out.push_str(&rest[..=i]);
        if run.contains('=') {
            out.push_str(REDACTED);
            rest = &after[run.len()..];
        } else {
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(feature = "http")]
    fn request() -> http::Request<Vec<u8>> {
        http::Request::post("https://user:proxy-pass-123@h.example.invalid/creds?token=tok%2Bsecret%2F01&Action=AssumeRole&RoleArn=acs:ram::1:role/r")
            .header("authorization", "Bearer bearer-token-0001")
            .header("x-auth-token", "x-auth-token-0001")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(b"grant_type=refresh_token&refresh_token=refresh-0001".to_vec())
            .unwrap()
    }

    const FORM_CASES: [&str; 5] = [
        "plain",
        "a b+c&d=e/f?g#h%i",
        "*-._~!'()",
        "ünïcödé 密钥 🔑",
        "\u{7f}\u{0}\t\n",
    ];

    #[test]
    fn form_encoding_is_url_s() {
        for s in FORM_CASES {
            let form: String = url::form_urlencoded::byte_serialize(s.as_bytes()).collect();
            assert_eq!(form_encode(s), form, "{s:?}");
        }
    }

    #[cfg(feature = "http")]
    #[test]
    fn form_decoding_is_url_s() {
        let encoded = FORM_CASES.map(form_encode);
        let malformed = ["%ZZ+%e4%b8", "%", "a%2", "%FF%FE", "a=b", "a&b"];
        for raw in encoded.iter().map(String::as_str).chain(malformed) {
            let field = format!("x={raw}");
            let (_, parsed) = url::form_urlencoded::parse(field.as_bytes())
                .next()
                .unwrap();
            assert_eq!(decode(raw), parsed, "{raw:?}");
        }
    }

    #[cfg(feature = "http")]
    #[test]
    fn echoes_of_the_request_are_redacted() {
        let s = Scrubber::of_request(&request());
        let echo = "cannot serve GET /creds?token=tok%2Bsecret%2F01 (token tok+secret/01, \
             Authorization: Bearer bearer-token-0001, x-auth-token-0001, refresh-0001, \
             proxy-pass-123) for AssumeRole on acs:ram::1:role/r";
        let out = s.scrub(echo);
        for secret in [
            "tok%2Bsecret",
            "tok+secret/01",
            "bearer-token-0001",
            "x-auth-token-0001",
            "refresh-0001",
            "proxy-pass-123",
        ] {
            assert!(!out.contains(secret), "{secret} in {out}");
        }
        assert!(out.contains("/creds?** redacted **"), "{out}");
        assert!(
            out.contains("for AssumeRole on acs:ram::1:role/r"),
            "public values stay: {out}"
        );
        assert_eq!(s.scrub("Bearer token expired"), "Bearer token expired");
    }

    #[cfg(feature = "http")]
    #[test]
    fn json_bodies_and_truncated_echoes() {
        let req = http::Request::post("http://127.0.0.1/v3/x")
            .body(
                br#"{"auth":{"identity":{"methods":["token"],"token":{"id":"json-token-000001","duration_seconds":900}}}}"#
                    .to_vec(),
            )
            .unwrap();
        let s = Scrubber::of_request(&req);
        assert_eq!(
            s.scrub("bad token json-token-000001"),
            "bad token ** redacted **"
        );
        // The server cut its echo in the middle of the token, at either end.
        assert_eq!(
            s.scrub("bad token json-token-0"),
            "bad token ** redacted **"
        );
        assert_eq!(
            s.scrub("en-000001 was refused"),
            "** redacted ** was refused"
        );
        assert_eq!(s.scrub("methods token"), "methods token");
    }

    #[test]
    fn cuts_string_to_sign_controls_and_caps() {
        let s = Scrubber::new();
        assert_eq!(
            s.scrub("Specified signature is not matched. server string to sign is:POST&%2F&SecurityToken%3Dx"),
            "Specified signature is not matched. server"
        );
        assert_eq!(s.scrub(&"x".repeat(2000)).len(), MAX_SERVICE_TEXT_CHARS);
        assert_eq!(s.scrub("line\nforged: entry"), "line forged: entry");
        assert_eq!(s.scrub("Why? Because."), "Why? Because.");
        assert_eq!(
            s.scrub("see https://h/p?a=1&b=2, then #frag"),
            "see https://h/p?** redacted **, then #frag"
        );
    }
}
