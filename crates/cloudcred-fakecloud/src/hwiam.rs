//! Huawei IAM: id-token federation (`POST /v3.0/OS-AUTH/id-token/tokens`, spec 8.1) and the
//! temporary AK/SK API (`POST /v3.0/OS-CREDENTIAL/securitytokens`, spec 9).
//!
//! Errors are IAM's `{"error": {"code", "message", "title"}}` shape. Only the token form of the
//! temporary AK/SK API is implemented (no AK/SK `Authorization`, no `assume_role` method).

use chrono::TimeDelta;
use serde_json::{json, Value};

use crate::http::{Ctx, Reply, Req};
use crate::model::Endpoint;
use crate::state;

pub(crate) const ID_TOKEN_PATH: &str = "/v3.0/OS-AUTH/id-token/tokens";
pub(crate) const SECURITY_TOKENS_PATH: &str = "/v3.0/OS-CREDENTIAL/securitytokens";

/// Smallest and largest `duration_seconds` of the temporary AK/SK API; the default is 900.
pub(crate) const MIN_DURATION: u64 = 900;
pub(crate) const MAX_DURATION: u64 = 86400;

/// Routes the IAM paths (by suffix: an IAM endpoint may carry a path prefix).
pub(crate) fn route(path: &str) -> Option<Endpoint> {
    if path.ends_with(ID_TOKEN_PATH) {
        Some(Endpoint::HwIdTokenTokens)
    } else if path.ends_with(SECURITY_TOKENS_PATH) {
        Some(Endpoint::HwSecurityTokens)
    } else {
        None
    }
}

/// An IAM error.
pub(crate) fn error(status: u16, code: &str, message: &str) -> Reply {
    let title = match status {
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        429 => "Too Many Requests",
        503 => "Service Unavailable",
        _ => "Internal Server Error",
    };
    Reply::json(
        status,
        &json!({"error": {"code": code, "message": message, "title": title}}),
    )
    .with_code(code)
}

pub(crate) fn handle(ctx: &Ctx, req: &Req, endpoint: Endpoint) -> Reply {
    let body = match json_body(req) {
        Ok(b) => b,
        Err(reply) => return reply,
    };
    if endpoint == Endpoint::HwIdTokenTokens {
        id_token_tokens(ctx, req, &body)
    } else {
        security_tokens(ctx, req, &body)
    }
}

/// Checks the method and content type and parses the JSON body.
pub(crate) fn json_body(req: &Req) -> Result<Value, Reply> {
    if req.method != "POST" {
        return Err(error(405, "IAM.0002", "Use POST."));
    }
    let json_type = req.header("content-type").is_some_and(|v| {
        v.trim()
            .to_ascii_lowercase()
            .starts_with("application/json")
    });
    if !json_type {
        return Err(error(
            400,
            "IAM.0001",
            "Content-Type must be application/json.",
        ));
    }
    serde_json::from_slice::<Value>(&req.body)
        .ok()
        .filter(Value::is_object)
        .ok_or_else(|| error(400, "IAM.0001", "The request body is not a JSON object."))
}

fn nonempty_str(v: &Value) -> Option<&str> {
    v.as_str().filter(|s| !s.trim().is_empty())
}

/// The optional `scope` of an id-token request: `{"project"|"domain": {"id"|"name": "…"}}`.
fn valid_scope(scope: &Value) -> bool {
    let Some(obj) = scope.as_object() else {
        return false;
    };
    if obj.len() != 1 {
        return false;
    }
    let (kind, target) = obj.iter().next().expect("one entry");
    (kind == "project" || kind == "domain")
        && target.as_object().is_some_and(|t| {
            t.len() == 1
                && ["id", "name"]
                    .iter()
                    .any(|k| t.get(*k).is_some_and(|v| nonempty_str(v).is_some()))
        })
}

