//! Presigned OSS URLs checked by an independent verifier: the test parses the URL the way a
//! server would and recomputes the string to sign straight from signing.md §5.2 and §6.4, with its
//! own percent-encoder and the `hmac`/`sha1`/`sha2` crates, sharing no code with the signers.

use base64::Engine as _;
use chrono::{DateTime, Utc};
use cloudcred::sign::{OssV1Signer, OssV4Signer};
use cloudcred::{Credentials, ProviderName};
use hmac::{Hmac, Mac};
use http::{HeaderMap, HeaderValue, Method, Uri};
use sha2::{Digest, Sha256};
use std::time::Duration;

const ID: &str = "LTAI-independent";
const SECRET: &str = "independent/secret+value=";
const TOKEN: &str = "CAIS+token/with=chars";
const BUCKET: &str = "examplebucket";
// Raw key with a space, `+`, `~`, a sub-directory and non-ASCII text.
const KEY: &str = "dir/a b+c~中.txt";

/// RFC 3986 strict, written independently of the crate: unreserved bytes stay, others `%XX`.
fn pct(s: &str, keep_slash: bool) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b'/' if keep_slash => out.push('/'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fn unpct(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap());
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

fn hmac256(key: &[u8], msg: &str) -> Vec<u8> {
    let mut m = Hmac::<Sha256>::new_from_slice(key).unwrap();
    m.update(msg.as_bytes());
    m.finalize().into_bytes().to_vec()
}

/// The URL's query as decoded pairs, in order.
fn params(url: &str) -> Vec<(String, String)> {
    let q = url.split_once('?').unwrap().1;
    q.split('&')
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (unpct(k), unpct(v))
        })
        .collect()
}

fn get<'a>(ps: &'a [(String, String)], name: &str) -> &'a str {
    &ps.iter().find(|(k, _)| k == name).unwrap().1
}

fn sts() -> Credentials {
    Credentials::sts(ID, SECRET, TOKEN, None, ProviderName::new("t"))
}

fn now() -> DateTime<Utc> {
    DateTime::from_timestamp(1_717_171_717, 0).unwrap()
}

fn object_url() -> Uri {
    format!(
        "https://{BUCKET}.oss.example.invalid/{}?versionId={}&response-content-type={}",
        pct(KEY, true),
        pct("v 1", false),
        pct("text/plain", false)
    )
    .parse()
    .unwrap()
}

#[test]
fn oss_v4_presigned_url_verifies_independently() {
    let mut headers = HeaderMap::new();
    headers.insert("content-type", HeaderValue::from_static("text/plain"));
    headers.insert("x-oss-meta-a", HeaderValue::from_static(" b "));
    headers.insert("abc", HeaderValue::from_static("value"));
    let signer = OssV4Signer::new("cn-hangzhou", Some(BUCKET)).with_additional_headers(["ABC"]);
    let url = signer
        .presign(
            &Method::PUT,
            &object_url(),
            &headers,
            &sts(),
            now(),
            Duration::from_secs(600),
        )
        .unwrap()
        .url;

    // What the server sees: the URL's parameters, decoded.
    let ps = params(&url);
    assert_eq!(get(&ps, "x-oss-signature-version"), "OSS4-HMAC-SHA256");
    assert_eq!(get(&ps, "x-oss-expires"), "600");
    assert_eq!(get(&ps, "x-oss-security-token"), TOKEN);
    assert_eq!(get(&ps, "x-oss-additional-headers"), "abc");
    let datetime = get(&ps, "x-oss-date").to_owned();
    assert_eq!(datetime, "20240531T160837Z");
    let date = &datetime[..8];
    let scope = format!("{date}/cn-hangzhou/oss/aliyun_v4_request");
    assert_eq!(get(&ps, "x-oss-credential"), format!("{ID}/{scope}"));

    // §6.2, from the spec text.
    let mut signed: Vec<(String, String)> = ps
        .iter()
        .filter(|(k, _)| k != "x-oss-signature")
        .map(|(k, v)| (pct(k, false), pct(v, false)))
        .collect();
    signed.sort();
    let query = signed
        .iter()
        .map(|(k, v)| {
            if v.is_empty() {
                k.clone()
            } else {
                format!("{k}={v}")
            }
        })
        .collect::<Vec<_>>()
        .join("&");
    let canonical = format!(
        "PUT\n/{BUCKET}/{}\n{query}\nabc:value\ncontent-type:text/plain\nx-oss-meta-a:b\n\nabc\nUNSIGNED-PAYLOAD",
        pct(KEY, true)
    );
    let string_to_sign = format!(
        "OSS4-HMAC-SHA256\n{datetime}\n{scope}\n{}",
        hex::encode(Sha256::digest(canonical.as_bytes()))
    );
    let mut key = hmac256(format!("aliyun_v4{SECRET}").as_bytes(), date);
    for part in ["cn-hangzhou", "oss", "aliyun_v4_request"] {
        key = hmac256(&key, part);
    }
    let expected = hex::encode(hmac256(&key, &string_to_sign));
    assert_eq!(get(&ps, "x-oss-signature"), expected, "{url}");
    // The caller's URL is untouched: the signer only appended.
    assert!(url.starts_with(&object_url().to_string()));
}

#[test]
fn oss_v1_presigned_url_verifies_independently() {
    let url = OssV1Signer::new(Some(BUCKET))
        .presign(
            &Method::GET,
            &object_url(),
            &HeaderMap::new(),
            &sts(),
            now(),
            Duration::from_secs(3600),
        )
        .unwrap()
        .url;

    let ps = params(&url);
    let expires = get(&ps, "Expires");
    assert_eq!(expires, (1_717_171_717 + 3600).to_string());
    assert_eq!(get(&ps, "OSSAccessKeyId"), ID);
    assert_eq!(get(&ps, "security-token"), TOKEN);

    // §5.1–5.3, from the spec text: the key and the sub-resource values raw, sorted by name.
    let resource = format!(
        "/{BUCKET}/{KEY}?response-content-type=text/plain&security-token={TOKEN}&versionId=v 1"
    );
    let string_to_sign = format!("GET\n\n\n{expires}\n{resource}");
    let mut m = Hmac::<sha1::Sha1>::new_from_slice(SECRET.as_bytes()).unwrap();
    m.update(string_to_sign.as_bytes());
    let expected = base64::engine::general_purpose::STANDARD.encode(m.finalize().into_bytes());
    assert_eq!(get(&ps, "Signature"), expected, "{url}");
    assert!(url.starts_with(&object_url().to_string()));
}
