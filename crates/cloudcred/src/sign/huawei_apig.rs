//! Huawei Cloud `SDK-HMAC-SHA256` (API Gateway signer of huaweicloudsdkcore, signing.md §10).

use super::encoding::{canonical_query, encode_segments};
use super::primitives::{
    self, access_key, authority, header_str, push_canonical_headers, sensitive_value,
    set_authorization, set_if_absent, SigningDetails,
};
use crate::error::Result;
use crate::model::Credentials;
use chrono::{DateTime, Utc};
use http::header::HeaderName;
use http::{HeaderMap, Request};

/// The algorithm name.
pub const ALGORITHM: &str = "SDK-HMAC-SHA256";

/// SHA-256 of the empty body, the payload hash of every request without one.
const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// CanonicalURI: decode, encode each segment RFC 3986 strict, always end with `/` (§10.2).
pub fn canonical_uri(path: &str) -> Result<String> {
    let mut out = encode_segments(path)?;
    if !out.ends_with('/') {
        out.push('/');
    }
    Ok(out)
}

/// Signed header names: every header whose name has no `_`, sorted (names are lower case).
pub fn signed_headers(headers: &HeaderMap) -> Vec<&str> {
    let mut names: Vec<&str> = headers
        .keys()
        .map(HeaderName::as_str)
        .filter(|n| !n.contains('_') && *n != "authorization")
        .collect();
    names.sort_unstable();
    names
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
    let signed = signed.join(";");
    s.push_str(&signed);
    s.push('\n');
    let body = req.body().as_ref();
    if body.is_empty() {
        s.push_str(EMPTY_SHA256);
    } else if let Some(v) = header_str(headers, "x-sdk-content-sha256", ALGORITHM)? {
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
    set_if_absent(h, "x-sdk-date", &primitives::iso8601_basic(time), ALGORITHM)?;
    if let Some(host) = host {
        set_if_absent(h, "host", &host, ALGORITHM)?;
    }
    let unsigned_payload = header_str(h, "content-type", ALGORITHM)?.is_some_and(|ct| {
        !ct.starts_with("application/json") && !ct.starts_with("application/bson")
    });
    if unsigned_payload {
        set_if_absent(h, "x-sdk-content-sha256", "UNSIGNED-PAYLOAD", ALGORITHM)?;
    }
    if let Some(token) = token {
        if !h.contains_key("x-security-token") {
            h.insert(
                "x-security-token",
                sensitive_value(token, "x-security-token", ALGORITHM)?,
            );
        }
    }
    let (canonical, signed) = canonical_request(req)?;
    let date = header_str(req.headers(), "x-sdk-date", ALGORITHM)?.unwrap_or_default();
    let sts = format!(
        "{ALGORITHM}\n{date}\n{}",
        primitives::sha256_hex(canonical.as_bytes())
    );
    let signature = hex::encode(primitives::hmac_sha256(secret.as_bytes(), sts.as_bytes()));
    let auth = format!("{ALGORITHM} Access={id}, SignedHeaders={signed}, Signature={signature}");
    set_authorization(req.headers_mut(), &auth, ALGORITHM)?;
    Ok(Some(SigningDetails::new(Some(canonical), sts, signature)))
}
