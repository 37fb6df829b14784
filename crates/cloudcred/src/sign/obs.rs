//! Huawei OBS signatures (signing.md §8–9): native `OBS` and AWS-compatible V2 (HMAC-SHA1,
//! header and presigned forms), and V4 (`AWS4-HMAC-SHA256`, service `s3`, header and presigned).
//!
//! The signer does no signature negotiation (S9): the caller chooses the mode, native by default.
//!
//! Where esdk-obs-python 3.26.6 signs what the service cannot verify, this module follows the
//! service (each case in `tests/differential_obs.rs`): every signed V2 value trimmed, V4 values
//! with SigV4 Trimall, and the sub-resources of all official lists, not only Python's.

use super::credential_gate::access_key;
use super::date_values::{self, DateFormat};
use super::details::{Details, Presigned, SigningDetails};
use super::encoding::{encode_once, push_normalised, push_sorted_query_with, RFC3986_KEEP_SLASH};
use super::headers;
use super::headers::{
    new_value, push_name_list, push_subresources, sensitive_value, set_authorization, value_str,
};
use super::name_set::NameSet;
use super::presign_checks;
use super::primitives;
use super::request_url::{
    append_query, append_query_with, authority, encoded_object_key, Addressing,
};
use super::scratch::{self, ScratchRefs};
use super::time_format;
use crate::error::Result;
use crate::model::Credentials;
use chrono::{DateTime, Utc};
use http::header::{HeaderName, HeaderValue};
use http::header::{AUTHORIZATION, DATE, HOST};
use http::{HeaderMap, Method, Request, Uri};
use sha2::{Digest as _, Sha256};
use std::time::Duration;

const V2_ALGORITHM: &str = "OBS V2";
const V4_ALGORITHM: &str = "AWS4-HMAC-SHA256";
const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";

const X_OBS_DATE: HeaderName = HeaderName::from_static("x-obs-date");
const X_AMZ_DATE: HeaderName = HeaderName::from_static("x-amz-date");
const X_AMZ_CONTENT_SHA256: HeaderName = HeaderName::from_static("x-amz-content-sha256");
const X_AMZ_SECURITY_TOKEN: HeaderName = HeaderName::from_static("x-amz-security-token");
/// `host` as a name that outlives any request, for the V4 signed list when the URI gives it.
static HOST_NAME: HeaderName = HOST;

/// Which official OBS signer lists a sub-resource name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ListedBy {
    /// esdk-obs-python 3.26.6, `ALLOWED_RESOURCE_PARAMTER_NAMES` in `obs/const.py`.
    Python,
    /// huaweicloud-sdk-java-v3, `ALLOWED_RESOURCE_PARAMTER_NAMES` in
    /// `services/obs/src/main/java/com/huaweicloud/sdk/obs/v1/sts/OBSSigner.java` (commit
    /// 5512e4f): operations the Python SDK has no call for, such as `PUT /?customdomain` and
    /// `PUT /?mirrorBackToSource`.
    JavaV3,
    Both,
}

use ListedBy::{Both, JavaV3, Python};

