//! Tablestore (OTS) request signatures V2 and V4, and response verification (signing.md §7).
//!
//! Token header: `x-ots-ststoken`, never `x-ots-stsaccesstoken` (S11). In V4 the HMAC key is the
//! Base64 *text* of the derived key, not its bytes (Tablestore's own quirk).

use super::credential_gate::access_key;
use super::date_values::{self, DateFormat};
use super::details::{Details, SigningDetails};
use super::encoding::push_canonical_query;
use super::headers;
use super::headers::{canonical_prefixed_headers, header_str, sensitive_value};
use super::primitives;
use super::scratch;
use super::time_format;
use crate::error::{Error, Result};
use crate::model::Credentials;
use chrono::{DateTime, Utc};
use http::header::{HeaderName, HeaderValue};
use http::{HeaderMap, Request};

const ALGORITHM: &str = "Tablestore";

/// The API version every request declares.
pub const API_VERSION: &str = "2015-12-31";

const X_OTS_DATE: HeaderName = HeaderName::from_static("x-ots-date");
const X_OTS_APIVERSION: HeaderName = HeaderName::from_static("x-ots-apiversion");
const X_OTS_INSTANCENAME: HeaderName = HeaderName::from_static("x-ots-instancename");
const X_OTS_CONTENTMD5: HeaderName = HeaderName::from_static("x-ots-contentmd5");
const X_OTS_ACCESSKEYID: HeaderName = HeaderName::from_static("x-ots-accesskeyid");
const X_OTS_STSTOKEN: HeaderName = HeaderName::from_static("x-ots-ststoken");
const X_OTS_SIGNDATE: HeaderName = HeaderName::from_static("x-ots-signdate");
const X_OTS_SIGNREGION: HeaderName = HeaderName::from_static("x-ots-signregion");
const X_OTS_SIGNATURE: HeaderName = HeaderName::from_static("x-ots-signature");
const X_OTS_SIGNATUREV4: HeaderName = HeaderName::from_static("x-ots-signaturev4");

/// Which Tablestore signature to compute.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TablestoreVersion {
    /// HMAC-SHA1 keyed with the secret, header `x-ots-signature`.
    V2,
    /// HMAC-SHA256 keyed with the derived key, header `x-ots-signaturev4`.
    V4 {
        /// The instance's region, such as `cn-hangzhou`, part of the signing scope.
        region: String,
    },
}

/// Signs Tablestore requests for one instance.
#[derive(Debug, Clone)]
pub struct TablestoreSigner {
    version: TablestoreVersion,
    /// V4: the HMAC keyed with the day's derived key text (four HMACs to derive, two to key).
    keys: std::sync::Arc<primitives::V4KeyCache>,
    /// `x-ots-instancename` and, in V4, `x-ots-signregion` as header values, built once: they
    /// are the same on every request (`None` when the text cannot be one; signing says so).
    instance_value: Option<HeaderValue>,
    region_value: Option<HeaderValue>,
}

/// A value built ahead (at construction, or kept per thread); `None` (text no header can carry)
/// is reported as a [`headers::new_value`] failure would be, naming the header only.
fn fixed_value(value: &Option<HeaderValue>, name: &str) -> Result<HeaderValue> {
    value.clone().ok_or_else(|| {
        Error::signing(
            ALGORITHM,
            format!("the value for header `{name}` holds characters an HTTP header cannot carry"),
        )
    })
}

/// Base64 text of the V4 key chain over `yyyymmdd`, `region`, `ots` (§7.3).
pub fn v4_signing_key_base64(secret: &str, sign_date: &str, region: &str) -> String {
    primitives::base64(&primitives::derive_v4_key(
        "aliyun_v4",
        secret,
        sign_date,
        region,
        "ots",
        "aliyun_v4_request",
    ))
}

impl TablestoreSigner {
    /// A signer for the Tablestore instance `instance` (the `x-ots-instancename` header).
    pub fn new(instance: &str, version: TablestoreVersion) -> Self {
        let region_value = match &version {
            TablestoreVersion::V4 { region } => HeaderValue::from_str(region).ok(),
            TablestoreVersion::V2 => None,
        };
        Self {
            instance_value: HeaderValue::from_str(instance).ok(),
            region_value,
            version,
            keys: Default::default(),
        }
    }

