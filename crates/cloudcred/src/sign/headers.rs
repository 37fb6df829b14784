//! Header helpers of the signers: reading values as text, setting values (secret ones marked
//! sensitive), the canonical header blocks (sorted, grouped, trimmed), the V1-style head and
//! subresources, and the `Authorization` header.

use super::details::{Details, SigningDetails};
use crate::error::{Error, Result};
use http::header::{AsHeaderName, HeaderMap, HeaderName, HeaderValue};
use std::borrow::Cow;
use std::fmt;

/// `Content-MD5`, the one name of the V1-style heads `http` has no constant for.
const CONTENT_MD5: HeaderName = HeaderName::from_static("content-md5");

/// The first value of header `name` as UTF-8, `None` when absent. Pass a `HeaderName` constant
/// on hot paths: a `&str` is parsed and validated on every lookup.
pub(crate) fn header_str<'h, N: AsHeaderName + Copy + fmt::Display>(
    headers: &'h HeaderMap,
    name: N,
    algorithm: &'static str,
) -> Result<Option<&'h str>> {
    match headers.get(name) {
        None => Ok(None),
        Some(v) => value_str(v, name, algorithm).map(Some),
    }
}

/// A header value as UTF-8 text; names the header, never the value, when it is not.
pub(crate) fn value_str<'h>(
    v: &'h HeaderValue,
    name: impl fmt::Display,
    algorithm: &'static str,
) -> Result<&'h str> {
    let bytes = v.as_bytes();
    if bytes.is_ascii() {
        // SAFETY: ASCII is UTF-8. Checked word by word and inlined: `from_utf8`'s call was a
        // measurable share of a canonical header block, whose values are nearly always ASCII.
        return Ok(unsafe { std::str::from_utf8_unchecked(bytes) });
    }
    std::str::from_utf8(bytes)
        .map_err(|_| Error::signing(algorithm, format!("header `{name}` is not valid UTF-8")))
}

/// Builds a header value the signer adds; the value may be a token, so only the name is reported.
pub(crate) fn new_value(value: &str, name: &str, algorithm: &'static str) -> Result<HeaderValue> {
    HeaderValue::from_str(value).map_err(|_| {
        Error::signing(
            algorithm,
            format!("the value for header `{name}` holds characters an HTTP header cannot carry"),
        )
    })
}

/// A header value from text the signer built, taking over its buffer: `HeaderValue::from_str`
/// copies into a new allocation, `Bytes` from a `String` does not (with `len == capacity` it
/// allocates nothing at all).
pub(crate) fn owned_value(
    value: String,
    name: &str,
    algorithm: &'static str,
) -> Result<HeaderValue> {
    HeaderValue::from_maybe_shared(bytes::Bytes::from(value)).map_err(|_| {
        Error::signing(
            algorithm,
            format!("the value for header `{name}` holds characters an HTTP header cannot carry"),
        )
    })
}

/// A sensitive header value (Authorization, tokens): `http` then hides it from its own `Debug`.
pub(crate) fn sensitive_value(
    value: &str,
    name: &str,
    algorithm: &'static str,
) -> Result<HeaderValue> {
    let mut v = new_value(value, name, algorithm)?;
    v.set_sensitive(true);
    Ok(v)
}

/// Sets `name` unless the request already has it.
pub(crate) fn set_if_absent(
    headers: &mut HeaderMap,
    name: &HeaderName,
    value: &str,
    algorithm: &'static str,
) -> Result<()> {
    // One lookup, not `contains_key` then `insert`.
    if let http::header::Entry::Vacant(slot) = headers.entry(name) {
        slot.insert(new_value(value, name.as_str(), algorithm)?);
    }
    Ok(())
}

/// Sets `name` to the text `value` builds unless the request already has it; the text's buffer
/// becomes the header's (a date, a host, a hash: one allocation each instead of two).
pub(crate) fn set_if_absent_with(
    headers: &mut HeaderMap,
    name: &HeaderName,
    value: impl FnOnce() -> String,
    algorithm: &'static str,
) -> Result<()> {
    if let http::header::Entry::Vacant(slot) = headers.entry(name) {
        slot.insert(owned_value(value(), name.as_str(), algorithm)?);
    }
    Ok(())
}