/// The sub-resources (§8.2): the union of the official lists, lower-case, sorted, each with its
/// source. The service, not one SDK, decides which parameters enter the string to sign; a name
/// an official signer signs is one an operation needs, and leaving it out fails that operation
/// with 403.
const SUBRESOURCES: &[(&str, ListedBy)] = &[
    ("acl", Both),
    ("append", Both),
    ("asynccallback", JavaV3),
    ("asyncfetchjob", JavaV3),
    ("asyncfetchpolicy", JavaV3),
    ("attname", JavaV3),
    ("backtosource", Both),
    ("bucketstatus", Python),
    ("cdnnotifyconfiguration", JavaV3),
    ("cors", Both),
    ("customdomain", JavaV3),
    ("delete", Both),
    ("deletebucket", Both),
    ("directcoldaccess", Both),
    ("dispolicy", Both),
    ("encryption", Both),
    ("extension_policy", JavaV3),
    ("fileinterface", Both),
    ("fscreatehardlink", JavaV3),
    ("getcontentsummary", JavaV3),
    ("ignore-sign-in-query", JavaV3),
    ("inventory", Both),
    ("length", Both),
    ("lifecycle", Both),
    ("listcontentsummary", JavaV3),
    ("location", Both),
    ("logging", Both),
    ("metadata", Both),
    ("mirrorbacktosource", JavaV3),
    ("mirrorrefresh", JavaV3),
    ("modify", Both),
    ("multilistcontentsummary", JavaV3),
    ("name", Both),
    ("notification", Both),
    ("object-lock", Both),
    ("obsalias", Both),
    ("obsbucketalias", Both),
    ("obscompresspolicy", Both),
    ("obsworkflowtriggerpolicy", Both),
    ("orchestration", JavaV3),
    ("partnumber", Both),
    ("policy", Both),
    ("policystatus", Python),
    ("position", Both),
    ("publicaccessblock", Python),
    ("quota", Both),
    ("readahead", JavaV3),
    ("rename", Both),
    ("replication", Both),
    ("replication_progress", JavaV3),
    ("requestpayment", Both),
    ("response-cache-control", Both),
    ("response-content-disposition", Both),
    ("response-content-encoding", Both),
    ("response-content-language", Both),
    ("response-content-type", Both),
    ("response-expires", Both),
    ("restore", Both),
    ("retention", Both),
    ("select", JavaV3),
    ("select-type", JavaV3),
    ("sfsacl", JavaV3),
    ("sfsmount", JavaV3),
    ("sfsumount", JavaV3),
    ("storageclass", Both),
    ("storageinfo", Both),
    ("storagepolicy", Both),
    ("synccallback", JavaV3),
    ("tagging", Both),
    ("template_name", JavaV3),
    ("template_name_prefix", JavaV3),
    ("torrent", Both),
    ("truncate", Both),
    ("uploadid", Both),
    ("uploads", Both),
    ("versionid", Both),
    ("versioning", Both),
    ("versions", Both),
    ("website", Both),
    ("x-image-process", Both),
    ("x-image-save-bucket", Both),
    ("x-image-save-object", Both),
    ("x-obs-accesslabel", Python),
    ("x-obs-security-token", JavaV3),
    ("x-obs-sse-kms-key-project-id", JavaV3),
    ("x-oss-process", Both),
    ("x-workflow-category", JavaV3),
    ("x-workflow-create", JavaV3),
    ("x-workflow-execution-state", Both),
    ("x-workflow-execution-type", Python),
    ("x-workflow-forbid", JavaV3),
    ("x-workflow-graph-name", Both),
    ("x-workflow-limit", Both),
    ("x-workflow-next-marker", Python),
    ("x-workflow-prefix", Both),
    ("x-workflow-start", Both),
    ("x-workflow-status", JavaV3),
    ("x-workflow-template-name", Both),
    ("x-workflow-type", JavaV3),
    ("x_obs_dnslevel", JavaV3),
    ("x_obs_resource_id", JavaV3),
    ("x_obs_resource_type", JavaV3),
];

/// The V2 family's two modes (§8.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum ObsMode {
    /// `Authorization: OBS ak:sig`, prefix `x-obs-`.
    #[default]
    Native,
    /// `Authorization: AWS ak:sig`, prefix `x-amz-`.
    AwsV2,
}

impl ObsMode {
    fn prefix(self) -> &'static str {
        match self {
            ObsMode::Native => "x-obs-",
            ObsMode::AwsV2 => "x-amz-",
        }
    }

    fn scheme(self) -> &'static str {
        match self {
            ObsMode::Native => "OBS",
            ObsMode::AwsV2 => "AWS",
        }
    }

    /// The prefixed date header, which replaces `Date` in the string to sign.
    fn date_name(self) -> HeaderName {
        match self {
            ObsMode::Native => X_OBS_DATE,
            ObsMode::AwsV2 => X_AMZ_DATE,
        }
    }

    fn token_name(self) -> &'static str {
        match self {
            ObsMode::Native => "x-obs-security-token",
            ObsMode::AwsV2 => "x-amz-security-token",
        }
    }

    fn access_key_param(self) -> &'static str {
        match self {
            ObsMode::Native => "AccessKeyId",
            ObsMode::AwsV2 => "AWSAccessKeyId",
        }
    }
}

/// Signs OBS requests with the native or AWS-compatible V2 signature.
#[derive(Debug, Clone, Default)]
pub struct ObsSigner {
    mode: ObsMode,
    bucket: Option<String>,
    addressing: Addressing,
}

impl ObsSigner {
    /// A signer for `bucket` (`None` for service-level requests). In CNAME mode pass the custom
    /// domain as the bucket (§8.2).
    pub fn new(mode: ObsMode, bucket: Option<&str>) -> Self {
        Self {
            mode,
            bucket: bucket.map(str::to_owned),
            addressing: Addressing::default(),
        }
    }

    /// Virtual-hosted (the default) or path-style requests: where the bucket is named, hence
    /// which part of the path is the object key.
    pub fn with_addressing(mut self, addressing: Addressing) -> Self {
        self.addressing = addressing;
        self
    }

