//! OBS, the Huawei Cloud object service: requests are authenticated the way OBS does it, then
//! served from the shared store ([`crate::object_wire::operate`]).
//!
//! Forms verified, written from `signing.md` §8–9 and the OBS API reference, never by calling
//! the `cloudcred` signers: the native signature (`Authorization: OBS id:sig`, HMAC-SHA1, `x-obs-`
//! headers) and its AWS-compatible twin (`AWS id:sig`, `x-amz-` headers), their presigned URLs
//! (`AccessKeyId` or `AWSAccessKeyId`, `Expires`, `Signature`), and V4 (AWS Signature Version 4
//! with service `s3`) in header and presigned (`X-Amz-*`) form.
//!
//! Keys: the configured Huawei AK/SK pairs and every credential the Huawei endpoints issued
//! (metadata `securitykey`, IAM `securitytokens`, STS, pod identity). A temporary key needs its
//! own security token: a wrong, missing or expired one is `InvalidAccessKeyId` "The security
//! token is invalid.", the code OBS uses for all three.

use chrono::TimeDelta;
use sha2::{Digest, Sha256};

use crate::http::{Ctx, Reply, Req};
use crate::object_wire::{self, Claim, Target, OBS};
use crate::rpc_signature::form_decode;

/// Query names signed as sub-resources, matched on the lower-cased name: the service decides,
/// and the official lists differ, so this is the union of `ALLOWED_RESOURCE_PARAMTER_NAMES` of
/// esdk-obs-python `obs/const.py` (`signing.md` §8.2) and of huaweicloud-sdk-java-v3
/// `OBSSigner.java` (operations such as `PUT /?customdomain` or `PUT /?mirrorBackToSource`), the
/// union `testdata/differential/gen_obs.py` signs with.
const SUBRESOURCES: &[&str] = &[
    "asynccallback",
    "asyncfetchjob",
    "asyncfetchpolicy",
    "attname",
    "cdnnotifyconfiguration",
    "customdomain",
    "extension_policy",
    "fscreatehardlink",
    "getcontentsummary",
    "ignore-sign-in-query",
    "listcontentsummary",
    "mirrorbacktosource",
    "mirrorrefresh",
    "multilistcontentsummary",
    "orchestration",
    "readahead",
    "replication_progress",
    "select",
    "select-type",
    "sfsacl",
    "sfsmount",
    "sfsumount",
    "synccallback",
    "template_name",
    "template_name_prefix",
    "x-obs-security-token",
    "x-obs-sse-kms-key-project-id",
    "x-workflow-category",
    "x-workflow-create",
    "x-workflow-forbid",
    "x-workflow-status",
    "x-workflow-type",
    "x_obs_dnslevel",
    "x_obs_resource_id",
    "x_obs_resource_type",
    "acl",
    "append",
    "backtosource",
    "bucketstatus",
    "cors",
    "delete",
    "deletebucket",
    "directcoldaccess",
    "dispolicy",
    "encryption",
    "fileinterface",
    "inventory",
    "length",
    "lifecycle",
    "location",
    "logging",
    "metadata",
    "modify",
    "name",
    "notification",
    "obsalias",
    "obsbucketalias",
    "obscompresspolicy",
    "obsworkflowtriggerpolicy",
    "object-lock",
    "partnumber",
    "policy",
    "policystatus",
    "position",
    "publicaccessblock",
    "quota",
    "rename",
    "replication",
    "requestpayment",
    "response-cache-control",
    "response-content-disposition",
    "response-content-encoding",
    "response-content-language",
    "response-content-type",
    "response-expires",
    "restore",
    "retention",
    "storageclass",
    "storageinfo",
    "storagepolicy",
    "tagging",
    "torrent",
    "truncate",
    "uploadid",
    "uploads",
    "versionid",
    "versioning",
    "versions",
    "website",
    "x-image-process",
    "x-image-save-bucket",
    "x-image-save-object",
    "x-obs-accesslabel",
    "x-oss-process",
    "x-workflow-execution-state",
    "x-workflow-execution-type",
    "x-workflow-graph-name",
    "x-workflow-limit",
    "x-workflow-next-marker",
    "x-workflow-prefix",
    "x-workflow-start",
    "x-workflow-template-name",
];

pub(crate) fn handle(ctx: &Ctx, req: &Req) -> Reply {
    object_wire::serve(ctx, req, &OBS, |target| authenticate(ctx, req, target))
}

fn query<'r>(req: &'r Req, name: &str) -> Option<&'r str> {
    req.query
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

fn error(ctx: &Ctx, status: u16, code: &str, message: &str) -> Reply {
    object_wire::error(ctx, &OBS, status, code, message, &[])
}