/// Sets `name` to the date `time` in `format` unless the request already has it.
pub(crate) fn set_date_if_absent(
    headers: &mut HeaderMap,
    name: &HeaderName,
    format: super::date_values::DateFormat,
    time: chrono::DateTime<chrono::Utc>,
    algorithm: &'static str,
) -> Result<()> {
    if let http::header::Entry::Vacant(slot) = headers.entry(name) {
        slot.insert(super::date_values::date_value(format, time, algorithm)?);
    }
    Ok(())
}

/// `name:value\n` for every header whose name starts with `prefix`, sorted by name. Repeated
/// headers are joined with `,`; `trim(name)` says whether that header's values are trimmed.
pub(crate) fn canonical_prefixed_headers(
    headers: &HeaderMap,
    prefix: &str,
    trim: impl Fn(&str) -> bool,
    algorithm: &'static str,
) -> Result<String> {
    let mut out = String::with_capacity(128);
    push_canonical_prefixed_headers(&mut out, headers, prefix, trim, algorithm)?;
    Ok(out)
}

/// [`canonical_prefixed_headers`] appended to `out` (no string of its own per signature).
pub(crate) fn push_canonical_prefixed_headers(
    out: &mut String,
    headers: &HeaderMap,
    prefix: &str,
    trim: impl Fn(&str) -> bool,
    algorithm: &'static str,
) -> Result<()> {
    let entries = sorted_entries(headers, |n| n.starts_with(prefix));
    push_canonical_entries(out, &entries, trim, algorithm)
}

/// The headers whose name `keep` selects, one entry per value, sorted by name (a stable sort:
/// a name's values keep their order, as `HeaderMap::iter` yields them together).
///
/// One pass over the map: looking each sorted name up again with `get_all` hashed every signed
/// name a second time.
pub(crate) fn sorted_entries(headers: &HeaderMap, keep: impl Fn(&str) -> bool) -> Entries<'_> {
    let mut entries = Entries::new(headers.len());
    for entry in headers.iter().filter(|(n, _)| keep(n.as_str())) {
        entries.push(entry);
    }
    sort_by_name(entries.as_mut_slice());
    entries
}

/// A placeholder entry for unused slots of [`Entries`].
static NO_NAME: HeaderName = HeaderName::from_static("x-unused");
static NO_VALUE: HeaderValue = HeaderValue::from_static("");

/// Header entries (name, value), on the stack up to [`Entries::INLINE`] of them: a vector per
/// signature was an allocation, and one kept per thread cost its lookups.
// Large inline on purpose: it lives on the stack for the length of one signature.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Entries<'h> {
    /// The first `.1` slots are entries.
    Inline([(&'h HeaderName, &'h HeaderValue); Entries::INLINE], usize),
    /// More than fit inline.
    Heap(Vec<(&'h HeaderName, &'h HeaderValue)>),
}

impl<'h> Entries<'h> {
    // Eight: filling sixteen placeholder slots was a copy of 256 bytes per signature, more than
    // the headers a V1 or V4 signature usually signs.
    const INLINE: usize = 8;

    /// Room for `len` entries: inline, spilling to the heap past [`Entries::INLINE`]. `len` is
    /// an upper bound (every header of a request) far above the signed ones, so it only says
    /// when to start on the heap.
    #[inline]
    pub(crate) fn new(len: usize) -> Self {
        if len <= 4 * Self::INLINE {
            Entries::Inline([(&NO_NAME, &NO_VALUE); Self::INLINE], 0)
        } else {
            Entries::Heap(Vec::with_capacity(len))
        }
    }

    pub(crate) fn push(&mut self, entry: (&'h HeaderName, &'h HeaderValue)) {
        match self {
            Entries::Inline(slots, n) if *n < Self::INLINE => {
                slots[*n] = entry;
                *n += 1;
            }
            Entries::Inline(slots, n) => {
                let mut v = slots[..*n].to_vec();
                v.push(entry);
                *self = Entries::Heap(v);
            }
            Entries::Heap(v) => v.push(entry),
        }
    }

