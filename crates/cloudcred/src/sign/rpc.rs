//! Alibaba RPC signature, SignatureVersion 1.0 (signing.md §2): HMAC-SHA1 keyed with
//! `secret&`, SHA256withRSA for GenerateSessionAccessKey, the bearer placement, and the unsigned
//! form AssumeRoleWithOIDC uses.
//!
//! The signature covers the union of the query and, for a form POST, the body parameters, so the
//! request signer reads both, then *appends* its own parameters and `Signature` to the query; the
//! caller's parameters are never re-encoded or reordered on the wire.
//!
//! One signature decodes every parameter into one buffer, sorts them as ranges of it, and writes
//! the string to sign in one pass (the canonicalized query encoded twice at once); the signed
//! query is built in one buffer of its exact length that the `Uri` takes over.

use super::credential_gate::{auth, Auth};
use super::details::{Details, SigningDetails};
use super::encoding::{decode, split_query};
use super::keyed_macs;
use super::primitives;
use super::request_url::append_query_in_place;
use super::time_format;
use crate::error::{Error, Result};
use crate::model::Credentials;
use bytes::Bytes;
use chrono::{DateTime, Datelike, Timelike, Utc};
use hmac::Mac;
use http::uri::PathAndQuery;
use http::{Request, Uri};
#[cfg(feature = "rsa")]
use rsa::pkcs1::DecodeRsaPrivateKey;
#[cfg(feature = "rsa")]
use rsa::pkcs8::DecodePrivateKey;
#[cfg(feature = "rsa")]
use std::fmt;

const ALGORITHM: &str = "RPC";

/// `Signature` is never part of what is signed.
const SIGNATURE: &str = "Signature";

/// The most parameters a signer adds before `Signature` (the RSA form's).
const MAX_ADDED: usize = 7;

/// `enc(name)=enc(value)` pairs sorted by name (byte order), joined with `&` (§2.2 steps 1–4).
pub fn canonicalized_query<K: AsRef<str>, V: AsRef<str>>(params: &[(K, V)]) -> String {
    let mut out = Vec::new();
    for (i, (k, v)) in sorted_pairs(params).into_iter().enumerate() {
        push_canonical_pair(Some(&mut out), None, i == 0, k, v);
    }
    text(out)
}

/// `METHOD&%2F&enc(CanonicalizedQuery)` (§2.2 step 5).
pub fn string_to_sign<K: AsRef<str>, V: AsRef<str>>(method: &str, params: &[(K, V)]) -> String {
    let mut sts = Vec::new();
    push_sts_head(&mut sts, method);
    for (i, (k, v)) in sorted_pairs(params).into_iter().enumerate() {
        push_canonical_pair(None, Some(&mut sts), i == 0, k, v);
    }
    text(sts)
}

/// The parameters a signature covers, `Signature` left out, sorted by (name, value).
fn sorted_pairs<K: AsRef<str>, V: AsRef<str>>(params: &[(K, V)]) -> Vec<(&str, &str)> {
    let mut sorted: Vec<(&str, &str)> = params
        .iter()
        .map(|(k, v)| (k.as_ref(), v.as_ref()))
        .filter(|(k, _)| *k != SIGNATURE)
        .collect();
    sorted.sort_unstable();
    sorted
}

