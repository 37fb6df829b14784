//! OSS, the Alibaba Cloud object service: requests are authenticated the way OSS does it, then
//! served from the shared store ([`crate::object_wire::operate`]).
//!
//! Four forms are verified, written from `signing.md` §5–6 and the OSS API reference, never by
//! calling the `cloudcred` signers: V1 (`Authorization: OSS id:sig`, HMAC-SHA1) and its
//! presigned URL (`OSSAccessKeyId`, `Expires`, `Signature`), and V4
//! (`Authorization: OSS4-HMAC-SHA256 Credential=…`) and its presigned URL
//! (`x-oss-signature-version=OSS4-HMAC-SHA256`, `x-oss-credential`, …).
//!
//! Keys: the configured long-term AccessKeys and every credential the Alibaba endpoints issued.
//! A key with a security token needs exactly that token (`InvalidSecurityToken`), a key without
//! one must not send one and an unknown key is `InvalidAccessKeyId`; an expired token is
//! `SecurityTokenExpired`. Errors carry the service's codes in its `<Error>` XML; a signature
//! mismatch echoes the string to sign as OSS does, with the security token masked.

use chrono::TimeDelta;
use sha2::{Digest, Sha256};

use crate::http::{Ctx, Reply, Req};
use crate::object_wire::{self, Claim, Target, OSS};

/// Query parameters V1 signs (`signing.md` §5.3 S4): the union of what the official SDKs
/// sign (oss2, the Go and Python v2 SDKs, and the operation lists of the Go and Java SDKs), as
/// listed with `testdata/differential/vectors/oss_v1_*.json`; any `x-oss-` name is signed too.
const SUBRESOURCES: &[&str] = &[
    "MetaQuery",
    "accessPoint",
    "accessPointConfigForObjectProcess",
    "accessPointForObjectProcess",
    "accessPointPolicy",
    "accessPointPolicyForObjectProcess",
    "acl",
    "append",
    "asyncFetch",
    "bucketArchiveDirectRead",
    "bucketInfo",
    "callback",
    "callback-var",
    "cleanRestoredObject",
    "cloudboxes",
    "cname",
    "comp",
    "continuation-token",
    "cors",
    "dataPipeline",
    "delete",
    "encryption",
    "endTime",
    "group",
    "httpsConfig",
    "img",
    "inventory",
    "inventoryId",
    "legalHold",
    "lifecycle",
    "link",
    "live",
    "location",
    "logging",
    "metaQuery",
    "objectInfo",
    "objectMeta",
    "objectWorm",
    "overwriteConfig",
    "partNumber",
    "policy",
    "policyStatus",
    "position",
    "processConfiguration",
    "publicAccessBlock",
    "qos",
    "qosInfo",
    "qosRequester",
    "redundancyTransition",
    "referer",
    "regionList",
    "regions",
    "replication",
    "replicationLocation",
    "replicationProgress",
    "requestPayment",
    "requesterQosInfo",
    "resourceGroup",
    "resourcePool",
    "resourcePoolBuckets",
    "resourcePoolInfo",
    "response-cache-control",
    "response-content-disposition",
    "response-content-encoding",
    "response-content-language",
    "response-content-type",
    "response-expires",
    "restore",
    "retention",
    "rtc",
    "seal",
    "security-token",
    "sequential",
    "startTime",
    "stat",
    "status",
    "style",
    "styleName",
    "symlink",
    "tagging",
    "transferAcceleration",
    "udf",
    "udfApplication",
    "udfApplicationLog",
    "udfImage",
    "udfImageDesc",
    "udfName",
    "uploadId",
    "uploads",
    "userDefinedLogFieldsConfig",
    "versionId",
    "versioning",
    "versions",
    "vip",
    "vod",
    "vpcip",
    "website",
    "worm",
    "wormExtend",
    "wormId",
];

pub(crate) fn handle(ctx: &Ctx, req: &Req) -> Reply {
    object_wire::serve(ctx, req, &OSS, |target| authenticate(ctx, req, target))
}

