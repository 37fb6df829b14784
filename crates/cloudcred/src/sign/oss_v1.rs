//! OSS signature V1 (signing.md §5): `Authorization: OSS <ak>:<sig>` and presigned URLs with
//! `OSSAccessKeyId`, `Expires`, `Signature`.
//!
//! The canonical resource holds the object key and the sub-resource values *raw*, so the signer
//! decodes what the caller encoded on the wire.

use super::primitives::{
    self, access_key, append_query, encode_pairs, header_str, object_key, push_subresources,
    push_v1_head, sensitive_value, set_if_absent, Addressing, Presigned, SigningDetails,
};
use crate::error::Result;
use crate::model::Credentials;
use chrono::{DateTime, Utc};
use http::header::{HeaderName, DATE};
use http::{HeaderMap, Method, Request, Uri};
use std::time::Duration;

const ALGORITHM: &str = "OSS V1";

const X_OSS_DATE: HeaderName = HeaderName::from_static("x-oss-date");
const X_OSS_SECURITY_TOKEN: HeaderName = HeaderName::from_static("x-oss-security-token");

/// The sub-resources of §5.3: the Go v2 list, oss2's additions and the Python v2 extra (S4).
/// Sorted, so membership is a binary search.
const SUBRESOURCES: &[&str] = &[
    "acl",
    "append",
    "asyncFetch",
    "bucketInfo",
    "callback",
    "callback-var",
    "cloudboxes",
    "cname",
    "comp",
    "continuation-token",
    "cors",
    "delete",
    "encryption",
    "endTime",
    "group",
    "inventory",
    "inventoryId",
    "lifecycle",
    "link",
    "live",
    "location",
    "logging",
    "metaQuery",
    "objectInfo",
    "objectMeta",
    "partNumber",
    "policy",
    "position",
    "qos",
    "qosInfo",
    "referer",
    "regionList",
    "replication",
    "replicationLocation",
    "replicationProgress",
    "requestPayment",
    "resourceGroup",
    "response-cache-control",
    "response-content-disposition",
    "response-content-encoding",
    "response-content-language",
    "response-content-type",
    "response-expires",
    "restore",
    "security-token",
    "sequential",
    "startTime",
    "stat",
    "status",
    "symlink",
    "tagging",
    "transferAcceleration",
    "uploadId",
    "uploads",
    "versionId",
    "versioning",
    "versions",
    "vod",
    "website",
    "worm",
    "wormExtend",
    "wormId",
    "x-oss-process",
    "x-oss-request-payer",
    "x-oss-traffic-limit",
];

/// Whether query parameter `name` is a signed sub-resource by default (case-sensitive).
pub fn is_subresource(name: &str) -> bool {
    name.starts_with("x-oss-") || SUBRESOURCES.binary_search(&name).is_ok()
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
        out.push('/');
        if let Some(bucket) = &self.bucket {
            out.push_str(bucket);
            out.push('/');
            out.push_str(&object_key(uri.path(), Some(bucket), self.addressing)?);
        }
        push_subresources(
            &mut out,
            uri.query(),
            |k| self.signs_param(k),
            extra,
            false,
            true,
        )?;
        Ok(out)
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
        push_v1_head(&mut s, method.as_str(), headers, ALGORITHM)?;
        s.push_str(date_line);
        s.push('\n');
        primitives::push_canonical_prefixed_headers(
            &mut s,
            headers,
            "x-oss-",
            |_| true,
            ALGORITHM,
        )?;
        s.push_str(&self.canonical_resource(uri, extra)?);
        Ok(s)
    }

    /// Signs a request in place: sets `Date` (unless present) and `x-oss-security-token`, then
    /// `Authorization: OSS <ak>:<sig>`. The date line is `x-oss-date` when present, else `Date`.
    pub fn sign_request<B>(
        &self,
        req: &mut Request<B>,
        creds: &Credentials,
        time: DateTime<Utc>,
    ) -> Result<Option<SigningDetails>> {
        let Some((id, secret, token)) = access_key(creds, ALGORITHM)? else {
            return Ok(None);
        };
        let h = req.headers_mut();
        set_if_absent(h, &DATE, &primitives::http_date(time), ALGORITHM)?;
        if let Some(token) = token {
            h.insert(
                X_OSS_SECURITY_TOKEN,
                sensitive_value(token, "x-oss-security-token", ALGORITHM)?,
            );
        }
        let h = req.headers();
        let date = match header_str(h, &X_OSS_DATE, ALGORITHM)? {
            Some(d) => d,
            None => header_str(h, &DATE, ALGORITHM)?.unwrap_or_default(),
        };
        let sts = self.string_to_sign(req.method(), req.uri(), h, date, &[])?;
        primitives::authorize_v1(req.headers_mut(), "OSS", (id, secret), sts, ALGORITHM)
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
        let Some((id, secret, token)) = access_key(creds, ALGORITHM)? else {
            return Ok(Presigned::unsigned(url));
        };
        let expires_at = primitives::expires_epoch(time, expires);
        let mut pairs: Vec<(&str, &str)> =
            token.map(|t| ("security-token", t)).into_iter().collect();
        let sts = self.string_to_sign(method, url, headers, &expires_at, &pairs)?;
        let signature = primitives::base64_hmac_sha1(secret.as_bytes(), &sts);
        pairs.extend([
            ("OSSAccessKeyId", id),
            ("Expires", &expires_at),
            ("Signature", &signature),
        ]);
        let url = append_query(url, &encode_pairs(&pairs), ALGORITHM)?;
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
    fn subresource_list_is_sorted_and_unique() {
        let mut sorted = super::SUBRESOURCES.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted, super::SUBRESOURCES);
    }
}
