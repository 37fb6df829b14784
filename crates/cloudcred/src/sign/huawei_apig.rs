//! Huawei Cloud `SDK-HMAC-SHA256` (API Gateway signer of huaweicloudsdkcore, signing.md §10).

use super::acs3::{canonical_buffer, hex32, push_signed_headers};
use super::credential_gate::access_key;
use super::date_values::DateFormat;
use super::details::{Details, SigningDetails};
use super::encoding::{
    canonical_query, decode, encode_segments, is_normalised_path, push_canonical_query,
    push_encoded, RFC3986,
};
use super::headers;
use super::headers::{header_str, sensitive_value, set_authorization, set_if_absent};
use super::headers::{push_canonical_headers, push_name_list, sorted_names};
use super::keyed_macs;
use super::primitives;
use super::request_url::authority;
use crate::error::Result;
use crate::model::Credentials;
use chrono::{DateTime, Utc};
use hmac::Mac;
use http::header::HeaderName;
use http::header::{CONTENT_TYPE, HOST};
use http::{HeaderMap, Request};
use sha2::{Digest as _, Sha256};

/// The algorithm name.
pub const ALGORITHM: &str = "SDK-HMAC-SHA256";

/// SHA-256 of the empty body, the payload hash of every request without one.
const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

const X_SDK_DATE: HeaderName = HeaderName::from_static("x-sdk-date");
const X_SDK_CONTENT_SHA256: HeaderName = HeaderName::from_static("x-sdk-content-sha256");
const X_SECURITY_TOKEN: HeaderName = HeaderName::from_static("x-security-token");

/// CanonicalURI: decode, encode each segment RFC 3986 strict, always end with `/` (§10.2).
pub fn canonical_uri(path: &str) -> Result<String> {
    let mut out = encode_segments(path)?;
    if !out.ends_with('/') {
        out.push('/');
    }
    Ok(out)
}

/// [`canonical_uri`] appended to `out`.
fn push_canonical_uri(out: &mut String, path: &str) -> Result<()> {
    if is_normalised_path(path) {
        // Decoding and encoding each segment would give it back (a twentieth of a signature).
        out.push_str(path);
        if !out.ends_with('/') {
            out.push('/');
        }
        return Ok(());
    }
    for (i, segment) in decode(path)?.split('/').enumerate() {
        if i > 0 {
            out.push('/');
        }
        push_encoded(out, segment, RFC3986);
    }
    if !out.ends_with('/') {
        out.push('/');
    }
    Ok(())
}

fn is_signed(name: &str) -> bool {
    !name.contains('_') && name != "authorization"
}

/// Signed header names: every header whose name has no `_`, sorted (names are lower case).
pub fn signed_headers(headers: &HeaderMap) -> Vec<&HeaderName> {
    sorted_names(headers, is_signed)
}

/// The canonical request of §10.2 for a request whose headers are complete.
pub fn canonical_request<B: AsRef<[u8]>>(req: &Request<B>) -> Result<(String, String)> {
    let headers = req.headers();
    let signed = signed_headers(headers);
    let mut s = String::with_capacity(256);
    s.push_str(req.method().as_str());
    s.push('\n');
    s.push_str(&canonical_uri(req.uri().path())?);
    s.push('\n');
    s.push_str(&canonical_query(req.uri().query())?);
    s.push('\n');
    push_canonical_headers(&mut s, headers, &signed, ALGORITHM)?;
    s.push('\n');
    let start = s.len();
    push_name_list(&mut s, &signed);
    let signed = s[start..].to_owned();
    s.push('\n');
    push_payload_hash(&mut s, req)?;
    Ok((s, signed))
}

