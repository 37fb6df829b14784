//! OSS signature V4, `OSS4-HMAC-SHA256` (signing.md §6): header and presigned forms,
//! additional headers, the CloudBox product.
//!
//! This is the hot path of object-storage clients, so the signer precomputes what does not depend
//! on the request (lower-cased additional header names, the product) and builds each canonical
//! string in one buffer.

use super::credential_gate::access_key;
use super::date_values::{self, DateFormat};
use super::details::{Details, Presigned, SigningDetails};
use super::encoding::{
    encode_once, push_normalised, push_sorted_query_with, RFC3986, RFC3986_KEEP_SLASH,
};
use super::headers;
use super::headers::{sensitive_value, set_authorization};
use super::presign_checks;
use super::primitives;
use super::request_url::{append_query_with, encoded_object_key, Addressing};
use super::scratch;
use super::time_format;
use crate::error::Result;
use crate::model::Credentials;
use chrono::{DateTime, Utc};
use http::header::{HeaderName, HeaderValue};
use http::{HeaderMap, Method, Request, Uri};
use sha2::Digest as _;
use std::time::Duration;

const ALGORITHM: &str = "OSS4-HMAC-SHA256";
const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";
const TERMINATOR: &str = "aliyun_v4_request";

const X_OSS_DATE: HeaderName = HeaderName::from_static("x-oss-date");
const X_OSS_CONTENT_SHA256: HeaderName = HeaderName::from_static("x-oss-content-sha256");
const X_OSS_SECURITY_TOKEN: HeaderName = HeaderName::from_static("x-oss-security-token");

/// Signs OSS requests with V4. Build one per bucket and region and reuse it.
#[derive(Debug, Clone)]
pub struct OssV4Signer {
    region: String,
    product: String,
    bucket: Option<String>,
    addressing: Addressing,
    /// Lower-cased, sorted, de-duplicated.
    additional_headers: Vec<String>,
    keys: std::sync::Arc<primitives::V4KeyCache>,
}

fn signed_by_default(name: &str) -> bool {
    name.starts_with("x-oss-") || name == "content-type" || name == "content-md5"
}

impl OssV4Signer {
    /// A signer for `bucket` (`None` for service-level requests) in `region`, product `oss`.
    pub fn new(region: &str, bucket: Option<&str>) -> Self {
        Self {
            region: region.to_owned(),
            product: "oss".to_owned(),
            bucket: bucket.map(str::to_owned),
            addressing: Addressing::default(),
            additional_headers: Vec::new(),
            keys: Default::default(),
        }
    }

    /// CloudBox: product `oss-cloudbox`, the CloudBox id in place of the region (§6.1).
    pub fn cloudbox(cloudbox_id: &str, bucket: Option<&str>) -> Self {
        let mut s = Self::new(cloudbox_id, bucket);
        s.product = "oss-cloudbox".to_owned();
        s
    }

    /// Virtual-hosted (the default) or path-style requests: where the bucket is named, hence
    /// which part of the path is the object key.
    pub fn with_addressing(mut self, addressing: Addressing) -> Self {
        self.addressing = addressing;
        self
    }

    /// Header names to sign in addition to the default set; names absent from a request or
    /// signed by default are dropped per request (§6.2).
    pub fn with_additional_headers<S: AsRef<str>>(
        mut self,
        names: impl IntoIterator<Item = S>,
    ) -> Self {
        self.additional_headers
            .extend(names.into_iter().map(|n| n.as_ref().to_ascii_lowercase()));
        self.additional_headers.sort_unstable();
        self.additional_headers.dedup();
        self
    }

    /// The length of a scope: `yyyymmdd/region/product/terminator`.
    fn scope_len(&self) -> usize {
        8 + self.region.len() + self.product.len() + TERMINATOR.len() + 3
    }

    fn push_scope(&self, out: &mut String, date: &str) {
        for (i, part) in [date, &self.region, &self.product, TERMINATOR]
            .into_iter()
            .enumerate()
        {
            if i > 0 {
                out.push('/');
            }
            out.push_str(part);
        }
    }

    /// The additional headers that apply to `headers`, joined with `;` (empty when none).
    pub fn effective_additional_headers(&self, headers: &HeaderMap) -> String {
        let mut out = String::new();
        for name in &self.additional_headers {
            let present = headers.get(name.as_str()).is_some_and(|v| !v.is_empty());
            if present && !signed_by_default(name) {
                if !out.is_empty() {
                    out.push(';');
                }
                out.push_str(name);
            }
        }
        out
    }

    fn canonical_uri(&self, out: &mut String, path: &str) -> Result<()> {
        out.push('/');
        if let Some(bucket) = &self.bucket {
            out.push_str(bucket);
            out.push('/');
            let key = encoded_object_key(path, Some(bucket), self.addressing);
            push_normalised(out, key, RFC3986_KEEP_SLASH)?;
        }
        Ok(())
    }