    fn as_mut_slice(&mut self) -> &mut [(&'h HeaderName, &'h HeaderValue)] {
        match self {
            Entries::Inline(slots, n) => &mut slots[..*n],
            Entries::Heap(v) => v,
        }
    }
}

impl<'h> std::ops::Deref for Entries<'h> {
    type Target = [(&'h HeaderName, &'h HeaderValue)];
    fn deref(&self) -> &Self::Target {
        match self {
            Entries::Inline(slots, n) => &slots[..*n],
            Entries::Heap(v) => v,
        }
    }
}

/// Outside the generic callers: a sort inside them is compiled once per `keep` closure (eight
/// copies of the stable sort were 17 % of the crate's optimised code).
fn sort_by_name(entries: &mut [(&HeaderName, &HeaderValue)]) {
    entries.sort_by(|a, b| name_order(a.0.as_str(), b.0.as_str()));
}

/// The order of header names, from their first eight bytes when those differ: `memcmp` per
/// comparison was a tenth of a Tablestore signature, whose eight `x-ots-` names differ within
/// their first eight bytes but one pair. Names hold no NUL, so zero padding sorts a shorter name
/// before the longer names it starts.
fn name_order(a: &str, b: &str) -> std::cmp::Ordering {
    let head = |s: &str| super::primitives::leading_word(s.as_bytes());
    head(a).cmp(&head(b)).then_with(|| a.cmp(b))
}

/// `name:value\n` per name of `entries` (from [`sorted_entries`]), repeated values joined with
/// `,` (S5, S8); `trim(name)` says whether that header's values are trimmed.
pub(crate) fn push_canonical_entries(
    out: &mut String,
    entries: &[(&HeaderName, &HeaderValue)],
    trim: impl Fn(&str) -> bool,
    algorithm: &'static str,
) -> Result<()> {
    for (i, (name, value)) in entries.iter().enumerate() {
        let first = i == 0 || entries[i - 1].0 != *name;
        if first {
            if i > 0 {
                out.push('\n');
            }
            out.push_str(name.as_str());
            out.push(':');
        } else {
            out.push(',');
        }
        let v = value_str(value, name, algorithm)?;
        out.push_str(if trim(name.as_str()) { trim_ows(v) } else { v });
    }
    if !entries.is_empty() {
        out.push('\n');
    }
    Ok(())
}

/// The names of `headers` that `keep` selects, sorted (header names are lower case).
pub(crate) fn sorted_names(headers: &HeaderMap, keep: impl Fn(&str) -> bool) -> Vec<&HeaderName> {
    let mut names: Vec<&HeaderName> = headers.keys().filter(|n| keep(n.as_str())).collect();
    sort_names(&mut names);
    names
}

/// Outside the generic caller, for the reason of [`sort_by_name`].
fn sort_names(names: &mut [&HeaderName]) {
    names.sort_unstable_by(|a, b| name_order(a.as_str(), b.as_str()));
}

/// Appends `names` joined with `;` (SignedHeaders).
pub(crate) fn push_name_list(out: &mut String, names: &[&HeaderName]) {
    for (i, name) in names.iter().enumerate() {
        if i > 0 {
            out.push(';');
        }
        out.push_str(name.as_str());
    }
}

/// `name:value\n` for each of `names` (lower-case, sorted by the caller), values trimmed and
/// repeated values joined with `,`: the canonical header block of the V4-style algorithms.
pub(crate) fn push_canonical_headers(
    out: &mut String,
    headers: &HeaderMap,
    names: &[&HeaderName],
    algorithm: &'static str,
) -> Result<()> {
    for name in names {
        out.push_str(name.as_str());
        out.push(':');
        push_joined_values(out, headers, *name, true, algorithm)?;
        out.push('\n');
    }
    Ok(())
}

/// `value` without HTTP's optional whitespace (SP, HTAB; RFC 9110 §5.6.3) around it: what the
/// service's HTTP parser hands its verifier. `str::trim` would also strip Unicode spaces such as
/// U+00A0, which do reach the service and are part of what it signs.
pub(crate) fn trim_ows(value: &str) -> &str {
    // By bytes: a `char` pattern decodes UTF-8 on both ends (a fifth of a canonical header block).
    let ows = |b: &u8| *b == b' ' || *b == b'\t';
    let b = value.as_bytes();
    let start = b.iter().position(|c| !ows(c)).unwrap_or(b.len());
    let end = b.iter().rposition(|c| !ows(c)).map_or(start, |e| e + 1);
    // Both ends are next to ASCII bytes, hence on character boundaries.
    &value[start..end]
}