/// Text built from `&str` pieces and ASCII escapes only, so always UTF-8.
fn text(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// Whether RFC 3986 strict keeps a byte as is (`A–Z a–z 0–9 - _ . ~`).
///
/// `encoding::push_encoded` writes one output; the RPC string to sign needs each byte encoded
/// once for the canonicalized query and twice for the string to sign, and its escape count to
/// size the signed query exactly (a `Bytes` takes that buffer over only when it is full).
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

const HEX_UPPER: &[u8; 16] = b"0123456789ABCDEF";

/// `METHOD&%2F&`, the head of the string to sign.
fn push_sts_head(sts: &mut Vec<u8>, method: &str) {
    sts.extend_from_slice(method.as_bytes());
    sts.extend_from_slice(b"&%2F&");
}

/// Appends one parameter to the canonicalized query (`&name=value`, encoded once) and to the
/// string to sign (the same encoded again).
fn push_canonical_pair(
    canonical: Option<&mut Vec<u8>>,
    sts: Option<&mut Vec<u8>>,
    first: bool,
    name: &str,
    value: &str,
) {
    if let Some(c) = canonical {
        if !first {
            c.push(b'&');
        }
        push_encoded(c, name.as_bytes(), false);
        c.push(b'=');
        push_encoded(c, value.as_bytes(), false);
    }
    if let Some(s) = sts {
        if !first {
            s.extend_from_slice(b"%26");
        }
        push_encoded(s, name.as_bytes(), true);
        s.extend_from_slice(b"%3D");
        push_encoded(s, value.as_bytes(), true);
    }
}

/// Appends `s` encoded RFC 3986 strict; with `twice`, encoded once more (an escape's `%` as
/// `%25`), as the string to sign holds the canonicalized query.
///
/// Unchecked stores into room made first: the runs between escapes are a few bytes long, and a
/// `memcpy` per run, then a checked push per byte, were each a tenth of a signature. The room is
/// the worst case when the buffer has it, else exactly what `s` needs, so a buffer sized exactly
/// by [`pairs_len`] never grows.
fn push_encoded(out: &mut Vec<u8>, s: &[u8], twice: bool) {
    let escape_len = if twice { 5 } else { 3 };
    if out.capacity() - out.len() < s.len() * escape_len {
        let escapes = s.iter().filter(|&&b| !UNRESERVED[usize::from(b)]).count();
        out.reserve(s.len() + escapes * (escape_len - 1));
    }
    let start = out.len();
    // SAFETY: after the reservation above there is room for every byte `s` encodes to after
    // `start` (kept bytes write one, escapes `escape_len`), so every store is inside the
    // allocation, and `set_len` covers exactly the bytes written, all initialised.
    unsafe {
        let dst = out.as_mut_ptr().add(start);
        let mut n = 0;
        for &b in s {
            if UNRESERVED[usize::from(b)] {
                *dst.add(n) = b;
                n += 1;
            } else {
                *dst.add(n) = b'%';
                if twice {
                    *dst.add(n + 1) = b'2';
                    *dst.add(n + 2) = b'5';
                }
                *dst.add(n + escape_len - 2) = HEX_UPPER[usize::from(b >> 4)];
                *dst.add(n + escape_len - 1) = HEX_UPPER[usize::from(b & 15)];
                n += escape_len;
            }
        }
        out.set_len(start + n);
    }
}

/// Base64(HMAC-SHA1(secret + `&`, string_to_sign)) (§2.2 step 6).
pub fn hmac_signature(secret: &str, string_to_sign: &str) -> String {
    primitives::base64_secret_hmac_sha1(&[secret.as_bytes(), b"&"], string_to_sign.as_bytes())
}

/// An RSA private key for SHA256withRSA (§2.4), parsed from PKCS#8 or PKCS#1 PEM.
#[cfg(feature = "rsa")]
#[cfg_attr(docsrs, doc(cfg(feature = "rsa")))]
#[derive(Clone)]
pub struct RsaKey(rsa::RsaPrivateKey);

#[cfg(feature = "rsa")]
impl RsaKey {
    /// Parses `-----BEGIN PRIVATE KEY-----` (PKCS#8) or `-----BEGIN RSA PRIVATE KEY-----` (PKCS#1).
    pub fn from_pem(pem: &str) -> Result<Self> {
        rsa::RsaPrivateKey::from_pkcs8_pem(pem)
            .or_else(|_| rsa::RsaPrivateKey::from_pkcs1_pem(pem))
            .map(Self)
            .map_err(|_| {
                Error::signing(
                    "RPC SHA256withRSA",
                    "the private key is neither a PKCS#8 nor a PKCS#1 PEM RSA key",
                )
            })
    }

    /// Wraps a key already in memory.
    pub fn from_key(key: rsa::RsaPrivateKey) -> Self {
        Self(key)
    }

    /// Base64(RSASSA-PKCS1-v1_5 with SHA-256 over `string_to_sign`); nothing is appended (§2.4).
    pub fn sign(&self, string_to_sign: &str) -> Result<String> {
        use sha2::{Digest, Sha256};
        let digest = Sha256::digest(string_to_sign.as_bytes());
        self.0
            .sign(rsa::Pkcs1v15Sign::new::<Sha256>(), &digest)
            .map(|s| primitives::base64(&s))
            .map_err(|_| Error::signing("RPC SHA256withRSA", "RSA signing failed"))
    }
}

#[cfg(feature = "rsa")]
impl fmt::Debug for RsaKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RsaKey(")?;
        f.write_str(crate::model::REDACTED)?;
        f.write_str(")")
    }
}

fn is_form(content_type: &http::HeaderValue) -> bool {
    content_type.as_bytes().len() >= 33
        && content_type.as_bytes()[..33].eq_ignore_ascii_case(b"application/x-www-form-urlencoded")
}

/// A parameter as byte ranges of [`Covered::text`].
#[derive(Clone, Copy, Default)]
struct Span {
    /// The name's first 8 bytes, big-endian, zero-padded: most comparisons of the sort end
    /// here instead of in two `memcmp` calls (the sort was an eighth of a signature).
    key: u64,
    name: (usize, usize),
    value: (usize, usize),
}

impl Span {
    fn new(text: &str, name: (usize, usize), value: (usize, usize)) -> Self {
        Self {
            key: name_key(&text[name.0..name.1]),
            name,
            value,
        }
    }
}

/// [`Span::key`] of `name`.
fn name_key(name: &str) -> u64 {
    let mut key = [0u8; 8];
    let head = &name.as_bytes()[..name.len().min(8)];
    key[..head.len()].copy_from_slice(head);
    u64::from_be_bytes(key)
}

/// Every parameter the signature covers: the query, a form body's parameters and the signer's
/// own, decoded into one buffer (a string per decoded component and a pair of them per
/// parameter were a tenth of a signature) and sorted as ranges of it.
struct Covered {
    text: String,
    spans: Vec<Span>,
    /// The signer's parameters in the order they go on the wire (`spans` gets sorted).
    added: [Span; MAX_ADDED],
    added_len: usize,
}