    /// Canonical request of §6.2. `extra` are the presign parameters (raw), `additional` the
    /// effective additional header list.
    pub fn canonical_request(
        &self,
        method: &Method,
        uri: &Uri,
        headers: &HeaderMap,
        extra: &[(&str, &str)],
        additional: &str,
    ) -> Result<String> {
        let mut s = String::with_capacity(512);
        self.push_canonical_request(&mut s, method, uri, headers, (extra, false), additional)?;
        Ok(s)
    }

    /// [`canonical_request`](Self::canonical_request) appended to `s`.
    fn push_canonical_request(
        &self,
        s: &mut String,
        method: &Method,
        uri: &Uri,
        headers: &HeaderMap,
        (extra, extra_encoded): (&[(&str, &str)], bool),
        additional: &str,
    ) -> Result<()> {
        s.push_str(method.as_str());
        s.push('\n');
        self.canonical_uri(s, uri.path())?;
        s.push('\n');

        push_sorted_query_with(s, uri.query(), extra, extra_encoded, RFC3986, true)?;
        s.push('\n');

        let entries = headers::sorted_entries(headers, |n| {
            signed_by_default(n)
                || (!additional.is_empty() && additional.split(';').any(|a| a == n))
        });
        headers::push_canonical_entries(s, &entries, |_| true, ALGORITHM)?;
        s.push('\n');
        s.push_str(additional);
        s.push('\n');
        // From the signed entries (every `x-oss-*` header is one), not `HeaderMap::get`: hashing
        // the name again for the lookup was 4 % of a signature. The first value, as `get` gives.
        let payload = match entries.iter().find(|(n, _)| **n == X_OSS_CONTENT_SHA256) {
            Some((_, v)) => headers::value_str(v, X_OSS_CONTENT_SHA256, ALGORITHM)?,
            None => UNSIGNED_PAYLOAD,
        };
        s.push_str(payload);
        Ok(())
    }

    fn string_to_sign(&self, datetime: &str, scope: &str, canonical: &str) -> String {
        let hash = sha2::Sha256::digest(canonical.as_bytes());
        let mut s = String::with_capacity(20 + datetime.len() + scope.len() + 64);
        s.push_str(ALGORITHM);
        s.push('\n');
        s.push_str(datetime);
        s.push('\n');
        s.push_str(scope);
        s.push('\n');
        primitives::push_hex(&mut s, &hash);
        s
    }

    /// The HMAC keyed with this signer's derived key for `secret` on `date`.
    fn mac(&self, secret: &str, date: &str) -> primitives::HmacSha256 {
        self.keys.mac(secret, date, || {
            primitives::derived_v4_hmac(
                "aliyun_v4",
                secret,
                date,
                &self.region,
                &self.product,
                TERMINATOR,
            )
        })
    }

    fn signature(&self, secret: &str, date: &str, sts: &str) -> String {
        primitives::hex_mac(self.mac(secret, date), sts.as_bytes())
    }

    /// Signs a request in place: adds `x-oss-date`, `x-oss-content-sha256: UNSIGNED-PAYLOAD`
    /// (unless present) and `x-oss-security-token`, then
    /// `Authorization: OSS4-HMAC-SHA256 Credential=…[,AdditionalHeaders=…],Signature=…` (S6).
    /// `false` when the credentials are anonymous and the request was left unsigned.
    pub fn sign_request<B>(
        &self,
        req: &mut Request<B>,
        creds: &Credentials,
        time: DateTime<Utc>,
    ) -> Result<bool> {
        Ok(self
            .sign_in_place(req, creds, time, Details::Skip)?
            .is_some())
    }

    /// [`sign_request`](Self::sign_request), returning the intermediate strings too.
    pub fn sign_request_with_details<B>(
        &self,
        req: &mut Request<B>,
        creds: &Credentials,
        time: DateTime<Utc>,
    ) -> Result<Option<SigningDetails>> {
        self.sign_in_place(req, creds, time, Details::Want)
    }

