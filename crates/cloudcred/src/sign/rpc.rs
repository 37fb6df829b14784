//! Alibaba RPC signature, SignatureVersion 1.0 (signing.md §2): HMAC-SHA1 keyed with
//! `secret&`, SHA256withRSA for GenerateSessionAccessKey, the bearer placement, and the unsigned
//! form AssumeRoleWithOIDC uses.
//!
//! The signature covers the union of the query and, for a form POST, the body parameters, so the
//! request signer reads both, then *appends* its own parameters and `Signature` to the query; the
//! caller's parameters are never re-encoded or reordered on the wire.

use super::credential_gate::{auth, Auth};
use super::details::SigningDetails;
use super::encoding::{decode, decode_query, push_encoded, split_query, RFC3986};
use super::primitives;
use super::request_url::append_query_in_place;
use super::time_format;
use crate::error::{Error, Result};
use crate::model::Credentials;
use chrono::{DateTime, Utc};
use http::Request;
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

/// `enc(name)=enc(value)` pairs sorted by name (byte order), joined with `&` (§2.2 steps 1–4).
pub fn canonicalized_query<K: AsRef<str>, V: AsRef<str>>(params: &[(K, V)]) -> String {
    let mut sorted: Vec<(&str, &str)> = params
        .iter()
        .map(|(k, v)| (k.as_ref(), v.as_ref()))
        .filter(|(k, _)| *k != SIGNATURE)
        .collect();
    sorted.sort_unstable();
    // The encoder reserves for its worst case (3 bytes a byte) on every call: sized for that,
    // the buffer never reallocates (reallocations were a twelfth of an RPC signature).
    let mut out = String::with_capacity(
        sorted
            .iter()
            .map(|(k, v)| k.len() + v.len() + 2)
            .sum::<usize>()
            * 3,
    );
    for (i, (k, v)) in sorted.into_iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        push_encoded(&mut out, k, RFC3986);
        out.push('=');
        push_encoded(&mut out, v, RFC3986);
    }
    out
}

/// `METHOD&%2F&enc(CanonicalizedQuery)` (§2.2 step 5).
pub fn string_to_sign<K: AsRef<str>, V: AsRef<str>>(method: &str, params: &[(K, V)]) -> String {
    string_to_sign_of_query(method, &canonicalized_query(params))
}

fn string_to_sign_of_query(method: &str, query: &str) -> String {
    // The encoder reserves for its worst case (3 bytes a byte): size for it, not to reallocate.
    let mut out = String::with_capacity(method.len() + 5 + query.len() * 3);
    out.push_str(method);
    out.push_str("&%2F&");
    push_encoded(&mut out, query, RFC3986);
    out
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

/// Every parameter the signature covers: the query plus a form body's parameters. The query's
/// are borrowed from the request (owned copies of each were a tenth of a signature).
fn request_params<B: AsRef<[u8]>>(req: &Request<B>) -> Result<Vec<(Cow<'_, str>, Cow<'_, str>)>> {
    let query = req.uri().query().unwrap_or("");
    let mut params: Vec<(Cow<'_, str>, Cow<'_, str>)> = Vec::with_capacity(16);
    for p in split_query(query) {
        params.push((
            decode(p.name)?,
            p.value.map(decode).transpose()?.unwrap_or_default(),
        ));
    }
    if req
        .headers()
        .get(http::header::CONTENT_TYPE)
        .is_some_and(is_form)
    {
        let body = std::str::from_utf8(req.body().as_ref())
            .map_err(|_| Error::signing(ALGORITHM, "the form body is not valid UTF-8"))?;
        // A form body decodes `+` as a space (application/x-www-form-urlencoded), unlike the
        // query, where cloudcred's wire contract reads `+` literally.
        let body = body.replace('+', "%20");
        for (k, v) in decode_query(&body)? {
            params.push((
                Cow::Owned(k.into_owned()),
                Cow::Owned(v.map(Cow::into_owned).unwrap_or_default()),
            ));
        }
    }
    Ok(params)
}

/// The signer's parameters for one request: everything the signature covers and what is appended
/// to the query.
struct Params<'a> {
    all: Vec<(Cow<'a, str>, Cow<'a, str>)>,
    appended: String,
}

impl<'a> Params<'a> {
    fn of<B: AsRef<[u8]>>(req: &'a Request<B>) -> Result<Self> {
        Ok(Self {
            all: request_params(req)?,
            // Room for the encoder's worst-case reservations: the appended parameters and
            // `Signature` fit without a reallocation.
            appended: String::with_capacity(512),
        })
    }

    /// Adds `name=value` unless the caller already set `name`.
    fn add(&mut self, name: &'a str, value: impl Into<Cow<'a, str>>) {
        if self.all.iter().any(|(k, _)| k == name) {
            return;
        }
        let value = value.into();
        push_pair(&mut self.appended, name, &value);
        self.all.push((Cow::Borrowed(name), value));
    }

    fn add_version_nonce_time(&mut self, nonce: &'a str, time: DateTime<Utc>) {
        self.add("SignatureVersion", "1.0");
        self.add("SignatureNonce", nonce);
        self.add("Timestamp", time_format::iso8601_extended(time));
    }

