//! Alibaba RPC signature, SignatureVersion 1.0 (signing.md §2): HMAC-SHA1 keyed with
//! `secret&`, SHA256withRSA for GenerateSessionAccessKey, the bearer placement, and the unsigned
//! form AssumeRoleWithOIDC uses.
//!
//! The signature covers the union of the query and, for a form POST, the body parameters, so the
//! request signer reads both, then *appends* its own parameters and `Signature` to the query; the
//! caller's parameters are never re-encoded or reordered on the wire.
//!
//! One signature splits the query (and form body) in one scan that also tells which components
//! are already in their encoded form, as clients send them: those are read in place, only the
//! others are decoded (into one buffer). The parameters are sorted as ranges and the string to
//! sign is written in one pass, unreserved runs copied whole; the signer's values are encoded
//! once, for both the string to sign and the wire, and the signed query is built in one buffer
//! of its exact length that the `Uri` takes over.

use super::credential_gate::{auth, Auth};
use super::details::{Details, SigningDetails};
use super::encoding::{self, decode, push_strict, scan_query, Form};
use super::keyed_macs;
use super::primitives;
use super::request_url::append_query_in_place;
use super::scratch::{self, ScratchString};
use super::time_format;
use crate::error::{Error, Result};
use crate::model::Credentials;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use hmac::Mac;
use http::uri::PathAndQuery;
use http::{Request, Uri};
#[cfg(feature = "rsa")]
use rsa::pkcs1::DecodeRsaPrivateKey;
#[cfg(feature = "rsa")]
use rsa::pkcs8::DecodePrivateKey;
use std::borrow::Cow;
#[cfg(feature = "rsa")]
use std::fmt;

const ALGORITHM: &str = "RPC";

/// `Signature` is never part of what is signed.
const SIGNATURE: &str = "Signature";

/// The most parameters a signer adds before `Signature` (the RSA form's).
const MAX_ADDED: usize = 7;

/// `enc(name)=enc(value)` pairs sorted by name (byte order), joined with `&` (§2.2 steps 1–4).
pub fn canonicalized_query<K: AsRef<str>, V: AsRef<str>>(params: &[(K, V)]) -> String {
    let mut out = String::new();
    push_sorted_strict(&mut out, params, false);
    out
}

/// `METHOD&%2F&enc(CanonicalizedQuery)` (§2.2 step 5).
pub fn string_to_sign<K: AsRef<str>, V: AsRef<str>>(method: &str, params: &[(K, V)]) -> String {
    let mut sts = String::new();
    push_sts_head(&mut sts, method);
    push_sorted_strict(&mut sts, params, true);
    sts
}

