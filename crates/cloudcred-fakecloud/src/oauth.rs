//! OAuth `POST /v1/token` (refresh-token grant with rotation) and `POST /v1/exchange`
//! (access token → STS credentials), spec 6.10.
//!
//! Rotation is the behaviour that hurts clients in practice (aliyun/iac-code PR #251): once a
//! refresh token is used it is dead, so a client that does not persist the new one before using
//! it, or that refreshes twice concurrently, fails with `invalid_grant` here as it would for real.

use chrono::TimeDelta;
use serde_json::{json, Value};

use crate::http::{Ctx, Reply, Req};
use crate::model::Endpoint;
use crate::state;

/// An OAuth error body `{"error","error_description","requestId"}`.
pub(crate) fn error(ctx: &Ctx, status: u16, code: &str, description: &str) -> Reply {
    Reply::json(
        status,
        &json!({"error": code, "error_description": description, "requestId": ctx.request_id}),
    )
    .with_code(code)
}

pub(crate) fn handle(ctx: &Ctx, req: &Req, endpoint: Endpoint) -> Reply {
    if req.method != "POST" {
        return error(ctx, 405, "invalid_request", "Use POST.");
    }
    match endpoint {
        Endpoint::OAuthToken => token(ctx, req),
        _ => exchange(ctx, req),
    }
}

fn token(ctx: &Ctx, req: &Req) -> Reply {
    let config = &ctx.shared.config;
    if req.form.is_empty() {
        return error(
            ctx,
            400,
            "invalid_request",
            "Expected an application/x-www-form-urlencoded body.",
        );
    }
    if req.param("grant_type") != Some("refresh_token") {
        return error(
            ctx,
            400,
            "unsupported_grant_type",
            "Only grant_type=refresh_token is supported.",
        );
    }
    let client_ok = req
        .param("client_id")
        .is_some_and(|c| config.oauth_client_ids.iter().any(|k| k == c));
    if !client_ok {
        return error(ctx, 401, "invalid_client", "Unknown client_id.");
    }
    let Some(presented) = req.nonempty("refresh_token") else {
        return error(ctx, 400, "invalid_request", "refresh_token is required.");
    };
    let lifetime = config.oauth_access_token_lifetime.as_secs() as i64;
    let expires_in = if ctx.expired { 0 } else { lifetime };
    let now = ctx.shared.now();
    let access = format!("fake-oauth-access-{}", state::alnum(24));
    let refresh = format!("fake-oauth-refresh-{}", state::alnum(24));
    {
        let mut m = ctx.shared.lock();
        if m.oauth_refresh_token != presented {
            return error(
                ctx,
                400,
                "invalid_grant",
                "The refresh token is invalid, expired or already used.",
            );
        }
        m.oauth_refresh_token = refresh.clone();
        m.oauth_access_tokens
            .insert(access.clone(), now + TimeDelta::seconds(expires_in));
    }
    Reply::json(
        200,
        &json!({
            "access_token": access,
            "refresh_token": refresh,
            "expires_in": expires_in,
            "token_type": "Bearer",
        }),
    )
}

fn exchange(ctx: &Ctx, req: &Req) -> Reply {
    let now = ctx.shared.now();
    let valid = req.bearer().is_some_and(|t| {
        ctx.shared
            .lock()
            .oauth_access_tokens
            .get(t)
            .is_some_and(|exp| *exp > now)
    });
    if !valid {
        return error(
            ctx,
            401,
            "invalid_token",
            "The access token is invalid or expired.",
        );
    }
    let cred = ctx.issue_plain(Endpoint::OAuthExchange);
    let config = &ctx.shared.config;
    let expiration: Value = if config.oauth_expiration_as_epoch {
        json!(cred.expiration.timestamp())
    } else {
        json!(cred.expiration_text())
    };
    let body = if config.oauth_pascal_case {
        json!({
            "RequestId": ctx.request_id,
            "AccessKeyId": cred.access_key_id,
            "AccessKeySecret": cred.access_key_secret,
            "SecurityToken": cred.security_token,
            "Expiration": expiration,
        })
    } else {
        json!({
            "requestId": ctx.request_id,
            "accessKeyId": cred.access_key_id,
            "accessKeySecret": cred.access_key_secret,
            "securityToken": cred.security_token,
            "expiration": expiration,
        })
    };
    Reply::json(200, &body)
}
