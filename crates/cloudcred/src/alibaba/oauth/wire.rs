//! The wire format of aliyun-cli's two OAuth endpoints (spec 6.10): the token endpoint's answer
//! (`POST <base>/v1/token`: new access and refresh tokens), the exchange endpoint's answer
//! (`POST <base>/v1/exchange`: STS credentials) and their error bodies. Pure functions of the
//! bytes received, so the fuzz targets reach them without a server.

use crate::context::Context;
use crate::error::{Error, ErrorKind, Result};
use crate::http::Scrubber;
use crate::model::{Credentials, ProviderName, SecretString};
use chrono::{DateTime, TimeZone, Utc};
use serde_json::Value;

/// `expires_in` when the token endpoint omits it.
pub const DEFAULT_EXPIRES_IN: i64 = 3600;

pub(super) const TOKEN_ANSWER_INCOMPLETE: &str =
    "the token response lacks access_token or refresh_token";

/// The token endpoint's JSON object: the new access token, the new refresh token and the access
/// token's expiry in epoch seconds (`now` + `expires_in`, saturating); `None` when a token is
/// missing.
pub fn token_answer(json: &Value, now: i64) -> Option<(SecretString, SecretString, i64)> {
    let get = |k: &str| {
        json.get(k)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
    };
    let (access, refresh) = (get("access_token")?, get("refresh_token")?);
    let expires_in = match json.get("expires_in") {
        Some(Value::Number(n)) => n.as_i64().unwrap_or(DEFAULT_EXPIRES_IN),
        Some(Value::String(s)) => s.trim().parse().unwrap_or(DEFAULT_EXPIRES_IN),
        _ => DEFAULT_EXPIRES_IN,
    };
    Some((
        SecretString::new(access.to_owned()),
        SecretString::new(refresh.to_owned()),
        // Saturating: `expires_in` is whatever integer the service sent.
        now.saturating_add(expires_in),
    ))
}

/// The exchange endpoint's JSON object as STS credentials: camelCase keys (aliyun-cli, go, java,
/// node) first, then PascalCase (python); `expiration` as RFC 3339 or epoch seconds. An expired
/// answer is an `Expired` error; a missing or invalid field goes through `incomplete`, which
/// makes the caller's error naming the endpoint.
pub fn exchange_answer(
    ctx: &Context,
    json: &Value,
    provider: &str,
    name: ProviderName,
    incomplete: impl Fn(String) -> Error,
) -> Result<Credentials> {
    let pick = |camel: &str, pascal: &str| json.get(camel).or_else(|| json.get(pascal));
    let text = |camel: &str, pascal: &str| {
        pick(camel, pascal)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| incomplete(format!("the exchange response lacks {camel}")))
    };
    let id = text("accessKeyId", "AccessKeyId")?;
    let secret = text("accessKeySecret", "AccessKeySecret")?;
    let token = text("securityToken", "SecurityToken")?;
    let expiration: DateTime<Utc> = match pick("expiration", "Expiration") {
        Some(Value::String(s)) => crate::alibaba::sts::parse_time(s).or_else(|| {
            s.trim()
                .parse::<i64>()
                .ok()
                .and_then(|n| Utc.timestamp_opt(n, 0).single())
        }),
        Some(Value::Number(n)) => n.as_i64().and_then(|n| Utc.timestamp_opt(n, 0).single()),
        _ => None,
    }
    .ok_or_else(|| incomplete("the exchange response lacks a valid expiration".to_owned()))?;
    if expiration <= ctx.clock().server_now() {
        return Err(ErrorKind::Expired {
            provider: provider.to_owned(),
            expired_at: expiration,
        }
        .into());
    }
    Ok(Credentials::sts(id, secret, token, Some(expiration), name))
}

/// A non-2xx answer of either OAuth endpoint: `error`, `error_description` (scrubbed, with a
/// log-in hint on 400 and 401) and the request id; never the body.
pub fn upstream_error(
    scrubber: &Scrubber,
    provider: String,
    endpoint: String,
    status: u16,
    body: &[u8],
) -> Error {
    let json: Option<Value> = serde_json::from_slice(body).ok();
    let field = |k: &str| json.as_ref().and_then(|j| j.get(k)).and_then(Value::as_str);
    let mut message = field("error_description").map(str::to_owned);
    if status == 400 || status == 401 {
        let hint = "log in again with aliyun-cli if this persists";
        message = Some(match message {
            Some(m) => format!("{} ({hint})", scrubber.scrub(&m)),
            None => hint.to_owned(),
        });
    }
    scrubber.upstream(
        provider,
        endpoint,
        status,
        field("error"),
        message.as_deref(),
        field("requestId").or_else(|| field("RequestId")),
    )
}
