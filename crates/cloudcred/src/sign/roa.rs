//! Alibaba ROA signature (signing.md §3): HMAC-SHA1 keyed with the bare secret (no `&`, S12),
//! `Authorization: acs <AccessKeyId>:<Signature>`.

use super::credential_gate::access_key;
use super::date_values::DateFormat;
use super::details::Details;
use super::encoding::{decode, range_text, scan_to_ranges, Form};
use super::headers;
use super::headers::{sensitive_value, value_str};
use super::scratch;
use super::SigningDetails;
use crate::error::Result;
use crate::model::Credentials;
use chrono::{DateTime, Utc};
use http::header::{Entry, HeaderName, ACCEPT, CONTENT_TYPE, DATE};
use http::{HeaderMap, HeaderValue, Request};
use std::ops::Range;

const ALGORITHM: &str = "ROA";

const X_ACS_SIGNATURE_METHOD: HeaderName = HeaderName::from_static("x-acs-signature-method");
const X_ACS_SIGNATURE_VERSION: HeaderName = HeaderName::from_static("x-acs-signature-version");
const X_ACS_SECURITY_TOKEN: HeaderName = HeaderName::from_static("x-acs-security-token");
const CONTENT_MD5: HeaderName = HeaderName::from_static("content-md5");

/// The `Accept` header for a response format; case-sensitive, as in the official SDK (§3.1).
pub fn accept_for_format(format: &str) -> &'static str {
    match format {
        "JSON" => "application/json",
        "XML" => "application/xml",
        _ => "application/octet-stream",
    }
}

/// Every `x-acs-*` header as `name:value\n`, sorted by lower-cased name (§3.2 step 1).
///
/// Values are trimmed: HTTP strips a field value's outer whitespace (RFC 9110 §5.5), so the
/// service can only verify the trimmed value; aliyun-python-sdk-core signs values as given and
/// cannot even send a padded one (`requests` refuses leading whitespace).
pub fn canonical_headers(headers: &HeaderMap) -> Result<String> {
    headers::canonical_prefixed_headers(headers, "x-acs-", |_| true, ALGORITHM)
}

/// The path, then `?` and the sorted query as `name=value` / `name`, values raw (§3.2 step 2).
/// `path` and `query` are as on the wire (percent-encoded); they are decoded here.
pub fn canonical_resource(path: &str, query: Option<&str>) -> Result<String> {
    let mut out = String::with_capacity(path.len() + query.map_or(0, str::len) + 1);
    push_canonical_resource(&mut out, path, query)?;
    Ok(out)
}

/// [`canonical_resource`] appended to `out`.
///
/// The parameters are sorted as ranges, of the query where a component needs no decoding and
/// of one per-thread buffer where it does: a vector of decoded strings was an allocation and
/// a tenth of a signature.
fn push_canonical_resource(out: &mut String, path: &str, query: Option<&str>) -> Result<()> {
    out.push_str(&decode(path)?);
    let query = query.unwrap_or("");
    if query.is_empty() {
        return Ok(());
    }
    // Decoded, as the service reads them; a value without `=` is written bare.
    let mut decoded = scratch::string(0);
    let mut params = scratch::ranges(8);
    scan_to_ranges(
        query,
        |form| form == Form::Plain,
        true,
        &mut decoded,
        &mut params,
    )?;
    let text = |r: &Range<usize>| range_text(query, &decoded, r);
    // Whole (name, value) pairs compare: equal ones are identical. A key-only parameter sorts
    // before the same name with a value.
    if params.is_empty() {
        return Ok(());
    }
    params.sort_unstable_by(|a, b| (text(&a.0), text(&a.1)).cmp(&(text(&b.0), text(&b.1))));
    out.push('?');
    for (i, (k, v)) in params.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(text(k).unwrap_or_default());
        if let Some(v) = text(v) {
            out.push('=');
            out.push_str(v);
        }
    }
    Ok(())
}

/// The string to sign of §3.2 step 3 for a request as it stands.
pub fn string_to_sign<B>(req: &Request<B>) -> Result<String> {
    let h = req.headers();
    let uri = req.uri();
    // The first value of each head line's header, found in the pass that sizes the buffer: a
    // lookup each hashed the name and probed the map four times more.
    let head_names = [&ACCEPT, &CONTENT_MD5, &CONTENT_TYPE, &DATE];
    let mut head: [Option<&HeaderValue>; 4] = [None; 4];
    let mut headers_len = 0;
    for (name, value) in h {
        headers_len += name.as_str().len() + value.len() + 2;
        if let Some(at) = head_names.iter().position(|n| *n == name) {
            head[at].get_or_insert(value);
        }
    }
    // Room for every header and the resource: the one buffer is never regrown.
    let mut s = String::with_capacity(
        16 + headers_len + uri.path().len() + uri.query().map_or(0, str::len),
    );
    s.push_str(req.method().as_str());
    s.push('\n');
    for (name, value) in head_names.into_iter().zip(head) {
        if let Some(value) = value {
            // Trimmed as the service receives them (RFC 9110 §5.5), like the `x-acs-*` values.
            s.push_str(headers::trim_ows(value_str(value, name, ALGORITHM)?));
        }
        s.push('\n');
    }
    headers::push_canonical_prefixed_headers(&mut s, h, "x-acs-", |_| true, ALGORITHM)?;
    push_canonical_resource(&mut s, uri.path(), uri.query())?;
    Ok(s)
}