/// The canonicalized query of `params` appended to `out`; with `twice`, encoded once more, as
/// the string to sign holds it (separators `%26` and `%3D`).
fn push_sorted_strict<K: AsRef<str>, V: AsRef<str>>(
    out: &mut String,
    params: &[(K, V)],
    twice: bool,
) {
    let (amp, eq) = if twice { ("%26", "%3D") } else { ("&", "=") };
    for (i, (k, v)) in sorted_pairs(params).into_iter().enumerate() {
        if i > 0 {
            out.push_str(amp);
        }
        push_strict(out, k, twice);
        out.push_str(eq);
        push_strict(out, v, twice);
    }
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

/// `METHOD&%2F&`, the head of the string to sign.
fn push_sts_head(sts: &mut String, method: &str) {
    sts.push_str(method);
    sts.push_str("&%2F&");
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
/// Which text a component lies in.
#[derive(Clone, Copy, Default, PartialEq, Eq)]
enum Buf {
    /// The query as sent.
    #[default]
    Query,
    /// The form body as sent.
    Form,
    /// [`Covered::text`]: decoded components, the signer's values.
    Text,
    /// [`NAMES`], the signer's parameter names.
    Names,
}

/// What a component's text is, which decides how it is written encoded.
#[derive(Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    /// Unreserved bytes only: its own decoding and its own encoding.
    #[default]
    Plain,
    /// Encoded once as RFC 3986 strict would (upper-case escapes of ASCII bytes it escapes
    /// only), as clients send it: read in place instead of decoded and encoded again.
    Encoded,
    /// Decoded text.
    Decoded,
}

/// A name or a value: a byte range of a [`Buf`].
#[derive(Clone, Copy, Default)]
struct Part {
    buf: Buf,
    kind: Kind,
    start: usize,
    end: usize,
}

/// A parameter.
#[derive(Clone, Copy, Default)]
struct Span {
    /// The decoded name's first 16 bytes, big-endian, zero-padded: the comparisons of the
    /// sort end here, but for names sharing them (or equal), instead of in two `memcmp` calls.
    key: (u64, u64),
    name: Part,
    value: Part,
}

/// Every parameter name of the signer's, which their [`Part`]s are ranges of (no copy per
/// signature).
const NAMES: &str =
    "AccessKeyIdPublicKeyIdSignatureMethodSignatureTypeSignatureVersionSignatureNonceTimestamp\
     SecurityToken";

/// A parameter name of the signer's: where it is in [`NAMES`], its [`Span::key`] computed at
/// compile time.
#[derive(Clone, Copy)]
struct Name {
    text: &'static str,
    at: usize,
    key: (u64, u64),
}

impl Name {
    const fn new(text: &'static str, at: usize) -> Self {
        Self {
            text,
            at,
            key: name_key(text.as_bytes()),
        }
    }
}

const ACCESS_KEY_ID: Name = Name::new("AccessKeyId", 0);
#[cfg(feature = "rsa")]
const PUBLIC_KEY_ID: Name = Name::new("PublicKeyId", 11);
const SIGNATURE_METHOD: Name = Name::new("SignatureMethod", 22);
#[cfg(feature = "rsa")]
const SIGNATURE_TYPE: Name = Name::new("SignatureType", 37);
const SIGNATURE_VERSION: Name = Name::new("SignatureVersion", 50);
const SIGNATURE_NONCE: Name = Name::new("SignatureNonce", 66);
const TIMESTAMP: Name = Name::new("Timestamp", 80);
const SECURITY_TOKEN: Name = Name::new("SecurityToken", 89);

/// [`Span::key`] of `name`.
const fn name_key(name: &[u8]) -> (u64, u64) {
    let mut key = [0u8; 16];
    let mut i = 0;
    while i < name.len() && i < 16 {
        key[i] = name[i];
        i += 1;
    }
    let (mut hi, mut lo) = ([0u8; 8], [0u8; 8]);
    let mut i = 0;
    while i < 8 {
        hi[i] = key[i];
        lo[i] = key[i + 8];
        i += 1;
    }
    (u64::from_be_bytes(hi), u64::from_be_bytes(lo))
}

/// [`name_key`], with whole words read at once (it runs for every parameter of the request).
fn key_of(name: &[u8]) -> (u64, u64) {
    let word = primitives::leading_word;
    (word(name), word(name.get(8..).unwrap_or_default()))
}

/// The query and, for a form POST, the body of a request: the parameters the signature covers
/// as they are on the wire.
#[derive(Clone, Copy)]
struct Wire<'r> {
    query: &'r str,
    form: &'r str,
}

impl<'r> Wire<'r> {
    fn of<B: AsRef<[u8]>>(req: &'r Request<B>) -> Result<Self> {
        let query = req.uri().query().unwrap_or("");
        let form = if req
            .headers()
            .get(http::header::CONTENT_TYPE)
            .is_some_and(is_form)
        {
            std::str::from_utf8(req.body().as_ref())
                .map_err(|_| Error::signing(ALGORITHM, "the form body is not valid UTF-8"))?
        } else {
            ""
        };
        Ok(Self { query, form })
    }
}

/// The text of `part`.
fn get<'t>(wire: Wire<'t>, text: &'t str, part: Part) -> &'t str {
    let all = match part.buf {
        Buf::Query => wire.query,
        Buf::Form => wire.form,
        Buf::Text => text,
        Buf::Names => NAMES,
    };
    &all[part.start..part.end]
}

/// The order of two parameters whose names share their [`Span::key`]: by whole decoded
/// (name, value).
#[cold]
#[inline(never)]
fn tie(wire: Wire<'_>, text: &str, a: &Span, b: &Span) -> std::cmp::Ordering {
    let get = |part: Part| get(wire, text, part);
    let decoded = |part: Part| decoded(wire, text, part);
    (get(a.name), decoded(a.value)).cmp(&(get(b.name), decoded(b.value)))
}

/// The decoded text of `part`, which only a tie of names needs for a value read in place.
fn decoded<'t>(wire: Wire<'t>, text: &'t str, part: Part) -> Cow<'t, str> {
    let s = get(wire, text, part);
    match part.kind {
        // Its escapes are ASCII bytes: it decodes to UTF-8.
        Kind::Encoded => decode(s).unwrap_or(Cow::Borrowed(s)),
        Kind::Plain | Kind::Decoded => Cow::Borrowed(s),
    }
}