    fn is_subresource(&self, name: &str) -> bool {
        // Compared without case against the lower-case list, not lower-cased into a copy first
        // (the copy and its UTF-8 check were 7 % of an OBS V2 signature).
        static NAMES: NameSet = NameSet::new(|| SUBRESOURCES.iter().map(|(n, _)| *n).collect());
        let prefix = self.mode.prefix();
        name.as_bytes()
            .get(..prefix.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(prefix.as_bytes()))
            || NAMES.contains_ignore_ascii_case(name)
    }

    /// CanonicalizedResource of §8.2, with the signer's own `extra` query parameters.
    pub fn canonical_resource(&self, uri: &Uri, extra: &[(&str, &str)]) -> Result<String> {
        // Sized for the common resource: growing from one byte reallocated three times.
        let mut out = String::with_capacity(64 + uri.path().len());
        self.push_canonical_resource(&mut out, uri, extra)?;
        Ok(out)
    }

    /// [`canonical_resource`](Self::canonical_resource) appended to `out`.
    fn push_canonical_resource(
        &self,
        out: &mut String,
        uri: &Uri,
        extra: &[(&str, &str)],
    ) -> Result<()> {
        out.push('/');
        if let Some(bucket) = &self.bucket {
            out.push_str(bucket);
            let key = encoded_object_key(uri.path(), Some(bucket), self.addressing);
            if !key.is_empty() || self.addressing == Addressing::VirtualHosted {
                out.push('/');
            }
            push_normalised(out, key, RFC3986_KEEP_SLASH)?;
        }
        push_subresources(
            out,
            uri.query(),
            |k| self.is_subresource(k),
            extra,
            true,
            false,
        )
    }

    /// The string to sign of §8.2. `date_line` is `None` for the header form (the `Date` header,
    /// empty when the prefixed date header is present) or the presigned `Expires`.
    pub fn string_to_sign(
        &self,
        method: &Method,
        uri: &Uri,
        headers: &HeaderMap,
        date_line: Option<&str>,
        extra: &[(&str, &str)],
    ) -> Result<String> {
        // Every value trimmed, not only `x-obs-meta-*` as esdk-obs-python does: HTTP drops the
        // whitespace around a field value (RFC 9110 §5.5), so the service signs trimmed values
        // and an untrimmed signature cannot verify.
        let mut s = String::with_capacity(256);
        self.push_string_to_sign(&mut s, method, uri, headers, date_line, "", extra)?;
        Ok(s)
    }

    /// [`string_to_sign`](Self::string_to_sign) appended to `s`, with `date_if_absent` as the
    /// date line when the headers hold neither date; `true` when it was used (the caller then
    /// sets `Date` to it).
    #[allow(clippy::too_many_arguments)]
    fn push_string_to_sign(
        &self,
        s: &mut String,
        method: &Method,
        uri: &Uri,
        headers: &HeaderMap,
        date_line: Option<&str>,
        date_if_absent: &str,
        extra: &[(&str, &str)],
    ) -> Result<bool> {
        let scan = headers::scan_v1(headers, self.mode.prefix(), &self.mode.date_name());
        scan.push_head(s, method.as_str(), V2_ALGORITHM)?;
        let mut absent = false;
        match (date_line, scan.prefixed_date, scan.date) {
            (Some(d), _, _) => s.push_str(d),
            (None, None, Some(d)) => {
                s.push_str(headers::trim_ows(headers::value_str(
                    d,
                    &DATE,
                    V2_ALGORITHM,
                )?));
            }
            (None, None, None) => {
                s.push_str(date_if_absent);
                absent = true;
            }
            (None, Some(_), _) => {}
        }
        s.push('\n');
        headers::push_canonical_entries(s, &scan.prefixed, |_| true, V2_ALGORITHM)?;
        self.push_canonical_resource(s, uri, extra)?;
        Ok(absent)
    }

    /// Signs a request in place: sets `Date` (unless it or the prefixed date header is present)
    /// and the security-token header, then `Authorization: OBS|AWS <ak>:<sig>`. `false` when
    /// the credentials are anonymous and the request was left unsigned.
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

