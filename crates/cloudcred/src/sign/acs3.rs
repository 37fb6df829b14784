//! ACS3-HMAC-SHA256, the Alibaba Cloud OpenAPI signature V3 (signing.md §4).
//!
//! Checked against the documentation's worked example, against vectors derived from the
//! official Darabonba util (`testdata/vectors/acs3_derived.json`) and against 320 random cases
//! signed by alibabacloud-openapi-util (`testdata/differential/vectors/acs3.json`).

use super::credential_gate::{auth, Auth};
use super::date_values::DateFormat;
use super::details::Details;
use super::encoding::{decode, encode_each_segment, push_canonical_query, push_encoded, RFC3986};
use super::headers;
use super::headers::{header_str, new_value, sensitive_value, set_authorization, set_if_absent};
use super::keyed_macs;
use super::primitives;
use super::request_url::authority;
use super::SigningDetails;
use crate::error::{Error, Result};
use crate::model::Credentials;
use chrono::{DateTime, Utc};
use hmac::Mac;
use http::header::HeaderName;
use http::header::HOST;
use http::{HeaderMap, HeaderValue, Request};
use sha2::{Digest as _, Sha256};
use std::ops::Range;

/// The algorithm name, first line of the string to sign and of `Authorization`.
pub const ALGORITHM: &str = "ACS3-HMAC-SHA256";

const X_ACS_DATE: HeaderName = HeaderName::from_static("x-acs-date");
const X_ACS_SIGNATURE_NONCE: HeaderName = HeaderName::from_static("x-acs-signature-nonce");
const X_ACS_CONTENT_SHA256: HeaderName = HeaderName::from_static("x-acs-content-sha256");
const X_ACS_SECURITY_TOKEN: HeaderName = HeaderName::from_static("x-acs-security-token");

/// CanonicalURI: each path segment encoded RFC 3986 strict; `/` when empty.
///
/// The path is split before it is decoded: the OpenAPI clients insert a path parameter with
/// `get_encode_param` (a `/` inside it becomes `%2F`) and openapi-util signs the pathname as sent,
/// so decoding first would sign `/clusters/a%2Fb` as `/clusters/a/b` and the service would reject
/// every V3 request whose path parameter holds a `/`.
pub fn canonical_uri(path: &str) -> Result<String> {
    if path.is_empty() {
        return Ok("/".to_owned());
    }
    encode_each_segment(path)
}

/// [`canonical_uri`] appended to `out`.
fn push_canonical_uri(out: &mut String, path: &str) -> Result<()> {
    if path.is_empty() {
        out.push('/');
        return Ok(());
    }
    for (i, segment) in path.split('/').enumerate() {
        if i > 0 {
            out.push('/');
        }
        push_encoded(out, &decode(segment)?, RFC3986);
    }
    Ok(())
}

fn is_signed(name: &str) -> bool {
    name == "host" || name == "content-type" || name.starts_with("x-acs-")
}

/// CanonicalHeaders and SignedHeaders: `host`, `content-type` and every `x-acs-*` header.
pub fn canonical_headers(headers: &HeaderMap) -> Result<(String, String)> {
    let mut canonical = String::with_capacity(256);
    let names = push_canonical_headers(&mut canonical, headers)?;
    let signed = canonical[names.clone()].to_owned();
    canonical.truncate(names.start - 1);
    Ok((canonical, signed))
}

/// Appends CanonicalHeaders, a newline, then SignedHeaders, which it returns the place of.
fn push_canonical_headers(out: &mut String, headers: &HeaderMap) -> Result<Range<usize>> {
    push_signed_headers(out, headers, is_signed, ALGORITHM)
}

/// The canonical header block of ACS3 and Huawei APIG for the headers `keep` selects (values
/// trimmed, a repeated header's values joined with `,`), a newline, then their names joined
/// with `;` (SignedHeaders), whose place in `out` it returns. One pass over the map: a lookup
/// per signed name hashed each name again.
pub(super) fn push_signed_headers(
    out: &mut String,
    headers: &HeaderMap,
    keep: impl Fn(&str) -> bool,
    algorithm: &'static str,
) -> Result<Range<usize>> {
    let entries = headers::sorted_entries(headers, keep);
    headers::push_canonical_entries(out, &entries, |_| true, algorithm)?;
    out.push('\n');
    let start = out.len();
    for (i, (name, _)) in entries.iter().enumerate() {
        if i == 0 || entries[i - 1].0 != *name {
            if i > 0 {
                out.push(';');
            }
            out.push_str(name.as_str());
        }
    }
    Ok(start..out.len())
}

