//! What the object protocols (OSS, OBS) share on the wire once a request is authenticated:
//! which bucket and key it names, the operations on the store (PUT, GET with `Range`, HEAD,
//! DELETE, listing), and the `<Error>` XML both services answer with.
//!
//! Verification stays in each service's file: the signatures differ, the object semantics do not.

use std::net::IpAddr;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use chrono::{DateTime, NaiveDateTime, TimeDelta, Utc};
use hmac::{Hmac, Mac};
use md5::{Digest, Md5};
use sha1::Sha1;
use sha2::Sha256;

use crate::http::{Ctx, Reply, Req};
use crate::objects::Object;

/// Requests whose time is further than this from the server's are refused
/// (`RequestTimeTooSkewed`), as both services document.
pub(crate) const MAX_SKEW: TimeDelta = TimeDelta::minutes(15);

/// The per-service names of one object protocol.
pub(crate) struct Service {
    /// `OSS`, `OBS`: how the recorded verdicts name the service.
    pub name: &'static str,
    /// The element of a `SignatureDoesNotMatch` naming the key (`OSSAccessKeyId`, `AccessKeyId`).
    pub key_id_element: &'static str,
    /// The response header naming the request id (`x-oss-request-id`, `x-obs-request-id`).
    pub request_id_header: &'static str,
    /// `x-oss-`, `x-obs-`: prefix of the service's headers.
    pub prefix: &'static str,
    /// OSS reports the MD5 in upper-case hex, OBS in lower-case.
    pub upper_etag: bool,
    /// How the service's endpoint host names begin (`oss-cn-hangzhou.aliyuncs.com`,
    /// `obs.cn-north-4.myhuaweicloud.com`): what follows the bucket in a virtual-hosted Host.
    pub host_label: &'static str,
}

pub(crate) const OSS: Service = Service {
    name: "OSS",
    key_id_element: "OSSAccessKeyId",
    request_id_header: "x-oss-request-id",
    prefix: "x-oss-",
    upper_etag: true,
    host_label: "oss",
};

pub(crate) const OBS: Service = Service {
    name: "OBS",
    key_id_element: "AccessKeyId",
    request_id_header: "x-obs-request-id",
    prefix: "x-obs-",
    upper_etag: false,
    host_label: "obs",
};

/// The bucket and key a request names.
#[derive(Debug)]
pub(crate) struct Target {
    pub bucket: Option<String>,
    /// Percent-decoded; empty for bucket- and service-level requests.
    pub key: String,
    /// The bucket came from the Host (`bucket.endpoint`), not the path.
    pub virtual_hosted: bool,
}

/// Path-style (`/bucket/key`) when the Host is an IP literal, `localhost` or the service's own
/// endpoint (its first label begins with `oss` / `obs`). Otherwise virtual-hosted, the whole
/// path being the key: the bucket is what precedes the endpoint (the last label beginning
/// with `oss` / `obs`, so `my.bucket.obs.cn-north-4.example` is bucket `my.bucket`), or the
/// first label when the Host names no endpoint (`bucket.anything`).
pub(crate) fn target(req: &Req, service: &Service) -> Target {
    let host = req.header("host").unwrap_or_default();
    let name = match host.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => host.rsplit_once(':').map_or(host, |(h, _)| h),
    };
    let path = req.path.strip_prefix('/').unwrap_or(&req.path);
    let labels: Vec<&str> = name.split('.').collect();
    let endpoint_at = labels
        .iter()
        .rposition(|l| l.to_ascii_lowercase().starts_with(service.host_label));
    if name.is_empty()
        || name.eq_ignore_ascii_case("localhost")
        || name.parse::<IpAddr>().is_ok()
        || endpoint_at == Some(0)
    {
        let (bucket, key) = path.split_once('/').unwrap_or((path, ""));
        return Target {
            bucket: (!bucket.is_empty()).then(|| decode(bucket)),
            key: decode(key),
            virtual_hosted: false,
        };
    }
    Target {
        bucket: Some(labels[..endpoint_at.unwrap_or(1)].join(".")),
        key: decode(path),
        virtual_hosted: true,
    }
}

/// Percent-decodes a path: `+` stays `+` (only query strings use it for a space).
pub(crate) fn decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