impl Covered {
    /// The request's parameters, with `room` bytes spare for the signer's.
    fn of<B: AsRef<[u8]>>(req: &Request<B>, room: usize) -> Result<Self> {
        let query = req.uri().query().unwrap_or("");
        let form = if req
            .headers()
            .get(http::header::CONTENT_TYPE)
            .is_some_and(is_form)
        {
            Some(
                std::str::from_utf8(req.body().as_ref())
                    .map_err(|_| Error::signing(ALGORITHM, "the form body is not valid UTF-8"))?,
            )
        } else {
            None
        };
        let raw = query.len() + form.map_or(0, str::len);
        let mut covered = Self {
            // Decoding never lengthens a component.
            text: String::with_capacity(raw + room),
            spans: Vec::with_capacity(MAX_ADDED + 4 + raw / 8),
            added: [Span::default(); MAX_ADDED],
            added_len: 0,
        };
        for p in split_query(query) {
            covered.push_decoded(p.name, p.value, false)?;
        }
        for p in form.into_iter().flat_map(split_query) {
            // A form body decodes `+` as a space (application/x-www-form-urlencoded), unlike
            // the query, where cloudcred's wire contract reads `+` literally.
            covered.push_decoded(p.name, p.value, true)?;
        }
        Ok(covered)
    }

    fn push_decoded(&mut self, name: &str, value: Option<&str>, form: bool) -> Result<()> {
        let start = self.text.len();
        push_decoded(&mut self.text, name, form)?;
        let mid = self.text.len();
        if let Some(value) = value {
            push_decoded(&mut self.text, value, form)?;
        }
        self.spans
            .push(Span::new(&self.text, (start, mid), (mid, self.text.len())));
        Ok(())
    }

    fn get(&self, (start, end): (usize, usize)) -> &str {
        &self.text[start..end]
    }

    /// Adds the signer's parameter `name`, its value written by `value`, unless it is set.
    fn add_with(&mut self, name: &str, value: impl FnOnce(&mut String)) {
        let key = name_key(name);
        let set = |s: &Span| s.key == key && self.get(s.name) == name;
        if self.spans.iter().any(set) || self.added_len == MAX_ADDED {
            return;
        }
        let start = self.text.len();
        self.text.push_str(name);
        let mid = self.text.len();
        value(&mut self.text);
        let span = Span::new(&self.text, (start, mid), (mid, self.text.len()));
        self.spans.push(span);
        self.added[self.added_len] = span;
        self.added_len += 1;
    }

    fn add(&mut self, name: &str, value: &str) {
        self.add_with(name, |text| text.push_str(value));
    }

    fn add_version_nonce_time(&mut self, nonce: &str, time: DateTime<Utc>) {
        self.add("SignatureVersion", "1.0");
        self.add("SignatureNonce", nonce);
        self.add_with("Timestamp", |text| push_timestamp(text, time));
    }

    /// The string to sign of `method` and, with [`Details::Want`], the canonicalized query.
    fn string_to_sign(&mut self, method: &str, details: Details) -> (Option<Vec<u8>>, Vec<u8>) {
        let text = &self.text;
        let get = |(start, end): (usize, usize)| &text[start..end];
        // Keys differ only where the names do, in the same order (a name ending within its
        // first 8 bytes is padded with zeros, which sort first as its end does).
        self.spans.sort_unstable_by(|a, b| {
            a.key
                .cmp(&b.key)
                .then_with(|| (get(a.name), get(a.value)).cmp(&(get(b.name), get(b.value))))
        });
        // Sized for the worst case (every byte escaped: 3 bytes, 5 encoded twice), so the
        // byte-wise writes never reallocate.
        let (raw, n) = (text.len(), self.spans.len());
        let mut canonical = (details == Details::Want).then(|| Vec::with_capacity(3 * raw + n));
        let mut sts = Vec::with_capacity(method.len() + 5 + 5 * raw + 3 * n);
        push_sts_head(&mut sts, method);
        let mut first = true;
        for span in &self.spans {
            let name = get(span.name);
            if name != SIGNATURE {
                push_canonical_pair(
                    canonical.as_mut(),
                    Some(&mut sts),
                    first,
                    name,
                    get(span.value),
                );
                first = false;
            }
        }
        (canonical, sts)
    }

    /// The signer's parameters as they go on the wire, then `Signature` when given.
    fn wire_pairs<'s>(
        &'s self,
        signature: Option<&'s str>,
    ) -> ([(&'s str, &'s str); MAX_ADDED + 1], usize) {
        let mut pairs = [("", ""); MAX_ADDED + 1];
        for (slot, span) in pairs.iter_mut().zip(&self.added[..self.added_len]) {
            *slot = (self.get(span.name), self.get(span.value));
        }
        let mut len = self.added_len;
        if let Some(signature) = signature {
            pairs[len] = (SIGNATURE, signature);
            len += 1;
        }
        (pairs, len)
    }
}