    /// [`sign_request`](Self::sign_request), returning the string to sign and the signature
    /// too; `None` when the credentials are anonymous.
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
        let Some((id, secret, token)) = access_key(creds, V2_ALGORITHM)? else {
            return Ok(None);
        };
        if let Some(token) = token {
            let name = self.mode.token_name();
            req.headers_mut()
                .insert(name, sensitive_value(token, name, V2_ALGORITHM)?);
        }
        // The scan the string to sign makes tells whether either date header is there, so
        // `Date` is set after it, without probing the map for both names first.
        let date = date_values::date_value(DateFormat::Http, time, V2_ALGORITHM)?;
        let date_text = headers::value_str(&date, &DATE, V2_ALGORITHM)?;
        let mut sts = scratch::string(256);
        let (method, uri, h) = (req.method(), req.uri(), req.headers());
        if self.push_string_to_sign(&mut sts, method, uri, h, None, date_text, &[])? {
            req.headers_mut().insert(DATE, date);
        }
        let scheme = self.mode.scheme();
        let key = (id, secret);
        headers::authorize_v1(req.headers_mut(), scheme, key, &sts, details, V2_ALGORITHM)
    }

    /// Presigns `method url` valid until `time + expires` (§8.3). Appends the security token
    /// (with one), `Expires`, `AccessKeyId` (native) or `AWSAccessKeyId` (V2) and `Signature`.
    pub fn presign(
        &self,
        method: &Method,
        url: &Uri,
        headers: &HeaderMap,
        creds: &Credentials,
        time: DateTime<Utc>,
        expires: Duration,
    ) -> Result<Presigned> {
        presign_checks::check_path(V2_ALGORITHM, url.path())?;
        presign_checks::check_expires(V2_ALGORITHM, time, expires, None)?;
        let Some((id, secret, token)) = access_key(creds, V2_ALGORITHM)? else {
            return Ok(Presigned::unsigned(url));
        };
        let expires_at = time_format::expires_epoch(time, expires);
        let expires_at = expires_at.as_str();
        // On the stack: the token (signed as a sub-resource) first, then the rest.
        let mut pairs = [(self.mode.token_name(), ""), ("", ""), ("", ""), ("", "")];
        let first = match token {
            Some(t) => {
                pairs[0].1 = t;
                0
            }
            None => 1,
        };
        let sts = self.string_to_sign(method, url, headers, Some(expires_at), &pairs[first..1])?;
        let signature = primitives::base64_secret_hmac_sha1(&[secret.as_bytes()], sts.as_bytes());
        // esdk-obs-python's order: token, Expires, the key id, Signature.
        pairs[1..].copy_from_slice(&[
            ("Expires", expires_at),
            (self.mode.access_key_param(), id),
            ("Signature", &signature),
        ]);
        let url = append_query(url, &pairs[first..], V2_ALGORITHM)?;
        Ok(Presigned {
            url,
            details: Some(SigningDetails::new(None, sts, signature)),
        })
    }
}

/// Every value of `name` joined with `,` (S8), each with Trimall.
fn push_trimall_values(out: &mut String, headers: &HeaderMap, name: &HeaderName) -> Result<()> {
    for (i, v) in headers.get_all(name).iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_trimall(out, value_str(v, name, V4_ALGORITHM)?);
    }
    Ok(())
}

/// One value with Trimall: outer whitespace removed, runs of inner spaces collapsed to one.
fn push_trimall(out: &mut String, value: &str) {
    let mut rest = headers::trim_ows(value);
    // By bytes: `str::find("  ")` built a substring searcher per value.
    while let Some(run) = rest.as_bytes().windows(2).position(|w| w == b"  ") {
        out.push_str(&rest[..=run]);
        rest = rest[run..].trim_start_matches(' ');
    }
    out.push_str(rest);
}

/// Signs OBS requests with V4 (AWS SigV4, service `s3`, §9).
#[derive(Debug, Clone)]
pub struct ObsV4Signer {
    region: String,
    keys: std::sync::Arc<primitives::V4KeyCache>,
}

impl ObsV4Signer {
    /// The canonical URI is the request path as sent (virtual-hosted: `/<key>`, path-style:
    /// `/<bucket>/<key>`), so the signer needs no bucket.
    pub fn new(region: &str) -> Self {
        Self {
            region: region.to_owned(),
            keys: Default::default(),
        }
    }

    /// The canonical request of §9.1 over `signed` (lower-cased header names, sorted), with the
    /// signer's own `extra` query parameters (raw).
    pub fn canonical_request(
        &self,
        method: &Method,
        uri: &Uri,
        headers: &HeaderMap,
        signed: &[&HeaderName],
        extra: &[(&str, &str)],
    ) -> Result<String> {
        let mut s = String::with_capacity(512);
        let entries = Self::signed_entries(headers);
        Self::push_canonical_request(&mut s, method, uri, headers, &entries, signed, extra, false)?;
        Ok(s)
    }

