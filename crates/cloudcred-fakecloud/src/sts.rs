//! STS: `AssumeRole`, `AssumeRoleWithOIDC` and `GenerateSessionAccessKey` (spec 6.3, 6.4, 6.7, 8).
//!
//! Checks are made in the order a client meets them when debugging against the real service:
//! common parameters, then who is calling (key, token, signature), then the action's own
//! parameters. Error bodies use the real `{RequestId, HostId, Code, Message, Recommend}` shape, and
//! `SignatureDoesNotMatch` quotes the server's string to sign as the real service does, so client
//! tests can prove that messages are sanitised (spec 11.3).

use chrono::{NaiveDateTime, TimeDelta};
use serde_json::{json, Value};
use std::time::Duration;

use crate::http::{Ctx, Reply, Req};
use crate::model::{Endpoint, Issued};
use crate::rpc_signature::{string_to_sign, verify_hmac_sha1, verify_sha256_with_rsa};
use crate::state::{self, NewCredential};

const VERSION: &str = "2015-04-01";
const MIN_DURATION: u64 = 900;
/// GenerateSessionAccessKey allows at most one hour (spec 6.7).
const MAX_SESSION_KEY_DURATION: u64 = 3600;

/// The endpoint an STS request is for, from its `Action`.
pub(crate) fn route(req: &Req) -> Option<Endpoint> {
    match req.param("Action")? {
        "AssumeRole" => Some(Endpoint::StsAssumeRole),
        "AssumeRoleWithOIDC" => Some(Endpoint::StsAssumeRoleWithOidc),
        "GenerateSessionAccessKey" => Some(Endpoint::StsGenerateSessionAccessKey),
        _ => None,
    }
}

/// An STS error in the service's JSON format.
pub(crate) fn error(ctx: &Ctx, status: u16, code: &str, message: &str) -> Reply {
    Reply::json(
        status,
        &json!({
            "RequestId": ctx.request_id,
            "HostId": ctx.host,
            "Code": code,
            "Message": message,
            "Recommend": format!("https://api.aliyun.com/troubleshoot?q={code}&product=Sts"),
        }),
    )
    .with_code(code)
}

/// Answers a request that named no known action.
pub(crate) fn unknown_action(ctx: &Ctx, req: &Req) -> Reply {
    match req.param("Action") {
        None | Some("") => error(
            ctx,
            400,
            "MissingAction",
            "Action is mandatory for this action.",
        ),
        Some(_) => error(
            ctx,
            404,
            "InvalidAction.NotFound",
            "Specified api is not found, please check your url and method.",
        ),
    }
}

pub(crate) fn handle(ctx: &Ctx, req: &Req, endpoint: Endpoint) -> Reply {
    let result = match endpoint {
        Endpoint::StsAssumeRole => assume_role(ctx, req),
        Endpoint::StsAssumeRoleWithOidc => assume_role_with_oidc(ctx, req),
        Endpoint::StsGenerateSessionAccessKey => generate_session_access_key(ctx, req),
        _ => unreachable!("not an STS endpoint"),
    };
    result.unwrap_or_else(|e| e)
}

type Checked<T> = Result<T, Reply>;

fn assume_role(ctx: &Ctx, req: &Req) -> Checked<Reply> {
    check_common(ctx, req, true)?;
    let caller = authenticate(ctx, req, Scheme::Hmac)?;
    let role = role_params(ctx, req, ctx.shared.config.sts_max_duration)?;
    let external_id = req.nonempty("ExternalId").map(str::to_string);
    if let Some(id) = &external_id {
        if !(2..=1224).contains(&id.chars().count()) {
            return Err(error(
                ctx,
                400,
                "InvalidParameter.ExternalId",
                "The parameter ExternalId is wrong.",
            ));
        }
    }
    let cred = issue_role(ctx, Endpoint::StsAssumeRole, &role, |r| {
        r.external_id = external_id;
        r.caller_access_key_id = Some(caller);
    });
    Ok(role_reply(ctx, &role, &cred, None))
}