/// Appends `s` percent-decoded (with `form`, `+` as a space) to `out`; refuses, with the error
/// of [`decode`], a component that does not decode to UTF-8.
fn push_decoded(out: &mut String, s: &str, form: bool) -> Result<()> {
    let raw = s.as_bytes();
    if !raw.iter().any(|&b| b == b'%' || (form && b == b'+')) {
        out.push_str(s);
        return Ok(());
    }
    let start = out.len();
    // SAFETY: the bytes written after `start` are checked to be UTF-8 before `out` is used as
    // text again, and removed when they are not.
    let buf = unsafe { out.as_mut_vec() };
    let hex = |b: &u8| char::from(*b).to_digit(16);
    let mut i = 0;
    while i < raw.len() {
        let b = raw[i];
        // `%` not followed by two hex digits stays a `%`, as `percent_encoding` decodes it.
        let escaped = (b == b'%')
            .then(|| Some((hex(raw.get(i + 1)?)?, hex(raw.get(i + 2)?)?)))
            .flatten();
        if let Some((hi, lo)) = escaped {
            // Two hex digits make one byte.
            buf.push((hi * 16 + lo) as u8);
            i += 3;
            continue;
        }
        buf.push(if form && b == b'+' { b' ' } else { b });
        i += 1;
    }
    if std::str::from_utf8(&buf[start..]).is_err() {
        buf.truncate(start);
        // `decode` fails on the same bytes (a space is UTF-8): its error, not a second wording.
        return Err(decode(s)
            .err()
            .unwrap_or_else(|| Error::signing(ALGORITHM, "a parameter does not decode to UTF-8")));
    }
    Ok(())
}

/// `2016-02-23T12:46:24Z` appended to `out`, as [`time_format::iso8601_extended`] writes it,
/// without a string of its own and with one date conversion instead of one per field.
fn push_timestamp(out: &mut String, time: DateTime<Utc>) {
    let t = time.naive_utc();
    let Ok(year @ 0..=9999) = u32::try_from(t.year()) else {
        out.push_str(&time_format::iso8601_extended(time));
        return;
    };
    let mut digits = *b"0000-00-00T00:00:00Z";
    for (at, mut v, width) in [
        (0, year, 4),
        (5, t.month(), 2),
        (8, t.day(), 2),
        (11, t.hour(), 2),
        (14, t.minute(), 2),
        (17, t.second(), 2),
    ] {
        for slot in digits[at..at + width].iter_mut().rev() {
            *slot = b'0' + (v % 10) as u8;
            v /= 10;
        }
    }
    out.extend(digits.iter().map(|&b| char::from(b)));
}

/// Base64(HMAC-SHA1(`secret&`, `sts`)) written into `out`: as [`hmac_signature`], without a
/// string of its own.
fn hmac_signature_into<'o>(out: &'o mut [u8; 28], secret: &str, sts: &[u8]) -> Result<&'o str> {
    let mut mac = keyed_macs::hmac_sha1(&[secret.as_bytes(), b"&"]);
    mac.update(sts);
    let failed = |_| Error::signing(ALGORITHM, "the signature does not fit its Base64 form");
    let n = base64::Engine::encode_slice(
        &base64::engine::general_purpose::STANDARD,
        mac.finalize().into_bytes(),
        out,
    )
    .map_err(|_| failed(()))?;
    std::str::from_utf8(&out[..n]).map_err(|_| failed(()))
}

/// The length of `pairs` as [`push_pairs`] writes them.
fn pairs_len(pairs: &[(&str, &str)]) -> usize {
    let len: usize = pairs
        .iter()
        .map(|(k, v)| {
            let escapes = v.bytes().filter(|&b| !UNRESERVED[usize::from(b)]).count();
            k.len() + 1 + v.len() + 2 * escapes
        })
        .sum();
    len + pairs.len().saturating_sub(1)
}

/// Appends `name=enc(value)` pairs joined with `&` (the names are the signer's, plain).
fn push_pairs(out: &mut Vec<u8>, pairs: &[(&str, &str)]) {
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push(b'&');
        }
        out.extend_from_slice(k.as_bytes());
        out.push(b'=');
        push_encoded(out, v.as_bytes(), false);
    }
}

/// Where the signer's parameters go: appended to the query, or to a form body.
type Place<B> = fn(&mut Request<B>, &[(&str, &str)]) -> Result<()>;

