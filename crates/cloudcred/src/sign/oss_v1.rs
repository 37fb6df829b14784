//! OSS signature V1 (signing.md §5): `Authorization: OSS <ak>:<sig>` and presigned URLs with
//! `OSSAccessKeyId`, `Expires`, `Signature`.
//!
//! The canonical resource holds the object key and the sub-resource values *raw*, so the signer
//! decodes what the caller encoded on the wire.

use super::credential_gate::access_key;
use super::date_values::DateFormat;
use super::details::{Details, Presigned, SigningDetails};
use super::headers;
use super::headers::{push_subresources, sensitive_value};
use super::name_set::NameSet;
use super::presign_checks;
use super::primitives;
use super::request_url::{append_query, push_object_key, Addressing};
use super::scratch;
use super::time_format;
use crate::error::Result;
use crate::model::Credentials;
use chrono::{DateTime, Utc};
use http::header::{HeaderName, DATE};
use http::{HeaderMap, Method, Request, Uri};
use std::time::Duration;

const ALGORITHM: &str = "OSS V1";

const X_OSS_DATE: HeaderName = HeaderName::from_static("x-oss-date");
const X_OSS_SECURITY_TOKEN: HeaderName = HeaderName::from_static("x-oss-security-token");

/// The sub-resources of §5.3 (S4): the union of the official SDKs' lists, each group under the
/// SDKs that sign it (oss2 2.19.1; alibabacloud-oss-go-sdk-v2 b3226d1; aliyun-oss-java-sdk
/// 44426bf; alibabacloud-oss-python-sdk-v2 ebe9a43). A name one SDK signs and we left out makes
/// OSS reject the request (`GET /a.jpg?style&styleName=s1`); `x-oss-*` names need no entry
/// (every one is signed, [`is_subresource`]), and the OSS Vectors API is left out: it signs with
/// V4 only. Case-sensitive, as the service matches them.
pub const SUBRESOURCES: &[&str] = &[
    // Every SDK signs these: Go v2 `requiredSignedParametersMap` (oss/signer/v1.go), oss2 2.19.1
    // `ProviderAuth._subresource_key_set`, Java `SignParameters.SIGNED_PARAMTERS`, Python v2
    // `SignerV1._subresource_key_set`.
    "acl",
    "append",
    "bucketInfo",
    "callback",
    "callback-var",
    "continuation-token",
    "delete",
    "location",
    "objectMeta",
    "partNumber",
    "position",
    "regionList",
    "response-cache-control",
    "response-content-disposition",
    "response-content-encoding",
    "response-content-language",
    "response-content-type",
    "response-expires",
    "restore",
    "security-token",
    "sequential",
    "stat",
    "symlink",
    "tagging",
    "uploadId",
    "uploads",
    "versionId",
    "versioning",
    "versions",
    // oss2 and Java sign these always; Go v2 and Python v2 as the operation's `SubResource` /
    // `sub-resource` (image styles, access points, archive direct read, https config, ...).
    "accessPoint",
    "accessPointPolicy",
    "bucketArchiveDirectRead",
    "cname",
    "comp",
    "cors",
    "encryption",
    "httpsConfig",
    "inventory",
    "inventoryId",
    "lifecycle",
    "logging",
    "metaQuery",
    "policy",
    "publicAccessBlock",
    "redundancyTransition",
    "referer",
    "replication",
    "replicationLocation",
    "replicationProgress",
    "requestPayment",
    "resourceGroup",
    "style",
    "styleName",
    "transferAcceleration",
    "website",
    "worm",
    "wormExtend",
    "wormId",
    // oss2 and Java (LiveChannel, QoS, async fetch).
    "asyncFetch",
    "endTime",
    "live",
    "qos",
    "qosInfo",
    "startTime",
    "status",
    "vod",
    // oss2 only (symlink-era names, requester QoS, resource pools).
    "group",
    "link",
    "objectInfo",
    "qosRequester",
    "requesterQosInfo",
    "resourcePool",
    "resourcePoolBuckets",
    "resourcePoolInfo",
    // Java only (image processing, UDF, VPC).
    "img",
    "processConfiguration",
    "udf",
    "udfApplication",
    "udfApplicationLog",
    "udfImage",
    "udfImageDesc",
    "udfName",
    "vip",
    "vpcip",
    // Java, and Go v2 / Python v2 per operation.
    "policyStatus",
    "seal",
    // Go v2 and Python v2 per operation (`cloudboxes` is also in both fixed lists).
    "cleanRestoredObject",
    "cloudboxes",
    "legalHold",
    "objectWorm",
    "overwriteConfig",
    "retention",
    "rtc",
    "userDefinedLogFieldsConfig",
    // Go v2 per operation only (object FC access points, DescribeRegions).
    "accessPointConfigForObjectProcess",
    "accessPointForObjectProcess",
    "accessPointPolicyForObjectProcess",
    "regions",
    // Python v2 per operation only (DoMetaQueryAction really sends `?MetaQuery`, capital M;
    // DoDataPipelineAction).
    "MetaQuery",
    "dataPipeline",
];