fn authenticate(ctx: &Ctx, req: &Req, target: &Target) -> Result<String, Reply> {
    let query = |name: &str| {
        req.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    if let Some(auth) = req.header("authorization") {
        if let Some(rest) = auth.strip_prefix("OSS4-HMAC-SHA256 ") {
            return v4_header(ctx, req, target, rest);
        }
        if let Some(rest) = auth.strip_prefix("OSS ") {
            return v1_header(ctx, req, target, rest);
        }
        return Err(error(
            ctx,
            400,
            "InvalidArgument",
            "Authorization header is invalid.",
        ));
    }
    if let Some(version) = query("x-oss-signature-version") {
        if version != "OSS4-HMAC-SHA256" {
            return Err(error(
                ctx,
                400,
                "InvalidArgument",
                "Unsupported signature version.",
            ));
        }
        return v4_query(ctx, req, target);
    }
    if query("OSSAccessKeyId").is_some() {
        return v1_query(ctx, req, target);
    }
    Err(error(
        ctx,
        403,
        "AccessDenied",
        "You have no right to access this object because of bucket acl.",
    ))
}

fn error(ctx: &Ctx, status: u16, code: &str, message: &str) -> Reply {
    object_wire::error(ctx, &OSS, status, code, message, &[])
}

/// The secret of the claimed key once its token checks out.
fn caller_secret(ctx: &Ctx, claim: &Claim) -> Result<String, Reply> {
    let m = ctx.shared.lock();
    let not_found = || {
        error(
            ctx,
            403,
            "InvalidAccessKeyId",
            "The OSS Access Key Id you provided does not exist in our records.",
        )
    };
    let known = m.keys.get(claim.key_id).ok_or_else(not_found)?;
    match (&known.token, claim.token) {
        (None, None) => {}
        // OSS takes a request with a token for an STS request, and a long-term key is no STS key.
        (None, Some(_)) | (Some(_), None) => return Err(not_found()),
        (Some(expected), Some(given)) if expected != given => {
            return Err(error(
                ctx,
                403,
                "InvalidSecurityToken",
                "The security token you provided is invalid.",
            ))
        }
        (Some(_), Some(_)) => {}
    }
    if known.expiration.is_some_and(|e| e <= ctx.shared.now()) {
        return Err(error(
            ctx,
            403,
            "SecurityTokenExpired",
            "The security token you provided has expired.",
        ));
    }
    Ok(known.secret.clone())
}

// ---- V1 -------------------------------------------------------------------------------------

fn v1_header(ctx: &Ctx, req: &Req, target: &Target, rest: &str) -> Result<String, Reply> {
    let (key_id, signature) = rest.trim().rsplit_once(':').ok_or_else(|| {
        error(
            ctx,
            400,
            "InvalidArgument",
            "Authorization header is invalid.",
        )
    })?;
    let claim = Claim {
        form: "V1 header",
        key_id,
        token: req.header("x-oss-security-token"),
        signature,
    };
    let date = req
        .header("x-oss-date")
        .or_else(|| req.header("date"))
        .unwrap_or_default();
    let time = object_wire::parse_http_date(date).ok_or_else(|| {
        error(
            ctx,
            403,
            "AccessDenied",
            "OSS authentication requires a valid Date.",
        )
    })?;
    object_wire::check_skew(ctx, &OSS, time)?;
    let secret = caller_secret(ctx, &claim)?;
    let sts = v1_string_to_sign(req, target, date.trim(), &[]);
    object_wire::check_hmac_sha1(ctx, &OSS, &claim, &secret, &sts)?;
    Ok(claim.verdict(&OSS))
}

fn v1_query(ctx: &Ctx, req: &Req, target: &Target) -> Result<String, Reply> {
    let q = |name: &str| {
        req.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let claim = Claim {
        form: "V1 presigned URL",
        key_id: q("OSSAccessKeyId").unwrap_or_default(),
        token: q("security-token"),
        signature: q("Signature").unwrap_or_default(),
    };
    let expires = q("Expires").unwrap_or_default();
    object_wire::check_presigned_expires(ctx, &OSS, expires)?;
    let secret = caller_secret(ctx, &claim)?;
    let skip = ["OSSAccessKeyId", "Expires", "Signature"];
    let sts = v1_string_to_sign(req, target, expires, &skip);
    object_wire::check_hmac_sha1(ctx, &OSS, &claim, &secret, &sts)?;
    Ok(claim.verdict(&OSS))
}

/// `signing.md` §5.1: the date line is `x-oss-date` or `Date` (header form) or `Expires`
/// (presigned); the resource names the bucket and raw key and the sub-resources, raw too.
fn v1_string_to_sign(req: &Req, target: &Target, date_line: &str, skip: &[&str]) -> String {
    let mut s = format!(
        "{}\n{}\n{}\n{date_line}\n",
        req.method,
        req.header("content-md5").unwrap_or_default(),
        req.header("content-type").unwrap_or_default(),
    );
    s.push_str(&object_wire::prefixed_headers(req, "x-oss-"));
    s.push('/');
    if let Some(bucket) = &target.bucket {
        s.push_str(bucket);
        s.push('/');
        s.push_str(&target.key);
    }
    let mut subs: Vec<&(String, String)> = req
        .query
        .iter()
        .filter(|(k, _)| {
            !skip.contains(&k.as_str())
                && (SUBRESOURCES.contains(&k.as_str()) || k.starts_with("x-oss-"))
        })
        .collect();
    subs.sort();
    for (i, (k, v)) in subs.iter().enumerate() {
        s.push(if i == 0 { '?' } else { '&' });
        s.push_str(k);
        if !v.is_empty() {
            s.push('=');
            s.push_str(v);
        }
    }
    s
}

// ---- V4 -------------------------------------------------------------------------------------

/// The parts of `Credential=<id>/<date>/<region>/<product>/aliyun_v4_request`.
struct Scope<'a> {
    key_id: &'a str,
    date: &'a str,
    region: &'a str,
    product: &'a str,
}

fn parse_credential<'a>(ctx: &Ctx, credential: &'a str) -> Result<Scope<'a>, Reply> {
    let parts: Vec<&str> = credential.split('/').collect();
    match parts.as_slice() {
        [key_id, date, region, product, "aliyun_v4_request"]
            if date.len() == 8 && !region.is_empty() && !product.is_empty() =>
        {
            Ok(Scope {
                key_id,
                date,
                region,
                product,
            })
        }
        _ => Err(error(
            ctx,
            400,
            "InvalidArgument",
            "Credential should be <AccessKeyId>/<yyyymmdd>/<region>/oss/aliyun_v4_request.",
        )),
    }
}