fn assume_role_with_oidc(ctx: &Ctx, req: &Req) -> Checked<Reply> {
    check_common(ctx, req, false)?;
    let config = &ctx.shared.config;
    let provider = req.nonempty("OIDCProviderArn").ok_or_else(|| {
        error(
            ctx,
            400,
            "MissingOIDCProviderArn",
            "OIDCProviderArn is mandatory for this action.",
        )
    })?;
    if config
        .oidc_provider_arn
        .as_deref()
        .is_some_and(|want| want != provider)
    {
        return Err(error(
            ctx,
            404,
            "EntityNotExist.OIDCProvider",
            "The specified OIDC provider does not exist.",
        ));
    }
    let token = req.nonempty("OIDCToken").ok_or_else(|| {
        error(
            ctx,
            400,
            "MissingOIDCToken",
            "OIDCToken is mandatory for this action.",
        )
    })?;
    if token != config.oidc_token {
        // Never echo the token: the oracle must not model the leak it tests clients for.
        return Err(error(
            ctx,
            400,
            "AuthenticationFail.OIDCToken.Invalid",
            "The OIDCToken is invalid or has expired.",
        ));
    }
    let role = role_params(ctx, req, config.sts_max_duration)?;
    let provider = provider.to_string();
    let cred = issue_role(ctx, Endpoint::StsAssumeRoleWithOidc, &role, |r| {
        r.oidc_provider_arn = Some(provider);
    });
    Ok(role_reply(
        ctx,
        &role,
        &cred,
        Some(oidc_token_info(ctx, token)),
    ))
}

fn generate_session_access_key(ctx: &Ctx, req: &Req) -> Checked<Reply> {
    check_common(ctx, req, true)?;
    let caller = authenticate(ctx, req, Scheme::Rsa)?;
    let duration = duration(ctx, req, MAX_SESSION_KEY_DURATION)?;
    let cred = ctx
        .shared
        .new_credential(Duration::from_secs(duration), ctx.expired, false);
    let mut issued = cred.issued(Endpoint::StsGenerateSessionAccessKey);
    issued.duration_seconds = Some(duration);
    issued.caller_access_key_id = Some(caller);
    ctx.shared.record_issued(issued);
    Ok(Reply::json(
        200,
        &json!({
            "RequestId": ctx.request_id,
            "SessionAccessKey": {
                "SessionAccessKeyId": cred.access_key_id,
                "SessionAccessKeySecret": cred.access_key_secret,
                "Expiration": cred.expiration_text(),
            },
        }),
    ))
}

/// `Format`, `Version` and `Timestamp`. The unsigned OIDC call may omit `Timestamp` (only go sends
/// it), the signed calls need it for replay protection.
fn check_common(ctx: &Ctx, req: &Req, signed: bool) -> Checked<()> {
    match req.nonempty("Format") {
        Some("JSON") => {}
        Some(_) => {
            return Err(error(
                ctx,
                400,
                "InvalidParameter.Format",
                "The fake cloud only answers Format=JSON.",
            ))
        }
        None => {
            return Err(error(
                ctx,
                400,
                "MissingFormat",
                "Format is mandatory for this action.",
            ))
        }
    }
    match req.nonempty("Version") {
        Some(VERSION) => {}
        Some(_) => {
            return Err(error(
                ctx,
                400,
                "InvalidVersion",
                "Specified parameter Version is not valid.",
            ))
        }
        None => {
            return Err(error(
                ctx,
                400,
                "MissingVersion",
                "Version is mandatory for this action.",
            ))
        }
    }
    let Some(ts) = req.nonempty("Timestamp") else {
        return if signed {
            Err(error(
                ctx,
                400,
                "MissingTimestamp",
                "Timestamp is mandatory for this action.",
            ))
        } else {
            Ok(())
        };
    };
    let Ok(t) = NaiveDateTime::parse_from_str(ts, "%Y-%m-%dT%H:%M:%SZ") else {
        return Err(error(
            ctx,
            400,
            "InvalidTimeStamp.Format",
            "Specified time stamp or date value is not well formatted.",
        ));
    };
    let skew = (ctx.shared.now() - t.and_utc()).abs();
    let tolerance = TimeDelta::seconds(ctx.shared.config.timestamp_tolerance.as_secs() as i64);
    if skew > tolerance {
        return Err(error(
            ctx,
            400,
            "InvalidTimeStamp.Expired",
            "Specified time stamp or date value is expired.",
        ));
    }
    Ok(())
}