/// Whether query parameter `name` is a signed sub-resource by default (case-sensitive).
pub fn is_subresource(name: &str) -> bool {
    static NAMES: NameSet = NameSet::new(|| SUBRESOURCES.to_vec());
    name.starts_with("x-oss-") || NAMES.contains(name)
}

/// Signs OSS requests with V1. Cheap to clone; build one per bucket.
#[derive(Debug, Clone, Default)]
pub struct OssV1Signer {
    bucket: Option<String>,
    addressing: Addressing,
    extra_subresources: Vec<String>,
}

impl OssV1Signer {
    /// A signer for `bucket` (`None` for service-level requests such as ListBuckets).
    pub fn new(bucket: Option<&str>) -> Self {
        Self {
            bucket: bucket.map(str::to_owned),
            ..Self::default()
        }
    }

    /// Virtual-hosted (the default) or path-style requests: where the bucket is named, hence
    /// which part of the path is the object key.
    pub fn with_addressing(mut self, addressing: Addressing) -> Self {
        self.addressing = addressing;
        self
    }

    /// Query parameters the operation signs in addition to the fixed list (the Go v2 SDK's
    /// per-operation list, e.g. `resourceGroup`).
    pub fn with_extra_subresources<S: Into<String>>(
        mut self,
        names: impl IntoIterator<Item = S>,
    ) -> Self {
        self.extra_subresources
            .extend(names.into_iter().map(Into::into));
        self
    }

    fn signs_param(&self, name: &str) -> bool {
        is_subresource(name) || self.extra_subresources.iter().any(|n| n == name)
    }