    /// Signs the string to sign of `method` with `sign`; returns the details and the pairs to
    /// place (the signer's parameters and `Signature`). Borrows nothing from the request after.
    fn sign(
        mut self,
        method: &str,
        sign: impl FnOnce(&str) -> Result<String>,
    ) -> Result<(SigningDetails, String)> {
        let query = canonicalized_query(&self.all);
        let sts = string_to_sign_of_query(method, &query);
        let signature = sign(&sts)?;
        push_pair(&mut self.appended, SIGNATURE, &signature);
        Ok((
            SigningDetails::new(Some(query), sts, signature),
            self.appended,
        ))
    }
}

/// Where the signer's parameters go: appended to the query, or to a form body.
type Place<B> = fn(&mut Request<B>, &str) -> Result<()>;

fn to_query<B>(req: &mut Request<B>, pairs: &str) -> Result<()> {
    append_query_in_place(req.uri_mut(), pairs, ALGORITHM)
}

fn to_form_body(req: &mut Request<Vec<u8>>, pairs: &str) -> Result<()> {
    let body = req.body_mut();
    if !body.is_empty() && !pairs.is_empty() {
        body.push(b'&');
    }
    body.extend_from_slice(pairs.as_bytes());
    Ok(())
}

fn push_pair(extra: &mut String, name: &str, value: &str) {
    if !extra.is_empty() {
        extra.push('&');
    }
    extra.push_str(name);
    extra.push('=');
    push_encoded(extra, value, RFC3986);
}

/// Signs an RPC request in place with HMAC-SHA1 (§2.1–2.2).
///
/// Appends `AccessKeyId`, `SignatureMethod`, `SignatureVersion`, `SignatureNonce`, `Timestamp`
/// and `SecurityToken` (each unless the caller set it), then `Signature`, to the query. The caller
/// supplies `Action`, `Version`, `Format` and the action's parameters (query and/or form body). A
/// bearer credential gets the bearer placement of §2.5; anonymous credentials leave the request
/// as is (both return `None`). For STS calls prefer [`sign_form_request`], which keeps the token
/// and the signature out of the URL.
pub fn sign_request<B: AsRef<[u8]>>(
    req: &mut Request<B>,
    creds: &Credentials,
    time: DateTime<Utc>,
    nonce: &str,
) -> Result<Option<SigningDetails>> {
    sign_with(req, creds, time, nonce, to_query)
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
    sign_with(req, creds, time, nonce, to_form_body)
}

fn sign_with<B: AsRef<[u8]>>(
    req: &mut Request<B>,
    creds: &Credentials,
    time: DateTime<Utc>,
    nonce: &str,
    place: Place<B>,
) -> Result<Option<SigningDetails>> {
    let (id, secret, token) = match auth(creds) {
        Auth::Anonymous => return Ok(None),
        Auth::Bearer { token, .. } => {
            let mut extra = String::new();
            push_pair(&mut extra, "BearerToken", token);
            push_pair(&mut extra, "SignatureType", "BEARERTOKEN");
            place(req, &extra)?;
            return Ok(None);
        }
        Auth::Key { id, secret, token } => (id, secret, token),
    };
    let method = req.method().clone();
    let mut p = Params::of(req)?;
    p.add("AccessKeyId", id);
    p.add("SignatureMethod", "HMAC-SHA1");
    p.add_version_nonce_time(nonce, time);
    if let Some(token) = token {
        p.add("SecurityToken", token);
    }
    let (details, pairs) = p.sign(method.as_str(), |sts| Ok(hmac_signature(secret, sts)))?;
    place(req, &pairs)?;
    Ok(Some(details))
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
    let method = req.method().clone();
    let mut p = Params::of(req)?;
    p.add("AccessKeyId", public_key_id);
    p.add("PublicKeyId", public_key_id);
    p.add("SignatureMethod", "SHA256withRSA");
    p.add("SignatureType", "PRIVATEKEY");
    p.add_version_nonce_time(nonce, time);
    let (details, pairs) = p.sign(method.as_str(), |sts| key.sign(sts))?;
    to_query(req, &pairs)?;
    Ok(details)
}

/// Prepares an unsigned RPC request (AssumeRoleWithOIDC, §2.3): appends `Timestamp` unless the
/// caller set it. `Action`, `Format` and `Version` are the caller's; nothing is signed.
pub fn prepare_unsigned<B: AsRef<[u8]>>(req: &mut Request<B>, time: DateTime<Utc>) -> Result<()> {
    let mut p = Params::of(req)?;
    p.add("Timestamp", time_format::iso8601_extended(time));
    let pairs = p.appended;
    append_query_in_place(req.uri_mut(), &pairs, ALGORITHM)
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
        let d = sign_request(&mut req, &c, time(), "n").unwrap().unwrap();
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
        let d = sign_form_request(&mut form, &c, time(), "n")
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
        let q = sign_request(&mut query, &c, time(), "n").unwrap().unwrap();
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