/// RFC 3986 encoding, `/` kept when `keep_slash`: the canonical URIs and query strings of the V4
/// signatures and the OBS resource.
pub(crate) fn uri_encode(s: &str, keep_slash: bool) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for &b in s.as_bytes() {
        if b.is_ascii_alphanumeric()
            || matches!(b, b'-' | b'_' | b'.' | b'~')
            || (keep_slash && b == b'/')
        {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

pub(crate) fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

/// A header value without the optional whitespace HTTP allows around it (SP and HTAB only:
/// a value may well begin with U+3000 or U+00A0, and the services sign those).
pub(crate) fn trim_ows(v: &str) -> &str {
    v.trim_matches([' ', '\t'])
}

/// Headers whose lower-cased name starts with `prefix`, as `name:value\n` sorted by name, values
/// trimmed and repeats joined with `,`: the canonical headers of the V1-style signatures.
pub(crate) fn prefixed_headers(req: &Req, prefix: &str) -> String {
    let mut picked: Vec<(String, String)> = Vec::new();
    for (name, value) in &req.headers {
        let name = name.to_ascii_lowercase();
        if !name.starts_with(prefix) {
            continue;
        }
        match picked.iter_mut().find(|(n, _)| *n == name) {
            Some((_, v)) => {
                v.push(',');
                v.push_str(trim_ows(value));
            }
            None => picked.push((name, trim_ows(value).to_owned())),
        }
    }
    picked.sort();
    picked.iter().map(|(n, v)| format!("{n}:{v}\n")).collect()
}

/// An RFC 1123 date (`Date`, `x-oss-date` of V1).
pub(crate) fn parse_http_date(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc2822(s.trim())
        .ok()
        .map(|d| d.with_timezone(&Utc))
}

/// An ISO 8601 basic time (`20231216T162057Z`) of the V4 signatures.
pub(crate) fn parse_basic_time(s: &str) -> Option<DateTime<Utc>> {
    NaiveDateTime::parse_from_str(s, "%Y%m%dT%H%M%SZ")
        .ok()
        .map(|t| t.and_utc())
}

pub(crate) fn http_date(t: DateTime<Utc>) -> String {
    t.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

/// `2012-02-24T08:42:32.000Z`: the services keep whole seconds, and oss2's parser takes the
/// `.000` literally (`%Y-%m-%dT%H:%M:%S.000Z`).
fn iso_millis(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S.000Z").to_string()
}

/// The service's error document. `extra` elements follow `HostId` (OSS adds `StringToSign`
/// and `OSSAccessKeyId` to a signature mismatch, both add the times of a skew).
pub(crate) fn error(
    ctx: &Ctx,
    service: &Service,
    status: u16,
    code: &str,
    message: &str,
    extra: &[(&str, String)],
) -> Reply {
    let mut body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error>\n  <Code>{}</Code>\n  <Message>{}</Message>\n  <RequestId>{}</RequestId>\n  <HostId>{}</HostId>\n",
        xml_escape(code),
        xml_escape(message),
        ctx.request_id,
        xml_escape(ctx.host),
    );
    for (name, value) in extra {
        body.push_str(&format!("  <{name}>{}</{name}>\n", xml_escape(value)));
    }
    body.push_str("</Error>\n");
    xml(status, body)
        .with_code(code)
        .with_header(service.request_id_header, ctx.request_id.to_owned())
}

fn xml(status: u16, body: String) -> Reply {
    let mut reply = Reply::text(status, body);
    reply.content_type = "application/xml";
    reply
}

/// `RequestTimeTooSkewed` when `t` is more than [`MAX_SKEW`] away from the server's clock.
pub(crate) fn check_skew(ctx: &Ctx, service: &Service, t: DateTime<Utc>) -> Result<(), Reply> {
    let now = ctx.shared.now();
    if (t - now).abs() <= MAX_SKEW {
        return Ok(());
    }
    Err(error(
        ctx,
        service,
        403,
        "RequestTimeTooSkewed",
        "The difference between the request time and the current time is too large.",
        &[
            ("RequestTime", http_date(t)),
            ("ServerTime", http_date(now)),
            ("MaxAllowedSkewMilliseconds", "900000".into()),
        ],
    ))
}

/// `AccessDenied` "Request has expired." for a presigned URL past its end.
pub(crate) fn check_expiry(
    ctx: &Ctx,
    service: &Service,
    expires: DateTime<Utc>,
) -> Result<(), Reply> {
    let now = ctx.shared.now();
    if now <= expires {
        return Ok(());
    }
    Err(error(
        ctx,
        service,
        403,
        "AccessDenied",
        "Request has expired.",
        &[
            ("Expires", iso_millis(expires)),
            ("ServerTime", iso_millis(now)),
        ],
    ))
}

/// What stands for the security token in an echoed string to sign: the services echo it whole,
/// but a token in an error body ends up in logs.
const MASK: &str = "<security-token>";

/// A request's claim: who signed, in which form, with which token, and the signature to check.
pub(crate) struct Claim<'a> {
    /// `V4 header`, `native presigned URL`, …: for the recorded verdict.
    pub form: &'static str,
    pub key_id: &'a str,
    pub token: Option<&'a str>,
    pub signature: &'a str,
}

impl Claim<'_> {
    /// The recorded verdict, `OSS V4 header signature of key … with its security token`: what
    /// was checked, never a secret.
    pub fn verdict(&self, service: &Service) -> String {
        let token = if self.token.is_some() {
            " with its security token"
        } else {
            ""
        };
        format!(
            "{} {} signature of key {}{token}",
            service.name, self.form, self.key_id
        )
    }
}