fn authenticate(ctx: &Ctx, req: &Req, target: &Target) -> Result<String, Reply> {
    if let Some(auth) = req.header("authorization") {
        if let Some(rest) = auth.strip_prefix("AWS4-HMAC-SHA256 ") {
            return v4_header(ctx, req, rest);
        }
        if let Some(rest) = auth.strip_prefix("OBS ") {
            return v2_header(ctx, req, target, rest, Mode::Native);
        }
        if let Some(rest) = auth.strip_prefix("AWS ") {
            return v2_header(ctx, req, target, rest, Mode::Aws);
        }
        return Err(error(
            ctx,
            400,
            "InvalidArgument",
            "The Authorization header is not an OBS, AWS or AWS4-HMAC-SHA256 signature.",
        ));
    }
    if query(req, "X-Amz-Algorithm").is_some() {
        return v4_query(ctx, req);
    }
    if req.query.iter().any(|(k, _)| k == "AccessKeyId") {
        return v2_query(ctx, req, target, Mode::Native);
    }
    if req.query.iter().any(|(k, _)| k == "AWSAccessKeyId") {
        return v2_query(ctx, req, target, Mode::Aws);
    }
    Err(error(ctx, 403, "AccessDenied", "Access Denied"))
}

fn caller_secret(ctx: &Ctx, claim: &Claim) -> Result<String, Reply> {
    let m = ctx.shared.lock();
    let Some(known) = m.hw_keys.get(claim.key_id) else {
        return Err(error(
            ctx,
            403,
            "InvalidAccessKeyId",
            "The OBS Access Key Id you provided does not exist in our records.",
        ));
    };
    let token_ok = match (&known.token, claim.token) {
        (None, None) => true,
        (Some(expected), Some(given)) => expected == given,
        _ => false,
    };
    let expired = known.expiration.is_some_and(|e| e <= ctx.shared.now());
    if !token_ok || expired {
        return Err(error(
            ctx,
            403,
            "InvalidAccessKeyId",
            "The security token is invalid.",
        ));
    }
    Ok(known.secret.clone())
}

// ---- native and AWS V2 ----------------------------------------------------------------------

#[derive(Clone, Copy)]
enum Mode {
    Native,
    Aws,
}

impl Mode {
    fn prefix(self) -> &'static str {
        match self {
            Mode::Native => "x-obs-",
            Mode::Aws => "x-amz-",
        }
    }
}

fn v2_header(
    ctx: &Ctx,
    req: &Req,
    target: &Target,
    rest: &str,
    mode: Mode,
) -> Result<String, Reply> {
    let (key_id, signature) = rest.trim().rsplit_once(':').ok_or_else(|| {
        error(
            ctx,
            400,
            "InvalidArgument",
            "The Authorization header is invalid.",
        )
    })?;
    let prefix = mode.prefix();
    let token_header = format!("{prefix}security-token");
    let claim = Claim {
        form: match mode {
            Mode::Native => "native header",
            Mode::Aws => "AWS V2 header",
        },
        key_id,
        token: req.header(&token_header),
        signature,
    };
    let prefixed_date = req.header(&format!("{prefix}date"));
    let time = prefixed_date
        .or_else(|| req.header("date"))
        .and_then(object_wire::parse_http_date)
        .ok_or_else(|| {
            error(
                ctx,
                403,
                "AccessDenied",
                "The request needs a valid Date header.",
            )
        })?;
    object_wire::check_skew(ctx, &OBS, time)?;
    let secret = caller_secret(ctx, &claim)?;
    // The prefixed date, when sent, is signed among the headers and the Date line is empty.
    let date_line = match prefixed_date {
        Some(_) => "",
        None => req.header("date").unwrap_or_default().trim(),
    };
    let sts = v2_string_to_sign(req, target, date_line, mode, &[]);
    object_wire::check_hmac_sha1(ctx, &OBS, &claim, &secret, &sts)?;
    Ok(claim.verdict(&OBS))
}

fn v2_query(ctx: &Ctx, req: &Req, target: &Target, mode: Mode) -> Result<String, Reply> {
    let id_param = match mode {
        Mode::Native => "AccessKeyId",
        Mode::Aws => "AWSAccessKeyId",
    };
    let token_param = format!("{}security-token", mode.prefix());
    let claim = Claim {
        form: match mode {
            Mode::Native => "native presigned URL",
            Mode::Aws => "AWS V2 presigned URL",
        },
        key_id: query(req, id_param).unwrap_or_default(),
        token: query(req, &token_param),
        signature: query(req, "Signature").unwrap_or_default(),
    };
    let expires = query(req, "Expires").unwrap_or_default();
    object_wire::check_presigned_expires(ctx, &OBS, expires)?;
    let secret = caller_secret(ctx, &claim)?;
    let sts = v2_string_to_sign(
        req,
        target,
        expires,
        mode,
        &[id_param, "Expires", "Signature"],
    );
    object_wire::check_hmac_sha1(ctx, &OBS, &claim, &secret, &sts)?;
    Ok(claim.verdict(&OBS))
}