/// Every parameter the signature covers: the query's and a form body's, read where they are
/// unless they need decoding (a component of unreserved bytes is written to the string to sign
/// as it is), and the signer's own, encoded once for the wire; sorted as [`Span`]s.
struct Covered<'r> {
    wire: Wire<'r>,
    /// Decoded components, the signer's names and encoded values (a security token among them).
    text: ScratchString,
    spans: Vec<Span>,
    /// The signer's parameters in the order they go on the wire (`spans` gets sorted).
    added: [(&'static str, Part); MAX_ADDED],
    added_len: usize,
}

impl<'r> Covered<'r> {
    /// The request's parameters, with `room` bytes spare for the signer's.
    fn of(wire: Wire<'r>, room: usize) -> Result<Self> {
        let raw = wire.query.len() + wire.form.len();
        let mut covered = Self {
            wire,
            text: scratch::string(raw + room),
            spans: Vec::with_capacity(MAX_ADDED + 4 + raw / 8),
            added: [("", Part::default()); MAX_ADDED],
            added_len: 0,
        };
        covered.push_params(Buf::Query)?;
        // A form body decodes `+` as a space (application/x-www-form-urlencoded), unlike the
        // query, where cloudcred's wire contract reads `+` literally.
        covered.push_params(Buf::Form)?;
        Ok(covered)
    }

    /// The parameters of the query or the form body.
    fn push_params(&mut self, buf: Buf) -> Result<()> {
        let s = if buf == Buf::Form {
            self.wire.form
        } else {
            self.wire.query
        };
        let kind = |form| match form {
            Form::Plain => Kind::Plain,
            Form::Strict => Kind::Encoded,
            Form::Other => Kind::Decoded,
        };
        for p in scan_query(s) {
            let name = self.part(buf, kind(p.name_form), s, p.name.start, p.name.end)?;
            let value = self.part(buf, kind(p.value_form), s, p.value.start, p.value.end)?;
            let key = key_of(get(self.wire, &self.text, name).as_bytes());
            self.spans.push(Span { key, name, value });
        }
        Ok(())
    }

    /// `s[start..end]` in place, or decoded into `text`.
    fn part(&mut self, buf: Buf, kind: Kind, s: &str, start: usize, end: usize) -> Result<Part> {
        if kind != Kind::Decoded {
            return Ok(Part {
                buf,
                kind,
                start,
                end,
            });
        }
        let at = self.text.len();
        push_decoded(&mut self.text, &s[start..end], buf == Buf::Form)?;
        Ok(Part {
            buf: Buf::Text,
            kind,
            start: at,
            end: self.text.len(),
        })
    }

    /// Adds the signer's parameter `name`, its value written encoded by `value`, unless it is
    /// set.
    ///
    /// `value` says whether it wrote an escape (else the value is unreserved bytes only).
    fn add_with(&mut self, name: Name, value: impl FnOnce(&mut String) -> bool) {
        let (wire, text) = (self.wire, &*self.text);
        let set = |s: &Span| s.key == name.key && get(wire, text, s.name) == name.text;
        if self.spans.iter().any(set) || self.added_len == MAX_ADDED {
            return;
        }
        let start = self.text.len();
        let escaped = value(&mut self.text);
        let value = Part {
            buf: Buf::Text,
            kind: if escaped { Kind::Encoded } else { Kind::Plain },
            start,
            end: self.text.len(),
        };
        let name_part = Part {
            buf: Buf::Names,
            kind: Kind::Plain,
            start: name.at,
            end: name.at + name.text.len(),
        };
        self.spans.push(Span {
            key: name.key,
            name: name_part,
            value,
        });
        self.added[self.added_len] = (name.text, value);
        self.added_len += 1;
    }

    fn add(&mut self, name: Name, value: &str) {
        self.add_with(name, |text| {
            let start = text.len();
            push_strict(text, value, false);
            // Escapes lengthen it.
            text.len() - start != value.len()
        });
    }

    fn add_version_nonce_time(&mut self, nonce: &str, time: DateTime<Utc>) {
        self.add(SIGNATURE_VERSION, "1.0");
        self.add(SIGNATURE_NONCE, nonce);
        self.add_time(time);
    }

    fn add_time(&mut self, time: DateTime<Utc>) {
        // Either form holds escapes (of `:`).
        self.add_with(TIMESTAMP, |text| {
            match time_format::iso8601_extended_encoded_bytes(time) {
                Some(encoded) => text.push_str(std::str::from_utf8(&encoded).unwrap_or_default()),
                None => push_strict(text, &time_format::iso8601_extended(time), false),
            }
            true
        });
    }

    /// The string to sign of `method` and, with [`Details::Want`], the canonicalized query.
    fn string_to_sign(
        &mut self,
        method: &str,
        details: Details,
    ) -> (Option<String>, ScratchString) {
        let (wire, text) = (self.wire, &*self.text);
        let get = |part: Part| get(wire, text, part);
        // Keys differ only where the names do, in the same order (a name ending within its
        // first 16 bytes is padded with zeros, which sort first as its end does). Only equal
        // keys compare the texts, out of line, so that the key comparison is inlined.
        self.spans.sort_unstable_by(|a, b| {
            if a.key == b.key {
                tie(wire, text, a, b)
            } else {
                a.key.cmp(&b.key)
            }
        });
        let len = method.len() + 5 + 2 * (wire.query.len() + wire.form.len() + text.len());
        let mut canonical = (details == Details::Want).then(|| String::with_capacity(len));
        let mut sts = scratch::string(len);
        push_sts_head(&mut sts, method);
        let mut first = true;
        for span in self.spans.iter() {
            let name = get(span.name);
            if name == SIGNATURE {
                continue;
            }
            if !first {
                sts.push_str("%26");
            }
            push_sts_part(&mut sts, name, span.name.kind);
            sts.push_str("%3D");
            push_sts_part(&mut sts, get(span.value), span.value.kind);
            if let Some(c) = canonical.as_mut() {
                if !first {
                    c.push('&');
                }
                push_canonical_part(c, name, span.name.kind);
                c.push('=');
                push_canonical_part(c, get(span.value), span.value.kind);
            }
            first = false;
        }
        (canonical, sts)
    }

    /// The signer's parameters, for the wire; the request is no longer read.
    fn into_added(self) -> Added {
        Added {
            text: self.text,
            added: self.added,
            added_len: self.added_len,
        }
    }
}

/// A component in the string to sign: encoded twice.
fn push_sts_part(sts: &mut String, s: &str, kind: Kind) {
    match kind {
        // Unreserved bytes encode to themselves.
        Kind::Plain => sts.push_str(s),
        Kind::Encoded => push_strict(sts, s, false),
        Kind::Decoded => push_strict(sts, s, true),
    }
}

/// A component in the canonicalized query: encoded once.
fn push_canonical_part(out: &mut String, s: &str, kind: Kind) {
    match kind {
        Kind::Plain | Kind::Encoded => out.push_str(s),
        Kind::Decoded => push_strict(out, s, false),
    }
}

/// The signer's parameters once signed, their values encoded for the wire.
struct Added {
    text: ScratchString,
    added: [(&'static str, Part); MAX_ADDED],
    added_len: usize,
}

impl Added {
    /// The signer's parameters in wire order, then `Signature` (encoded here) when given.
    fn wire_pairs(&mut self, signature: Option<&str>) -> ([(&str, &str); MAX_ADDED + 1], usize) {
        let mut n = self.added_len;
        let mut signature_at = None;
        if let Some(signature) = signature {
            let start = self.text.len();
            push_strict(&mut self.text, signature, false);
            signature_at = Some((start, self.text.len()));
        }
        let text = &*self.text;
        let mut pairs = [("", ""); MAX_ADDED + 1];
        for (slot, (name, part)) in pairs.iter_mut().zip(&self.added[..n]) {
            *slot = (*name, &text[part.start..part.end]);
        }
        if let Some((start, end)) = signature_at {
            pairs[n] = (SIGNATURE, &text[start..end]);
            n += 1;
        }
        (pairs, n)
    }
}

/// Appends `s` percent-decoded (with `form`, `+` as a space) to `out`; refuses, with the error
/// of [`decode`], a component that does not decode to UTF-8, and then appends nothing.
fn push_decoded(out: &mut String, s: &str, form: bool) -> Result<()> {
    if form && s.as_bytes().contains(&b'+') {
        // `+` first, then escapes: an escape holds no `+`, and `%2B` stays a `+`. In a wiped
        // buffer: the component may be a token.
        let mut spaced = scratch::string(s.len());
        spaced.extend(s.chars().map(|c| if c == '+' { ' ' } else { c }));
        return encoding::push_decoded(out, &spaced);
    }
    encoding::push_decoded(out, s)
}

/// Base64(HMAC-SHA1(`secret&`, `sts`)) written into `out`: as [`hmac_signature`], without a
/// string of its own.
fn hmac_signature_into<'o>(out: &'o mut [u8; 28], secret: &str, sts: &[u8]) -> Result<&'o str> {
    let mut mac = keyed_macs::hmac_sha1(&[secret.as_bytes(), b"&"]);
    mac.update(sts);
    primitives::base64_str(out, &mac.finalize().into_bytes())
        .ok_or_else(|| Error::signing(ALGORITHM, "the signature does not fit its Base64 form"))
}

/// The length of `pairs` as [`push_pairs`] writes them.
fn pairs_len(pairs: &[(&str, &str)]) -> usize {
    let len: usize = pairs.iter().map(|(k, v)| k.len() + 1 + v.len()).sum();
    len + pairs.len().saturating_sub(1)
}

/// Appends `name=value` pairs, both encoded already, joined with `&`.
fn push_pairs(out: &mut Vec<u8>, pairs: &[(&str, &str)]) {
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push(b'&');
        }
        out.extend_from_slice(k.as_bytes());
        out.push(b'=');
        out.extend_from_slice(v.as_bytes());
    }
}