/// Appends `pairs` to the query of `req`.
///
/// An absolute URI gets its path and query rebuilt in one buffer of exactly their length, which
/// `Bytes` takes over without a copy, and only that part is parsed again; the `Uri` is moved
/// apart, not cloned (a clone made its shared buffers reference-counted: one more allocation).
fn to_query<B>(req: &mut Request<B>, pairs: &[(&str, &str)]) -> Result<()> {
    if pairs.is_empty() {
        return Ok(());
    }
    let uri = req.uri_mut();
    let invalid = || Error::signing(ALGORITHM, "the signed URI is not a valid URI");
    let mut pq = Vec::new();
    if uri.scheme().is_none() || uri.authority().is_none() {
        pq.reserve_exact(pairs_len(pairs));
        push_pairs(&mut pq, pairs);
        let extra = std::str::from_utf8(&pq).map_err(|_| invalid())?;
        return append_query_in_place(uri, extra, ALGORITHM);
    }
    let (path, query) = (uri.path(), uri.query().filter(|q| !q.is_empty()));
    pq.reserve_exact(path.len() + 1 + query.map_or(0, |q| q.len() + 1) + pairs_len(pairs));
    pq.extend_from_slice(path.as_bytes());
    pq.push(b'?');
    if let Some(q) = query {
        pq.extend_from_slice(q.as_bytes());
        pq.push(b'&');
    }
    push_pairs(&mut pq, pairs);
    let pq = PathAndQuery::from_maybe_shared(Bytes::from(pq)).map_err(|_| invalid())?;
    let mut parts = std::mem::take(uri).into_parts();
    parts.path_and_query = Some(pq);
    *uri = Uri::from_parts(parts).map_err(|_| invalid())?;
    Ok(())
}

fn to_form_body(req: &mut Request<Vec<u8>>, pairs: &[(&str, &str)]) -> Result<()> {
    if pairs.is_empty() {
        return Ok(());
    }
    let body = req.body_mut();
    body.reserve_exact(1 + pairs_len(pairs));
    if !body.is_empty() {
        body.push(b'&');
    }
    push_pairs(body, pairs);
    Ok(())
}

/// Signs an RPC request in place with HMAC-SHA1 (§2.1–2.2); `false` when the credentials leave
/// it unsigned.
///
/// Appends `AccessKeyId`, `SignatureMethod`, `SignatureVersion`, `SignatureNonce`, `Timestamp`
/// and `SecurityToken` (each unless the caller set it), then `Signature`, to the query. The caller
/// supplies `Action`, `Version`, `Format` and the action's parameters (query and/or form body). A
/// bearer credential gets the bearer placement of §2.5; anonymous credentials leave the request
/// as is (both return `false`). For STS calls prefer [`sign_form_request`], which keeps the token
/// and the signature out of the URL. [`sign_request_with_details`] also returns the intermediate
/// strings.
pub fn sign_request<B: AsRef<[u8]>>(
    req: &mut Request<B>,
    creds: &Credentials,
    time: DateTime<Utc>,
    nonce: &str,
) -> Result<bool> {
    Ok(sign_with(req, creds, time, nonce, to_query, Details::Skip)?.is_some())
}

/// As [`sign_request`], returning the intermediate strings (`None` when left unsigned).
pub fn sign_request_with_details<B: AsRef<[u8]>>(
    req: &mut Request<B>,
    creds: &Credentials,
    time: DateTime<Utc>,
    nonce: &str,
) -> Result<Option<SigningDetails>> {
    sign_with(req, creds, time, nonce, to_query, Details::Want)
}

/// As [`sign_request`] for a POST whose parameters travel in an
/// `application/x-www-form-urlencoded` body: the signer's parameters, the token and `Signature`
/// are appended to the body, never to the URL (design notes, "Secrets"). Sets the content type
/// when absent; refuses a body of another type.
pub fn sign_form_request(
    req: &mut Request<Vec<u8>>,
    creds: &Credentials,
    time: DateTime<Utc>,
    nonce: &str,
) -> Result<bool> {
    Ok(sign_form(req, creds, time, nonce, Details::Skip)?.is_some())
}

/// As [`sign_form_request`], returning the intermediate strings (`None` when left unsigned).
pub fn sign_form_request_with_details(
    req: &mut Request<Vec<u8>>,
    creds: &Credentials,
    time: DateTime<Utc>,
    nonce: &str,
) -> Result<Option<SigningDetails>> {
    sign_form(req, creds, time, nonce, Details::Want)
}

fn sign_form(
    req: &mut Request<Vec<u8>>,
    creds: &Credentials,
    time: DateTime<Utc>,
    nonce: &str,
    details: Details,
) -> Result<Option<SigningDetails>> {
    let h = req.headers_mut();
    match h.get(http::header::CONTENT_TYPE) {
        None => {
            h.insert(
                http::header::CONTENT_TYPE,
                http::HeaderValue::from_static("application/x-www-form-urlencoded"),
            );
        }
        Some(ct) if is_form(ct) => {}
        Some(_) => {
            return Err(Error::signing(
                ALGORITHM,
                "form signing needs an application/x-www-form-urlencoded body",
            ))
        }
    }
    sign_with(req, creds, time, nonce, to_form_body, details)
}

/// Bytes the signer's parameter names, `=` and `&` take at most (the RSA form's).
const ADDED_NAMES_LEN: usize = 128;

