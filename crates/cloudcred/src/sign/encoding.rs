//! The percent-encoding variants of signing.md §1.2.
//!
//! Every algorithm names one of three variants: RFC 3986 strict, RFC 3986 with `/` kept, or none
//! (raw). A space is always `%20`, never `+`, and hex digits are upper case. Signers receive URIs
//! that are already percent-encoded (the wire contract of design-notes), so they decode a
//! component and re-encode it with their variant only to build the *canonical* strings; the
//! request itself is never re-encoded.

use crate::error::{Error, Result};
use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use std::borrow::Cow;
use std::ops::Range;

/// RFC 3986 strict: everything except `A–Z a–z 0–9 - _ . ~` becomes `%XX`.
pub const RFC3986: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// RFC 3986 strict with `/` left as is (object keys and canonical URIs).
pub const RFC3986_KEEP_SLASH: &AsciiSet = &RFC3986.remove(b'/');

/// Encodes `s` with RFC 3986 strict.
pub fn encode(s: &str) -> Cow<'_, str> {
    utf8_percent_encode(s, RFC3986).into()
}

/// Encodes `s` with RFC 3986 strict, keeping `/`.
pub fn encode_path(s: &str) -> Cow<'_, str> {
    utf8_percent_encode(s, RFC3986_KEEP_SLASH).into()
}

/// Appends `s` encoded with `set` to `out` without an intermediate allocation.
pub fn push_encoded(out: &mut String, s: &str, set: &'static AsciiSet) {
    if set == RFC3986 {
        push_unreserved_encoded(out, s, false);
    } else if set == RFC3986_KEEP_SLASH {
        push_unreserved_encoded(out, s, true);
    } else {
        out.reserve(s.len());
        for chunk in utf8_percent_encode(s, set) {
            out.push_str(chunk);
        }
    }
}

/// The two RFC 3986 variants, written by hand: `percent_encoding`'s iterator (a chunk per escaped
/// byte, each appended separately) was a quarter of an RPC signature under callgrind.
/// Whether each byte value is kept as is by RFC 3986 strict (`A–Z a–z 0–9 - _ . ~`).
const UNRESERVED: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        t[b] = c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.' | b'~');
        b += 1;
    }
    t
};

/// [`UNRESERVED`] plus `/`.
const UNRESERVED_AND_SLASH: [bool; 256] = {
    let mut t = UNRESERVED;
    t[b'/' as usize] = true;
    t
};

/// Byte by byte into reserved space. [`push_strict`] encodes the same set by runs; measured
/// (callgrind, issue 12), runs win on the long unreserved components of RPC and ACS3 queries and
/// lose on the short mixed ones this encodes (V4 presign parameters, object keys: 190 to 260
/// instructions a signature more), so each keeps its form.
fn push_unreserved_encoded(out: &mut String, s: &str, keep_slash: bool) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let keep = if keep_slash {
        &UNRESERVED_AND_SLASH
    } else {
        &UNRESERVED
    };
    // SAFETY: kept bytes are ASCII (the tables hold ASCII bytes only) and escapes are `%` and
    // hex digits, so `out` stays valid UTF-8.
    let buf = unsafe { out.as_mut_vec() };
    let bytes = s.as_bytes();
    // Room for the worst case, then unchecked stores: a checked push per byte was a quarter of
    // an RPC signature under callgrind, and a bounds check per store a third of what remained.
    buf.reserve(bytes.len() * 3);
    let start = buf.len();
    // SAFETY: `reserve` made room for `3 * bytes.len()` bytes after `start`, and each input
    // byte writes at most 3, so every store below is inside the allocation; `set_len` covers
    // exactly the bytes written.
    unsafe {
        let dst = buf.as_mut_ptr().add(start);
        let mut n = 0;
        for &b in bytes {
            if keep[usize::from(b)] {
                *dst.add(n) = b;
                n += 1;
            } else {
                *dst.add(n) = b'%';
                *dst.add(n + 1) = HEX[usize::from(b >> 4)];
                *dst.add(n + 2) = HEX[usize::from(b & 15)];
                n += 3;
            }
        }
        buf.set_len(start + n);
    }
}

/// `s` encoded with `set`, as an owned string (for values that are sorted before use).
pub fn encode_owned(s: &str, set: &'static AsciiSet) -> String {
    let mut out = String::with_capacity(s.len());
    push_encoded(&mut out, s, set);
    out
}