    /// The canonical request of §9.1 appended to `s`.
    #[allow(clippy::too_many_arguments)]
    fn push_canonical_request(
        s: &mut String,
        method: &Method,
        uri: &Uri,
        headers: &HeaderMap,
        entries: &[(&HeaderName, &HeaderValue)],
        signed: &[&HeaderName],
        extra: &[(&str, &str)],
        extra_encoded: bool,
    ) -> Result<()> {
        s.push_str(method.as_str());
        s.push('\n');
        let path = uri.path();
        if path.is_empty() {
            s.push('/');
        } else {
            push_normalised(s, path, RFC3986_KEEP_SLASH)?;
        }
        s.push('\n');
        push_sorted_query_with(
            s,
            uri.query(),
            extra,
            extra_encoded,
            RFC3986_KEEP_SLASH,
            false,
        )?;
        s.push('\n');
        // Every value of a name joined with `,` (S8), each with SigV4's Trimall: the service
        // canonicalises the values it received that way; esdk-obs-python signs them as given,
        // which cannot verify. The values come from one sorted pass over the map, walked beside
        // the sorted names: a `get_all` per name hashed every name again (9 % of a signature).
        let mut at = 0;
        for name in signed {
            s.push_str(name.as_str());
            s.push(':');
            let first = at;
            while let Some((_, value)) = entries.get(at).filter(|(n, _)| *n == *name) {
                if at > first {
                    s.push(',');
                }
                push_trimall(s, value_str(value, name, V4_ALGORITHM)?);
                at += 1;
            }
            if at == first {
                // Not next in the walk: `host` taken from the URL, or (for names a caller of
                // `canonical_request` chose, which need not be every header) looked up.
                if **name == HOST && !headers.contains_key(HOST) {
                    s.push_str(authority(uri).unwrap_or(""));
                } else {
                    push_trimall_values(s, headers, name)?;
                }
            }
            s.push('\n');
        }
        s.push('\n');
        push_name_list(s, signed);
        s.push('\n');
        s.push_str(UNSIGNED_PAYLOAD);
        Ok(())
    }