/// [`canonical_request`] as the signer writes it: one buffer, one pass over the headers (a
/// lookup per signed name hashed each name again), the query and URI written into it; also
/// where SignedHeaders lies in it. `sign_request_with_details` builds the strings with
/// [`canonical_request`], so comparing both signers compares the two.
fn push_canonical_request<B: AsRef<[u8]>>(
    req: &Request<B>,
) -> Result<(String, std::ops::Range<usize>)> {
    let uri = req.uri();
    let mut s = canonical_buffer(req, 72);
    s.push_str(req.method().as_str());
    s.push('\n');
    push_canonical_uri(&mut s, uri.path())?;
    s.push('\n');
    push_canonical_query(&mut s, uri.query())?;
    s.push('\n');
    let signed = push_signed_headers(&mut s, req.headers(), is_signed, ALGORITHM)?;
    s.push('\n');
    push_payload_hash(&mut s, req)?;
    Ok((s, signed))
}

/// The payload hash, last line of the canonical request: the empty body's, the caller's
/// `X-Sdk-Content-Sha256`, or the body's.
fn push_payload_hash<B: AsRef<[u8]>>(out: &mut String, req: &Request<B>) -> Result<()> {
    let body = req.body().as_ref();
    if body.is_empty() {
        out.push_str(EMPTY_SHA256);
    } else if let Some(v) = header_str(req.headers(), &X_SDK_CONTENT_SHA256, ALGORITHM)? {
        out.push_str(v);
    } else {
        out.push_str(primitives::ascii(&hex32(&Sha256::digest(body).into())));
    }
    Ok(())
}

/// Signs a request in place (§10.1–10.3); `false` when the credentials leave it unsigned.
///
/// Adds `X-Sdk-Date`, `Host` (from the URI), `X-Sdk-Content-Sha256: UNSIGNED-PAYLOAD` for
/// non-JSON content types, and `X-Security-Token` (each unless present), then `Authorization`.
/// The caller adds `X-Project-Id` / `X-Domain-Id`. [`sign_request_with_details`] also returns
/// the intermediate strings.
pub fn sign_request<B: AsRef<[u8]>>(
    req: &mut Request<B>,
    creds: &Credentials,
    time: DateTime<Utc>,
) -> Result<bool> {
    Ok(sign_in_place(req, creds, time, Details::Skip)?.is_some())
}

/// As [`sign_request`], returning the intermediate strings (`None` when left unsigned).
pub fn sign_request_with_details<B: AsRef<[u8]>>(
    req: &mut Request<B>,
    creds: &Credentials,
    time: DateTime<Utc>,
) -> Result<Option<SigningDetails>> {
    sign_in_place(req, creds, time, Details::Want)
}

fn sign_in_place<B: AsRef<[u8]>>(
    req: &mut Request<B>,
    creds: &Credentials,
    time: DateTime<Utc>,
    details: Details,
) -> Result<Option<SigningDetails>> {
    let Some((id, secret, token)) = access_key(creds, ALGORITHM)? else {
        return Ok(None);
    };
    let host = authority(req.uri()).map(str::to_owned);
    let h = req.headers_mut();
    headers::set_date_if_absent(h, &X_SDK_DATE, DateFormat::Iso8601Basic, time, ALGORITHM)?;
    if let Some(host) = host {
        headers::set_if_absent_with(h, &HOST, || host, ALGORITHM)?;
    }
    let unsigned_payload = header_str(h, &CONTENT_TYPE, ALGORITHM)?.is_some_and(|ct| {
        !ct.starts_with("application/json") && !ct.starts_with("application/bson")
    });
    if unsigned_payload {
        set_if_absent(h, &X_SDK_CONTENT_SHA256, "UNSIGNED-PAYLOAD", ALGORITHM)?;
    }
    if let Some(token) = token {
        if !h.contains_key(X_SECURITY_TOKEN) {
            h.insert(
                X_SECURITY_TOKEN,
                sensitive_value(token, "x-security-token", ALGORITHM)?,
            );
        }
    }
    let date = header_str(req.headers(), &X_SDK_DATE, ALGORITHM)?.unwrap_or_default();
    let (auth, details) = match details {
        Details::Want => {
            let (canonical, signed) = canonical_request(req)?;
            let mut sts = [ALGORITHM, "\n", date, "\n"].concat();
            primitives::push_hex(&mut sts, &Sha256::digest(canonical.as_bytes()));
            let signature = primitives::hex_secret_hmac_sha256(secret.as_bytes(), sts.as_bytes());
            let auth = authorization(id, &signed, &signature);
            (auth, SigningDetails::new(Some(canonical), sts, signature))
        }
        Details::Skip => {
            let (canonical, signed) = push_canonical_request(req)?;
            let hash = hex32(&Sha256::digest(canonical.as_bytes()).into());
            let mut mac = keyed_macs::hmac_sha256(secret.as_bytes());
            for part in [ALGORITHM, "\n", date, "\n"] {
                mac.update(part.as_bytes());
            }
            mac.update(&hash);
            let signature = hex32(&mac.finalize().into_bytes().into());
            let auth = authorization(id, &canonical[signed], primitives::ascii(&signature));
            (auth, SigningDetails::default())
        }
    };
    set_authorization(req.headers_mut(), auth, ALGORITHM)?;
    Ok(Some(details))
}