    /// CanonicalizedResource for `uri`, plus the signer's own `extra` sub-resources (raw).
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
            out.push('/');
            push_object_key(out, uri.path(), Some(bucket), self.addressing)?;
        }
        push_subresources(
            out,
            uri.query(),
            |k| self.signs_param(k),
            extra,
            false,
            true,
        )
    }

    /// The string to sign of §5.1 with `date_line` on the date line (a date or `Expires`).
    pub fn string_to_sign(
        &self,
        method: &Method,
        uri: &Uri,
        headers: &HeaderMap,
        date_line: &str,
        extra: &[(&str, &str)],
    ) -> Result<String> {
        let mut s = String::with_capacity(256);
        let scan = headers::scan_v1(headers, "x-oss-", &X_OSS_DATE);
        self.push_string_to_sign(&mut s, method, uri, &scan, date_line, extra)?;
        Ok(s)
    }

    /// [`string_to_sign`](Self::string_to_sign) appended to `s`, from headers scanned once.
    fn push_string_to_sign(
        &self,
        s: &mut String,
        method: &Method,
        uri: &Uri,
        scan: &headers::V1Headers<'_>,
        date_line: &str,
        extra: &[(&str, &str)],
    ) -> Result<()> {
        scan.push_head(s, method.as_str(), ALGORITHM)?;
        s.push_str(date_line);
        s.push('\n');
        headers::push_canonical_entries(s, &scan.prefixed, |_| true, ALGORITHM)?;
        self.push_canonical_resource(s, uri, extra)
    }

    /// Signs a request in place: sets `Date` (unless present) and `x-oss-security-token`, then
    /// `Authorization: OSS <ak>:<sig>`. The date line is `x-oss-date` when present, else `Date`.
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
        let Some((id, secret, token)) = access_key(creds, ALGORITHM)? else {
            return Ok(None);
        };
        let h = req.headers_mut();
        headers::set_date_if_absent(h, &DATE, DateFormat::Http, time, ALGORITHM)?;
        if let Some(token) = token {
            h.insert(
                X_OSS_SECURITY_TOKEN,
                sensitive_value(token, "x-oss-security-token", ALGORITHM)?,
            );
        }
        let scan = headers::scan_v1(req.headers(), "x-oss-", &X_OSS_DATE);
        let date = match (scan.prefixed_date, scan.date) {
            (Some(d), _) => headers::trim_ows(headers::value_str(d, &X_OSS_DATE, ALGORITHM)?),
            (None, Some(d)) => headers::trim_ows(headers::value_str(d, &DATE, ALGORITHM)?),
            (None, None) => "",
        };
        let mut sts = scratch::string(256);
        self.push_string_to_sign(&mut sts, req.method(), req.uri(), &scan, date, &[])?;
        // The scan borrows the headers `Authorization` goes into.
        drop(scan);
        let key = (id, secret);
        headers::authorize_v1(req.headers_mut(), "OSS", key, &sts, details, ALGORITHM)
    }

    /// Presigns `method url` valid until `time + expires` (§5.2). `headers` are those the
    /// request will carry (Content-Type, Content-MD5 and `x-oss-*` enter the signature). Appends
    /// `security-token` (with a token), `OSSAccessKeyId`, `Expires` and `Signature`.
    pub fn presign(
        &self,
        method: &Method,
        url: &Uri,
        headers: &HeaderMap,
        creds: &Credentials,
        time: DateTime<Utc>,
        expires: Duration,
    ) -> Result<Presigned> {
        presign_checks::check_path(ALGORITHM, url.path())?;
        presign_checks::check_expires(ALGORITHM, time, expires, None)?;
        let Some((id, secret, token)) = access_key(creds, ALGORITHM)? else {
            return Ok(Presigned::unsigned(url));
        };
        let expires_at = time_format::expires_epoch(time, expires);
        let expires_at = expires_at.as_str();
        // On the stack: the token (signed as a sub-resource) first, then the rest.
        let mut pairs = [("security-token", ""), ("", ""), ("", ""), ("", "")];
        let first = match token {
            Some(t) => {
                pairs[0].1 = t;
                0
            }
            None => 1,
        };
        let sts = self.string_to_sign(method, url, headers, expires_at, &pairs[first..1])?;
        let signature = primitives::base64_secret_hmac_sha1(&[secret.as_bytes()], sts.as_bytes());
        pairs[1..].copy_from_slice(&[
            ("OSSAccessKeyId", id),
            ("Expires", expires_at),
            ("Signature", &signature),
        ]);
        let url = append_query(url, &pairs[first..], ALGORITHM)?;
        Ok(Presigned {
            url,
            details: Some(SigningDetails::new(None, sts, signature)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_style_and_bucketless_resources() {
        let uri: Uri = "https://h/bucket/a%2Bb%20c?acl&partNumber=1&foo=2"
            .parse()
            .unwrap();
        let s = OssV1Signer::new(Some("bucket")).with_addressing(Addressing::PathStyle);
        assert_eq!(
            s.canonical_resource(&uri, &[]).unwrap(),
            "/bucket/a+b c?acl&partNumber=1"
        );
        let root: Uri = "https://h/".parse().unwrap();
        assert_eq!(
            OssV1Signer::new(None)
                .canonical_resource(&root, &[])
                .unwrap(),
            "/"
        );
    }

    #[test]
    fn head_and_date_line_are_signed_as_the_service_receives_them() {
        // HTTP strips SP/HTAB around a value, so OSS computes its string from the trimmed one.
        let mut req = Request::put("https://b.h/k").body(()).unwrap();
        for (name, value) in [
            ("content-type", " text/plain\t"),
            ("content-md5", "\t1B2M2Y8AsgTpgAmY7PhCfg== "),
            ("x-oss-date", " Tue, 02 Jan 2024 03:04:05 GMT "),
        ] {
            req.headers_mut()
                .insert(name, http::HeaderValue::from_static(value));
        }
        let creds = Credentials::access_key("ak", "sk", crate::ProviderName::new("t"));
        let time = DateTime::from_timestamp(1_704_164_645, 0).unwrap();
        let d = OssV1Signer::new(Some("b"))
            .sign_request_with_details(&mut req, &creds, time)
            .unwrap()
            .unwrap();
        assert_eq!(
            d.string_to_sign,
            "PUT\n1B2M2Y8AsgTpgAmY7PhCfg==\ntext/plain\nTue, 02 Jan 2024 03:04:05 GMT\n\
             x-oss-date:Tue, 02 Jan 2024 03:04:05 GMT\n/b/k"
        );
    }

    #[test]
    fn subresource_list_is_unique() {
        let mut sorted = super::SUBRESOURCES.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), super::SUBRESOURCES.len());
        // The search finds every listed name and nothing else, case-sensitively.
        for name in super::SUBRESOURCES {
            assert!(super::is_subresource(name), "{name}");
            let upper = name.to_ascii_uppercase();
            assert_eq!(
                super::is_subresource(&upper),
                super::SUBRESOURCES.contains(&&*upper)
            );
            assert!(!super::is_subresource(&format!("{name}x")), "{name}x");
            assert!(
                !super::is_subresource(&name[1..]) || super::SUBRESOURCES.contains(&&name[1..])
            );
        }
        assert!(super::is_subresource("x-oss-anything"));
        assert!(!super::is_subresource(""));
    }

    #[test]
    fn image_style_and_newer_subresources_are_signed() {
        // OSS rejected these requests: `style`, `styleName` and the newer bucket APIs were
        // left out of the resource, while oss2 2.19.1 signs them.
        let s = OssV1Signer::new(Some("b"));
        let uri: Uri = "https://b.h/a.jpg?style&styleName=s1&x-unknown=1&Style=2"
            .parse()
            .unwrap();
        assert_eq!(
            s.canonical_resource(&uri, &[]).unwrap(),
            "/b/a.jpg?style&styleName=s1"
        );
        for name in [
            "accessPoint",
            "accessPointPolicy",
            "resourcePool",
            "resourcePoolInfo",
            "resourcePoolBuckets",
            "publicAccessBlock",
            "httpsConfig",
            "qosRequester",
            "requesterQosInfo",
            "redundancyTransition",
            "bucketArchiveDirectRead",
            "MetaQuery",
        ] {
            assert!(is_subresource(name), "{name}");
        }
        assert!(!is_subresource("styleNAME"));
    }
}