    /// Every header but `Authorization`, one entry per value, sorted by name.
    fn signed_entries(headers: &HeaderMap) -> headers::Entries<'_> {
        headers::sorted_entries(headers, |n| n != AUTHORIZATION.as_str())
    }

    /// The names of `entries` (from [`signed_entries`](Self::signed_entries)), plus `host` when
    /// the URL gives one the headers lack: already sorted, so read off rather than sorted again
    /// (a second sort of the names was 7 % of a signature).
    fn signed_names<'h>(
        entries: &[(&'h HeaderName, &'h HeaderValue)],
        headers: &HeaderMap,
        uri: &Uri,
    ) -> ScratchRefs<'h, HeaderName> {
        let mut names = scratch::refs(entries.len() + 1);
        let mut host = !headers.contains_key(HOST) && authority(uri).is_some();
        for (name, _) in entries {
            if host && name.as_str() > HOST_NAME.as_str() {
                names.push(&HOST_NAME);
                host = false;
            }
            if names.last() != Some(name) {
                names.push(*name);
            }
        }
        if host {
            names.push(&HOST_NAME);
        }
        names
    }

    #[cfg(test)]
    fn signed_headers<'h>(headers: &'h HeaderMap, uri: &Uri) -> ScratchRefs<'h, HeaderName> {
        Self::signed_names(&Self::signed_entries(headers), headers, uri)
    }

    fn sign(&self, secret: &str, datetime: &str, scope: &str, canonical: &str) -> (String, String) {
        let mut sts = String::with_capacity(V4_ALGORITHM.len() + datetime.len() + scope.len() + 67);
        for part in [V4_ALGORITHM, "\n", datetime, "\n", scope, "\n"] {
            sts.push_str(part);
        }
        primitives::push_hex(&mut sts, &Sha256::digest(canonical.as_bytes()));
        let signature = primitives::hex_mac(self.mac(secret, &datetime[..8]), sts.as_bytes());
        (sts, signature)
    }

    /// The HMAC keyed with this signer's derived key for `secret` on `date`.
    fn mac(&self, secret: &str, date: &str) -> primitives::HmacSha256 {
        self.keys.mac(secret, date, || {
            primitives::derived_v4_hmac("AWS4", secret, date, &self.region, "s3", "aws4_request")
        })
    }

    /// Signs a request in place: adds `host` (from the URI, unless present), `x-amz-date`,
    /// `x-amz-content-sha256: UNSIGNED-PAYLOAD` and `x-amz-security-token`, signs every header,
    /// then sets `Authorization`. `false` when the credentials are anonymous and the request was
    /// left unsigned.
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
        let Some((id, secret, token)) = access_key(creds, V4_ALGORITHM)? else {
            return Ok(None);
        };
        let date_value = date_values::date_value(DateFormat::Iso8601Basic, time, V4_ALGORITHM)?;
        let datetime = date_values::basic_bytes(&date_value, V4_ALGORITHM)?;
        let datetime = time_format::ascii_date(&datetime);
        let date = &datetime[..8];
        if !req.headers().contains_key(HOST) {
            if let Some(host) = authority(req.uri()) {
                let host = new_value(host, "host", V4_ALGORITHM)?;
                req.headers_mut().insert(HOST, host);
            }
        }
        let h = req.headers_mut();
        h.insert(X_AMZ_DATE, date_value);
        h.insert(
            X_AMZ_CONTENT_SHA256,
            http::HeaderValue::from_static(UNSIGNED_PAYLOAD),
        );
        if let Some(token) = token {
            h.insert(
                X_AMZ_SECURITY_TOKEN,
                sensitive_value(token, "x-amz-security-token", V4_ALGORITHM)?,
            );
        }
        let entries = Self::signed_entries(req.headers());
        let signed = Self::signed_names(&entries, req.headers(), req.uri());
        let mut canonical = scratch::string(512);
        Self::push_canonical_request(
            &mut canonical,
            req.method(),
            req.uri(),
            req.headers(),
            &entries,
            &signed,
            &[],
            false,
        )?;
        // Exactly the length written, so the header takes the buffer without another allocation.
        let names_len: usize = signed.iter().map(|n| n.as_str().len() + 1).sum();
        let mut auth = String::with_capacity(
            V4_ALGORITHM.len()
                + " Credential=".len()
                + id.len()
                + 1
                + 8
                + 1
                + self.region.len()
                + "/s3/aws4_request".len()
                + ",SignedHeaders=".len()
                + names_len.saturating_sub(1)
                + ",Signature=".len()
                + 64,
        );
        for part in [V4_ALGORITHM, " Credential=", id, "/"] {
            auth.push_str(part);
        }
        let scope_at = auth.len();
        for (i, part) in [date, &self.region, "s3", "aws4_request"]
            .into_iter()
            .enumerate()
        {
            if i > 0 {
                auth.push('/');
            }
            auth.push_str(part);
        }
        let scope_end = auth.len();
        let (signature, sts) = primitives::v4_signature(
            self.mac(secret, date),
            [V4_ALGORITHM, datetime, &auth[scope_at..scope_end]],
            &canonical,
            details,
        );
        let signature = primitives::ascii(&signature);
        auth.push_str(",SignedHeaders=");
        push_name_list(&mut auth, &signed);
        // The names borrow the request's headers, which `Authorization` is added to next.
        drop(signed);
        drop(entries);
        auth.push_str(",Signature=");
        auth.push_str(signature);
        set_authorization(req.headers_mut(), auth, V4_ALGORITHM)?;
        Ok(Some(match sts {
            Some(sts) => {
                SigningDetails::new(Some(canonical.to_string()), sts, signature.to_owned())
            }
            None => SigningDetails::default(),
        }))
    }

    /// Presigns `method url` for `expires` (§9.2): every header given, plus `host` from the URL,
    /// is signed; appends the `X-Amz-*` parameters, the token and `X-Amz-Signature`.
    pub fn presign(
        &self,
        method: &Method,
        url: &Uri,
        headers: &HeaderMap,
        creds: &Credentials,
        time: DateTime<Utc>,
        expires: Duration,
    ) -> Result<Presigned> {
        presign_checks::check_region(V4_ALGORITHM, &self.region)?;
        presign_checks::check_path(V4_ALGORITHM, url.path())?;
        presign_checks::check_expires(
            V4_ALGORITHM,
            time,
            expires,
            Some(presign_checks::MAX_V4_PRESIGN_EXPIRES),
        )?;
        let Some((id, secret, token)) = access_key(creds, V4_ALGORITHM)? else {
            return Ok(Presigned::unsigned(url));
        };
        let datetime = time_format::iso8601_basic_bytes(time);
        let datetime = time_format::ascii_date(&datetime);
        // The scope is the credential's tail: one string for both.
        let credential = [id, &datetime[..8], &self.region, "s3", "aws4_request"].join("/");
        let scope = &credential[id.len() + 1..];
        let expires = time_format::Decimal::new(expires.as_secs().try_into().unwrap_or(i64::MAX));
        let entries = Self::signed_entries(headers);
        let signed = Self::signed_names(&entries, headers, url);
        let mut signed_list = String::with_capacity(signed.len() * 16);
        push_name_list(&mut signed_list, &signed);
        let values = [
            ("X-Amz-Algorithm", Some(V4_ALGORITHM)),
            ("X-Amz-Credential", Some(credential.as_str())),
            ("X-Amz-Date", Some(datetime)),
            ("X-Amz-Expires", Some(expires.as_str())),
            ("X-Amz-SignedHeaders", Some(signed_list.as_str())),
            ("x-amz-security-token", token),
        ];
        let mut encoded = scratch::string(0);
        let mut pairs = encode_once(&mut encoded, &values);
        let n = pairs
            .iter()
            .take_while(|(name, _)| !name.is_empty())
            .count();
        let mut canonical = String::with_capacity(512);
        Self::push_canonical_request(
            &mut canonical,
            method,
            url,
            headers,
            &entries,
            &signed,
            &pairs[..n],
            true,
        )?;
        let (sts, signature) = self.sign(secret, datetime, scope, &canonical);
        // Lower-hex: nothing to encode.
        pairs[n] = ("X-Amz-Signature", &signature);
        let url = append_query_with(url, &pairs[..=n], true, V4_ALGORITHM)?;
        Ok(Presigned {
            url,
            details: Some(SigningDetails::new(Some(canonical), sts, signature)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uri(s: &str) -> Uri {
        s.parse().unwrap()
    }

    #[test]
    fn path_style_resources() {
        let s =
            ObsSigner::new(ObsMode::Native, Some("bucket")).with_addressing(Addressing::PathStyle);
        assert_eq!(
            s.canonical_resource(&uri("https://h/bucket"), &[]).unwrap(),
            "/bucket"
        );
        assert_eq!(
            s.canonical_resource(&uri("https://h/bucket/a%20b/c?uploadId=u%201&x=1"), &[])
                .unwrap(),
            "/bucket/a%20b/c?uploadId=u 1"
        );
        let v = ObsSigner::new(ObsMode::Native, Some("bucket"));
        assert_eq!(
            v.canonical_resource(&uri("https://bucket.h/"), &[])
                .unwrap(),
            "/bucket/"
        );
    }

    #[test]
    fn repeated_headers_join_and_every_value_is_trimmed() {
        let mut h = HeaderMap::new();
        h.append("x-obs-meta-a", " 1 ".parse().unwrap());
        h.append("x-obs-meta-a", "2".parse().unwrap());
        h.append("x-obs-acl", " public-read".parse().unwrap());
        h.append("date", "d".parse().unwrap());
        h.append("content-type", " text/plain\t".parse().unwrap());
        let s = ObsSigner::new(ObsMode::Native, None);
        let sts = s
            .string_to_sign(&Method::GET, &uri("https://h/"), &h, None, &[])
            .unwrap();
        assert_eq!(
            sts,
            "GET\n\ntext/plain\nd\nx-obs-acl:public-read\nx-obs-meta-a:1,2\n/"
        );
    }

    #[test]
    fn v4_header_values_are_trimmed_and_inner_space_runs_collapse() {
        let mut h = HeaderMap::new();
        h.append("x-obs-acl", " \tpublic-read \t".parse().unwrap());
        h.append("x-obs-meta-a", "a   b  c".parse().unwrap());
        h.append("x-obs-meta-a", " d  e ".parse().unwrap());
        h.append("x-obs-meta-t", "a\t\tb".parse().unwrap());
        let signed = ObsV4Signer::signed_headers(&h, &uri("https://h/"));
        let canonical = ObsV4Signer::new("r")
            .canonical_request(&Method::GET, &uri("https://h/"), &h, &signed, &[])
            .unwrap();
        // Trimall folds runs of spaces only: inner tabs stay, as in AWS SigV4.
        assert!(
            canonical.contains(
                "\nhost:h\nx-obs-acl:public-read\nx-obs-meta-a:a b c,d e\nx-obs-meta-t:a\t\tb\n\n"
            ),
            "{canonical}"
        );
    }

    #[test]
    fn signed_names_are_sorted_unique_with_host_from_the_url() {
        let names = |headers: &[(&'static str, &'static str)], url: &str| {
            let mut h = HeaderMap::new();
            for (k, v) in headers {
                h.append(*k, v.parse().unwrap());
            }
            let names = ObsV4Signer::signed_headers(&h, &uri(url));
            names
                .iter()
                .map(|n| n.as_str())
                .collect::<Vec<_>>()
                .join(";")
        };
        let url = "https://b.h/k";
        assert_eq!(
            names(&[("x-obs-a", "1"), ("accept", "x")], url),
            "accept;host;x-obs-a"
        );
        assert_eq!(
            names(&[("x-obs-a", "1"), ("x-obs-a", "2")], url),
            "host;x-obs-a"
        );
        assert_eq!(
            names(&[("accept", "x"), ("date", "d")], url),
            "accept;date;host"
        );
        assert_eq!(names(&[], url), "host");
        assert_eq!(names(&[("host", "o"), ("authorization", "a")], url), "host");
        assert_eq!(names(&[("accept", "x")], "/k"), "accept");
    }

    #[test]
    fn canonical_request_over_names_the_caller_chose() {
        let mut h = HeaderMap::new();
        h.append("x-obs-b", "2".parse().unwrap());
        h.append("x-obs-a", "1".parse().unwrap());
        h.append("x-obs-c", "3".parse().unwrap());
        h.append("x-obs-c", "4".parse().unwrap());
        let s = ObsV4Signer::new("r");
        let canonical = |names: &[&str]| {
            let names: Vec<HeaderName> = names.iter().map(|n| n.parse().unwrap()).collect();
            let names: Vec<&HeaderName> = names.iter().collect();
            let c = s
                .canonical_request(&Method::GET, &uri("https://h/"), &h, &names, &[])
                .unwrap();
            c.split("\n")
                .skip(3)
                .take(names.len())
                .collect::<Vec<_>>()
                .join("|")
        };
        assert_eq!(canonical(&["x-obs-a", "x-obs-c"]), "x-obs-a:1|x-obs-c:3,4");
        assert_eq!(canonical(&["x-obs-c", "x-obs-a"]), "x-obs-c:3,4|x-obs-a:1");
        assert_eq!(canonical(&["host", "x-obs-b"]), "host:h|x-obs-b:2");
        assert_eq!(canonical(&["x-obs-d", "x-obs-a"]), "x-obs-d:|x-obs-a:1");
    }

    #[test]
    fn only_http_whitespace_is_trimmed() {
        // U+00A0 and U+3000 reach the service as part of the value: `str::trim` would drop them.
        let nbsp = |v: &str| http::HeaderValue::from_bytes(v.as_bytes()).unwrap();
        let mut h = HeaderMap::new();
        h.append("x-obs-meta-a", nbsp("\u{a0}x\u{3000} "));
        h.append("content-type", nbsp(" \u{a0}t"));
        h.append("date", "d".parse().unwrap());
        let v2 = ObsSigner::new(ObsMode::Native, None)
            .string_to_sign(&Method::GET, &uri("https://h/"), &h, None, &[])
            .unwrap();
        assert_eq!(v2, "GET\n\n\u{a0}t\nd\nx-obs-meta-a:\u{a0}x\u{3000}\n/");
        let signed = ObsV4Signer::signed_headers(&h, &uri("https://h/"));
        let v4 = ObsV4Signer::new("r")
            .canonical_request(&Method::GET, &uri("https://h/"), &h, &signed, &[])
            .unwrap();
        assert!(v4.contains("\nx-obs-meta-a:\u{a0}x\u{3000}\n"), "{v4}");
    }

    #[test]
    fn subresource_list_is_sorted_unique_and_lower_case() {
        let names: Vec<&str> = SUBRESOURCES.iter().map(|(name, _)| *name).collect();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted, names);
        assert!(names.iter().all(|n| *n == n.to_ascii_lowercase()));
    }

    #[test]
    fn names_only_the_java_signer_lists_are_signed() {
        // `PUT /?customdomain` and `?mirrorBackToSource` are OBS operations esdk-obs-python
        // cannot sign; without them in the list the service answers 403.
        let s = ObsSigner::new(ObsMode::Native, Some("b"));
        let sts = |q: &str| {
            s.canonical_resource(&uri(&format!("https://b.h/?{q}")), &[])
                .unwrap()
        };
        assert_eq!(sts("customdomain=d.example"), "/b/?customdomain=d.example");
        assert_eq!(sts("mirrorBackToSource"), "/b/?mirrorBackToSource");
        assert_eq!(sts("prefix=p&attname=a"), "/b/?attname=a");
        assert!(SUBRESOURCES.contains(&("customdomain", JavaV3)));
        assert!(SUBRESOURCES.contains(&("publicaccessblock", Python)));
    }
}