    /// Signs `req`; `Some` when signed, holding the details only when `details` wants them.
    fn sign_in_place<B>(
        &self,
        req: &mut Request<B>,
        creds: &Credentials,
        time: DateTime<Utc>,
        details: Details,
    ) -> Result<Option<SigningDetails>> {
        let Some((id, secret, token)) = access_key(creds, ALGORITHM)? else {
            return Ok(None);
        };
        let date_value = date_values::date_value(DateFormat::Iso8601Basic, time, ALGORITHM)?;
        let datetime = date_values::basic_bytes(&date_value, ALGORITHM)?;
        let datetime = time_format::ascii_date(&datetime);
        let date = &datetime[..8];
        let h = req.headers_mut();
        h.insert(X_OSS_DATE, date_value);
        if let http::header::Entry::Vacant(slot) = h.entry(X_OSS_CONTENT_SHA256) {
            slot.insert(HeaderValue::from_static(UNSIGNED_PAYLOAD));
        }
        if let Some(token) = token {
            h.insert(
                X_OSS_SECURITY_TOKEN,
                sensitive_value(token, "x-oss-security-token", ALGORITHM)?,
            );
        }
        let additional = self.effective_additional_headers(req.headers());
        let mut canonical = scratch::string(512);
        self.push_canonical_request(
            &mut canonical,
            req.method(),
            req.uri(),
            req.headers(),
            (&[], false),
            &additional,
        )?;

        // Exactly the length written, so the header takes the buffer without another allocation.
        let mut auth = String::with_capacity(
            ALGORITHM.len()
                + " Credential=".len()
                + id.len()
                + 1
                + self.scope_len()
                + if additional.is_empty() {
                    0
                } else {
                    ",AdditionalHeaders=".len() + additional.len()
                }
                + ",Signature=".len()
                + 64,
        );
        auth.push_str(ALGORITHM);
        auth.push_str(" Credential=");
        auth.push_str(id);
        auth.push('/');
        let scope_at = auth.len();
        self.push_scope(&mut auth, date);
        let scope_end = auth.len();
        if !additional.is_empty() {
            auth.push_str(",AdditionalHeaders=");
            auth.push_str(&additional);
        }
        let (signature, sts) = primitives::v4_signature(
            self.mac(secret, date),
            [ALGORITHM, datetime, &auth[scope_at..scope_end]],
            &canonical,
            details,
        );
        let signature = primitives::ascii(&signature);
        auth.push_str(",Signature=");
        auth.push_str(signature);
        set_authorization(req.headers_mut(), auth, ALGORITHM)?;
        Ok(Some(match sts {
            Some(sts) => {
                SigningDetails::new(Some(canonical.to_string()), sts, signature.to_owned())
            }
            None => SigningDetails::default(),
        }))
    }

    /// Presigns `method url` for `expires` from `time` (§6.4). `headers` are those the request
    /// will carry (`x-oss-*`, Content-Type, Content-MD5 and additional headers are signed).
    /// Appends the `x-oss-*` parameters and `x-oss-signature`; adds no headers.
    pub fn presign(
        &self,
        method: &Method,
        url: &Uri,
        headers: &HeaderMap,
        creds: &Credentials,
        time: DateTime<Utc>,
        expires: Duration,
    ) -> Result<Presigned> {
        presign_checks::check_region(ALGORITHM, &self.region)?;
        presign_checks::check_path(ALGORITHM, url.path())?;
        presign_checks::check_expires(
            ALGORITHM,
            time,
            expires,
            Some(presign_checks::MAX_V4_PRESIGN_EXPIRES),
        )?;
        let Some((id, secret, token)) = access_key(creds, ALGORITHM)? else {
            return Ok(Presigned::unsigned(url));
        };
        let datetime = time_format::iso8601_basic_bytes(time);
        let datetime = time_format::ascii_date(&datetime);
        let date = &datetime[..8];
        // The scope is the credential's tail: one string for both.
        let mut credential = String::with_capacity(id.len() + 1 + self.scope_len());
        credential.push_str(id);
        credential.push('/');
        self.push_scope(&mut credential, date);
        let scope = &credential[id.len() + 1..];
        let expires = time_format::Decimal::new(expires.as_secs().try_into().unwrap_or(i64::MAX));
        let additional = self.effective_additional_headers(headers);
        let values = [
            ("x-oss-signature-version", Some(ALGORITHM)),
            ("x-oss-date", Some(datetime)),
            ("x-oss-expires", Some(expires.as_str())),
            ("x-oss-credential", Some(credential.as_str())),
            ("x-oss-security-token", token),
            (
                "x-oss-additional-headers",
                Some(additional.as_str()).filter(|a| !a.is_empty()),
            ),
        ];
        let mut encoded = scratch::string(0);
        let mut pairs = encode_once(&mut encoded, &values);
        let n = pairs
            .iter()
            .take_while(|(name, _)| !name.is_empty())
            .count();
        let mut canonical = String::with_capacity(512);
        self.push_canonical_request(
            &mut canonical,
            method,
            url,
            headers,
            (&pairs[..n], true),
            &additional,
        )?;
        let sts = self.string_to_sign(datetime, scope, &canonical);
        let signature = self.signature(secret, date, &sts);
        // Lower-hex: nothing to encode.
        pairs[n] = ("x-oss-signature", &signature);
        let url = append_query_with(url, &pairs[..=n], true, ALGORITHM)?;
        Ok(Presigned {
            url,
            details: Some(SigningDetails::new(Some(canonical), sts, signature)),
        })
    }
}