#[derive(Clone, Copy, PartialEq)]
enum Scheme {
    Hmac,
    Rsa,
}

/// Finds the caller's key, checks its token, verifies the signature and burns the nonce.
/// Returns the caller's AccessKey id.
fn authenticate(ctx: &Ctx, req: &Req, scheme: Scheme) -> Checked<String> {
    let want_method = match scheme {
        Scheme::Hmac => "HMAC-SHA1",
        Scheme::Rsa => "SHA256withRSA",
    };
    match req.nonempty("SignatureMethod") {
        Some(m) if m == want_method => {}
        Some(_) => {
            return Err(error(
                ctx,
                400,
                "InvalidParameter.SignatureMethod",
                &format!("Specified SignatureMethod is not valid, expected {want_method}."),
            ))
        }
        None => {
            return Err(error(
                ctx,
                400,
                "MissingSignatureMethod",
                "SignatureMethod is mandatory for this action.",
            ))
        }
    }
    if req.param("SignatureVersion") != Some("1.0") {
        return Err(error(
            ctx,
            400,
            "InvalidParameter.SignatureVersion",
            "Specified SignatureVersion is not valid, expected 1.0.",
        ));
    }
    if scheme == Scheme::Rsa && req.param("SignatureType") != Some("PRIVATEKEY") {
        return Err(error(
            ctx,
            400,
            "InvalidParameter.SignatureType",
            "Specified SignatureType is not valid, expected PRIVATEKEY.",
        ));
    }
    let nonce = req.nonempty("SignatureNonce").ok_or_else(|| {
        error(
            ctx,
            400,
            "MissingSignatureNonce",
            "SignatureNonce is mandatory for this action.",
        )
    })?;
    let key_id = req.nonempty("AccessKeyId").ok_or_else(|| {
        error(
            ctx,
            400,
            "MissingAccessKeyId",
            "AccessKeyId is mandatory for this action.",
        )
    })?;
    let signature = req.nonempty("Signature").ok_or_else(|| {
        error(
            ctx,
            400,
            "MissingSignature",
            "Signature is mandatory for this action.",
        )
    })?;
    let server_sts = string_to_sign(&req.method, &req.all_params());
    let verified = match scheme {
        Scheme::Hmac => {
            let secret = caller_secret(ctx, req, key_id)?;
            verify_hmac_sha1(&secret, &server_sts, signature)
        }
        Scheme::Rsa => {
            let config = &ctx.shared.config;
            let key = ctx
                .shared
                .rsa_key
                .as_ref()
                .filter(|_| key_id == config.rsa_public_key_id)
                .ok_or_else(|| key_not_found(ctx))?;
            if req
                .nonempty("PublicKeyId")
                .is_some_and(|p| p != config.rsa_public_key_id)
            {
                return Err(error(
                    ctx,
                    400,
                    "InvalidParameter.PublicKeyId",
                    "PublicKeyId does not match AccessKeyId.",
                ));
            }
            verify_sha256_with_rsa(key, &server_sts, signature)
        }
    };
    if !verified {
        return Err(error(
            ctx,
            400,
            "SignatureDoesNotMatch",
            &format!(
                "Specified signature is not matched with our calculation. server string to sign is:{server_sts}"
            ),
        ));
    }
    // Burnt only once the request is authentic, so a forged request cannot use up a nonce.
    if !ctx.shared.lock().nonces.insert(nonce.to_string()) {
        return Err(error(
            ctx,
            400,
            "SignatureNonceUsed",
            "Specified signature nonce was used already.",
        ));
    }
    Ok(key_id.to_string())
}

