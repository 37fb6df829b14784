//! Huawei STS `POST /v5/agencies/assume-with-oidc` (spec 8.2).
//!
//! Accepted unsigned, as cloudcred sends it (H13). The answer uses the v5 names the official
//! parser's aliases exist for: `{"credentials": {"access_key_id", "secret_access_key",
//! "security_token", "expiration"}}`, expiration with milliseconds. Errors are
//! `{"error_code", "error_msg", "request_id"}`.

use serde_json::{json, Value};

use crate::http::{Ctx, Reply, Req};
use crate::hwiam;
use crate::model::Endpoint;
use crate::state;

pub(crate) const PATH: &str = "/v5/agencies/assume-with-oidc";

/// Smallest `duration_seconds`; the largest is `hw_oidc_max_duration`, the default 3600.
pub(crate) const MIN_DURATION: u64 = 900;
const DEFAULT_DURATION: u64 = 3600;

pub(crate) fn route(path: &str) -> Option<Endpoint> {
    path.ends_with(PATH).then_some(Endpoint::HwOidcSts)
}

pub(crate) fn error(ctx: &Ctx, status: u16, code: &str, message: &str) -> Reply {
    Reply::json(
        status,
        &json!({"error_code": code, "error_msg": message, "request_id": ctx.request_id}),
    )
    .with_code(code)
}

fn field<'a>(body: &'a Value, name: &str) -> Option<&'a str> {
    body.get(name)
        .and_then(Value::as_str)
        .filter(|s| !s.trim().is_empty())
}

fn valid_session_name(s: &str) -> bool {
    (2..=64).contains(&s.len())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c))
}

pub(crate) fn handle(ctx: &Ctx, req: &Req) -> Reply {
    let body = match hwiam::json_body(req) {
        Ok(b) => b,
        // Same checks as IAM, in the STS error shape.
        Err(reply) => {
            let status = reply.status;
            let message = serde_json::from_slice::<Value>(&reply.body)
                .ok()
                .and_then(|v| v["error"]["message"].as_str().map(str::to_string))
                .unwrap_or_default();
            return error(ctx, status, "STS.0001", &message);
        }
    };
    let config = &ctx.shared.config;
    let bad = |m: &str| error(ctx, 400, "STS.0001", m);
    let Some(provider_urn) = field(&body, "provider_urn") else {
        return bad("provider_urn is missing or empty.");
    };
    let Some(agency_urn) = field(&body, "agency_urn") else {
        return bad("agency_urn is missing or empty.");
    };
    let Some(session) = field(&body, "agency_session_name") else {
        return bad("agency_session_name is missing or empty.");
    };
    if !valid_session_name(session) {
        return bad("agency_session_name must be 2 to 64 characters of [A-Za-z0-9_+=,.@-].");
    }
    let Some(id_token) = field(&body, "id_token") else {
        return bad("id_token is missing or empty.");
    };
    let max = config.hw_oidc_max_duration;
    let duration = match body.get("duration_seconds") {
        None => DEFAULT_DURATION,
        Some(v) => match v.as_u64() {
            Some(d) if (MIN_DURATION..=max).contains(&d) => d,
            _ => {
                return bad(&format!(
                    "duration_seconds must be an integer from {MIN_DURATION} to {max}."
                ))
            }
        },
    };
    let policy = match body.get("policy") {
        None => None,
        Some(Value::String(p)) if serde_json::from_str::<Value>(p).is_ok() => Some(p.clone()),
        Some(_) => return bad("policy must be a JSON document in a string."),
    };
    if let Some(ids) = body.get("policy_ids") {
        let ok = ids.as_array().is_some_and(|a| {
            a.iter()
                .all(|i| i.as_str().is_some_and(|s| !s.trim().is_empty()))
        });
        if !ok {
            return bad("policy_ids must be an array of non-empty strings.");
        }
    }
    if config
        .hw_oidc_provider_urn
        .as_deref()
        .is_some_and(|p| p != provider_urn)
    {
        return error(
            ctx,
            403,
            "STS.0005",
            "The identity provider is not trusted.",
        );
    }
    if config
        .hw_oidc_agency_urn
        .as_deref()
        .is_some_and(|a| a != agency_urn)
    {
        return error(
            ctx,
            403,
            "STS.0006",
            "The agency does not trust this provider.",
        );
    }
    if id_token != config.hw_id_token {
        return error(ctx, 401, "STS.0003", "The id token is invalid.");
    }
    let cred = ctx
        .shared
        .new_hw_credential(std::time::Duration::from_secs(duration), ctx.expired);
    let expiration = state::iso8601_millis(cred.expiration);
    let mut issued = cred.issued(Endpoint::HwOidcSts);
    issued.duration_seconds = Some(duration);
    issued.role_arn = Some(agency_urn.to_string());
    issued.role_session_name = Some(session.to_string());
    issued.oidc_provider_arn = Some(provider_urn.to_string());
    issued.policy = policy;
    issued.expiration_text = expiration.clone();
    ctx.shared.record_hw_issued(issued);
    Reply::json(
        200,
        &json!({
            "credentials": {
                "access_key_id": cred.access_key_id,
                "secret_access_key": cred.access_key_secret,
                "security_token": cred.security_token,
                "expiration": expiration,
            },
            "assumed_agency": {
                "agency_session_id": format!("{}:{session}", state::alnum(32).to_ascii_lowercase()),
                "agency_session_urn": format!("{agency_urn}/{session}"),
            },
        }),
    )
}