    /// The request string to sign of §7.2 (plus the `ots` salt in V4).
    pub fn string_to_sign<B>(&self, req: &Request<B>) -> Result<String> {
        let mut s = String::with_capacity(256);
        self.push_string_to_sign(&mut s, req)?;
        Ok(s)
    }

    /// [`string_to_sign`](Self::string_to_sign) appended to `s`.
    fn push_string_to_sign<B>(&self, s: &mut String, req: &Request<B>) -> Result<()> {
        super::encoding::push_decoded(s, req.uri().path())?;
        s.push('\n');
        s.push_str(req.method().as_str());
        s.push('\n');
        push_canonical_query(s, req.uri().query())?;
        s.push('\n');
        headers::push_canonical_prefixed_headers(s, req.headers(), "x-ots-", |_| true, ALGORITHM)?;
        if matches!(self.version, TablestoreVersion::V4 { .. }) {
            s.push_str("ots");
        }
        Ok(())
    }

    fn key(&self, secret: &str, time: DateTime<Utc>) -> Vec<u8> {
        match &self.version {
            TablestoreVersion::V2 => secret.as_bytes().to_vec(),
            TablestoreVersion::V4 { region } => {
                v4_signing_key_base64(secret, &time.format("%Y%m%d").to_string(), region)
                    .into_bytes()
            }
        }
    }

    /// Signs a request in place: adds `x-ots-date`, `x-ots-apiversion`, `x-ots-instancename`,
    /// `x-ots-contentmd5` (each unless present), `x-ots-accesskeyid`, `x-ots-ststoken` and, in
    /// V4, `x-ots-signdate` and `x-ots-signregion`; then the signature header.
    /// `false` when the credentials are anonymous and the request was left unsigned.
    pub fn sign_request<B: AsRef<[u8]>>(
        &self,
        req: &mut Request<B>,
        creds: &Credentials,
        time: DateTime<Utc>,
    ) -> Result<bool> {
        Ok(self
            .sign_in_place(req, creds, time, Details::Skip)?
            .is_some())
    }

    /// [`sign_request`](Self::sign_request), returning the string to sign and the signature
    /// too; `None` when the credentials are anonymous.
    pub fn sign_request_with_details<B: AsRef<[u8]>>(
        &self,
        req: &mut Request<B>,
        creds: &Credentials,
        time: DateTime<Utc>,
    ) -> Result<Option<SigningDetails>> {
        self.sign_in_place(req, creds, time, Details::Want)
    }

    /// Signs `req`; `Some` when signed, holding the details only when `details` wants them.
    fn sign_in_place<B: AsRef<[u8]>>(
        &self,
        req: &mut Request<B>,
        creds: &Credentials,
        time: DateTime<Utc>,
        details: Details,
    ) -> Result<Option<SigningDetails>> {
        let Some((id, secret, token)) = access_key(creds, ALGORITHM)? else {
            return Ok(None);
        };
        let md5 = primitives::md5_base64(req.body().as_ref());
        let h = req.headers_mut();
        // Up to nine headers are added: room for all at once, not a rehash half-way.
        h.reserve(9);
        headers::set_date_if_absent(h, &X_OTS_DATE, DateFormat::Tablestore, time, ALGORITHM)?;
        if let http::header::Entry::Vacant(slot) = h.entry(X_OTS_APIVERSION) {
            slot.insert(http::HeaderValue::from_static(API_VERSION));
        }
        if let http::header::Entry::Vacant(slot) = h.entry(X_OTS_INSTANCENAME) {
            slot.insert(fixed_value(&self.instance_value, "x-ots-instancename")?);
        }
        headers::set_if_absent_with(h, &X_OTS_CONTENTMD5, || md5, ALGORITHM)?;
        let id_value = date_values::access_key_id_value(id);
        h.insert(
            X_OTS_ACCESSKEYID,
            fixed_value(&id_value, "x-ots-accesskeyid")?,
        );
        if let Some(token) = token {
            h.insert(
                X_OTS_STSTOKEN,
                sensitive_value(token, "x-ots-ststoken", ALGORITHM)?,
            );
        }
        let header = match &self.version {
            TablestoreVersion::V2 => X_OTS_SIGNATURE,
            TablestoreVersion::V4 { .. } => {
                h.insert(
                    X_OTS_SIGNDATE,
                    date_values::date_value(DateFormat::Day, time, ALGORITHM)?,
                );
                h.insert(
                    X_OTS_SIGNREGION,
                    fixed_value(&self.region_value, "x-ots-signregion")?,
                );
                X_OTS_SIGNATUREV4
            }
        };
        let mut sts = scratch::string(256);
        self.push_string_to_sign(&mut sts, req)?;
        let signature = match &self.version {
            TablestoreVersion::V2 => {
                primitives::base64_secret_hmac_sha1(&[secret.as_bytes()], sts.as_bytes())
            }
            TablestoreVersion::V4 { region } => {
                let date = time_format::iso8601_basic_bytes(time);
                let date = time_format::ascii_date(&date[..8]);
                let mut mac = self.keys.mac(secret, date, || {
                    let key = zeroize::Zeroizing::new(v4_signing_key_base64(secret, date, region));
                    primitives::keyed_hmac_sha256(key.as_bytes())
                });
                hmac::Mac::update(&mut mac, sts.as_bytes());
                let mut signature = String::with_capacity(44);
                primitives::push_base64(&mut signature, &hmac::Mac::finalize(mac).into_bytes());
                signature
            }
        };
        let details = match details {
            Details::Want => SigningDetails::new(None, sts.to_string(), signature.clone()),
            Details::Skip => SigningDetails::default(),
        };
        // The signature's buffer becomes the header's (its capacity is its length).
        let mut value = headers::owned_value(signature, header.as_str(), ALGORITHM)?;
        value.set_sensitive(true);
        req.headers_mut().insert(header, value);
        Ok(Some(details))
    }