/// Signs with HMAC-SHA1; `None` when left unsigned, empty details with [`Details::Skip`].
fn sign_with<B: AsRef<[u8]>>(
    req: &mut Request<B>,
    creds: &Credentials,
    time: DateTime<Utc>,
    nonce: &str,
    place: Place<B>,
    details: Details,
) -> Result<Option<SigningDetails>> {
    let (id, secret, token) = match auth(creds) {
        Auth::Anonymous => return Ok(None),
        Auth::Bearer { token, .. } => {
            place(
                req,
                &[("BearerToken", token), ("SignatureType", "BEARERTOKEN")],
            )?;
            return Ok(None);
        }
        Auth::Key { id, secret, token } => (id, secret, token),
    };
    let room = ADDED_NAMES_LEN + id.len() + nonce.len() + token.map_or(0, str::len) + 32;
    let mut covered = Covered::of(req, room)?;
    covered.add("AccessKeyId", id);
    covered.add("SignatureMethod", "HMAC-SHA1");
    covered.add_version_nonce_time(nonce, time);
    if let Some(token) = token {
        covered.add("SecurityToken", token);
    }
    let (canonical, sts) = covered.string_to_sign(req.method().as_str(), details);
    let mut b64 = [0u8; 28];
    let signature = hmac_signature_into(&mut b64, secret, &sts)?;
    let (pairs, n) = covered.wire_pairs(Some(signature));
    place(req, &pairs[..n])?;
    Ok(Some(match canonical {
        Some(canonical) => {
            SigningDetails::new(Some(text(canonical)), text(sts), signature.to_owned())
        }
        None => SigningDetails::default(),
    }))
}

/// Signs an RPC request in place with SHA256withRSA for GenerateSessionAccessKey (§2.4).
///
/// `public_key_id` goes into `AccessKeyId` and `PublicKeyId`; `SignatureType=PRIVATEKEY`.
#[cfg(feature = "rsa")]
#[cfg_attr(docsrs, doc(cfg(feature = "rsa")))]
pub fn sign_request_rsa<B: AsRef<[u8]>>(
    req: &mut Request<B>,
    public_key_id: &str,
    key: &RsaKey,
    time: DateTime<Utc>,
    nonce: &str,
) -> Result<SigningDetails> {
    let room = ADDED_NAMES_LEN + 2 * public_key_id.len() + nonce.len() + 32;
    let mut covered = Covered::of(req, room)?;
    covered.add("AccessKeyId", public_key_id);
    covered.add("PublicKeyId", public_key_id);
    covered.add("SignatureMethod", "SHA256withRSA");
    covered.add("SignatureType", "PRIVATEKEY");
    covered.add_version_nonce_time(nonce, time);
    let (canonical, sts) = covered.string_to_sign(req.method().as_str(), Details::Want);
    let sts = text(sts);
    let signature = key.sign(&sts)?;
    let (pairs, n) = covered.wire_pairs(Some(&signature));
    to_query(req, &pairs[..n])?;
    Ok(SigningDetails::new(canonical.map(text), sts, signature))
}

