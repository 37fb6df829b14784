//! Huawei CCE pod identity (`huawei-credentials.md` 5.6): `POST <hw_pod_identity_path>` with
//! `Authorization: <the pod's token>` and the body `{}`, answered with the credential shape of
//! the shared parser (`{"credential": {access, secret, securitytoken, expires_at}}`).
//!
//! The path is configurable (the real URI comes from `HC_CONTAINER_CREDENTIALS_FULL_URI`); the
//! token must equal `hw_pod_identity_token`. Errors use the IAM shape
//! `{"error": {"code", "message"}}`.

use crate::http::{Ctx, Reply, Req};
use crate::hwiam;
use crate::model::Endpoint;

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
    hwiam::credential_reply(
        ctx,
        Endpoint::HwPodIdentity,
        200,
        config.default_lifetime,
        None,
    )
}
