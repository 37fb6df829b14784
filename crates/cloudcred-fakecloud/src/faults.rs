//! Fault injection: replaces or reshapes an endpoint's answer.
//!
//! Faults that replace the answer (a status, throttling) are decided before the service runs so
//! they neither issue credentials nor burn nonces; faults that reshape the body are applied to the
//! real answer, so the truncated or stripped body is the one a client would otherwise have parsed.

use serde_json::Value;

use crate::http::{Ctx, Reply, Req};
use crate::model::{Endpoint, Fault};
use crate::{hwiam, hwmeta, hwsts, imds, oauth, object_wire, sso, sts, uri};

/// The answer for a fault that replaces the service's answer; `None` for the others.
pub(crate) fn replacement(
    ctx: &Ctx,
    req: &Req,
    endpoint: Endpoint,
    fault: &Fault,
) -> Option<Reply> {
    match fault {
        Fault::Status(status) => Some(error_for(ctx, endpoint, *status)),
        Fault::Echo(status) => Some(echo(ctx, req, endpoint, *status)),
        Fault::StatusWithBody(status, body) => {
            let mut reply = Reply::text(*status, body.clone()).with_code(format!("Fault{status}"));
            if serde_json::from_str::<Value>(body).is_ok() {
                reply.content_type = "application/json;charset=utf-8";
            }
            Some(reply)
        }
        Fault::Throttle if endpoint.is_sts() => Some(sts::error(
            ctx,
            400,
            "Throttling.User",
            "Request was denied due to user flow control.",
        )),
        Fault::Throttle => Some(error_for(ctx, endpoint, 429).with_header("Retry-After", "1")),
        _ => None,
    }
}

/// The request quoted back in the endpoint's error shape: the query and the body first (where
/// most secrets travel), then every header but the mundane ones.
fn echo(ctx: &Ctx, req: &Req, endpoint: Endpoint, status: u16) -> Reply {
    const MUNDANE: &[&str] = &[
        "host",
        "user-agent",
        "accept",
        "accept-encoding",
        "content-length",
        "content-type",
    ];
    let target = if req.raw_query.is_empty() {
        req.path.clone()
    } else {
        format!("{}?{}", req.path, req.raw_query)
    };
    let mut message = format!(
        "echo of {} {target} body [{}] headers",
        req.method,
        String::from_utf8_lossy(&req.body)
    );
    for (name, value) in &req.headers {
        if !MUNDANE.contains(&name.to_ascii_lowercase().as_str()) {
            message.push_str(&format!(" {name}: {value};"));
        }
    }
    let code = format!("Echo.{target}");
    match endpoint {
        Endpoint::ImdsCredentials | Endpoint::CredentialsUri => Reply::json(
            status,
            &serde_json::json!({"Code": code, "Message": message, "RequestId": ctx.request_id}),
        )
        .with_code("Echo"),
        Endpoint::HwMetadataToken | Endpoint::HwSecurityKey => {
            hwmeta::error(status, Some(&message))
        }
        _ => error_shape(ctx, endpoint, status, &code, &message),
    }
}

/// The endpoint's own error body for a status, with the code the real service would use.
fn error_for(ctx: &Ctx, endpoint: Endpoint, status: u16) -> Reply {
    let (code, message) = match status {
        400 => ("InvalidParameter", "The request is invalid."),
        401 => ("Unauthorized", "The request is not authorized."),
        403 => (
            "Forbidden.NoPermission",
            "You are not authorized to do this action.",
        ),
        404 => ("NotFound", "The specified resource does not exist."),
        429 => ("Throttling", "Request was denied due to flow control."),
        503 => (
            "ServiceUnavailable",
            "The request has failed due to a temporary failure of the server.",
        ),
        _ => (
            "InternalError",
            "The request processing has failed due to some unknown error.",
        ),
    };
    let oauth_code = match status {
        400 => "invalid_request",
        401 => "invalid_token",
        429 => "slow_down",
        _ => "server_error",
    };
    let code = match endpoint {
        Endpoint::OAuthToken | Endpoint::OAuthExchange => oauth_code,
        _ => code,
    };
    error_shape(ctx, endpoint, status, code, message)
}