fn v4_header(ctx: &Ctx, req: &Req, target: &Target, rest: &str) -> Result<String, Reply> {
    let mut credential = None;
    let mut additional = "";
    let mut signature = None;
    for part in rest.split(',') {
        match part.trim().split_once('=') {
            Some(("Credential", v)) => credential = Some(v),
            Some(("AdditionalHeaders", v)) => additional = v,
            Some(("Signature", v)) => signature = Some(v),
            _ => {}
        }
    }
    let (Some(credential), Some(signature)) = (credential, signature) else {
        return Err(error(
            ctx,
            400,
            "InvalidArgument",
            "Authorization header is invalid: it needs Credential and Signature.",
        ));
    };
    let scope = parse_credential(ctx, credential)?;
    let claim = Claim {
        form: "V4 header",
        key_id: scope.key_id,
        token: req.header("x-oss-security-token"),
        signature,
    };
    let time_text = req.header("x-oss-date").unwrap_or_default();
    let time = object_wire::parse_basic_time(time_text).ok_or_else(|| {
        error(
            ctx,
            403,
            "AccessDenied",
            "OSS V4 authentication requires a valid x-oss-date header.",
        )
    })?;
    object_wire::check_skew(ctx, &OSS, time)?;
    check_scope_date(ctx, &scope, time_text)?;
    let secret = caller_secret(ctx, &claim)?;
    let payload = req
        .header("x-oss-content-sha256")
        .unwrap_or("UNSIGNED-PAYLOAD");
    let canonical = v4_canonical_request(req, target, additional, payload, None);
    check_v4(ctx, &claim, &scope, &secret, time_text, &canonical)?;
    Ok(format!("{} (region {})", claim.verdict(&OSS), scope.region))
}