/// An object key as the path of a URL: RFC 3986 strict with `/` kept, except that a `/` next to
/// a `.` or `..` segment is written `%2F`. Every URL parser (browsers, curl, Python's urllib3, the
/// `url` crate) removes dot segments, also when written `%2E%2E` (WHATWG), so `a/../b` sent as is
/// reaches the object `b`; as `a/..%2Fb` no parser sees a dot segment. OSS decodes `%2F` to `/`
/// and signs the decoded key (oss2 writes every `/` as `%2F` by default, `sign_url(slash_safe=
/// False)`), so the key and its V1 and V4 signatures are those of `a/../b`. OBS is taken to do
/// the same (S3 semantics; not checked against the service): were its V2 resource the path as
/// sent, such a URL would be refused (403), never served from another object.
///
/// A key that is only `.` or `..` has no such spelling and is refused.
pub fn encode_object_key(key: &str) -> Result<String> {
    if key == "." || key == ".." {
        return Err(Error::signing(
            "object key",
            "an object key of `.` or `..` cannot be a URL path: every client resolves it to \
             the bucket's root; rename the object",
        ));
    }
    let segments: Vec<&str> = key.split('/').collect();
    let dot = |s: &str| s == "." || s == "..";
    let mut out = String::with_capacity(key.len() + key.len() / 2);
    for (i, segment) in segments.iter().enumerate() {
        if i > 0 {
            let near_dot = dot(segments[i - 1]) || dot(segment);
            out.push_str(if near_dot { "%2F" } else { "/" });
        }
        push_encoded(&mut out, segment, RFC3986);
    }
    Ok(out)
}

#[cfg(test)]
mod fast_path_tests {
    use super::*;
    use proptest::prelude::*;

    /// The reference canonical query: every pair decoded into its own strings, sorted, encoded.
    fn canonical_query_is_the_reference(q: &str) -> Result<(), TestCaseError> {
        let reference = decode_query(q).map(|mut params| {
            params.sort_unstable();
            params
                .iter()
                .map(|(k, v)| format!("{}={}", encode(k), encode(v.as_deref().unwrap_or(""))))
                .collect::<Vec<_>>()
                .join("&")
        });
        match (canonical_query(Some(q)), reference) {
            (Ok(fast), Ok(reference)) => prop_assert_eq!(fast, reference),
            (Err(fast), Err(reference)) => prop_assert_eq!(fast.to_string(), reference.to_string()),
            (fast, reference) => prop_assert_eq!(fast.is_ok(), reference.is_ok()),
        }
        Ok(())
    }

    proptest! {
        #[test]
        fn query_split_by_bytes_matches_str_split(q in "([a&=é]|&&|==){0,16}") {
            let reference: Vec<(&str, Option<&str>)> = q
                .split('&')
                .filter(|p| !p.is_empty())
                .map(|p| match p.split_once('=') {
                    Some((n, v)) => (n, Some(v)),
                    None => (p, None),
                })
                .collect();
            let ours: Vec<(&str, Option<&str>)> =
                split_query(&q).map(|p| (p.name, p.value)).collect();
            prop_assert_eq!(ours, reference);
        }

        #[test]
        fn hand_written_decoder_matches_percent_encoding(s in "([%0-9a-fA-FgG/ é+~]|%[0-9a-fA-F]{0,2}|%[2-7][0-9A-F]){0,24}") {
            let mut fast = Vec::new();
            percent_decode_into(&mut fast, s.as_bytes());
            let reference: Vec<u8> = percent_decode_str(&s).collect();
            prop_assert_eq!(&fast, &reference);
            let mut pushed = String::from("prefix/");
            match (push_decoded(&mut pushed, &s), decode(&s)) {
                (Ok(()), Ok(d)) => prop_assert_eq!(pushed, format!("prefix/{d}")),
                (Err(_), Err(_)) => prop_assert_eq!(pushed, "prefix/"),
                (a, b) => prop_assert!(false, "push_decoded {:?} but decode {:?}", a.is_ok(), b.is_ok()),
            }
            for set in [RFC3986, RFC3986_KEEP_SLASH] {
                let mut out = String::from("prefix/");
                match push_normalised(&mut out, &s, set) {
                    Ok(()) => {
                        let decoded = decode(&s).unwrap();
                        prop_assert_eq!(out, format!("prefix/{}", encode_owned(&decoded, set)));
                    }
                    Err(_) => prop_assert!(decode(&s).is_err()),
                }
            }
        }

        #[test]
        fn canonical_query_sorts_decoded_pairs(q in "([a-c%2B41=é&+~]|%[0-9a-fA-F]{2}){0,20}") {
            canonical_query_is_the_reference(&q)?;
        }

        #[test]
        fn canonical_query_copies_strict_components_as_the_reference_writes_them(
            q in "([a-zA-Z0-9=&+*:~-]|%[0-9a-fA-F]{2}|%[0-9a-fA-F]?|%E4%B8%AD){0,30}",
        ) {
            canonical_query_is_the_reference(&q)?;
        }

        #[test]
        fn one_parameter_queries_take_the_direct_path_to_the_same_result(
            q in "[a-z%20A-F=]{0,12}(&[a-z=]{0,4})?",
            bare in any::<bool>(),
        ) {
            // The reference: the sorting path, forced by an extra parameter sorted first.
            let mut direct = String::new();
            let direct_ok = push_sorted_query(&mut direct, Some(&q), &[], RFC3986, bare).is_ok();
            let mut sorted = String::new();
            let sorted_ok =
                push_sorted_query(&mut sorted, Some(&q), &[("", "")], RFC3986, bare).is_ok();
            prop_assert_eq!(direct_ok, sorted_ok);
            if direct_ok {
                // `("", "")` sorts first and writes `` or `=`, then `&` before the rest.
                let rest = sorted.split_once('&').map_or("", |(_, r)| r);
                prop_assert_eq!(direct, rest);
            }
        }

        #[test]
        fn hand_written_variants_match_percent_encoding(s in "\\PC{0,40}") {
            for set in [RFC3986, RFC3986_KEEP_SLASH] {
                let mut fast = String::new();
                push_encoded(&mut fast, &s, set);
                let reference: String = utf8_percent_encode(&s, set).collect();
                prop_assert_eq!(fast, reference);
            }
        }
    }

