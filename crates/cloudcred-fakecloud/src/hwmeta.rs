//! Huawei ECS metadata: the token PUT and `GET /openstack/latest/securitykey`
//! (`huawei-credentials.md` section 7).
//!
//! Paths are matched by suffix, so a metadata endpoint with a path prefix (spec 13) reaches them.
//! Errors are JSON `{"error_code", "error_msg"}`, the shape cloudcred parses for messages (7.2 H3).

use chrono::TimeDelta;
use serde_json::json;

use crate::config::{ImdsMode, HW_NO_AGENCY_MESSAGE};
use crate::http::{Ctx, Reply, Req};
use crate::hwiam;
use crate::model::Endpoint;
use crate::state;

pub(crate) const TOKEN_PATH: &str = "/meta-data/latest/api/token";
pub(crate) const SECURITY_KEY_PATH: &str = "/openstack/latest/securitykey";
const TTL_HEADER: &str = "x-metadata-token-ttl-seconds";
const TOKEN_HEADER: &str = "x-metadata-token";

/// Routes the Huawei metadata paths.
pub(crate) fn route(path: &str) -> Option<Endpoint> {
    if path.ends_with(TOKEN_PATH) {
        Some(Endpoint::HwMetadataToken)
    } else if path.ends_with(SECURITY_KEY_PATH) {
        Some(Endpoint::HwSecurityKey)
    } else {
        None
    }
}

/// A metadata error; `message` defaults to the status's reason phrase.
pub(crate) fn error(status: u16, message: Option<&str>) -> Reply {
    let (code, text) = match status {
        400 => ("BadRequest", "Bad Request"),
        401 => ("Unauthorized", "Unauthorized"),
        403 => ("Forbidden", "Forbidden"),
        404 => ("NotFound", "Not Found"),
        405 => ("MethodNotAllowed", "Method Not Allowed"),
        429 => ("Throttling", "Too Many Requests"),
        503 => ("ServiceUnavailable", "Service Unavailable"),
        _ => ("InternalError", "Internal Server Error"),
    };
    Reply::json(
        status,
        &json!({"error_code": code, "error_msg": message.unwrap_or(text)}),
    )
    .with_code(code)
}

pub(crate) fn handle(ctx: &Ctx, req: &Req, endpoint: Endpoint) -> Reply {
    if endpoint == Endpoint::HwMetadataToken {
        return token(ctx, req);
    }
    if req.method != "GET" {
        return error(405, None);
    }
    if let Some(refused) = check_token(ctx, req) {
        return refused;
    }
    security_key(ctx)
}

fn token(ctx: &Ctx, req: &Req) -> Reply {
    let config = &ctx.shared.config;
    if config.hw_imds_mode == ImdsMode::V1Only {
        return error(404, None);
    }
    if req.method != "PUT" {
        return error(405, None);
    }
    let ttl = match req.header(TTL_HEADER).map(|v| v.trim().parse::<u64>()) {
        Some(Ok(t)) if (1..=config.hw_metadata_token_ttl_max).contains(&t) => t,
        _ => {
            return error(
                400,
                Some(&format!(
                    "X-Metadata-Token-Ttl-Seconds must be an integer from 1 to {}",
                    config.hw_metadata_token_ttl_max
                )),
            )
        }
    };
    let token = state::alnum(64);
    // ExpiredCredentials hands out a token that is already dead: the client's "401 → new token,
    // retry once" path (spec 7.2 H3).
    let expiry = if ctx.expired {
        ctx.shared.now() - TimeDelta::seconds(1)
    } else {
        ctx.shared.now() + TimeDelta::seconds(ttl as i64)
    };
    ctx.shared
        .lock()
        .hw_metadata_tokens
        .insert(token.clone(), expiry);
    Reply::text(200, token).with_header("X-Metadata-Token-Ttl-Seconds", ttl.to_string())
}

/// `Some(reply)` when the request must be refused for its token.
fn check_token(ctx: &Ctx, req: &Req) -> Option<Reply> {
    let mode = ctx.shared.config.hw_imds_mode;
    if mode == ImdsMode::V1Only {
        return None;
    }
    match req.header(TOKEN_HEADER) {
        Some(t) => {
            let now = ctx.shared.now();
            let valid = ctx
                .shared
                .lock()
                .hw_metadata_tokens
                .get(t.trim())
                .is_some_and(|exp| *exp > now);
            (!valid).then(|| error(401, Some("The metadata token is invalid or expired.")))
        }
        None if mode == ImdsMode::TokenRequired => {
            Some(error(401, Some("A metadata token is required.")))
        }
        None => None,
    }
}

fn security_key(ctx: &Ctx) -> Reply {
    let config = &ctx.shared.config;
    if !config.hw_metadata_agency {
        return error(401, Some(HW_NO_AGENCY_MESSAGE)).with_code("NoAgency");
    }
    hwiam::credential_reply(
        ctx,
        Endpoint::HwSecurityKey,
        200,
        config.hw_metadata_lifetime,
        None,
    )
}
