//! Huawei Cloud `SDK-HMAC-SHA256` (API Gateway signer of huaweicloudsdkcore, signing.md §10).

use super::credential_gate::access_key;
use super::details::SigningDetails;
use super::encoding::{canonical_query, encode_segments};
use super::headers;
use super::headers::{
    header_str, push_canonical_headers, push_name_list, sensitive_value, set_authorization,
    set_if_absent, sorted_names,
};
use super::primitives;
use super::request_url::authority;
use super::time_format;
use crate::error::Result;
use crate::model::Credentials;
use chrono::{DateTime, Utc};
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

/// Signed header names: every header whose name has no `_`, sorted (names are lower case).
pub fn signed_headers(headers: &HeaderMap) -> Vec<&HeaderName> {
    sorted_names(headers, |n| !n.contains('_') && n != "authorization")
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
    let body = req.body().as_ref();
    if body.is_empty() {
        s.push_str(EMPTY_SHA256);
    } else if let Some(v) = header_str(headers, &X_SDK_CONTENT_SHA256, ALGORITHM)? {
        s.push_str(v);
    } else {
        s.push_str(&primitives::sha256_hex(body));
    }
    Ok((s, signed))
}

/// Signs a request in place (§10.1–10.3): adds `X-Sdk-Date`, `Host` (from the URI),
/// `X-Sdk-Content-Sha256: UNSIGNED-PAYLOAD` for non-JSON content types, and `X-Security-Token`
/// (each unless present), then `Authorization`. The caller adds `X-Project-Id` / `X-Domain-Id`.
pub fn sign_request<B: AsRef<[u8]>>(
    req: &mut Request<B>,
    creds: &Credentials,
    time: DateTime<Utc>,
) -> Result<Option<SigningDetails>> {
    let Some((id, secret, token)) = access_key(creds, ALGORITHM)? else {
        return Ok(None);
    };
    let host = authority(req.uri()).map(str::to_owned);
    let h = req.headers_mut();
    headers::set_if_absent_with(
        h,
        &X_SDK_DATE,
        || time_format::iso8601_basic(time),
        ALGORITHM,
    )?;
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
    let (canonical, signed) = canonical_request(req)?;
    let date = header_str(req.headers(), &X_SDK_DATE, ALGORITHM)?.unwrap_or_default();
    let mut sts = String::with_capacity(ALGORITHM.len() + date.len() + 66);
    for part in [ALGORITHM, "\n", date, "\n"] {
        sts.push_str(part);
    }
    primitives::push_hex(&mut sts, &Sha256::digest(canonical.as_bytes()));
    let signature = primitives::hex_secret_hmac_sha256(secret.as_bytes(), sts.as_bytes());
    let mut auth = String::with_capacity(64 + id.len() + signed.len() + signature.len());
    for part in [
        ALGORITHM,
        " Access=",
        id,
        ", SignedHeaders=",
        &signed,
        ", Signature=",
        &signature,
    ] {
        auth.push_str(part);
    }
    set_authorization(req.headers_mut(), auth, ALGORITHM)?;
    Ok(Some(SigningDetails::new(Some(canonical), sts, signature)))
}