    #[test]
    fn every_byte_value() {
        let all: String = (0u32..0x800).filter_map(char::from_u32).collect();
        for set in [RFC3986, RFC3986_KEEP_SLASH] {
            let mut fast = String::new();
            push_encoded(&mut fast, &all, set);
            assert_eq!(fast, utf8_percent_encode(&all, set).collect::<String>());
        }
    }
}

/// Percent-decodes `s`. `+` stays `+`: the wire contract encodes a space as `%20`. Fails when the
/// decoded bytes are not UTF-8, because every string to sign is UTF-8 text.
pub fn decode(s: &str) -> Result<Cow<'_, str>> {
    // Most components have no escape; `s` is then its own decoding, already UTF-8.
    if !s.as_bytes().contains(&b'%') {
        return Ok(Cow::Borrowed(s));
    }
    percent_decode_str(s).decode_utf8().map_err(|_| not_utf8())
}

/// Appends `s` percent-decoded, then encoded with `set`: a component normalised for a canonical
/// string. Decodes into a per-thread buffer, not a new string, when `s` holds an escape.
pub(crate) fn push_normalised(out: &mut String, s: &str, set: &'static AsciiSet) -> Result<()> {
    if !s.as_bytes().contains(&b'%') {
        push_encoded(out, s, set);
        return Ok(());
    }
    let keep = if set == RFC3986 {
        Some(&UNRESERVED)
    } else if set == RFC3986_KEEP_SLASH {
        Some(&UNRESERVED_AND_SLASH)
    } else {
        None
    };
    if let Some(keep) = keep {
        if is_normalised(s.as_bytes(), keep) {
            // What clients send (`photo%201.jpg`): its own normal form, copied in one piece.
            out.push_str(s);
            return Ok(());
        }
    }
    if let Some(keep) = keep.filter(|_| escapes_are_ascii(s.as_bytes())) {
        // Every escape is an ASCII byte: the decoded text is UTF-8 whatever the rest holds (an
        // ASCII byte cannot fall inside a multi-byte character), so decode and re-encode in one
        // pass, without a decoded copy.
        // SAFETY: `reencode` appends ASCII only: kept bytes are ASCII, every other byte becomes
        // an escape.
        reencode(unsafe { out.as_mut_vec() }, s.as_bytes(), keep);
        return Ok(());
    }
    let mut decoded = super::scratch::string(s.len());
    // SAFETY: checked to be UTF-8 below before it is read as text; on failure it is cleared.
    let bytes = unsafe { decoded.as_mut_vec() };
    if percent_decode_into(bytes, s.as_bytes()) && std::str::from_utf8(bytes).is_err() {
        bytes.clear();
        return Err(not_utf8());
    }
    push_encoded(out, &decoded, set);
    Ok(())
}

/// Whether `s` is what decoding and encoding it with `keep` writes: kept bytes, and escapes in
/// upper-case hex of ASCII bytes `keep` does not keep. One read, then one copy, instead of
/// decoding and encoding byte by byte (a twentieth of an OSS V4 signature for a 20-byte key).
/// Escapes of other bytes (UTF-8 text) answer `false`: only decoding can tell whether they are
/// valid.
fn is_normalised(s: &[u8], keep: &[bool; 256]) -> bool {
    let mut i = 0;
    while let Some(&b) = s.get(i) {
        if keep[usize::from(b)] {
            i += 1;
            continue;
        }
        match upper_escape(s, i) {
            Some(d) if d < 0x80 && !keep[usize::from(d)] => i += 3,
            _ => return false,
        }
    }
    true
}

/// The byte `b[at..]` escapes when it starts with `%` and two upper-case hex digits, the only
/// escapes RFC 3986 strict writes.
fn upper_escape(b: &[u8], at: usize) -> Option<u8> {
    let digit = |i: usize| match b.get(at + i) {
        Some(&d @ b'0'..=b'9') => Some(d - b'0'),
        Some(&d @ b'A'..=b'F') => Some(d - b'A' + 10),
        _ => None,
    };
    match (b.get(at), digit(1), digit(2)) {
        (Some(b'%'), Some(hi), Some(lo)) => Some(hi << 4 | lo),
        _ => None,
    }
}