/// Where the signer's parameters go, their values encoded: appended to the query, or to a form
/// body.
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
            let mut encoded = String::with_capacity(token.len());
            push_strict(&mut encoded, token, false);
            place(
                req,
                &[("BearerToken", &encoded), ("SignatureType", "BEARERTOKEN")],
            )?;
            return Ok(None);
        }
        Auth::Key { id, secret, token } => (id, secret, token),
    };
    let room = ADDED_NAMES_LEN + id.len() + nonce.len() + token.map_or(0, str::len) + 32;
    let mut covered = Covered::of(Wire::of(req)?, room)?;
    covered.add(ACCESS_KEY_ID, id);
    covered.add(SIGNATURE_METHOD, "HMAC-SHA1");
    covered.add_version_nonce_time(nonce, time);
    if let Some(token) = token {
        covered.add(SECURITY_TOKEN, token);
    }
    let (canonical, sts) = covered.string_to_sign(req.method().as_str(), details);
    let mut b64 = [0u8; 28];
    let signature = hmac_signature_into(&mut b64, secret, sts.as_bytes())?;
    let mut added = covered.into_added();
    let (pairs, n) = added.wire_pairs(Some(signature));
    place(req, &pairs[..n])?;
    Ok(Some(match canonical {
        Some(canonical) => {
            SigningDetails::new(Some(canonical), String::clone(&sts), signature.to_owned())
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
    let mut covered = Covered::of(Wire::of(req)?, room)?;
    covered.add(ACCESS_KEY_ID, public_key_id);
    covered.add(PUBLIC_KEY_ID, public_key_id);
    covered.add(SIGNATURE_METHOD, "SHA256withRSA");
    covered.add(SIGNATURE_TYPE, "PRIVATEKEY");
    covered.add_version_nonce_time(nonce, time);
    let (canonical, sts) = covered.string_to_sign(req.method().as_str(), Details::Want);
    let sts = String::clone(&sts);
    let signature = key.sign(&sts)?;
    let mut added = covered.into_added();
    let (pairs, n) = added.wire_pairs(Some(&signature));
    to_query(req, &pairs[..n])?;
    Ok(SigningDetails::new(canonical, sts, signature))
}

/// Prepares an unsigned RPC request (AssumeRoleWithOIDC, §2.3): appends `Timestamp` unless the
/// caller set it. `Action`, `Format` and `Version` are the caller's; nothing is signed.
pub fn prepare_unsigned<B: AsRef<[u8]>>(req: &mut Request<B>, time: DateTime<Utc>) -> Result<()> {
    let mut covered = Covered::of(Wire::of(req)?, 32)?;
    covered.add_time(time);
    let mut added = covered.into_added();
    let (pairs, n) = added.wire_pairs(None);
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
        fn signs_queries_as_the_reference_does(
            params in proptest::collection::vec(
                (
                    "([a-zA-Z0-9+=~%&*-]|%[0-9a-fA-F]{2}|%[cC][0-9]%[89aA][0-9]){0,10}",
                    "([a-zA-Z0-9+=~%&*:-]|%[0-9a-fA-F]{2}|%[eE]4%[bB]8%[aA][dD]){0,20}",
                ),
                0..8,
            ),
            form: bool,
        ) {
            // The signer reads each component in place or decoded; the reference decodes all.
            let query: Vec<String> = params.iter().map(|(k, v)| format!("{k}={v}")).collect();
            let query = query.join("&");
            let uri = if form {
                "https://h.example.invalid/?A=1".to_owned()
            } else {
                format!("https://h.example.invalid/?{query}")
            };
            let mut builder = Request::builder().method("POST").uri(uri);
            if form {
                builder = builder.header("content-type", "application/x-www-form-urlencoded");
            }
            let mut req = builder.body(if form { query.clone().into_bytes() } else { Vec::new() }).unwrap();
            let c = Credentials::access_key("id", "secret", "t".into());
            let signed = sign_request_with_details(&mut req, &c, time(), "n+/");
            let mut all = Vec::new();
            let mut failed = false;
            let wire = if form { format!("A=1&{query}") } else { query.clone() };
            for p in wire.split('&').filter(|p| !p.is_empty()) {
                let (k, v) = p.split_once('=').unwrap_or((p, ""));
                match (decoded_as_before(k, form), decoded_as_before(v, form)) {
                    (Ok(k), Ok(v)) => all.push((k, v)),
                    _ => failed = true,
                }
            }
            if failed {
                proptest::prop_assert!(signed.is_err());
            } else {
                let d = signed.unwrap().unwrap();
                let names: Vec<String> = all.iter().map(|(k, _)| k.clone()).collect();
                for (k, v) in [
                    ("AccessKeyId", "id"),
                    ("SignatureMethod", "HMAC-SHA1"),
                    ("SignatureVersion", "1.0"),
                    ("SignatureNonce", "n+/"),
                    ("Timestamp", "2016-02-23T12:46:24Z"),
                ] {
                    if !names.iter().any(|n| n == k) {
                        all.push((k.to_owned(), v.to_owned()));
                    }
                }
                proptest::prop_assert_eq!(&d.string_to_sign, &string_to_sign("POST", &all));
                proptest::prop_assert_eq!(d.canonical_request.as_deref(), Some(&*canonicalized_query(&all)));
            }
        }
    }

    #[test]
    fn names_are_where_they_say() {
        #[cfg(feature = "rsa")]
        let rsa = [PUBLIC_KEY_ID, SIGNATURE_TYPE];
        #[cfg(not(feature = "rsa"))]
        let rsa = [];
        let names = [
            ACCESS_KEY_ID,
            SIGNATURE_METHOD,
            SIGNATURE_VERSION,
            SIGNATURE_NONCE,
            TIMESTAMP,
            SECURITY_TOKEN,
        ];
        for name in names.into_iter().chain(rsa) {
            assert_eq!(&NAMES[name.at..name.at + name.text.len()], name.text);
            assert_eq!(name.key, key_of(name.text.as_bytes()));
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
        let days = (0..800i64).map(|i| 1_700_000_000 + i * 86_400 * 3 + i * 3_917);
        let edges = [
            0,
            -1,
            951_782_400,
            4_107_542_400,
            253_402_300_799,
            -62_167_219_200,
        ];
        for secs in days.chain(edges) {
            let t = DateTime::from_timestamp(secs, 0).unwrap();
            let encoded = time_format::iso8601_extended_encoded_bytes(t).unwrap();
            assert_eq!(
                std::str::from_utf8(&encoded).unwrap(),
                time_format::iso8601_extended(t).replace(':', "%3A")
            );
        }
        for secs in [300_000_000_000, 253_402_300_800, -62_167_219_201] {
            assert_eq!(
                time_format::iso8601_extended_encoded_bytes(
                    DateTime::from_timestamp(secs, 0).unwrap()
                ),
                None
            );
        }
        let mut req = Request::builder()
            .uri("https://h.example.invalid/?a=1")
            .body(Vec::new())
            .unwrap();
        prepare_unsigned(
            &mut req,
            DateTime::from_timestamp(300_000_000_000, 0).unwrap(),
        )
        .unwrap();
        assert!(
            req.uri().query().unwrap().starts_with("a=1&Timestamp=%2B"),
            "{}",
            req.uri()
        );
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