/// `Authorization` of §10.3, in a string of its exact length (its buffer becomes the header's).
fn authorization(id: &str, signed: &str, signature: &str) -> String {
    let parts = [
        ALGORITHM,
        " Access=",
        id,
        ", SignedHeaders=",
        signed,
        ", Signature=",
        signature,
    ];
    let mut auth = String::with_capacity(parts.iter().map(|p| p.len()).sum());
    for part in parts {
        auth.push_str(part);
    }
    auth
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn canonical_uri_copied_only_when_encoding_gives_it_back(
            path in "(/|[a-zA-Z0-9._~-]|%[0-7][0-9A-Fa-f]|%2[Ff]|%E4%B8%AD| |\\+){0,12}",
        ) {
            let mut fast = String::from("GET\n");
            let fast = push_canonical_uri(&mut fast, &path).map(|()| fast);
            let slow = decode(&path).map(|d| {
                let mut s = String::from("GET\n");
                for (i, segment) in d.split('/').enumerate() {
                    if i > 0 {
                        s.push('/');
                    }
                    push_encoded(&mut s, segment, RFC3986);
                }
                if !s.ends_with('/') {
                    s.push('/');
                }
                s
            });
            prop_assert_eq!(fast.ok(), slow.ok());
        }

        /// The signer's one-buffer canonical request is the reference one, on paths with
        /// escapes and encoded slashes, queries with repeated and bare parameters, and headers
        /// repeated, padded, with `_` in their names, with and without a body.
        #[test]
        fn one_buffer_canonical_request_is_the_reference_one(
            path in "(/([a-zA-Z0-9._~-]|%2[0-9A-F]|%E4%B8%AD|%FF){0,6}){0,4}",
            query in "(([a-z]{0,3}|%3A|%20)(=([a-z0-9]{0,3}|%5B|%E2%82%AC|%2B))?&?){0,5}",
            headers in proptest::collection::vec(("x-[a-c](_x)?", "[ a-z0-9]{0,4}"), 0..6),
            body in "(\\{\"a\":1\\})?",
        ) {
            let mut req = Request::builder()
                .method("POST")
                .uri(format!("https://iam.example.invalid{path}?{query}"))
                .body(body.into_bytes())
                .unwrap();
            for (k, v) in &headers {
                req.headers_mut()
                    .append(HeaderName::try_from(k.as_str()).unwrap(), HeaderValue::from_str(v).unwrap());
            }
            let reference = canonical_request(&req);
            let ours = push_canonical_request(&req);
            match (reference, ours) {
                (Ok((canonical, signed)), Ok((text, names))) => {
                    prop_assert_eq!(&text[names], signed.as_str());
                    prop_assert_eq!(text, canonical);
                }
                (reference, ours) => prop_assert_eq!(
                    reference.map(|_| ()).map_err(|e| e.to_string()),
                    ours.map(|_| ()).map_err(|e| e.to_string())
                ),
            }
        }
    }
}
