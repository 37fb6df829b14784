//! The credentials-URI endpoint (spec 6.6): a plain GET answered with the
//! `{"Code":"Success", AccessKeyId, …}` document that aliyun-cli and the SDKs expect.

use serde_json::json;

use crate::http::{Ctx, Reply, Req};
use crate::model::Endpoint;

/// A JSON error in the credentials-URI shape (`Code` other than `Success`).
pub(crate) fn error(ctx: &Ctx, status: u16, code: &str, message: &str) -> Reply {
    Reply::json(
        status,
        &json!({"Code": code, "Message": message, "RequestId": ctx.request_id}),
    )
    .with_code(code)
}

pub(crate) fn handle(ctx: &Ctx, req: &Req) -> Reply {
    if req.method != "GET" {
        return error(ctx, 405, "MethodNotAllowed", "Use GET.");
    }
    let cred = ctx.issue_plain(Endpoint::CredentialsUri);
    Reply::json(
        200,
        &json!({
            "Code": "Success",
            "AccessKeyId": cred.access_key_id,
            "AccessKeySecret": cred.access_key_secret,
            "SecurityToken": cred.security_token,
            "Expiration": cred.expiration_text(),
        }),
    )
}