/// Whether `path` is already what decoding it and encoding each `/`-separated segment RFC 3986
/// strict writes (see [`is_normalised`]).
#[cfg(feature = "sign")]
pub(crate) fn is_normalised_path(path: &str) -> bool {
    is_normalised(path.as_bytes(), &UNRESERVED_AND_SLASH)
}

/// The value of hex digit `b`.
fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Whether every escape (`%` and two hex digits) in `s` stands for an ASCII byte.
fn escapes_are_ascii(s: &[u8]) -> bool {
    s.windows(3)
        .all(|w| w[0] != b'%' || hex_value(w[2]).is_none() || hex_value(w[1]).is_none_or(|h| h < 8))
}

/// Appends `s`, its escapes decoded, encoded again with the table `keep` (RFC 3986 strict, with
/// or without `/`). Escapes must decode to ASCII ([`escapes_are_ascii`]); other bytes of `s` are
/// encoded as they are.
fn reencode(out: &mut Vec<u8>, s: &[u8], keep: &[bool; 256]) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    out.reserve(s.len() * 3);
    let mut i = 0;
    while i < s.len() {
        let mut b = s[i];
        i += 1;
        if b == b'%' && i + 1 < s.len() {
            if let (Some(h), Some(l)) = (hex_value(s[i]), hex_value(s[i + 1])) {
                b = h << 4 | l;
                i += 2;
            }
        }
        if keep[usize::from(b)] {
            out.push(b);
        } else {
            out.extend_from_slice(&[b'%', HEX[usize::from(b >> 4)], HEX[usize::from(b & 15)]]);
        }
    }
}

/// Appends `s` percent-decoded to `out`: `%` and two hex digits is a byte, anything else
/// (a lone `%` included) is itself, as `percent_encoding::percent_decode` reads it; `true` when a
/// decoded byte is outside ASCII, the only way the result can fail to be UTF-8. By hand: the
/// crate's byte iterator cost about 70 instructions a byte.
///
/// The text between escapes is copied a run at a time: byte by byte, decoding an 18-byte key
/// cost twice what the run copies do, and checking the whole result as UTF-8 again cost as much.
fn percent_decode_into(out: &mut Vec<u8>, s: &[u8]) -> bool {
    out.reserve(s.len());
    let mut high = 0u8;
    let mut rest = s;
    while let Some(at) = rest.iter().position(|&b| b == b'%') {
        out.extend_from_slice(&rest[..at]);
        let escape = &rest[at..];
        match (
            escape.get(1).copied().and_then(hex_value),
            escape.get(2).copied().and_then(hex_value),
        ) {
            (Some(h), Some(l)) => {
                let b = h << 4 | l;
                high |= b;
                out.push(b);
                rest = &escape[3..];
            }
            _ => {
                out.push(b'%');
                rest = &escape[1..];
            }
        }
    }
    out.extend_from_slice(rest);
    high >= 0x80
}

/// Appends `s` percent-decoded to `out`, straight into it (V1-style resources sign the decoded
/// key as it is).
pub(crate) fn push_decoded(out: &mut String, s: &str) -> Result<()> {
    let start = out.len();
    // SAFETY: the text between escapes is whole characters of `s` (a `%` is ASCII, so never
    // inside one) and ASCII escapes decode to ASCII; only when an escape decoded to a byte
    // outside ASCII can the appended bytes be invalid UTF-8, and then they are checked and cut
    // off before `out` is used again.
    let bytes = unsafe { out.as_mut_vec() };
    if percent_decode_into(bytes, s.as_bytes()) && std::str::from_utf8(&bytes[start..]).is_err() {
        bytes.truncate(start);
        return Err(not_utf8());
    }
    Ok(())
}

fn not_utf8() -> Error {
    Error::signing(
        "percent-decoding",
        "a percent-encoded URI component does not decode to UTF-8",
    )
}

/// One query parameter, as the caller encoded it on the wire. `value` is `None` for a key-only
/// parameter (`?acl`).
#[derive(Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct RawParam<'a> {
    /// The name, still percent-encoded.
    pub name: &'a str,
    /// The value, still percent-encoded; `None` without `=`.
    pub value: Option<&'a str>,
}

impl std::fmt::Debug for RawParam<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Values of signed queries include security tokens and signatures.
        f.debug_struct("RawParam")
            .field("name", &self.name)
            .field("value", &self.value.map(|_| crate::model::REDACTED))
            .finish()
    }
}

/// Splits an encoded query string into its parameters, in wire order, skipping empty segments.
pub fn split_query(query: &str) -> impl Iterator<Item = RawParam<'_>> {
    // By bytes: `str::split(char)` and `split_once(char)` run a `CharSearcher` each, whose set-up
    // outweighed the search on parameters this short (3 to 8 % of a V1 signature). `&` and `=`
    // are ASCII, so every cut is on a character boundary.
    let mut rest = query;
    std::iter::from_fn(move || loop {
        if rest.is_empty() {
            return None;
        }
        let end = rest.bytes().position(|b| b == b'&').unwrap_or(rest.len());
        let param = &rest[..end];
        rest = rest.get(end + 1..).unwrap_or("");
        if param.is_empty() {
            continue;
        }
        return Some(match param.bytes().position(|b| b == b'=') {
            Some(eq) => RawParam {
                name: &param[..eq],
                value: Some(&param[eq + 1..]),
            },
            None => RawParam {
                name: param,
                value: None,
            },
        });
    })
}