/// Prepares an unsigned RPC request (AssumeRoleWithOIDC, §2.3): appends `Timestamp` unless the
/// caller set it. `Action`, `Format` and `Version` are the caller's; nothing is signed.
pub fn prepare_unsigned<B: AsRef<[u8]>>(req: &mut Request<B>, time: DateTime<Utc>) -> Result<()> {
    let mut covered = Covered::of(req, 32)?;
    covered.add_with("Timestamp", |text| push_timestamp(text, time));
    let (pairs, n) = covered.wire_pairs(None);
    to_query(req, &pairs[..n])
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(feature = "rsa")]
    use rsa::pkcs1::EncodeRsaPrivateKey;
    #[cfg(feature = "rsa")]
    use rsa::pkcs8::{EncodePrivateKey, LineEnding};
    #[cfg(feature = "rsa")]
    use sha2::{Digest, Sha256};

    fn time() -> DateTime<Utc> {
        DateTime::from_timestamp(1_456_231_584, 0).unwrap()
    }

    /// What the signer decoded before it had its own decoder: `encoding::decode`, a form
    /// body's `+` first replaced by `%20`.
    fn decoded_as_before(s: &str, form: bool) -> Result<String> {
        let s = if form {
            s.replace('+', "%20")
        } else {
            s.to_owned()
        };
        decode(&s).map(|d| d.into_owned())
    }

    proptest::proptest! {
        #[test]
        fn decodes_as_percent_encoding_does(
            s in "([a-zA-Z0-9+ =~é-]|%[0-9a-fA-F]{0,2}|%[89a-fA-F][0-9a-fA-F]|%[cC][0-9]%[89aA][0-9]){0,12}",
            form: bool,
        ) {
            let mut out = String::from("kept");
            let ours = push_decoded(&mut out, &s, form).map(|()| out.clone());
            match decoded_as_before(&s, form) {
                Ok(d) => proptest::prop_assert_eq!(ours.unwrap(), format!("kept{d}")),
                Err(e) => {
                    proptest::prop_assert_eq!(ours.unwrap_err().to_string(), e.to_string());
                    proptest::prop_assert_eq!(out, "kept");
                }
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn encodes_as_the_shared_encoder_once_and_twice(s in "\\PC{0,40}", room: bool) {
            let mut once = String::new();
            crate::sign::encoding::push_encoded(&mut once, &s, crate::sign::encoding::RFC3986);
            let mut twice = String::new();
            crate::sign::encoding::push_encoded(&mut twice, &once, crate::sign::encoding::RFC3986);
            for (expected, double) in [(once, false), (twice, true)] {
                // With room for the worst case, and in a buffer of exactly the encoded length
                // (as `pairs_len` sizes the signed query), which must not grow.
                let capacity = if room { 5 * s.len() } else { expected.len() };
                let mut out = Vec::with_capacity(capacity);
                push_encoded(&mut out, s.as_bytes(), double);
                proptest::prop_assert_eq!(out.capacity(), capacity);
                proptest::prop_assert_eq!(String::from_utf8(out).unwrap(), expected);
            }
        }
    }

    #[test]
    fn parameters_sort_by_whole_names_and_values() {
        // Names sharing their first 8 bytes, ending within them, holding a NUL, equal names.
        let names = [
            "SignatureX",
            "Signatur",
            "a",
            "a%00",
            "a%00b",
            "ab",
            "a",
            "Signature",
            "zz",
        ];
        let query: Vec<String> = names
            .iter()
            .enumerate()
            .map(|(i, n)| format!("{n}={}", 9 - i))
            .collect();
        let mut req = Request::builder()
            .uri(format!("https://h.example.invalid/?{}", query.join("&")))
            .body(Vec::new())
            .unwrap();
        let c = Credentials::access_key("id", "secret", "t".into());
        let d = sign_request_with_details(&mut req, &c, time(), "n")
            .unwrap()
            .unwrap();
        let mut all: Vec<(String, String)> = names
            .iter()
            .enumerate()
            .map(|(i, n)| (n.replace("%00", "\0"), (9 - i).to_string()))
            .collect();
        for (k, v) in [
            ("AccessKeyId", "id"),
            ("SignatureMethod", "HMAC-SHA1"),
            ("SignatureVersion", "1.0"),
            ("SignatureNonce", "n"),
            ("Timestamp", "2016-02-23T12:46:24Z"),
        ] {
            all.push((k.to_owned(), v.to_owned()));
        }
        assert_eq!(d.string_to_sign, string_to_sign("GET", &all));
    }

    #[test]
    fn timestamps_are_written_as_time_format_writes_them() {
        for secs in (0..800i64).map(|i| 1_700_000_000 + i * 86_400 * 3 + i * 3_917) {
            let t = DateTime::from_timestamp(secs, 0).unwrap();
            let mut out = String::new();
            push_timestamp(&mut out, t);
            assert_eq!(out, time_format::iso8601_extended(t));
        }
        let far = DateTime::from_timestamp(300_000_000_000, 0).unwrap();
        let mut out = String::new();
        push_timestamp(&mut out, far);
        assert_eq!(out, time_format::iso8601_extended(far));
    }

    #[test]
    fn signing_without_details_sends_the_same_request() {
        let c = Credentials::sts("STS.id", "secret", "tok+en", None, "t".into());
        let build = || {
            Request::builder()
                .method("POST")
                .uri("https://sts.example.invalid/p?Action=AssumeRole&Format=JSON&Version=2015-04-01&a=%E4%B8%AD")
                .header("content-type", "application/x-www-form-urlencoded")
                .body(b"RoleSessionName=a+b&DurationSeconds=3600&x=%2B".to_vec())
                .unwrap()
        };
        let (mut fast, mut slow) = (build(), build());
        assert!(sign_request(&mut fast, &c, time(), "n").unwrap());
        let d = sign_request_with_details(&mut slow, &c, time(), "n")
            .unwrap()
            .unwrap();
        assert_eq!(fast.uri(), slow.uri());
        assert_eq!(
            d.string_to_sign,
            string_to_sign(
                "POST",
                &[
                    ("Action", "AssumeRole"),
                    ("Format", "JSON"),
                    ("Version", "2015-04-01"),
                    ("a", "中"),
                    ("RoleSessionName", "a b"),
                    ("DurationSeconds", "3600"),
                    ("x", "+"),
                    ("AccessKeyId", "STS.id"),
                    ("SignatureMethod", "HMAC-SHA1"),
                    ("SignatureVersion", "1.0"),
                    ("SignatureNonce", "n"),
                    ("Timestamp", "2016-02-23T12:46:24Z"),
                    ("SecurityToken", "tok+en"),
                ]
            )
        );
        assert_eq!(
            d.canonical_request.as_deref(),
            Some(
                &*d.string_to_sign["POST&%2F&".len()..]
                    .replace("%25", "%")
                    .replace("%26", "&")
                    .replace("%3D", "=")
            )
        );
        let (mut fast, mut slow) = (build(), build());
        assert!(sign_form_request(&mut fast, &c, time(), "n").unwrap());
        sign_form_request_with_details(&mut slow, &c, time(), "n")
            .unwrap()
            .unwrap();
        assert_eq!((fast.uri(), fast.body()), (slow.uri(), slow.body()));
        assert!(String::from_utf8(fast.body().clone())
            .unwrap()
            .ends_with(&format!(
                "&Signature={}",
                crate::sign::encoding::encode(&d.signature)
            )));
    }

    #[cfg(feature = "rsa")]
    #[test]
    fn rsa_variant_signs_with_pkcs1_v15_sha256_and_verifies() {
        // PKCS#1 v1.5 is deterministic, but no vector exists (§2.4): verify with the public key.
        let private = rsa::RsaPrivateKey::new(&mut rand::thread_rng(), 1024).unwrap();
        let public = rsa::RsaPublicKey::from(&private);
        let pkcs8 = private.to_pkcs8_pem(LineEnding::LF).unwrap();
        let pkcs1 = private.to_pkcs1_pem(LineEnding::LF).unwrap();
        let key = RsaKey::from_pem(&pkcs8).unwrap();
        assert_eq!(
            RsaKey::from_pem(&pkcs1).unwrap().sign("x").unwrap(),
            key.sign("x").unwrap()
        );

        let mut req = Request::builder()
            .method("GET")
            .uri("https://sts.example.invalid/?Action=GenerateSessionAccessKey&Format=JSON&Version=2015-04-01&DurationSeconds=3600")
            .body(Vec::new())
            .unwrap();
        let d = sign_request_rsa(&mut req, "KeyPair-1", &key, time(), "nonce-1").unwrap();
        let q = req.uri().query().unwrap();
        for p in [
            "AccessKeyId=KeyPair-1",
            "PublicKeyId=KeyPair-1",
            "SignatureMethod=SHA256withRSA",
            "SignatureType=PRIVATEKEY",
            "SignatureVersion=1.0",
            "Timestamp=2016-02-23T12%3A46%3A24Z",
        ] {
            assert!(q.contains(p), "{p} in {q}");
        }
        assert!(d
            .string_to_sign
            .starts_with("GET&%2F&AccessKeyId%3DKeyPair-1%26Action%3D"));
        let sig = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, &d.signature)
            .unwrap();
        public
            .verify(
                rsa::Pkcs1v15Sign::new::<Sha256>(),
                &Sha256::digest(d.string_to_sign.as_bytes()),
                &sig,
            )
            .unwrap();
        assert!(format!("{key:?}").contains("redacted"));
        assert!(RsaKey::from_pem("not a key").is_err());
    }

    #[test]
    fn post_signs_the_union_of_query_and_form() {
        let c = Credentials::access_key("testid", "testsecret", "t".into());
        let mut req = Request::builder()
            .method("POST")
            .uri("https://sts.example.invalid/?Action=AssumeRole&Format=JSON&Version=2015-04-01")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(b"RoleSessionName=a+b&DurationSeconds=3600".to_vec())
            .unwrap();
        let d = sign_request_with_details(&mut req, &c, time(), "n")
            .unwrap()
            .unwrap();
        // The form's `+` is a space and is signed as %20 (S1).
        assert!(
            d.string_to_sign.contains("RoleSessionName%3Da%2520b"),
            "{}",
            d.string_to_sign
        );
        assert!(d.string_to_sign.contains("DurationSeconds%3D3600"));
    }

    #[test]
    fn form_signing_keeps_token_and_signature_out_of_the_url() {
        let c = Credentials::sts("STS.id", "secret", "tok+en", None, "t".into());
        let url = "https://sts.example.invalid/?Action=AssumeRole&Format=JSON&Version=2015-04-01";
        let mut form = Request::builder()
            .method("POST")
            .uri(url)
            .body(b"RoleArn=acs%3Aram%3A%3A1%3Arole%2Fr".to_vec())
            .unwrap();
        let d = sign_form_request_with_details(&mut form, &c, time(), "n")
            .unwrap()
            .unwrap();
        assert_eq!(form.uri().to_string(), url);
        let body = String::from_utf8(form.body().clone()).unwrap();
        assert!(body.starts_with("RoleArn=acs%3Aram%3A%3A1%3Arole%2Fr&AccessKeyId=STS.id&"));
        assert!(body.contains("&SecurityToken=tok%2Ben&"), "{body}");
        assert!(body.ends_with(&format!(
            "&Signature={}",
            crate::sign::encoding::encode(&d.signature)
        )));

        // Same parameters in the query: same string to sign, same signature.
        let mut query = Request::builder()
            .method("POST")
            .uri(url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(b"RoleArn=acs%3Aram%3A%3A1%3Arole%2Fr".to_vec())
            .unwrap();
        let q = sign_request_with_details(&mut query, &c, time(), "n")
            .unwrap()
            .unwrap();
        assert_eq!(q, d);

        let mut json = Request::builder()
            .method("POST")
            .uri(url)
            .header("content-type", "application/json")
            .body(Vec::new())
            .unwrap();
        assert!(sign_form_request(&mut json, &c, time(), "n").is_err());
    }

    #[test]
    fn unsigned_oidc_form_adds_only_the_timestamp() {
        let mut req = Request::builder()
            .method("POST")
            .uri("https://sts.example.invalid/?Action=AssumeRoleWithOIDC&Format=JSON&Version=2015-04-01")
            .body(Vec::new())
            .unwrap();
        prepare_unsigned(&mut req, time()).unwrap();
        assert_eq!(
            req.uri().query().unwrap(),
            "Action=AssumeRoleWithOIDC&Format=JSON&Version=2015-04-01&Timestamp=2016-02-23T12%3A46%3A24Z"
        );
    }
}