    /// Checks a response's `authorization: OTS <akid>:<sig>` (§7.4). `api` is the API name
    /// (`ListTable`); `time` the signing time of the request (its day selects the V4 key). Body
    /// MD5 and clock-skew checks are the caller's.
    pub fn verify_response(
        &self,
        headers: &HeaderMap,
        api: &str,
        creds: &Credentials,
        time: DateTime<Utc>,
    ) -> Result<()> {
        let Some((_, secret, _)) = access_key(creds, ALGORITHM)? else {
            return Ok(());
        };
        let sts = response_string_to_sign(headers, api)?;
        let key = self.key(secret, time);
        let expected = primitives::base64_hmac_sha1(&key, &sts);
        let got = header_str(headers, "authorization", ALGORITHM)?
            .and_then(|a| a.strip_prefix("OTS "))
            .and_then(|a| a.split_once(':'))
            .map(|(_, sig)| sig);
        if got == Some(expected.as_str()) {
            Ok(())
        } else {
            Err(Error::signing(
                ALGORITHM,
                "the response signature does not match: the response may not come from \
                 Tablestore, or the credentials differ from the request's",
            ))
        }
    }
}

/// Every `x-ots-*` response header as `name:value`, sorted, joined with `\n`, then `\n/` + api.
pub fn response_string_to_sign(headers: &HeaderMap, api: &str) -> Result<String> {
    let mut s = canonical_prefixed_headers(headers, "x-ots-", |_| true, ALGORITHM)?;
    s.push('/');
    s.push_str(api);
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn signed(signer: &TablestoreSigner, creds: &Credentials, time: DateTime<Utc>) -> String {
        let mut req = Request::post("https://i.cn-hangzhou.ots.example.invalid/GetRow")
            .body(b"row".to_vec())
            .unwrap();
        signer
            .sign_request_with_details(&mut req, creds, time)
            .unwrap()
            .unwrap()
            .signature
    }

    #[test]
    fn v4_cached_key_follows_the_day_and_the_secret() {
        let v4 = || {
            TablestoreSigner::new(
                "i",
                TablestoreVersion::V4 {
                    region: "cn-hangzhou".into(),
                },
            )
        };
        let a = Credentials::access_key("id", "secret-a", "t".into());
        let b = Credentials::access_key("id", "secret-b", "t".into());
        let day1 = Utc.with_ymd_and_hms(2024, 5, 6, 23, 59, 59).unwrap();
        let day2 = Utc.with_ymd_and_hms(2024, 5, 7, 0, 0, 0).unwrap();
        // One signer reused across days and secrets signs as a fresh signer would.
        let reused = v4();
        for (creds, time) in [(&a, day1), (&a, day1), (&a, day2), (&b, day2), (&a, day2)] {
            assert_eq!(signed(&reused, creds, time), signed(&v4(), creds, time));
        }
        assert_ne!(signed(&v4(), &a, day1), signed(&v4(), &a, day2));
    }
}