/// Sorts (name, value) ranges of `buf` by name, then value. Whole pairs compare: equal ones are
/// identical, so stability buys nothing. As bytes (UTF-8's byte order is its code point order),
/// values only on equal names: comparing `(name, value)` string pairs sliced the buffer four
/// times, each slice checking its character boundaries, and was most of the sort (a tenth of a
/// V4 presign).
fn sort_pairs(params: &mut [(Range<usize>, Range<usize>)], buf: &str) {
    let bytes = buf.as_bytes();
    params.sort_unstable_by(|a, b| {
        bytes[a.0.clone()]
            .cmp(&bytes[b.0.clone()])
            .then_with(|| bytes[a.1.clone()].cmp(&bytes[b.1.clone()]))
    });
}

/// A decoded query parameter.
pub type Param<'a> = (Cow<'a, str>, Option<Cow<'a, str>>);

/// Splits and decodes an encoded query string.
pub fn decode_query(query: &str) -> Result<Vec<Param<'_>>> {
    split_query(query)
        .map(|p| Ok((decode(p.name)?, p.value.map(decode).transpose()?)))
        .collect()
}

/// Sorted by decoded (name, value), `enc(name)=enc(value)` RFC 3986 strict (`name=` without a
/// value), joined with `&`: the canonical query of ACS3, Huawei APIG and Tablestore.
pub fn canonical_query(query: Option<&str>) -> Result<String> {
    let mut out = String::new();
    push_canonical_query(&mut out, query)?;
    Ok(out)
}

/// [`canonical_query`] appended to `out` (ACS3 and APIG write it into their canonical request
/// instead of a string of its own, which grew three times per signature).
///
/// A component sent as RFC 3986 strict writes it (as clients send them) is its own canonical
/// form and is copied as it is; only the others are decoded, into one per-thread buffer, and
/// the parameters are sorted as ranges (a vector of decoded strings per signature was a handful
/// of allocations).
pub(crate) fn push_canonical_query(out: &mut String, query: Option<&str>) -> Result<()> {
    let query = query.unwrap_or("");
    if query.is_empty() {
        return Ok(());
    }
    let mut decoded = super::scratch::string(0);
    // A parameter without a value sorts as one with an empty value: both are written `name=`.
    let mut params = super::scratch::ranges(8);
    scan_to_ranges(
        query,
        |form| form != Form::Other,
        false,
        &mut decoded,
        &mut params,
    )?;
    let sent = |r: &Range<usize>| r.start < query.len();
    let text = |r: &Range<usize>| range_text(query, &decoded, r).unwrap_or_default();
    // Values as sent compare decoded (a strict one's escapes are ASCII: it decodes to UTF-8).
    let value = |r: &Range<usize>| match sent(r) {
        true => decode(text(r)).unwrap_or(Cow::Borrowed(text(r))),
        false => Cow::Borrowed(text(r)),
    };
    params.sort_unstable_by(|(an, av), (bn, bv)| {
        text(an)
            .cmp(text(bn))
            .then_with(|| value(av).cmp(&value(bv)))
    });
    for (i, (name, value)) in params.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        for (at, r) in [name, value].into_iter().enumerate() {
            if at == 1 {
                out.push('=');
            }
            // As sent, plain or strict, a component is its own encoding.
            if sent(r) {
                out.push_str(text(r));
            } else {
                push_strict(out, text(r), false);
            }
        }
    }
    Ok(())
}

/// The value range of a parameter written without `=`, from [`scan_to_ranges`] with `bare`.
pub(crate) const NO_VALUE: Range<usize> = usize::MAX..usize::MAX;

/// The parameters of `query` as (name, value) ranges, for the canonical forms that sort them
/// decoded: a component whose [`Form`] `as_sent` accepts is a range of `query`; the others are
/// decoded into `decoded`, their ranges offset by `query.len()` ([`range_text`] reads both).
/// With `bare`, a parameter without `=` has [`NO_VALUE`] as its value, else an empty one.
pub(crate) fn scan_to_ranges(
    query: &str,
    as_sent: impl Fn(Form) -> bool,
    bare: bool,
    decoded: &mut String,
    params: &mut Vec<super::scratch::RangePair>,
) -> Result<()> {
    for p in scan_query(query) {
        let mut part = |form: Form, range: Range<usize>| -> Result<Range<usize>> {
            if as_sent(form) {
                return Ok(range);
            }
            let start = query.len() + decoded.len();
            push_decoded(decoded, &query[range])?;
            Ok(start..query.len() + decoded.len())
        };
        let has_value = p.value.start > p.name.end;
        let name = part(p.name_form, p.name)?;
        let value = if bare && !has_value {
            NO_VALUE
        } else {
            part(p.value_form, p.value)?
        };
        params.push((name, value));
    }
    Ok(())
}

