//! ECS instance metadata: the token PUT, role discovery and role credentials (spec 6.5).
//!
//! The real service answers errors with plain text or an HTML page rather than JSON, so clients
//! must not assume a JSON error body here; the fake does the same.

use chrono::TimeDelta;
use serde_json::json;

use crate::config::ImdsMode;
use crate::http::{Ctx, Reply, Req};
use crate::model::Endpoint;
use crate::state;

pub(crate) const TOKEN_PATH: &str = "/latest/api/token";
pub(crate) const CREDENTIALS_PREFIX: &str = "/latest/meta-data/ram/security-credentials/";
const TTL_HEADER: &str = "x-aliyun-ecs-metadata-token-ttl-seconds";
const TOKEN_HEADER: &str = "x-aliyun-ecs-metadata-token";

/// Routes metadata paths; `None` for a path outside the metadata tree.
pub(crate) fn route(path: &str) -> Option<Endpoint> {
    if path == TOKEN_PATH {
        return Some(Endpoint::ImdsToken);
    }
    let rest = path
        .strip_prefix(CREDENTIALS_PREFIX)
        .or_else(|| (path == &CREDENTIALS_PREFIX[..CREDENTIALS_PREFIX.len() - 1]).then_some(""))?;
    Some(if rest.is_empty() {
        Endpoint::ImdsRoleList
    } else {
        Endpoint::ImdsCredentials
    })
}

/// The plain-text error shape of the metadata service.
pub(crate) fn error(status: u16) -> Reply {
    let (code, text) = match status {
        400 => ("BadRequest", "Bad Request"),
        401 => ("Unauthorized", "Unauthorized"),
        403 => ("Forbidden", "Forbidden"),
        404 => ("NotFound", "Not Found"),
        405 => ("MethodNotAllowed", "Method Not Allowed"),
        429 => ("Throttling", "Too Many Requests"),
        _ => ("InternalError", "Internal Server Error"),
    };
    let mut reply = Reply::text(
        status,
        format!(
            "<?xml version=\"1.0\" encoding=\"iso-8859-1\"?>\n<html><head><title>{status} - {text}</title></head>\n<body><h1>{status} - {text}</h1></body></html>\n"
        ),
    )
    .with_code(code);
    reply.content_type = "text/html";
    reply
}

pub(crate) fn handle(ctx: &Ctx, req: &Req, endpoint: Endpoint) -> Reply {
    match endpoint {
        Endpoint::ImdsToken => token(ctx, req),
        _ if req.method != "GET" => error(405),
        _ => {
            if let Some(refused) = check_token(ctx, req) {
                return refused;
            }
            if endpoint == Endpoint::ImdsRoleList {
                role_list(ctx)
            } else {
                credentials(ctx, &req.path[CREDENTIALS_PREFIX.len()..])
            }
        }
    }
}

fn token(ctx: &Ctx, req: &Req) -> Reply {
    let config = &ctx.shared.config;
    if config.imds_mode == ImdsMode::V1Only {
        return error(404);
    }
    if req.method != "PUT" {
        return error(405);
    }
    let ttl = match req.header(TTL_HEADER).map(|v| v.trim().parse::<u64>()) {
        Some(Ok(t)) if (1..=config.imds_token_ttl_max).contains(&t) => t,
        _ => return error(400),
    };
    let token = format!("AQAEA{}", state::alnum(51));
    // The ExpiredCredentials fault hands out a token that is already dead, which drives the
    // client's "401 on a cached token → fetch a new one" path.
    let expiry = if ctx.expired {
        ctx.shared.now() - TimeDelta::seconds(1)
    } else {
        ctx.shared.now() + TimeDelta::seconds(ttl as i64)
    };
    ctx.shared.lock().imds_tokens.insert(token.clone(), expiry);
    Reply::text(200, token).with_header("X-aliyun-ecs-metadata-token-ttl-seconds", ttl.to_string())
}

/// `Some(reply)` when the request must be refused for its token.
fn check_token(ctx: &Ctx, req: &Req) -> Option<Reply> {
    let mode = ctx.shared.config.imds_mode;
    if mode == ImdsMode::V1Only {
        // Without a token endpoint there is nothing to check a header against.
        return None;
    }
    match req.header(TOKEN_HEADER) {
        Some(t) => {
            let now = ctx.shared.now();
            let valid = ctx
                .shared
                .lock()
                .imds_tokens
                .get(t.trim())
                .is_some_and(|exp| *exp > now);
            (!valid).then(|| error(401))
        }
        None if mode == ImdsMode::TokenRequired => Some(error(401)),
        None => None,
    }
}

fn role_list(ctx: &Ctx) -> Reply {
    match &ctx.shared.config.imds_role_name {
        Some(role) => Reply::text(200, role.clone()),
        None => error(404),
    }
}

fn credentials(ctx: &Ctx, role: &str) -> Reply {
    let config = &ctx.shared.config;
    let known = config.imds_role_name.as_deref() == Some(role)
        || config.imds_extra_roles.iter().any(|r| r == role);
    if !known {
        return error(404);
    }
    let cred = ctx
        .shared
        .new_credential(config.imds_credential_lifetime, ctx.expired, true);
    let mut issued = cred.issued(Endpoint::ImdsCredentials);
    issued.role_arn = Some(format!("acs:ram::{}:role/{}", config.account_id, role));
    ctx.shared.record_issued(issued);
    Reply::json(
        200,
        &json!({
            "AccessKeyId": cred.access_key_id,
            "AccessKeySecret": cred.access_key_secret,
            "Expiration": cred.expiration_text(),
            "SecurityToken": cred.security_token,
            "LastUpdated": state::iso8601(ctx.shared.now()),
            "Code": "Success",
        }),
    )
}