/// Serves a request of `service` once `authenticate` accepts it (its `Ok` is the verdict to
/// record); an authentication failure is the answer as it is.
pub(crate) fn serve(
    ctx: &Ctx,
    req: &Req,
    service: &Service,
    authenticate: impl FnOnce(&Target) -> Result<String, Reply>,
) -> Reply {
    let target = target(req, service);
    match authenticate(&target) {
        Ok(verified) => {
            let mut reply = operate(ctx, req, service, &target);
            reply.verified = Some(verified);
            reply
        }
        Err(reply) => reply,
    }
}

/// `SignatureDoesNotMatch` with the key and the string to sign, as the services answer it, the
/// security token in it masked.
pub(crate) fn mismatch(ctx: &Ctx, service: &Service, claim: &Claim, string_to_sign: &str) -> Reply {
    let shown = match claim.token {
        Some(t) if !t.is_empty() => string_to_sign.replace(t, MASK),
        _ => string_to_sign.to_owned(),
    };
    error(
        ctx,
        service,
        403,
        "SignatureDoesNotMatch",
        "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
        &[
            (service.key_id_element, claim.key_id.to_owned()),
            ("StringToSign", shown),
        ],
    )
}

/// Checks a V1-style signature: Base64(HMAC-SHA1(secret, string to sign)).
pub(crate) fn check_hmac_sha1(
    ctx: &Ctx,
    service: &Service,
    claim: &Claim,
    secret: &str,
    string_to_sign: &str,
) -> Result<(), Reply> {
    let mut mac = Hmac::<Sha1>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(string_to_sign.as_bytes());
    if B64.encode(mac.finalize().into_bytes()) == claim.signature {
        Ok(())
    } else {
        Err(mismatch(ctx, service, claim, string_to_sign))
    }
}

/// Checks a V4-style signature: the key is HMAC-SHA256 chained from `key_prefix + secret` over
/// `scope` (date, region, product, terminator); the signature is the lower-hex HMAC-SHA256 of the
/// string to sign.
pub(crate) fn check_hmac_sha256_chain(
    ctx: &Ctx,
    service: &Service,
    claim: &Claim,
    key_prefix: &str,
    secret: &str,
    scope: &[&str],
    string_to_sign: &str,
) -> Result<(), Reply> {
    let mut key = format!("{key_prefix}{secret}").into_bytes();
    for part in scope {
        key = hmac_sha256(&key, part);
    }
    if hex(&hmac_sha256(&key, string_to_sign)) == claim.signature {
        Ok(())
    } else {
        Err(mismatch(ctx, service, claim, string_to_sign))
    }
}