/// What a V1-style string to sign (OSS V1, OBS V2) reads from the headers, found in one pass
/// over them: a lookup per header (Content-MD5, Content-Type, the two dates) hashed each name
/// again, a tenth of such a signature.
pub(crate) struct V1Headers<'h> {
    content_md5: Option<&'h HeaderValue>,
    content_type: Option<&'h HeaderValue>,
    /// `Date`.
    pub(crate) date: Option<&'h HeaderValue>,
    /// The service's own date header (`x-oss-date`, `x-obs-date`).
    pub(crate) prefixed_date: Option<&'h HeaderValue>,
    /// Every header under the service's prefix, sorted by name.
    pub(crate) prefixed: Entries<'h>,
}

/// Scans `headers` once for a V1-style string to sign under `prefix`.
#[inline]
pub(crate) fn scan_v1<'h>(
    headers: &'h HeaderMap,
    prefix: &str,
    prefixed_date: &HeaderName,
) -> V1Headers<'h> {
    let mut scan = V1Headers {
        content_md5: None,
        content_type: None,
        date: None,
        prefixed_date: None,
        prefixed: Entries::new(headers.len()),
    };
    // `iter` yields a name's values together, first value first: `get_or_insert` keeps the
    // value `HeaderMap::get` returns.
    for (name, value) in headers.iter() {
        if *name == http::header::CONTENT_TYPE {
            scan.content_type.get_or_insert(value);
        } else if *name == http::header::DATE {
            scan.date.get_or_insert(value);
        } else if *name == CONTENT_MD5 {
            scan.content_md5.get_or_insert(value);
        } else if name.as_str().starts_with(prefix) {
            if name == prefixed_date {
                scan.prefixed_date.get_or_insert(value);
            }
            scan.prefixed.push((name, value));
        }
    }
    sort_by_name(scan.prefixed.as_mut_slice());
    scan
}

impl V1Headers<'_> {
    /// `METHOD\nContent-MD5\nContent-Type\n`, the head of the V1-style strings to sign, values
    /// trimmed as the service receives them.
    pub(crate) fn push_head(
        &self,
        out: &mut String,
        method: &str,
        algorithm: &'static str,
    ) -> Result<()> {
        out.push_str(method);
        out.push('\n');
        for (value, name) in [
            (self.content_md5, &CONTENT_MD5),
            (self.content_type, &http::header::CONTENT_TYPE),
        ] {
            if let Some(v) = value {
                out.push_str(trim_ows(value_str(v, name, algorithm)?));
            }
            out.push('\n');
        }
        Ok(())
    }
}

/// Appends `?name[=value]&…` for the query parameters `keep` selects plus `extra`, sorted by
/// name, values raw (decoded); names raw or, with `encode_names`, encoded with `/` kept. A
/// parameter without a value (or, with `empty_is_bare`, an empty one) is written bare.
pub(crate) fn push_subresources(
    out: &mut String,
    query: Option<&str>,
    keep: impl Fn(&str) -> bool,
    extra: &[(&str, &str)],
    encode_names: bool,
    empty_is_bare: bool,
) -> Result<()> {
    let query = query.unwrap_or("");
    let write = |out: &mut String, first: bool, k: &str, v: Option<&str>| {
        out.push(if first { '?' } else { '&' });
        if encode_names {
            super::encoding::push_encoded(out, k, super::encoding::RFC3986_KEEP_SLASH);
        } else {
            out.push_str(k);
        }
        if let Some(v) = v.filter(|v| !(empty_is_bare && v.is_empty())) {
            out.push('=');
            out.push_str(v);
        }
    };
    if extra.is_empty() && !query.as_bytes().contains(&b'&') {
        // One parameter or none: nothing to sort, no list to build.
        if let Some(raw) = super::encoding::split_query(query).next() {
            let name = super::encoding::decode(raw.name)?;
            if keep(&name) {
                let value = raw.value.map(super::encoding::decode).transpose()?;
                write(out, true, &name, value.as_deref());
            }
        }
        return Ok(());
    }
    let mut params: Vec<(Cow<'_, str>, Option<Cow<'_, str>>)> = Vec::with_capacity(4 + extra.len());
    for raw in super::encoding::split_query(query) {
        let name = super::encoding::decode(raw.name)?;
        if keep(&name) {
            params.push((name, raw.value.map(super::encoding::decode).transpose()?));
        }
    }
    params.extend(
        extra
            .iter()
            .map(|(k, v)| (Cow::Borrowed(*k), Some(Cow::Borrowed(*v)))),
    );
    // Whole (name, value) pairs compare: equal ones are identical, so stability buys nothing.
    params.sort_unstable();
    for (i, (k, v)) in params.iter().enumerate() {
        write(out, i == 0, k, v.as_deref());
    }
    Ok(())
}

