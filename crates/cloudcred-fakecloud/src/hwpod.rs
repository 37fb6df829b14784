//! Huawei CCE pod identity (`huawei-credentials.md` 5.6): `POST <hw_pod_identity_path>` with
//! `Authorization: <the pod's token>` and the body `{}`, answered with the credential shape of
//! the shared parser (`{"credential": {access, secret, securitytoken, expires_at}}`).
//!
//! The path is configurable (the real URI comes from `HC_CONTAINER_CREDENTIALS_FULL_URI`); the
//! token must equal `hw_pod_identity_token`. Errors use the IAM shape
//! `{"error": {"code", "message"}}`.

use serde_json::json;

use crate::http::{Ctx, Reply, Req};
use crate::hwiam;
use crate::model::Endpoint;
use crate::state;

pub(crate) fn handle(ctx: &Ctx, req: &Req) -> Reply {
    if req.method != "POST" {
        return hwiam::error(405, "POD.0002", "Use POST.");
    }
    let config = &ctx.shared.config;
    let authorized = req
        .header("authorization")
        .is_some_and(|t| t == config.hw_pod_identity_token);
    if !authorized {
        return hwiam::error(401, "POD.0003", "The authorization token is invalid.");
    }
    let object = serde_json::from_slice::<serde_json::Value>(&req.body)
        .ok()
        .is_some_and(|v| v.is_object());
    if !object {
        return hwiam::error(400, "POD.0001", "The request body is not a JSON object.");
    }
    let cred = ctx
        .shared
        .new_hw_credential(config.default_lifetime, ctx.expired);
    let expires_at = state::iso8601_micros(cred.expiration);
    let mut issued = cred.issued(Endpoint::HwPodIdentity);
    issued.duration_seconds = Some(config.default_lifetime.as_secs());
    issued.expiration_text = expires_at.clone();
    ctx.shared.record_hw_issued(issued);
    Reply::json(
        200,
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