/// The text of a range from [`scan_to_ranges`]; `None` for [`NO_VALUE`].
pub(crate) fn range_text<'a>(
    query: &'a str,
    decoded: &'a str,
    r: &Range<usize>,
) -> Option<&'a str> {
    match r.start.checked_sub(query.len()) {
        _ if *r == NO_VALUE => None,
        None => Some(&query[r.clone()]),
        Some(start) => Some(&decoded[start..r.end - query.len()]),
    }
}

/// Appends the V4-style canonical query: every parameter of `query` plus `extra` (raw), names
/// encoded with `name_set`, values RFC 3986 strict, sorted by encoded (name, value), joined with
/// `&`. A parameter with an empty or no value is `name` when `bare_empty`, else `name=`.
pub fn push_sorted_query(
    out: &mut String,
    query: Option<&str>,
    extra: &[(&str, &str)],
    name_set: &'static AsciiSet,
    bare_empty: bool,
) -> Result<()> {
    push_sorted_query_with(out, query, extra, false, name_set, bare_empty)
}

/// [`push_sorted_query`], with `extra` already encoded when `extra_encoded` (a presigner encodes
/// its parameters once, for both the canonical query and the URL).
pub(crate) fn push_sorted_query_with(
    out: &mut String,
    query: Option<&str>,
    extra: &[(&str, &str)],
    extra_encoded: bool,
    name_set: &'static AsciiSet,
    bare_empty: bool,
) -> Result<()> {
    // Every encoded name and value goes into one buffer and the parameters are sorted as ranges
    // of it: two owned strings per parameter were a tenth of a V4 presign under callgrind.
    let query = query.unwrap_or("");
    if extra.is_empty() && !query.as_bytes().contains(&b'&') {
        // One parameter or none: nothing to sort, so straight into `out`.
        if let Some(raw) = split_query(query).next() {
            push_normalised(out, raw.name, name_set)?;
            let mark = out.len();
            out.push('=');
            if let Some(v) = raw.value {
                push_normalised(out, v, RFC3986)?;
            }
            if bare_empty && out.len() == mark + 1 {
                out.pop();
            }
        }
        return Ok(());
    }
    let extra_len: usize = extra.iter().map(|(k, v)| k.len() + v.len()).sum();
    // Sized for the encoder's worst-case reservation (3 bytes a byte), so it never reallocates.
    let mut buf = super::scratch::string((query.len() + extra_len) * 3);
    let mut params = super::scratch::ranges(8 + extra.len());
    for raw in split_query(query) {
        let start = buf.len();
        push_normalised(&mut buf, raw.name, name_set)?;
        let mid = buf.len();
        if let Some(v) = raw.value {
            push_normalised(&mut buf, v, RFC3986)?;
        }
        params.push((start..mid, mid..buf.len()));
    }
    for (k, v) in extra {
        let start = buf.len();
        if extra_encoded {
            buf.push_str(k);
        } else {
            push_encoded(&mut buf, k, name_set);
        }
        let mid = buf.len();
        if extra_encoded {
            buf.push_str(v);
        } else {
            push_encoded(&mut buf, v, RFC3986);
        }
        params.push((start..mid, mid..buf.len()));
    }
    let text = |r: &Range<usize>| &buf[r.clone()];
    sort_pairs(&mut params, &buf);
    for (i, (k, v)) in params.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(text(k));
        if !(bare_empty && v.is_empty()) {
            out.push('=');
            out.push_str(text(v));
        }
    }
    Ok(())
}

/// The presign parameters present in `values` (names RFC 3986 unreserved), their values
/// encoded once into `buf`, for both the canonical query
/// ([`push_sorted_query_with`]) and the URL: encoding each twice was a tenth of a V4 presign.
/// Unused slots are empty; there is room for one more pair (the signature).
#[cfg(feature = "sign")]
pub(crate) fn encode_once<'b, const N: usize>(
    buf: &'b mut String,
    values: &[(&'static str, Option<&str>); N],
) -> [(&'static str, &'b str); 8] {
    const { assert!(N < 8) };
    buf.reserve(values.iter().map(|(_, v)| v.map_or(0, str::len) * 3).sum());
    let mut spans = [("", 0, 0); 8];
    let mut n = 0;
    for (name, value) in values {
        if let Some(value) = value {
            let start = buf.len();
            push_encoded(buf, value, RFC3986);
            spans[n] = (*name, start, buf.len());
            n += 1;
        }
    }
    let buf: &'b String = buf;
    spans.map(|(name, start, end)| (name, &buf[start..end]))
}

/// The path decoded, split on `/`, each segment encoded RFC 3986 strict, joined with `/`.
///
/// Decoding first makes an encoded `/` (`%2F`) a separator; [`encode_each_segment`] keeps it.
pub fn encode_segments(path: &str) -> Result<String> {
    let decoded = decode(path)?;
    let mut out = String::with_capacity(path.len() + 1);
    for (i, segment) in decoded.split('/').enumerate() {
        if i > 0 {
            out.push('/');
        }
        push_encoded(&mut out, segment, RFC3986);
    }
    Ok(out)
}

/// The path split on `/` first, then each segment decoded and encoded RFC 3986 strict, joined
/// with `/`: a `%2F` inside a segment stays `%2F`, as the request carries it.
pub fn encode_each_segment(path: &str) -> Result<String> {
    let mut out = String::with_capacity(path.len() + 1);
    for (i, segment) in path.split('/').enumerate() {
        if i > 0 {
            out.push('/');
        }
        push_encoded(&mut out, &decode(segment)?, RFC3986);
    }
    Ok(out)
}

/// Bytes RFC 3986 strict escapes (all but `A–Z a–z 0–9 - _ . ~`) are 1, kept bytes 0: bytes,
/// not `bool`s, so that eight lookups fold into one mask ([`unreserved_len`]).
const STRICT_ESCAPED: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        if !UNRESERVED[b] {
            t[b] = 1;
        }
        b += 1;
    }
    t
};