/// The canonical request of §4.2 for a request whose headers are complete.
pub fn canonical_request<B>(req: &Request<B>, payload_hash: &str) -> Result<(String, String)> {
    let (canonical, signed) = push_canonical_request(req, payload_hash)?;
    let names = canonical[signed].to_owned();
    Ok((canonical, names))
}

/// An empty buffer with room for the canonical request of `req` (ACS3 and APIG) and `spare`
/// bytes more: the encoder reserves for its worst case (3 bytes a byte), so the path and
/// query get that room, and the buffer is never regrown.
pub(super) fn canonical_buffer<B>(req: &Request<B>, spare: usize) -> String {
    let uri = req.uri();
    let headers_len: usize = req
        .headers()
        .iter()
        .map(|(n, v)| n.as_str().len() * 2 + v.len() + 2)
        .sum();
    String::with_capacity(
        16 + 3 * (uri.path().len() + uri.query().map_or(0, str::len)) + headers_len + spare,
    )
}

/// The canonical request in one buffer, and where SignedHeaders lies in it.
fn push_canonical_request<B>(
    req: &Request<B>,
    payload_hash: &str,
) -> Result<(String, Range<usize>)> {
    let uri = req.uri();
    let mut s = canonical_buffer(req, payload_hash.len());
    s.push_str(req.method().as_str());
    s.push('\n');
    push_canonical_uri(&mut s, uri.path())?;
    s.push('\n');
    push_canonical_query(&mut s, uri.query())?;
    s.push('\n');
    let signed = push_canonical_headers(&mut s, req.headers())?;
    s.push('\n');
    s.push_str(payload_hash);
    Ok((s, signed))
}

/// The lower-hex of a SHA-256 digest or HMAC, on the stack (`primitives` writes hex into
/// strings; a string per digest was an allocation each).
pub(super) fn hex32(bytes: &[u8; 32]) -> [u8; 64] {
    let mut out = [0u8; 64];
    primitives::hex_into(&mut out, bytes);
    out
}

/// `ACS3-HMAC-SHA256\n` + lower-hex SHA-256 of the canonical request (§4.3).
pub fn string_to_sign(canonical_request: &str) -> String {
    let mut s = String::with_capacity(ALGORITHM.len() + 65);
    s.push_str(ALGORITHM);
    s.push('\n');
    primitives::push_hex(&mut s, &Sha256::digest(canonical_request.as_bytes()));
    s
}

/// Signs a V3 request in place; `false` when the credentials leave it unsigned.
///
/// Adds `host` (from the URI), `x-acs-date`, `x-acs-signature-nonce` (= `nonce`),
/// `x-acs-content-sha256` (of the body) and `x-acs-security-token` unless present, then
/// `Authorization`. The caller sets `x-acs-action` and `x-acs-version`. A bearer credential gets
/// the header placement of §4.4; anonymous credentials leave the request unsigned (both
/// `false`). [`sign_request_with_details`] also returns the intermediate strings.
pub fn sign_request<B: AsRef<[u8]>>(
    req: &mut Request<B>,
    creds: &Credentials,
    time: DateTime<Utc>,
    nonce: &str,
) -> Result<bool> {
    Ok(sign_in_place(req, creds, time, nonce, Details::Skip)?.is_some())
}

/// As [`sign_request`], returning the intermediate strings (`None` when left unsigned).
pub fn sign_request_with_details<B: AsRef<[u8]>>(
    req: &mut Request<B>,
    creds: &Credentials,
    time: DateTime<Utc>,
    nonce: &str,
) -> Result<Option<SigningDetails>> {
    sign_in_place(req, creds, time, nonce, Details::Want)
}