fn key_not_found(ctx: &Ctx) -> Reply {
    error(
        ctx,
        404,
        "InvalidAccessKeyId.NotFound",
        "Specified access key is not found.",
    )
}

/// The secret of a caller key, after the checks that tie an issued key to its token and lifetime.
fn caller_secret(ctx: &Ctx, req: &Req, key_id: &str) -> Checked<String> {
    let key = ctx
        .shared
        .lock()
        .keys
        .get(key_id)
        .cloned()
        .ok_or_else(|| key_not_found(ctx))?;
    let token = req.nonempty("SecurityToken");
    match (&key.token, token) {
        (Some(_), None) => {
            return Err(error(
                ctx,
                400,
                "MissingSecurityToken",
                "SecurityToken is mandatory for an STS AccessKey.",
            ))
        }
        (Some(want), Some(got)) if want != got => {
            return Err(error(
                ctx,
                400,
                "InvalidSecurityToken.MismatchWithAccessKey",
                "Specified SecurityToken mismatch with the AccessKey.",
            ))
        }
        (None, Some(_)) => {
            return Err(error(
                ctx,
                400,
                "InvalidSecurityToken.MismatchWithAccessKey",
                "Specified SecurityToken mismatch with the AccessKey.",
            ))
        }
        _ => {}
    }
    if key.expiration.is_some_and(|e| e <= ctx.shared.now()) {
        return Err(if key.token.is_some() {
            error(
                ctx,
                400,
                "InvalidSecurityToken.Expired",
                "Specified SecurityToken is expired.",
            )
        } else {
            error(
                ctx,
                400,
                "InvalidAccessKeyId.Inactive",
                "Specified access key is expired.",
            )
        });
    }
    Ok(key.secret)
}

struct RoleParams {
    role_arn: String,
    account: String,
    role_name: String,
    session: String,
    duration: u64,
    policy: Option<String>,
}

fn role_params(ctx: &Ctx, req: &Req, max_duration: u64) -> Checked<RoleParams> {
    let role_arn = req.nonempty("RoleArn").ok_or_else(|| {
        error(
            ctx,
            400,
            "MissingRoleArn",
            "RoleArn is mandatory for this action.",
        )
    })?;
    let (account, role_name) = parse_role_arn(role_arn).ok_or_else(|| {
        error(
            ctx,
            400,
            "InvalidParameter.RoleArn",
            "The parameter RoleArn is wrong.",
        )
    })?;
    let session = req.nonempty("RoleSessionName").ok_or_else(|| {
        error(
            ctx,
            400,
            "MissingRoleSessionName",
            "RoleSessionName is mandatory for this action.",
        )
    })?;
    let valid_session = (2..=64).contains(&session.len())
        && session
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'@' | b'-'));
    if !valid_session {
        return Err(error(
            ctx,
            400,
            "InvalidParameter.RoleSessionName",
            "The parameter RoleSessionName is wrong.",
        ));
    }
    let duration = duration(ctx, req, max_duration)?;
    let policy = req.nonempty("Policy").map(str::to_string);
    if let Some(p) = &policy {
        if serde_json::from_str::<Value>(p).is_err() || p.len() > 2048 {
            return Err(error(
                ctx,
                400,
                "InvalidParameter.PolicyGrammar",
                "The parameter Policy has not passed grammar check.",
            ));
        }
    }
    Ok(RoleParams {
        account: account.to_string(),
        role_name: role_name.to_string(),
        role_arn: role_arn.to_string(),
        session: session.to_string(),
        duration,
        policy,
    })
}