fn hmac_sha256(key: &[u8], data: &str) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("any key length");
    mac.update(data.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

/// Lower-case hex, the form of V4 signatures and payload hashes.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The end of a presigned V1-style URL (`Expires`, epoch seconds), refused once past.
pub(crate) fn check_presigned_expires(
    ctx: &Ctx,
    service: &Service,
    expires: &str,
) -> Result<(), Reply> {
    let end = expires
        .parse::<i64>()
        .ok()
        .and_then(|e| DateTime::<Utc>::from_timestamp(e, 0))
        .ok_or_else(|| {
            error(
                ctx,
                service,
                403,
                "AccessDenied",
                "Expires is not a time in epoch seconds.",
                &[],
            )
        })?;
    check_expiry(ctx, service, end)
}

/// Runs the operation an authenticated request asks for on the shared store; every answer
/// names its request id, as the services' do.
pub(crate) fn operate(ctx: &Ctx, req: &Req, service: &Service, target: &Target) -> Reply {
    let reply = run(ctx, req, service, target);
    if reply
        .headers
        .iter()
        .any(|(n, _)| n.eq_ignore_ascii_case(service.request_id_header))
    {
        return reply;
    }
    reply.with_header(service.request_id_header, ctx.request_id.to_owned())
}

fn run(ctx: &Ctx, req: &Req, service: &Service, target: &Target) -> Reply {
    let Some(bucket) = target.bucket.as_deref() else {
        return error(
            ctx,
            service,
            400,
            "InvalidRequest",
            "Service-level operations (ListBuckets) are not served by the fake cloud; name a bucket.",
            &[],
        );
    };
    let store = &ctx.shared.objects;
    let key = target.key.as_str();
    match (req.method.as_str(), key.is_empty()) {
        ("PUT", true) => {
            store.create_bucket(bucket);
            Reply::text(200, "").with_header("Location", format!("/{bucket}"))
        }
        ("PUT", false) => put(ctx, req, service, bucket, key),
        ("GET", true) => list(ctx, req, service, bucket),
        ("GET" | "HEAD", false) => match store.get(bucket, key) {
            Some(object) => get(req, service, &object),
            None if !store.bucket_exists(bucket) => no_such_bucket(ctx, service),
            None => error(
                ctx,
                service,
                404,
                "NoSuchKey",
                "The specified key does not exist.",
                &[("Key", key.to_owned())],
            ),
        },
        ("HEAD", true) if store.bucket_exists(bucket) => Reply::text(200, ""),
        ("HEAD", true) => no_such_bucket(ctx, service),
        ("DELETE", false) => {
            if !store.bucket_exists(bucket) {
                return no_such_bucket(ctx, service);
            }
            store.delete(bucket, key);
            Reply::text(204, "")
        }
        _ => error(
            ctx,
            service,
            405,
            "MethodNotAllowed",
            "The specified method is not allowed against this resource.",
            &[("Method", req.method.clone())],
        ),
    }
}

fn no_such_bucket(ctx: &Ctx, service: &Service) -> Reply {
    error(
        ctx,
        service,
        404,
        "NoSuchBucket",
        "The specified bucket does not exist.",
        &[],
    )
}

fn put(ctx: &Ctx, req: &Req, service: &Service, bucket: &str, key: &str) -> Reply {
    let digest = Md5::digest(&req.body);
    if let Some(sent) = req.header("content-md5") {
        if B64.decode(sent.trim()).ok().as_deref() != Some(&digest[..]) {
            // OSS calls a Content-MD5 that is not the body's `InvalidDigest`, OBS `BadDigest`.
            let code = if service.upper_etag {
                "InvalidDigest"
            } else {
                "BadDigest"
            };
            return error(
                ctx,
                service,
                400,
                code,
                "The Content-MD5 you specified did not match what we received.",
                &[],
            );
        }
    }
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    let hex = if service.upper_etag {
        hex.to_ascii_uppercase()
    } else {
        hex
    };
    let meta_prefix = format!("{}meta-", service.prefix);
    let meta = req
        .headers
        .iter()
        .filter_map(|(n, v)| {
            let n = n.to_ascii_lowercase();
            n.strip_prefix(&meta_prefix)
                .map(|m| (m.to_owned(), v.trim().to_owned()))
        })
        .collect();
    let etag = format!("\"{hex}\"");
    let object = Object {
        body: req.body.clone().into(),
        content_type: req.header("content-type").map(str::to_owned),
        meta,
        etag: etag.clone(),
        last_modified: ctx.shared.now(),
    };
    ctx.shared.objects.put(bucket, key, object);
    Reply::text(200, "").with_header("ETag", etag)
}

fn get(req: &Req, service: &Service, object: &Object) -> Reply {
    let len = object.body.len();
    let range = req.header("range").and_then(|r| parse_range(r, len));
    let (status, body) = match range {
        Some((first, last)) => (206, object.body[first..=last].to_vec()),
        None => (200, object.body.to_vec()),
    };
    let mut reply = Reply::text(status, "");
    reply.body = if req.method == "HEAD" {
        Vec::new()
    } else {
        body
    };
    reply.content_type = "application/octet-stream";
    if let Some(t) = &object.content_type {
        reply.headers.push(("Content-Type".into(), t.clone()));
        reply.content_type = "";
    }
    reply = reply
        .with_header("ETag", object.etag.clone())
        .with_header("Last-Modified", http_date(object.last_modified))
        .with_header("Accept-Ranges", "bytes");
    if let Some((first, last)) = range {
        reply = reply.with_header("Content-Range", format!("bytes {first}-{last}/{len}"));
    }
    if req.method == "HEAD" {
        reply = reply.with_header("Content-Length", len.to_string());
    }
    for (name, value) in &object.meta {
        let name = format!("{}meta-{name}", service.prefix);
        reply.headers.push((name.into(), value.clone()));
    }
    reply
}

/// `(first, last)` of a single `bytes=` range that fits the object; anything else is ignored
/// and the whole object is sent, as both services do.
fn parse_range(header: &str, len: usize) -> Option<(usize, usize)> {
    let spec = header.trim().strip_prefix("bytes=")?;
    let (a, b) = spec.split_once('-')?;
    let (first, last) = match (a.trim(), b.trim()) {
        ("", n) => {
            let n: usize = n.parse().ok()?;
            (len.checked_sub(n.min(len))?, len.checked_sub(1)?)
        }
        (a, "") => (a.parse().ok()?, len.checked_sub(1)?),
        (a, b) => (
            a.parse().ok()?,
            b.parse::<usize>().ok()?.min(len.checked_sub(1)?),
        ),
    };
    (first <= last && last < len).then_some((first, last))
}

/// ListObjects (`prefix`, `delimiter`, `marker`, `max-keys`) and, with `list-type=2`,
/// ListObjectsV2 (`continuation-token`, `start-after`), in the S3-shaped XML both services use.
fn list(ctx: &Ctx, req: &Req, service: &Service, bucket: &str) -> Reply {
    let p = |n: &str| {
        req.query
            .iter()
            .find(|(k, _)| k == n)
            .map(|(_, v)| v.as_str())
    };
    let v2 = p("list-type") == Some("2");
    let prefix = p("prefix").unwrap_or("");
    let delimiter = p("delimiter").filter(|d| !d.is_empty());
    let max_keys = p("max-keys")
        .and_then(|m| m.parse::<usize>().ok())
        .unwrap_or(1000)
        .min(1000);
    let marker = if v2 {
        p("continuation-token")
            .filter(|t| !t.is_empty())
            .or(p("start-after"))
    } else {
        p("marker")
    };
    let Some(listing) = ctx
        .shared
        .objects
        .list(bucket, prefix, delimiter, marker, max_keys)
    else {
        return no_such_bucket(ctx, service);
    };
    let e = xml_escape;
    let mut x = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListBucketResult>");
    x += &format!("<Name>{}</Name><Prefix>{}</Prefix>", e(bucket), e(prefix));
    if v2 {
        if let Some(t) = p("continuation-token") {
            x += &format!("<ContinuationToken>{}</ContinuationToken>", e(t));
        }
        if let Some(s) = p("start-after") {
            x += &format!("<StartAfter>{}</StartAfter>", e(s));
        }
        x += &format!(
            "<KeyCount>{}</KeyCount>",
            listing.objects.len() + listing.prefixes.len()
        );
    } else {
        x += &format!("<Marker>{}</Marker>", e(marker.unwrap_or("")));
    }
    x += &format!("<MaxKeys>{max_keys}</MaxKeys>");
    if let Some(d) = delimiter {
        x += &format!("<Delimiter>{}</Delimiter>", e(d));
    }
    x += &format!(
        "<IsTruncated>{}</IsTruncated>",
        listing.next_marker.is_some()
    );
    if let Some(next) = &listing.next_marker {
        let name = if v2 {
            "NextContinuationToken"
        } else {
            "NextMarker"
        };
        x += &format!("<{name}>{}</{name}>", e(next));
    }
    for (key, size, etag, modified) in &listing.objects {
        x += &format!(
            "<Contents><Key>{}</Key><LastModified>{}</LastModified><ETag>{}</ETag><Type>Normal</Type><Size>{size}</Size><StorageClass>Standard</StorageClass></Contents>",
            e(key),
            iso_millis(*modified),
            e(etag)
        );
    }
    for common in &listing.prefixes {
        x += &format!(
            "<CommonPrefixes><Prefix>{}</Prefix></CommonPrefixes>",
            e(common)
        );
    }
    x += "</ListBucketResult>\n";
    xml(200, x)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_follow_rfc_9110_and_ignore_what_does_not_fit() {
        assert_eq!(parse_range("bytes=0-3", 10), Some((0, 3)));
        assert_eq!(parse_range("bytes=4-", 10), Some((4, 9)));
        assert_eq!(parse_range("bytes=-3", 10), Some((7, 9)));
        assert_eq!(parse_range("bytes=5-100", 10), Some((5, 9)));
        assert_eq!(parse_range("bytes=10-11", 10), None);
        assert_eq!(parse_range("bytes=3-1", 10), None);
        assert_eq!(parse_range("items=0-1", 10), None);
        assert_eq!(parse_range("bytes=0-0", 0), None);
    }

    #[test]
    fn encodes_like_rfc_3986() {
        assert_eq!(uri_encode("a b/c+~", true), "a%20b/c%2B~");
        assert_eq!(uri_encode("a/b", false), "a%2Fb");
    }
}