/// Sets `Authorization`, marked sensitive; the value's buffer becomes the header's.
pub(crate) fn set_authorization(
    headers: &mut HeaderMap,
    value: String,
    algorithm: &'static str,
) -> Result<()> {
    let mut value = owned_value(value, "authorization", algorithm)?;
    value.set_sensitive(true);
    headers.insert(http::header::AUTHORIZATION, value);
    Ok(())
}

/// Finishes a V1-style header signature (OSS V1, OBS V2): Base64(HMAC-SHA1(secret, sts)) into
/// `Authorization: <scheme> <id>:<signature>`. The signature goes from a stack buffer straight
/// into the header; with [`Details::Skip`] no details are built (the returned value is then
/// empty).
pub(crate) fn authorize_v1(
    headers: &mut HeaderMap,
    scheme: &str,
    (id, secret): (&str, &str),
    sts: &str,
    details: Details,
    algorithm: &'static str,
) -> Result<Option<SigningDetails>> {
    let mut mac = super::keyed_macs::hmac_sha1(&[secret.as_bytes()]);
    hmac::Mac::update(&mut mac, sts.as_bytes());
    let mut signature = [0u8; 28];
    let signature =
        super::primitives::base64_str(&mut signature, &hmac::Mac::finalize(mac).into_bytes())
            .unwrap_or_default();
    // The scheme and the Base64 are visible ASCII: only the id, which the caller chose, is
    // checked (by `http`'s own rule), instead of every byte of the value.
    // Folded without an early exit, so that it vectorises.
    let header_safe = |ok: bool, b: u8| ok & ((b >= 32) & (b != 127) | (b == b'\t'));
    if !id.bytes().fold(true, header_safe) {
        return Err(Error::signing(
            algorithm,
            "the value for header `authorization` holds characters an HTTP header cannot carry",
        ));
    }
    // Exactly the length written, so the header takes the buffer without another allocation.
    let mut value = Vec::with_capacity(scheme.len() + id.len() + signature.len() + 2);
    value.extend_from_slice(scheme.as_bytes());
    value.push(b' ');
    value.extend_from_slice(id.as_bytes());
    value.push(b':');
    value.extend_from_slice(signature.as_bytes());
    // SAFETY: every byte is one a header value may hold (checked above for the id). `http`
    // checks it again in debug builds.
    let mut value = unsafe { HeaderValue::from_maybe_shared_unchecked(bytes::Bytes::from(value)) };
    value.set_sensitive(true);
    headers.insert(http::header::AUTHORIZATION, value);
    Ok(Some(match details {
        Details::Want => SigningDetails::new(None, sts.to_owned(), signature.to_owned()),
        Details::Skip => SigningDetails::default(),
    }))
}