/// `acs:ram::<digits>:role/<name>` → (account, role name).
fn parse_role_arn(arn: &str) -> Option<(&str, &str)> {
    let (account, name) = arn.strip_prefix("acs:ram::")?.split_once(":role/")?;
    let ok_account = !account.is_empty() && account.bytes().all(|b| b.is_ascii_digit());
    let ok_name = (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._@+=,-".contains(&b));
    (ok_account && ok_name).then_some((account, name))
}

fn duration(ctx: &Ctx, req: &Req, max: u64) -> Checked<u64> {
    let Some(text) = req.nonempty("DurationSeconds") else {
        return Ok(3600.min(max));
    };
    match text.parse::<u64>() {
        Ok(d) if (MIN_DURATION..=max).contains(&d) => Ok(d),
        _ => Err(error(
            ctx,
            400,
            "InvalidParameter.DurationSeconds",
            &format!(
                "The Min/Max value of DurationSeconds is {}s/{}s.",
                MIN_DURATION, max
            ),
        )),
    }
}

fn issue_role(
    ctx: &Ctx,
    endpoint: Endpoint,
    role: &RoleParams,
    fill: impl FnOnce(&mut Issued),
) -> NewCredential {
    let cred = ctx
        .shared
        .new_credential(Duration::from_secs(role.duration), ctx.expired, true);
    let mut issued = cred.issued(endpoint);
    issued.role_arn = Some(role.role_arn.clone());
    issued.role_session_name = Some(role.session.clone());
    issued.duration_seconds = Some(role.duration);
    issued.policy = role.policy.clone();
    fill(&mut issued);
    ctx.shared.record_issued(issued);
    cred
}

fn role_reply(ctx: &Ctx, role: &RoleParams, cred: &NewCredential, oidc: Option<Value>) -> Reply {
    let role_id: String = format!("3{}", &digits(17));
    let mut body = json!({
        "RequestId": ctx.request_id,
        "AssumedRoleUser": {
            "Arn": format!("acs:ram::{}:assumed-role/{}/{}", role.account, role.role_name, role.session),
            "AssumedRoleId": format!("{role_id}:{}", role.session),
        },
        "Credentials": {
            "AccessKeyId": cred.access_key_id,
            "AccessKeySecret": cred.access_key_secret,
            "SecurityToken": cred.security_token,
            "Expiration": cred.expiration_text(),
        },
    });
    if let Some(info) = oidc {
        body["OIDCTokenInfo"] = info;
    }
    Reply::json(200, &body)
}

/// `OIDCTokenInfo` from the JWT's claims when it decodes, else neutral placeholders.
fn oidc_token_info(ctx: &Ctx, token: &str) -> Value {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine as _;
    let claims: Value = token
        .split('.')
        .nth(1)
        .and_then(|p| URL_SAFE_NO_PAD.decode(p.trim_end_matches('=')).ok())
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or(Value::Null);
    let now = ctx.shared.now();
    json!({
        "Issuer": claims.get("iss").cloned().unwrap_or(json!("")),
        "Subject": claims.get("sub").cloned().unwrap_or(json!("")),
        "ClientIds": claims.get("aud").map(|a| a.to_string().trim_matches('"').to_string()).unwrap_or_default(),
        "IssuanceTime": state::iso8601(now),
        "ExpirationTime": state::iso8601(now + TimeDelta::hours(1)),
        "VerificationInfo": "Success",
    })
}

fn digits(n: usize) -> String {
    use rand::Rng;
    let mut rng = rand::thread_rng();
    (0..n)
        .map(|_| char::from(b'0' + rng.gen_range(0..10u8)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::parse_role_arn;

    #[test]
    fn role_arn_shapes() {
        assert_eq!(
            parse_role_arn("acs:ram::1000000000000000:role/fake-hop-1"),
            Some(("1000000000000000", "fake-hop-1"))
        );
        assert_eq!(parse_role_arn("acs:ram::abc:role/x"), None);
        assert_eq!(parse_role_arn("acs:ram::1:role/"), None);
        assert_eq!(parse_role_arn("arn:aws:iam::1:role/x"), None);
        assert_eq!(parse_role_arn("acs:ram::1:user/x"), None);
    }
}