/// How many bytes at the start of `b` RFC 3986 strict keeps, looked up eight at a time.
///
/// Components are mostly long unreserved runs (names, ids, nonces, dates): a lookup per byte
/// without a branch, a test per eight bytes, then one copy of the run, instead of a lookup, a
/// branch and a store per byte.
pub(crate) fn unreserved_len(b: &[u8]) -> usize {
    let mut n = 0;
    for chunk in b.chunks_exact(8) {
        // One bit per byte to escape: the first one is where the run ends.
        let mask = chunk.iter().enumerate().fold(0u32, |mask, (i, &c)| {
            mask | u32::from(STRICT_ESCAPED[usize::from(c)]) << i
        });
        if mask != 0 {
            return n + mask.trailing_zeros() as usize;
        }
        n += 8;
    }
    n + b[n..]
        .iter()
        .take_while(|&&c| STRICT_ESCAPED[usize::from(c)] == 0)
        .count()
}

/// Appends `s` encoded RFC 3986 strict, unreserved runs copied whole; with `twice`, encoded
/// once more (an escape's `%` as `%25`, as the RPC string to sign holds its canonical query).
/// Text already encoded once is encoded again by encoding it once: its escapes' `%` is its
/// only byte to escape.
pub(crate) fn push_strict(out: &mut String, s: &str, twice: bool) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let run = unreserved_len(&b[i..]);
        if run > 0 {
            // Kept bytes are ASCII: both ends of the run are character boundaries.
            out.push_str(&s[i..i + run]);
            i += run;
        }
        let Some(&c) = b.get(i) else { break };
        out.push('%');
        if twice {
            out.push_str("25");
        }
        out.push(char::from(HEX[usize::from(c >> 4)]));
        out.push(char::from(HEX[usize::from(c & 15)]));
        i += 1;
    }
}

/// Whether `b[at..]` starts with an escape RFC 3986 strict writes: `%`, then two upper-case
/// hex digits of an ASCII byte it does not keep.
fn is_strict_escape(b: &[u8], at: usize) -> bool {
    upper_escape(b, at).is_some_and(|d| d < 0x80 && STRICT_ESCAPED[usize::from(d)] == 1)
}

/// What a query component is as sent, which decides what a canonical string does with it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Form {
    /// Unreserved bytes only: its own decoding and its own RFC 3986 strict encoding.
    #[default]
    Plain,
    /// Encoded as RFC 3986 strict encodes its decoding (upper-case escapes of the ASCII bytes
    /// it escapes, nothing else escaped), as clients send it: its own strict encoding, decoded
    /// only to compare values of equal names. A name is never this (names sort decoded).
    Strict,
    /// Anything else: to be decoded (with its `%`, `+` or other bytes) before use.
    Other,
}

/// A parameter found by [`scan_query`]: byte ranges of the query and what each component is.
#[derive(Clone, Debug)]
pub(crate) struct Scanned {
    pub(crate) name: Range<usize>,
    pub(crate) name_form: Form,
    /// Empty without `=`.
    pub(crate) value: Range<usize>,
    pub(crate) value_form: Form,
}