/// An error answer in the endpoint's shape.
fn error_shape(ctx: &Ctx, endpoint: Endpoint, status: u16, code: &str, message: &str) -> Reply {
    match endpoint {
        e if e.is_sts() => sts::error(ctx, status, code, message),
        Endpoint::ImdsToken | Endpoint::ImdsRoleList | Endpoint::ImdsCredentials => {
            imds::error(status)
        }
        Endpoint::CredentialsUri => uri::error(ctx, status, code, message),
        Endpoint::CloudSso => sso::error(ctx, status, code, message),
        Endpoint::HwMetadataToken | Endpoint::HwSecurityKey => hwmeta::error(status, None),
        Endpoint::HwIdTokenTokens | Endpoint::HwSecurityTokens => {
            hwiam::error(status, &iam_code("IAM", status, code), message)
        }
        Endpoint::HwPodIdentity => hwiam::error(status, &iam_code("POD", status, code), message),
        Endpoint::HwOidcSts => hwsts::error(ctx, status, &iam_code("STS", status, code), message),
        Endpoint::Oss => object_wire::error(ctx, &object_wire::OSS, status, code, message, &[]),
        Endpoint::Obs => object_wire::error(ctx, &object_wire::OBS, status, code, message, &[]),
        _ => oauth::error(ctx, status, code, message),
    }
}

/// Huawei codes are `<service>.<number>`; an echo keeps its own code.
fn iam_code(service: &str, status: u16, code: &str) -> String {
    if code.starts_with("Echo.") {
        code.to_owned()
    } else {
        format!("{service}.Fault{status}")
    }
}

/// Applies a body-reshaping fault to the service's answer.
pub(crate) fn reshape(mut reply: Reply, fault: &Fault) -> Reply {
    match fault {
        Fault::MalformedBody => {
            // The plain-text metadata answers cannot be "not JSON"; an empty 200 is their
            // malformed case (spec 6.5: an empty token body means "continue without token").
            reply.body = if reply.is_json() {
                b"<html><body>502 Bad Gateway: upstream sent garbage</body></html>".to_vec()
            } else {
                Vec::new()
            };
            reply.status = 200;
            reply.code = None;
        }
        Fault::TruncatedBody => {
            let keep = reply.body.len() / 2;
            reply.body.truncate(keep);
        }
        Fault::MissingField(name) => {
            // A header that carries the answer (Huawei's `X-Subject-Token`) is a field too.
            reply.headers.retain(|(k, _)| !k.eq_ignore_ascii_case(name));
            if reply.is_json() {
                if let Ok(mut v) = serde_json::from_slice::<Value>(&reply.body) {
                    remove_field(&mut v, name);
                    reply.body = serde_json::to_vec(&v).expect("JSON values serialise");
                }
            }
        }
        _ => {}
    }
    reply
}

fn remove_field(v: &mut Value, name: &str) {
    match v {
        Value::Object(map) => {
            map.shift_remove(name);
            map.values_mut().for_each(|c| remove_field(c, name));
        }
        Value::Array(items) => items.iter_mut().for_each(|c| remove_field(c, name)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::remove_field;
    use serde_json::json;

    #[test]
    fn removes_at_any_depth_and_keeps_order() {
        let mut v =
            json!({"A": 1, "Credentials": {"Expiration": "x", "B": 2}, "L": [{"Expiration": 1}]});
        remove_field(&mut v, "Expiration");
        assert_eq!(
            serde_json::to_string(&v).unwrap(),
            r#"{"A":1,"Credentials":{"B":2},"L":[{}]}"#
        );
    }
}