fn sign_in_place<B: AsRef<[u8]>>(
    req: &mut Request<B>,
    creds: &Credentials,
    time: DateTime<Utc>,
    nonce: &str,
    details: Details,
) -> Result<Option<SigningDetails>> {
    let (id, secret, token) = match auth(creds) {
        Auth::Anonymous => return Ok(None),
        Auth::Bearer { token, header } => {
            let name = HeaderName::try_from(header).map_err(|_| {
                Error::signing(
                    ALGORITHM,
                    "the bearer token header name is not a valid name",
                )
            })?;
            let value = sensitive_value(token, name.as_str(), ALGORITHM)?;
            let h = req.headers_mut();
            h.insert(name, value);
            h.insert(
                "x-acs-signature-type",
                new_value("BEARERTOKEN", "x-acs-signature-type", ALGORITHM)?,
            );
            return Ok(None);
        }
        Auth::Key { id, secret, token } => (id, secret, token),
    };
    let host = authority(req.uri()).map(str::to_owned);
    // A caller that hashed the payload itself (a streamed body) has set the header already.
    let callers_hash =
        header_str(req.headers(), &X_ACS_CONTENT_SHA256, ALGORITHM)?.map(str::to_owned);
    let body_hash = match callers_hash {
        Some(_) => [0; 64],
        None => hex32(&Sha256::digest(req.body().as_ref()).into()),
    };
    let payload_hash = callers_hash
        .as_deref()
        .unwrap_or_else(|| primitives::ascii(&body_hash));
    let h = req.headers_mut();
    if let Some(host) = host {
        headers::set_if_absent_with(h, &HOST, || host, ALGORITHM)?;
    }
    headers::set_date_if_absent(h, &X_ACS_DATE, DateFormat::Iso8601Extended, time, ALGORITHM)?;
    set_if_absent(h, &X_ACS_SIGNATURE_NONCE, nonce, ALGORITHM)?;
    if callers_hash.is_none() {
        h.insert(
            X_ACS_CONTENT_SHA256,
            HeaderValue::from_bytes(payload_hash.as_bytes())
                .map_err(|_| Error::signing(ALGORITHM, "the payload hash is not a header value"))?,
        );
    }
    if let Some(token) = token {
        if !h.contains_key(X_ACS_SECURITY_TOKEN) {
            h.insert(
                X_ACS_SECURITY_TOKEN,
                sensitive_value(token, "x-acs-security-token", ALGORITHM)?,
            );
        }
    }
    let (canonical, signed) = push_canonical_request(req, payload_hash)?;
    let hash = hex32(&Sha256::digest(canonical.as_bytes()).into());
    let mut mac = keyed_macs::hmac_sha256(secret.as_bytes());
    mac.update(ALGORITHM.as_bytes());
    mac.update(b"\n");
    mac.update(&hash);
    let signature = hex32(&mac.finalize().into_bytes().into());
    let signature = primitives::ascii(&signature);
    let names = &canonical[signed];
    let mut authorization = String::with_capacity(
        ALGORITHM.len() + 12 + id.len() + 15 + names.len() + 11 + signature.len(),
    );
    for part in [
        ALGORITHM,
        " Credential=",
        id,
        ",SignedHeaders=",
        names,
        ",Signature=",
        signature,
    ] {
        authorization.push_str(part);
    }
    set_authorization(req.headers_mut(), authorization, ALGORITHM)?;
    Ok(Some(match details {
        Details::Want => {
            let mut sts = String::with_capacity(ALGORITHM.len() + 65);
            sts.push_str(ALGORITHM);
            sts.push('\n');
            sts.push_str(primitives::ascii(&hash));
            SigningDetails::new(Some(canonical), sts, signature.to_owned())
        }
        Details::Skip => SigningDetails::default(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_parameter_holding_a_slash_is_signed_as_sent() {
        // `get_encode_param("a/b")` of the OpenAPI clients; openapi-util signs the pathname as is.
        assert_eq!(
            canonical_uri("/clusters/a%2Fb/nodes").unwrap(),
            "/clusters/a%2Fb/nodes"
        );
        let creds = Credentials::access_key("ak", "sk", "t".into());
        let mut req = Request::builder()
            .method("GET")
            .uri("https://cs.example.invalid/clusters/a%2Fb")
            .body(Vec::new())
            .unwrap();
        let time = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        let d = sign_request_with_details(&mut req, &creds, time, "n")
            .unwrap()
            .unwrap();
        let canonical = d.canonical_request.unwrap();
        assert_eq!(canonical.lines().nth(1), Some("/clusters/a%2Fb"));
    }

    #[test]
    fn hex_is_lower_hex() {
        let mut bytes = [0u8; 32];
        for (i, b) in bytes.iter_mut().enumerate() {
            *b = (i as u8).wrapping_mul(37) ^ 0xA5;
        }
        for bytes in [bytes, [0; 32], [0xFF; 32], [0x9A; 32]] {
            let expected: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
            assert_eq!(primitives::ascii(&hex32(&bytes)), expected);
        }
    }
}