/// Splits an encoded query (or form body) as [`split_query`] does, and tells for each
/// component whether it must be decoded, in the same scan: one lookup per byte, eight at a time,
/// instead of a search per separator and a search per component for `%`.
pub(crate) fn scan_query(s: &str) -> impl Iterator<Item = Scanned> + '_ {
    let b = s.as_bytes();
    let mut i = 0;
    std::iter::from_fn(move || {
        while i < b.len() {
            let start = i;
            let mut eq = None;
            let (mut name_form, mut value_form) = (Form::Plain, Form::Plain);
            loop {
                i += unreserved_len(&b[i..]);
                match b.get(i) {
                    None | Some(b'&') => break,
                    Some(b'=') if eq.is_none() => eq = Some(i),
                    Some(b'%') if eq.is_some() && is_strict_escape(b, i) => {
                        value_form = value_form.max(Form::Strict);
                        i += 2;
                    }
                    Some(_) if eq.is_none() => name_form = Form::Other,
                    Some(_) => value_form = Form::Other,
                }
                i += 1;
            }
            let end = i;
            i += 1;
            if end > start {
                let (name_end, value_start) = eq.map_or((end, end), |at| (at, at + 1));
                return Some(Scanned {
                    name: start..name_end,
                    name_form,
                    value: value_start..end,
                    value_form,
                });
            }
        }
        None
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_segment_keeps_an_encoded_slash() {
        assert_eq!(
            encode_each_segment("/clusters/a%2Fb").unwrap(),
            "/clusters/a%2Fb"
        );
        assert_eq!(encode_segments("/clusters/a%2Fb").unwrap(), "/clusters/a/b");
        // Each segment is normalised: unreserved escapes decoded, the rest upper-case escapes.
        assert_eq!(
            encode_each_segment("/a%7eb/c%2fd/%25/é").unwrap(),
            "/a~b/c%2Fd/%25/%C3%A9"
        );
        assert!(encode_each_segment("/ok/%FF").is_err());
    }

    #[test]
    fn variants_of_section_1_2() {
        assert_eq!(encode("a b+c*d~e/f"), "a%20b%2Bc%2Ad~e%2Ff");
        assert_eq!(encode_path("1234+-/123/1.txt"), "1234%2B-/123/1.txt");
        assert_eq!(encode("中"), "%E4%B8%AD");
        assert_eq!(decode("a%20b+c").unwrap(), "a b+c");
        assert!(decode("%FF").is_err());
    }

    #[test]
    fn object_keys_keep_their_dot_segments_through_url_parsers() {
        for (key, path) in [
            ("a/../b", "a%2F..%2Fb"),
            ("../x", "..%2Fx"),
            ("x/..", "x%2F.."),
            ("a//./b c", "a/%2F.%2Fb%20c"),
            ("../..", "..%2F.."),
            ("a.b/...", "a.b/..."),
            ("dir/a+b", "dir/a%2Bb"),
        ] {
            let encoded = encode_object_key(key).unwrap();
            assert_eq!(encoded, path, "{key}");
            // A WHATWG parser leaves the path alone and decodes back to the key.
            let url = url::Url::parse(&format!("https://b.example.invalid/{encoded}")).unwrap();
            assert_eq!(url.path(), format!("/{path}"), "{key}");
            assert_eq!(decode(&url.path()[1..]).unwrap(), key);
        }
        assert!(encode_object_key("..").is_err());
        assert!(encode_object_key(".").is_err());
    }

    #[test]
    fn split_keeps_key_only_parameters() {
        let params: Vec<_> = split_query("acl&a=&b=1&&c=x%3Dy").collect();
        assert_eq!(params.len(), 4);
        assert_eq!(params[0].value, None);
        assert_eq!(params[1].value, Some(""));
        assert_eq!(params[3].value, Some("x%3Dy"));
    }

    proptest::proptest! {
        #[test]
        fn scans_as_split_query_splits(
            s in "([a-z=&+*:-]|%[0-9a-fA-F]{2}|%[0-9a-fA-F]?|%E4%B8%AD){0,24}",
        ) {
            let split: Vec<_> = split_query(&s).collect();
            let scanned: Vec<_> = scan_query(&s).collect();
            proptest::prop_assert_eq!(split.len(), scanned.len());
            for (raw, p) in split.iter().zip(&scanned) {
                proptest::prop_assert_eq!(raw.name, &s[p.name.clone()]);
                proptest::prop_assert_eq!(raw.value.unwrap_or(""), &s[p.value.clone()]);
                for (text, form) in [(raw.name, p.name_form), (raw.value.unwrap_or(""), p.value_form)] {
                    let mut encoded = String::new();
                    push_strict(&mut encoded, text, false);
                    match form {
                        Form::Plain => proptest::prop_assert_eq!(&encoded, text),
                        Form::Strict => {
                            let mut canonical = String::new();
                            push_strict(&mut canonical, &decode(text).unwrap(), false);
                            proptest::prop_assert_eq!(canonical, text);
                        }
                        Form::Other => {}
                    }
                }
                proptest::prop_assert!(p.name_form != Form::Strict);
            }
        }

        #[test]
        fn strict_encoding_is_the_shared_encoders(s in "\\PC{0,40}") {
            let mut once = String::new();
            push_encoded(&mut once, &s, RFC3986);
            let mut twice = String::new();
            push_encoded(&mut twice, &once, RFC3986);
            let mut out = String::from("kept");
            push_strict(&mut out, &s, false);
            proptest::prop_assert_eq!(out, format!("kept{once}"));
            let mut out = String::new();
            push_strict(&mut out, &s, true);
            proptest::prop_assert_eq!(&out, &twice);
            let mut again = String::new();
            push_strict(&mut again, &once, false);
            proptest::prop_assert_eq!(again, twice);
        }
    }
}