/// Appends every value of `name`, joined with `,` (S5, S8), optionally trimmed.
pub(crate) fn push_joined_values<N: AsHeaderName + Copy + fmt::Display>(
    out: &mut String,
    headers: &HeaderMap,
    name: N,
    trim: bool,
    algorithm: &'static str,
) -> Result<()> {
    for (i, v) in headers.get_all(name).iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let s = value_str(v, name, algorithm)?;
        out.push_str(if trim { trim_ows(s) } else { s });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_authorization_value_is_checked_where_the_caller_chose_it() {
        // The value is built without `http`'s check of every byte: only the id is the caller's.
        use crate::sign::{roa, ObsMode, ObsSigner, OssV1Signer};
        use crate::{Credentials, ProviderName};
        let time = chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        let sign = |id: &str| -> Vec<Result<HeaderValue>> {
            let creds = Credentials::access_key(id, "sk", ProviderName::new("t"));
            let mut out = Vec::new();
            let mut req = http::Request::put("https://b.h/k").body(()).unwrap();
            let r = OssV1Signer::new(Some("b")).sign_request(&mut req, &creds, time);
            out.push(r.map(|_| req.headers()[http::header::AUTHORIZATION].clone()));
            let mut req = http::Request::put("https://b.h/k").body(()).unwrap();
            let r = ObsSigner::new(ObsMode::Native, Some("b")).sign_request(&mut req, &creds, time);
            out.push(r.map(|_| req.headers()[http::header::AUTHORIZATION].clone()));
            let mut req = http::Request::get("https://h/p").body(()).unwrap();
            let r = roa::sign_request(&mut req, &creds, time);
            out.push(r.map(|_| req.headers()[http::header::AUTHORIZATION].clone()));
            out
        };
        for id in ["ak\nX-Injected: 1", "ak\r", "a\u{7f}k", "\0"] {
            for r in sign(id) {
                let e = r.unwrap_err().to_string();
                assert!(e.contains("`authorization`") && !e.contains("ak\n"), "{e}");
            }
        }
        // What `http` itself accepts stays accepted: a tab, a space, bytes beyond ASCII.
        for id in ["a\tk", "a k", "ak\u{e9}"] {
            for r in sign(id) {
                let v = r.unwrap();
                assert!(v.is_sensitive());
                let text = v.as_bytes();
                assert!(text.windows(id.len()).any(|w| w == id.as_bytes()), "{id}");
            }
        }
    }

    #[test]
    fn name_order_is_str_order() {
        let names = [
            "",
            "a",
            "ab",
            "abcdefgh",
            "abcdefghi",
            "abcdefgg",
            "x-ots-date",
            "x-ots-dat",
            "x-ots-signdate",
            "x-ots-signregion",
            "content-type",
            "content-md5",
            "x",
        ];
        for a in names {
            for b in names {
                assert_eq!(name_order(a, b), a.cmp(b), "{a} {b}");
            }
        }
    }

    #[test]
    fn header_values_lose_only_http_whitespace() {
        let mut h = HeaderMap::new();
        h.append("x-a", HeaderValue::from_static(" \t a  b \t"));
        h.append(
            "x-a",
            HeaderValue::from_bytes("\u{a0}c\u{3000}".as_bytes()).unwrap(),
        );
        let mut out = String::new();
        push_joined_values(&mut out, &h, "x-a", true, "t").unwrap();
        assert_eq!(out, "a  b,\u{a0}c\u{3000}");
    }

    #[test]
    fn canonical_entries_group_repeated_headers_in_order() {
        let mut h = HeaderMap::new();
        h.append("x-oss-b", HeaderValue::from_static(" 2 "));
        h.append("x-oss-a", HeaderValue::from_static("first"));
        h.append("content-type", HeaderValue::from_static("t"));
        h.append("x-oss-b", HeaderValue::from_static("1"));
        h.append("x-oss-a", HeaderValue::from_static(" second\t"));
        h.append("x-oss-a", HeaderValue::from_static("third"));
        let mut out = String::new();
        push_canonical_prefixed_headers(&mut out, &h, "x-oss-", |n| n == "x-oss-a", "t").unwrap();
        assert_eq!(out, "x-oss-a:first,second,third\nx-oss-b: 2 ,1\n");
        // The same block as the per-name lookups it replaced.
        let mut by_name = String::new();
        let names = sorted_names(&h, |n| n.starts_with("x-oss-"));
        push_canonical_headers(&mut by_name, &h, &names, "t").unwrap();
        assert_eq!(by_name, "x-oss-a:first,second,third\nx-oss-b:2,1\n");
        let mut none = String::new();
        push_canonical_prefixed_headers(&mut none, &h, "x-none-", |_| true, "t").unwrap();
        assert_eq!(none, "");
    }
}
