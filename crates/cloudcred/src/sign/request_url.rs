//! The request URL as signers see it: its authority, the query a presigner appends (the only
//! change it makes to the caller's URL), and how object storage names the bucket and the key.

use crate::error::{Error, Result};
use http::Uri;

/// The host (with port) a request goes to, from its URI.
pub(crate) fn authority(uri: &Uri) -> Option<&str> {
    uri.authority().map(|a| a.as_str())
}

/// `uri` with `pairs` (names as they go on the wire, values raw) appended to its query: the
/// only change a presigner makes to the caller's URI. Written in one buffer, pairs encoded in
/// place.
///
/// An absolute `Uri` printed back is a valid URI, and what is appended holds only the
/// presigners' parameter names and RFC 3986 unreserved characters and escapes, so the result is
/// valid by construction: parsing it again to check (a fifth of an OSS V1 presign under
/// callgrind) is kept only for the relative and authority-only forms, which print differently.
pub(crate) fn append_query(
    uri: &Uri,
    pairs: &[(&str, &str)],
    algorithm: &'static str,
) -> Result<String> {
    append_query_with(uri, pairs, false, algorithm)
}

/// [`append_query`], with the values already encoded when `encoded`.
pub(crate) fn append_query_with(
    uri: &Uri,
    pairs: &[(&str, &str)],
    encoded: bool,
    algorithm: &'static str,
) -> Result<String> {
    let raw: usize = pairs.iter().map(|(k, v)| k.len() + 2 + v.len() * 3).sum();
    let mut out = with_query_appended(uri, "", raw + 1);
    if !pairs.is_empty() {
        if !out.ends_with('?') {
            out.push(if uri.query().is_some() { '&' } else { '?' });
        }
        push_pairs(&mut out, pairs, encoded);
    }
    if uri.scheme().is_none() || uri.authority().is_none() {
        out.parse::<Uri>()
            .map_err(|_| Error::signing(algorithm, "the presigned URI is not a valid URI"))?;
    }
    Ok(out)
}

/// Same as [`append_query`], but for a request signed in place.
pub(crate) fn append_query_in_place(
    uri: &mut Uri,
    extra: &str,
    algorithm: &'static str,
) -> Result<()> {
    if extra.is_empty() {
        return Ok(());
    }
    let invalid = || Error::signing(algorithm, "the signed URI is not a valid URI");
    // Only the path and query change: rebuilding just that part spares re-parsing the scheme and
    // authority (a printed and re-parsed `Uri` was a tenth of an RPC signature).
    if uri.scheme().is_some() && uri.authority().is_some() {
        let mut pq = String::with_capacity(
            uri.path().len() + uri.query().map_or(0, str::len) + 2 + extra.len(),
        );
        pq.push_str(uri.path());
        pq.push('?');
        if let Some(q) = uri.query() {
            pq.push_str(q);
            if !q.is_empty() {
                pq.push('&');
            }
        }
        pq.push_str(extra);
        let mut parts = uri.clone().into_parts();
        parts.path_and_query =
            // As `Bytes` the buffer is taken over; as a `String` it would be copied.
            Some(
                http::uri::PathAndQuery::from_maybe_shared(bytes::Bytes::from(pq))
                    .map_err(|_| invalid())?,
            );
        *uri = Uri::from_parts(parts).map_err(|_| invalid())?;
        return Ok(());
    }
    *uri = with_query_appended(uri, extra, 0)
        .parse()
        .map_err(|_| invalid())?;
    Ok(())
}