fn id_token_tokens(ctx: &Ctx, req: &Req, body: &Value) -> Reply {
    let config = &ctx.shared.config;
    let Some(idp) = req
        .header("x-idp-id")
        .map(str::trim)
        .filter(|v| !v.is_empty())
    else {
        return error(400, "IAM.0001", "The X-Idp-Id header is missing.");
    };
    let auth = &body["auth"];
    let Some(id_token) = nonempty_str(&auth["id_token"]["id"]) else {
        return error(400, "IAM.0001", "auth.id_token.id is missing or empty.");
    };
    let scope = auth.get("scope");
    if scope.is_some_and(|s| !valid_scope(s)) {
        return error(
            400,
            "IAM.0001",
            "auth.scope must be {\"project\"|\"domain\": {\"id\"|\"name\": \"...\"}}.",
        );
    }
    if idp != config.hw_idp_id {
        return error(401, "IAM.0004", "The identity provider does not exist.");
    }
    if id_token != config.hw_id_token {
        return error(401, "IAM.0005", "The id token is invalid.");
    }
    let now = ctx.shared.now();
    // ExpiredCredentials issues a federation token that is already dead.
    let expires = if ctx.expired {
        now - TimeDelta::seconds(1)
    } else {
        now + TimeDelta::seconds(config.hw_subject_token_lifetime.as_secs() as i64)
    };
    let subject_token = format!("MIIFake{}", state::alnum(240));
    ctx.shared
        .lock()
        .hw_subject_tokens
        .insert(subject_token.clone(), expires);
    let mut token = json!({
        "expires_at": state::iso8601_micros(expires),
        "issued_at": state::iso8601_micros(now),
        "methods": ["mapped"],
        "user": {
            "name": "fake-huawei-subject",
            "OS-FEDERATION": {
                "identity_provider": {"id": idp},
                "protocol": {"id": "oidc"},
            },
        },
    });
    if let Some(scope) = scope {
        token["scope"] = scope.clone();
    }
    Reply::json(201, &json!({ "token": token })).with_header("X-Subject-Token", subject_token)
}

fn security_tokens(ctx: &Ctx, req: &Req, body: &Value) -> Reply {
    let identity = &body["auth"]["identity"];
    let header_token = req
        .header("x-auth-token")
        .map(str::trim)
        .filter(|v| !v.is_empty());
    let token_obj = &identity["token"];
    let body_token = token_obj.get("id").and_then(nonempty_str);
    let Some(presented) = header_token.or(body_token) else {
        return error(401, "IAM.0006", "No token: send X-Auth-Token.");
    };
    let now = ctx.shared.now();
    let known = ctx
        .shared
        .lock()
        .hw_subject_tokens
        .get(presented)
        .is_some_and(|exp| *exp > now);
    if !known {
        return error(401, "IAM.0006", "The token is invalid or has expired.");
    }
    if header_token.is_some() && body_token.is_some() && header_token != body_token {
        return error(
            400,
            "IAM.0001",
            "auth.identity.token.id differs from X-Auth-Token.",
        );
    }
    let methods_ok = identity["methods"]
        .as_array()
        .is_some_and(|m| m.len() == 1 && m[0] == "token");
    if !methods_ok {
        return error(
            400,
            "IAM.0001",
            "auth.identity.methods must be [\"token\"].",
        );
    }
    if !(token_obj.is_null() || token_obj.is_object()) {
        return error(400, "IAM.0001", "auth.identity.token must be an object.");
    }
    let duration =
        match token_obj.get("duration_seconds") {
            None => MIN_DURATION,
            Some(v) => match v.as_u64() {
                Some(d) if (MIN_DURATION..=MAX_DURATION).contains(&d) => d,
                _ => return error(
                    400,
                    "IAM.0001",
                    "auth.identity.token.duration_seconds must be an integer from 900 to 86400.",
                ),
            },
        };
    let policy = identity.get("policy");
    if policy.is_some_and(|p| !p.is_object()) {
        return error(400, "IAM.0001", "auth.identity.policy must be an object.");
    }
    credential_reply(
        ctx,
        Endpoint::HwSecurityTokens,
        201,
        std::time::Duration::from_secs(duration),
        policy.map(Value::to_string),
    )
}

/// Issues a Huawei temporary credential of `lifetime` and answers with IAM's `credential`
/// object (`access`, `secret`, `securitytoken`, `expires_at` with microseconds): the shape of
/// the metadata `securitykey`, the temporary AK/SK API and pod identity.
pub(crate) fn credential_reply(
    ctx: &Ctx,
    endpoint: Endpoint,
    status: u16,
    lifetime: std::time::Duration,
    policy: Option<String>,
) -> Reply {
    let cred = ctx.shared.new_hw_credential(lifetime, ctx.expired);
    let expires_at = state::iso8601_micros(cred.expiration);
    let mut issued = cred.issued(endpoint);
    issued.duration_seconds = Some(lifetime.as_secs());
    issued.policy = policy;
    issued.expiration_text = expires_at.clone();
    ctx.shared.record_hw_issued(issued);
    Reply::json(
        status,
        &json!({
            "credential": {
                "access": cred.access_key_id,
                "secret": cred.access_key_secret,
                "securitytoken": cred.security_token,
                "expires_at": expires_at,
            }
        }),
    )
}