/// Signs a ROA request in place; `false` when the credentials leave it unsigned. Adds `Date`
/// (RFC 1123, unless present), `x-acs-signature-method`, `x-acs-signature-version` and
/// `x-acs-security-token`; the caller sets `Accept` (see [`accept_for_format`]).
/// [`sign_request_with_details`] also returns the intermediate strings.
pub fn sign_request<B>(
    req: &mut Request<B>,
    creds: &Credentials,
    time: DateTime<Utc>,
) -> Result<bool> {
    Ok(sign_in_place(req, creds, time, Details::Skip)?.is_some())
}

/// As [`sign_request`], returning the intermediate strings (`None` when left unsigned).
pub fn sign_request_with_details<B>(
    req: &mut Request<B>,
    creds: &Credentials,
    time: DateTime<Utc>,
) -> Result<Option<SigningDetails>> {
    sign_in_place(req, creds, time, Details::Want)
}

fn sign_in_place<B>(
    req: &mut Request<B>,
    creds: &Credentials,
    time: DateTime<Utc>,
    details: Details,
) -> Result<Option<SigningDetails>> {
    let Some((id, secret, token)) = access_key(creds, ALGORITHM)? else {
        return Ok(None);
    };
    let h = req.headers_mut();
    headers::set_date_if_absent(h, &DATE, DateFormat::Http, time, ALGORITHM)?;
    // Static values: `HeaderValue::from_str` copied each into an allocation of its own.
    for (name, value) in [
        (X_ACS_SIGNATURE_METHOD, "HMAC-SHA1"),
        (X_ACS_SIGNATURE_VERSION, "1.0"),
    ] {
        if let Entry::Vacant(slot) = h.entry(name) {
            slot.insert(HeaderValue::from_static(value));
        }
    }
    if let Some(token) = token {
        h.insert(
            X_ACS_SECURITY_TOKEN,
            sensitive_value(token, "x-acs-security-token", ALGORITHM)?,
        );
    }
    let sts = string_to_sign(req)?;
    let key = (id, secret);
    headers::authorize_v1(req.headers_mut(), "acs", key, &sts, details, ALGORITHM)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sign::encoding::decode_query;

    #[test]
    fn x_acs_values_are_signed_trimmed() {
        let mut h = HeaderMap::new();
        h.insert("x-acs-b", HeaderValue::from_static(" \tv  w\t "));
        h.insert("x-acs-a", HeaderValue::from_static("u "));
        h.insert("x-other", HeaderValue::from_static(" kept out "));
        assert_eq!(canonical_headers(&h).unwrap(), "x-acs-a:u\nx-acs-b:v  w\n");
    }

    #[test]
    fn head_lines_are_signed_trimmed() {
        let req = Request::builder()
            .method("POST")
            .uri("https://h.example.invalid/p")
            .header("accept", " application/json ")
            .header("content-md5", "\tmd5 ")
            .header("content-type", " text/plain")
            .header("date", " Thu, 01 Jan 2026 00:00:00 GMT\t")
            .body(())
            .unwrap();
        assert_eq!(
            string_to_sign(&req).unwrap(),
            "POST\napplication/json\nmd5\ntext/plain\nThu, 01 Jan 2026 00:00:00 GMT\n/p"
        );
    }

    proptest::proptest! {
        #[test]
        fn resources_are_decoded_and_sorted(
            q in "([a-zA-Z0-9=&+*:~-]|%[0-9a-fA-F]{2}|%[0-9a-fA-F]?|%E4%B8%AD){0,30}",
        ) {
            // The resource as it was written before: every parameter decoded into its own string.
            let expected = decode_query(&q).map(|mut params| {
                params.sort_unstable();
                let params: Vec<String> = params
                    .iter()
                    .map(|(k, v)| match v {
                        Some(v) => format!("{k}={v}"),
                        None => k.to_string(),
                    })
                    .collect();
                let q = if params.is_empty() { String::new() } else { format!("?{}", params.join("&")) };
                format!("/p{q}")
            });
            match (canonical_resource("/p", Some(&q)), expected) {
                (Ok(ours), Ok(expected)) => proptest::prop_assert_eq!(ours, expected),
                (Err(ours), Err(e)) => proptest::prop_assert_eq!(ours.to_string(), e.to_string()),
                (ours, expected) => proptest::prop_assert!(false, "{ours:?} {expected:?}"),
            }
        }
    }
}
