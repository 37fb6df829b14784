//! The flat credentials document that the ECS metadata service and credentials-URI servers
//! answer with (spec 6.5, 6.6): `{"Code":"Success","AccessKeyId":…,"AccessKeySecret":…,
//! "SecurityToken":…,"Expiration":…}`. Shared so that both providers check it identically.

use super::sts;
use crate::context::Context;
use crate::error::{ErrorKind, Result};
use crate::http::{Response, Scrubber};
use crate::model::{Credentials, ProviderName};
use serde_json::Value;

/// Whether the document's `Code` must be present (metadata) or only checked when present
/// (credentials URI, D25: go compatibility with servers that omit it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CodeRule {
    /// `Code` must be present and `Success`.
    Required,
    /// `Code`, when present, must be `Success`.
    IfPresent,
}

/// Parses a 2xx answer. `origin` names the provider and `endpoint` the URL (without query) for
/// errors; neither the body nor any value of it except `Code`/`Message` (through the request's
/// `scrubber`) reaches an error.
pub fn parse(
    ctx: &Context,
    response: &Response,
    scrubber: &Scrubber,
    rule: CodeRule,
    origin: &str,
    endpoint: &str,
    name: ProviderName,
) -> Result<Credentials> {
    let (body, status) = (&response.body, response.status);
    let json: Value = serde_json::from_slice(body).map_err(|_| -> crate::Error {
        ErrorKind::Transport {
            provider: origin.to_owned(),
            endpoint: endpoint.to_owned(),
            message: format!(
                "the response is not a complete JSON document ({} bytes)",
                body.len()
            ),
        }
        .into()
    })?;
    let code = json.get("Code").and_then(Value::as_str);
    match (code, rule) {
        (Some("Success"), _) | (None, CodeRule::IfPresent) => {}
        (code, _) => {
            let text = |k: &str| json.get(k).and_then(Value::as_str);
            return Err(scrubber.upstream(
                origin,
                endpoint,
                status,
                Some(code.unwrap_or("(missing; expected Success)")),
                text("Message"),
                text("RequestId"),
            ));
        }
    }
    let id = sts::field(&json, &["AccessKeyId"], origin)?;
    let secret = sts::field(&json, &["AccessKeySecret"], origin)?;
    let token = sts::field(&json, &["SecurityToken"], origin)?;
    let expiration = sts::expiration(ctx, sts::field(&json, &["Expiration"], origin)?, origin)?;
    Ok(Credentials::sts(id, secret, token, Some(expiration), name))
}
