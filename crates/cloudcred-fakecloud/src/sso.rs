//! CloudSSO `POST /cloud-credentials` (spec 6.9): a bearer access token and a JSON body naming
//! the account and access configuration.

use serde_json::{json, Value};

use crate::http::{Ctx, Reply, Req};
use crate::model::Endpoint;

/// A CloudSSO error body.
pub(crate) fn error(ctx: &Ctx, status: u16, code: &str, message: &str) -> Reply {
    Reply::json(
        status,
        &json!({"RequestId": ctx.request_id, "Code": code, "Message": message}),
    )
    .with_code(code)
}

pub(crate) fn handle(ctx: &Ctx, req: &Req) -> Reply {
    if req.method != "POST" {
        return error(ctx, 405, "MethodNotAllowed", "Use POST.");
    }
    if req.bearer() != Some(ctx.shared.config.sso_access_token.as_str()) {
        return error(
            ctx,
            401,
            "InvalidAccessToken",
            "The access token is invalid or expired. Log in again.",
        );
    }
    let body: Option<Value> = serde_json::from_slice(&req.body).ok();
    let field = |name: &str| {
        body.as_ref()
            .and_then(|b| b.get(name))
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    if field("AccountId").is_none() || field("AccessConfigurationId").is_none() {
        return error(
            ctx,
            400,
            "MissingParameter",
            "The JSON body needs AccountId and AccessConfigurationId.",
        );
    }
    let cred = ctx.issue_plain(Endpoint::CloudSso);
    Reply::json(
        200,
        &json!({
            "CloudCredential": {
                "AccessKeyId": cred.access_key_id,
                "AccessKeySecret": cred.access_key_secret,
                "SecurityToken": cred.security_token,
                "Expiration": cred.expiration_text(),
            },
            "RequestId": ctx.request_id,
        }),
    )
}