/// `uri` as text (exactly its `Display`) with `extra` appended to its query, in one allocation
/// with room for `spare` more bytes.
fn with_query_appended(uri: &Uri, extra: &str, spare: usize) -> String {
    let scheme = uri.scheme_str();
    let authority = uri.authority().map(|a| a.as_str());
    let query = uri.query();
    let mut out = String::with_capacity(
        scheme.map_or(0, |s| s.len() + 3)
            + authority.map_or(0, str::len)
            + uri.path().len()
            + query.map_or(0, |q| q.len() + 1)
            + 1
            + extra.len()
            + spare,
    );
    if let Some(s) = scheme {
        out.push_str(s);
        out.push_str("://");
    }
    if let Some(a) = authority {
        out.push_str(a);
    }
    out.push_str(uri.path());
    match query {
        None if extra.is_empty() => {}
        None => out.push('?'),
        Some(q) => {
            out.push('?');
            out.push_str(q);
            if !q.is_empty() && !extra.is_empty() {
                out.push('&');
            }
        }
    }
    out.push_str(extra);
    out
}

/// Appends `name=enc(value)` pairs joined with `&` to `out`, values RFC 3986 strict: what
/// presigners append.
fn push_pairs(out: &mut String, pairs: &[(&str, &str)], encoded: bool) {
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(k);
        out.push('=');
        if encoded {
            out.push_str(v);
        } else {
            super::encoding::push_encoded(out, v, super::encoding::RFC3986);
        }
    }
}

/// How an object-storage request names its bucket (OSS and OBS).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Addressing {
    /// The bucket is in the host name (`https://bucket.endpoint/key`): the path is the key.
    #[default]
    VirtualHosted,
    /// The bucket is the first path segment (`https://endpoint/bucket/key`).
    PathStyle,
}

/// Appends the object key of a request to `out`, percent-decoded straight into it (see
/// [`encoded_object_key`]).
pub(crate) fn push_object_key(
    out: &mut String,
    path: &str,
    bucket: Option<&str>,
    addressing: Addressing,
) -> Result<()> {
    super::encoding::push_decoded(out, encoded_object_key(path, bucket, addressing))
}

/// The object key of a request as it is on the wire, still percent-encoded: the path without
/// its leading `/` (and without the bucket segment in path-style requests). Empty for bucket-
/// and service-level requests.
pub(crate) fn encoded_object_key<'p>(
    path: &'p str,
    bucket: Option<&str>,
    addressing: Addressing,
) -> &'p str {
    if bucket.is_none() {
        return "";
    }
    let path = path.strip_prefix('/').unwrap_or(path);
    match addressing {
        Addressing::VirtualHosted => path,
        Addressing::PathStyle => path.split_once('/').map(|(_, k)| k).unwrap_or(""),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn in_place_append_rebuilds_only_path_and_query() {
        for (before, after) in [
            (
                "https://h:8443/a%20b?z=1&a",
                "https://h:8443/a%20b?z=1&a&x=2",
            ),
            ("https://h", "https://h/?x=2"),
            ("http://h/k?", "http://h/k?x=2"),
            ("/relative?q=1", "/relative?q=1&x=2"),
        ] {
            let mut uri: Uri = before.parse().unwrap();
            append_query_in_place(&mut uri, "x=2", "t").unwrap();
            assert_eq!(uri.to_string(), after, "{before}");
        }
    }

    #[test]
    fn append_only_appends() {
        for (before, after) in [
            (
                "http://h/a%20b?z=1&a",
                "http://h/a%20b?z=1&a&x=2&y=a%2Fb%20c",
            ),
            ("http://h/k", "http://h/k?x=2&y=a%2Fb%20c"),
            ("http://h/k?", "http://h/k?x=2&y=a%2Fb%20c"),
            ("https://h:8443", "https://h:8443/?x=2&y=a%2Fb%20c"),
            ("/relative?q=1", "/relative?q=1&x=2&y=a%2Fb%20c"),
        ] {
            let uri: Uri = before.parse().unwrap();
            let out = append_query(&uri, &[("x", "2"), ("y", "a/b c")], "t").unwrap();
            assert_eq!(out, after, "{before}");
            // Valid by construction: what the skipped re-parse would have checked.
            assert_eq!(out.parse::<Uri>().unwrap().to_string(), after);
        }
    }
}