/// `signing.md` §8.2.
fn v2_string_to_sign(
    req: &Req,
    target: &Target,
    date_line: &str,
    mode: Mode,
    skip: &[&str],
) -> String {
    let prefix = mode.prefix();
    let mut s = format!(
        "{}\n{}\n{}\n{date_line}\n",
        req.method,
        req.header("content-md5").unwrap_or_default(),
        req.header("content-type").unwrap_or_default(),
    );
    s.push_str(&object_wire::prefixed_headers(req, prefix));
    match &target.bucket {
        None => s.push('/'),
        Some(bucket) if target.key.is_empty() => {
            s.push('/');
            s.push_str(bucket);
            // The SDK signs `/bucket/` when the bucket is in the host, `/bucket` in the path.
            if target.virtual_hosted {
                s.push('/');
            }
        }
        Some(bucket) => {
            s.push('/');
            s.push_str(bucket);
            s.push('/');
            s.push_str(&object_wire::uri_encode(&target.key, true));
        }
    }
    // `name=` (an empty value) and `name` (no value) sign differently, so the raw query decides.
    let mut subs: Vec<(String, Option<String>)> = req
        .raw_query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (form_decode(k), Some(form_decode(v))),
            None => (form_decode(p), None),
        })
        .filter(|(k, _)| {
            let lower = k.to_ascii_lowercase();
            !skip.contains(&k.as_str())
                && (SUBRESOURCES.contains(&lower.as_str()) || lower.starts_with(prefix))
        })
        .collect();
    subs.sort();
    for (i, (k, v)) in subs.iter().enumerate() {
        s.push(if i == 0 { '?' } else { '&' });
        s.push_str(&object_wire::uri_encode(k, true));
        if let Some(v) = v {
            s.push('=');
            s.push_str(v);
        }
    }
    s
}

// ---- V4 (AWS Signature Version 4, service s3) -----------------------------------------------

struct Scope<'a> {
    key_id: &'a str,
    date: &'a str,
    region: &'a str,
}

fn parse_credential<'a>(ctx: &Ctx, credential: &'a str) -> Result<Scope<'a>, Reply> {
    match credential.split('/').collect::<Vec<_>>().as_slice() {
        [key_id, date, region, "s3", "aws4_request"] if date.len() == 8 && !region.is_empty() => {
            Ok(Scope {
                key_id,
                date,
                region,
            })
        }
        _ => Err(error(
            ctx,
            400,
            "AuthorizationHeaderMalformed",
            "Credential should be <AccessKeyId>/<yyyymmdd>/<region>/s3/aws4_request.",
        )),
    }
}

fn v4_header(ctx: &Ctx, req: &Req, rest: &str) -> Result<String, Reply> {
    let mut credential = None;
    let mut signed = None;
    let mut signature = None;
    for part in rest.split(',') {
        match part.trim().split_once('=') {
            Some(("Credential", v)) => credential = Some(v),
            Some(("SignedHeaders", v)) => signed = Some(v),
            Some(("Signature", v)) => signature = Some(v),
            _ => {}
        }
    }
    let (Some(credential), Some(signed), Some(signature)) = (credential, signed, signature) else {
        return Err(error(
            ctx,
            400,
            "AuthorizationHeaderMalformed",
            "The authorization header needs Credential, SignedHeaders and Signature.",
        ));
    };
    let scope = parse_credential(ctx, credential)?;
    let claim = Claim {
        form: "V4 header",
        key_id: scope.key_id,
        token: req.header("x-amz-security-token"),
        signature,
    };
    // SigV4 takes the time from `x-amz-date`, else from `Date` (esdk-obs-python sends only
    // `Date`), in the ISO 8601 basic form either way.
    let time_text = match req.header("x-amz-date") {
        Some(t) => t.to_owned(),
        None => req
            .header("date")
            .and_then(object_wire::parse_http_date)
            .map(|t| t.format("%Y%m%dT%H%M%SZ").to_string())
            .unwrap_or_default(),
    };
    let time_text = time_text.as_str();
    let time = object_wire::parse_basic_time(time_text).ok_or_else(|| {
        error(
            ctx,
            403,
            "AccessDenied",
            "AWS authentication requires a valid x-amz-date or Date header.",
        )
    })?;
    object_wire::check_skew(ctx, &OBS, time)?;
    check_scope_date(ctx, &scope, time_text)?;
    let secret = caller_secret(ctx, &claim)?;
    // Without `x-amz-content-sha256` the payload hash is the body's, as in every SigV4 service
    // (curl signs that way); with it, the header's value, which must then be the body's hash.
    let body_hash = object_wire::hex(&Sha256::digest(&req.body));
    let payload = req.header("x-amz-content-sha256").unwrap_or(&body_hash);
    if payload != "UNSIGNED-PAYLOAD" && payload != body_hash {
        return Err(error(
            ctx,
            400,
            "XAmzContentSHA256Mismatch",
            "The provided 'x-amz-content-sha256' header does not match what was computed.",
        ));
    }
    let canonical = v4_canonical_request(req, signed, payload, None);
    check_v4(ctx, &claim, &scope, &secret, time_text, &canonical)?;
    Ok(format!("{} (region {})", claim.verdict(&OBS), scope.region))
}