fn v4_query(ctx: &Ctx, req: &Req, target: &Target) -> Result<String, Reply> {
    let q = |name: &str| {
        req.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let scope = parse_credential(ctx, q("x-oss-credential").unwrap_or_default())?;
    let claim = Claim {
        form: "V4 presigned URL",
        key_id: scope.key_id,
        token: q("x-oss-security-token"),
        signature: q("x-oss-signature").unwrap_or_default(),
    };
    let time_text = q("x-oss-date").unwrap_or_default();
    let time = object_wire::parse_basic_time(time_text);
    let lifetime = q("x-oss-expires").and_then(|e| e.parse::<i64>().ok());
    let (Some(time), Some(lifetime)) = (time, lifetime) else {
        return Err(error(
            ctx,
            400,
            "InvalidArgument",
            "x-oss-date and x-oss-expires must be an ISO 8601 basic time and seconds.",
        ));
    };
    object_wire::check_expiry(ctx, &OSS, time + TimeDelta::seconds(lifetime))?;
    check_scope_date(ctx, &scope, time_text)?;
    let secret = caller_secret(ctx, &claim)?;
    let additional = q("x-oss-additional-headers").unwrap_or_default();
    let canonical = v4_canonical_request(
        req,
        target,
        additional,
        "UNSIGNED-PAYLOAD",
        Some("x-oss-signature"),
    );
    check_v4(ctx, &claim, &scope, &secret, time_text, &canonical)?;
    Ok(format!("{} (region {})", claim.verdict(&OSS), scope.region))
}

fn check_scope_date(ctx: &Ctx, scope: &Scope, time_text: &str) -> Result<(), Reply> {
    if time_text.starts_with(scope.date) {
        return Ok(());
    }
    Err(error(
        ctx,
        400,
        "InvalidArgument",
        "The date of the credential scope is not the date of x-oss-date.",
    ))
}

/// `signing.md` §6.2.
fn v4_canonical_request(
    req: &Req,
    target: &Target,
    additional: &str,
    payload: &str,
    skip: Option<&str>,
) -> String {
    let uri = match &target.bucket {
        Some(bucket) => format!("/{}/{}", bucket, object_wire::uri_encode(&target.key, true)),
        None => "/".to_owned(),
    };
    let mut query: Vec<(String, String)> = req
        .query
        .iter()
        .filter(|(k, _)| Some(k.as_str()) != skip)
        .map(|(k, v)| {
            (
                object_wire::uri_encode(k, false),
                object_wire::uri_encode(v, false),
            )
        })
        .collect();
    query.sort();
    let query: Vec<String> = query
        .into_iter()
        .map(|(k, v)| if v.is_empty() { k } else { format!("{k}={v}") })
        .collect();
    let extra: Vec<String> = additional
        .split(';')
        .filter(|h| !h.is_empty())
        .map(str::to_ascii_lowercase)
        .collect();
    let mut headers: Vec<(String, String)> = Vec::new();
    for (name, value) in &req.headers {
        let name = name.to_ascii_lowercase();
        let signed = name.starts_with("x-oss-")
            || name == "content-type"
            || name == "content-md5"
            || extra.contains(&name);
        if !signed {
            continue;
        }
        match headers.iter_mut().find(|(n, _)| *n == name) {
            Some((_, v)) => {
                v.push(',');
                v.push_str(object_wire::trim_ows(value));
            }
            None => headers.push((name, object_wire::trim_ows(value).to_owned())),
        }
    }
    headers.sort();
    let headers: String = headers.iter().map(|(n, v)| format!("{n}:{v}\n")).collect();
    format!(
        "{}\n{uri}\n{}\n{headers}\n{}\n{payload}",
        req.method,
        query.join("&"),
        extra.join(";"),
    )
}

fn check_v4(
    ctx: &Ctx,
    claim: &Claim,
    scope: &Scope,
    secret: &str,
    time_text: &str,
    canonical: &str,
) -> Result<(), Reply> {
    let scope_text = format!(
        "{}/{}/{}/aliyun_v4_request",
        scope.date, scope.region, scope.product
    );
    let sts = format!(
        "OSS4-HMAC-SHA256\n{time_text}\n{scope_text}\n{}",
        object_wire::hex(&Sha256::digest(canonical.as_bytes()))
    );
    let parts = [scope.date, scope.region, scope.product, "aliyun_v4_request"];
    object_wire::check_hmac_sha256_chain(ctx, &OSS, claim, "aliyun_v4", secret, &parts, &sts)
}