fn v4_query(ctx: &Ctx, req: &Req) -> Result<String, Reply> {
    if query(req, "X-Amz-Algorithm") != Some("AWS4-HMAC-SHA256") {
        return Err(error(
            ctx,
            400,
            "InvalidArgument",
            "X-Amz-Algorithm must be AWS4-HMAC-SHA256.",
        ));
    }
    let scope = parse_credential(ctx, query(req, "X-Amz-Credential").unwrap_or_default())?;
    let claim = Claim {
        form: "V4 presigned URL",
        key_id: scope.key_id,
        token: query(req, "X-Amz-Security-Token"),
        signature: query(req, "X-Amz-Signature").unwrap_or_default(),
    };
    let time_text = query(req, "X-Amz-Date").unwrap_or_default();
    let time = object_wire::parse_basic_time(time_text);
    let lifetime = query(req, "X-Amz-Expires").and_then(|e| e.parse::<i64>().ok());
    let (Some(time), Some(lifetime)) = (time, lifetime) else {
        return Err(error(
            ctx,
            400,
            "InvalidArgument",
            "X-Amz-Date and X-Amz-Expires must be an ISO 8601 basic time and seconds.",
        ));
    };
    object_wire::check_expiry(ctx, &OBS, time + TimeDelta::seconds(lifetime))?;
    check_scope_date(ctx, &scope, time_text)?;
    let secret = caller_secret(ctx, &claim)?;
    let signed = query(req, "X-Amz-SignedHeaders").unwrap_or("host");
    let canonical = v4_canonical_request(req, signed, "UNSIGNED-PAYLOAD", Some("X-Amz-Signature"));
    check_v4(ctx, &claim, &scope, &secret, time_text, &canonical)?;
    Ok(format!("{} (region {})", claim.verdict(&OBS), scope.region))
}

fn check_scope_date(ctx: &Ctx, scope: &Scope, time_text: &str) -> Result<(), Reply> {
    if time_text.starts_with(scope.date) {
        return Ok(());
    }
    Err(error(
        ctx,
        400,
        "AuthorizationHeaderMalformed",
        "The date of the credential scope is not the date of the request.",
    ))
}

/// `signing.md` §9.1: the path as sent (so the bucket only in path-style requests), every
/// query parameter, the headers the client listed in SignedHeaders.
fn v4_canonical_request(req: &Req, signed: &str, payload: &str, skip: Option<&str>) -> String {
    let uri = object_wire::uri_encode(&object_wire::decode(&req.path), true);
    let mut q: Vec<(String, String)> = req
        .query
        .iter()
        .filter(|(k, _)| Some(k.as_str()) != skip)
        .map(|(k, v)| {
            (
                object_wire::uri_encode(k, true),
                object_wire::uri_encode(v, false),
            )
        })
        .collect();
    q.sort();
    let q: Vec<String> = q.into_iter().map(|(k, v)| format!("{k}={v}")).collect();
    let mut headers = String::new();
    for name in signed.split(';') {
        let values: Vec<String> = req
            .headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| trimall(v))
            .collect();
        headers.push_str(&format!("{name}:{}\n", values.join(",")));
    }
    format!(
        "{}\n{uri}\n{}\n{headers}\n{signed}\n{payload}",
        req.method,
        q.join("&")
    )
}

/// SigV4's Trimall: outer whitespace removed, runs of inner spaces collapsed to one.
fn trimall(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for (i, part) in object_wire::trim_ows(v)
        .split(' ')
        .filter(|p| !p.is_empty())
        .enumerate()
    {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(part);
    }
    out
}

fn check_v4(
    ctx: &Ctx,
    claim: &Claim,
    scope: &Scope,
    secret: &str,
    time_text: &str,
    canonical: &str,
) -> Result<(), Reply> {
    let sts = format!(
        "AWS4-HMAC-SHA256\n{time_text}\n{}/{}/s3/aws4_request\n{}",
        scope.date,
        scope.region,
        object_wire::hex(&Sha256::digest(canonical.as_bytes()))
    );
    let parts = [scope.date, scope.region, "s3", "aws4_request"];
    object_wire::check_hmac_sha256_chain(ctx, &OBS, claim, "AWS4", secret, &parts, &sts)
}
