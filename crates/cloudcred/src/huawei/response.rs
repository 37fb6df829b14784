//! The shapes every Huawei credential service answers with (spec 5.7, 12).
//!
//! A credential is a top-level `credential` or `credentials` object whose fields accept the
//! aliases core accepts (`access` / `accessKeyId` / `access_key_id`, …); the expiry is parsed
//! leniently as RFC 3339 (H5). Error bodies come as `{"error_code", "error_msg"}` or
//! `{"error": {"code", "message"}}`. Neither a body nor a field value other than the parsed error
//! code and message ever goes into an error (H10).

use crate::alibaba::sts;
use crate::context::Context;
use crate::error::{Error, ErrorKind, Result};
use crate::http::endpoint::describe;
use crate::http::{send_scrubbed, RequestOptions, Response, Scrubber};
use crate::model::{Credentials, ProviderName};
use serde_json::Value;
use url::Url;

const AK: &[&str] = &["access", "accessKeyId", "access_key_id"];
const SK: &[&str] = &["secret", "secretAccessKey", "secret_access_key"];
const TOKEN: &[&str] = &["securitytoken", "securityToken", "security_token"];
const EXPIRY: &[&str] = &["expires_at", "expiration"];

fn malformed(origin: &str, endpoint: &str, message: String) -> Error {
    ErrorKind::Transport {
        provider: origin.to_owned(),
        endpoint: endpoint.to_owned(),
        message,
    }
    .into()
}

fn first_of<'a>(obj: &'a Value, names: &[&str]) -> Option<&'a str> {
    names
        .iter()
        .filter_map(|n| obj.get(n).and_then(Value::as_str))
        .map(str::trim)
        .find(|v| !v.is_empty())
}

/// One exchange with a Huawei credential service: transport failures and non-2xx answers become
/// errors naming `who` and the endpoint (scheme, host, port and path only: never the request);
/// the answer's `Date` header feeds the clock's skew estimate.
pub(crate) async fn exchange(
    ctx: &Context,
    request: http::Request<Vec<u8>>,
    options: &RequestOptions,
    who: &str,
    url: &Url,
) -> Result<Response> {
    let (response, scrubber) = send_scrubbed(ctx.http(), request, options)
        .await
        .map_err(|e| malformed(who, &describe(url), e.message))?;
    if let Some(date) = response.date() {
        ctx.clock().observe_server_time(date);
    }
    if !response.is_success() {
        return Err(upstream_error(&response, &scrubber, who, &describe(url)));
    }
    Ok(response)
}

/// [`exchange`], then [`parse_credentials`] on the answer.
pub(crate) async fn fetch_credentials(
    ctx: &Context,
    request: http::Request<Vec<u8>>,
    options: &RequestOptions,
    who: &str,
    url: &Url,
    name: ProviderName,
) -> Result<Credentials> {
    let answer = exchange(ctx, request, options, who, url).await?;
    parse_credentials(ctx, &answer.body, who, &describe(url), name)
}

/// Temporary credentials from a successful answer: AK, SK, token and expiry all required, an
/// expiry already passed is an error.
pub fn parse_credentials(
    ctx: &Context,
    body: &[u8],
    origin: &str,
    endpoint: &str,
    name: ProviderName,
) -> Result<Credentials> {
    let json: Value = serde_json::from_slice(body).map_err(|_| {
        malformed(
            origin,
            endpoint,
            format!("the response is not JSON ({} bytes)", body.len()),
        )
    })?;
    let obj = json
        .get("credential")
        .or_else(|| json.get("credentials"))
        .filter(|v| v.is_object())
        .ok_or_else(|| {
            malformed(
                origin,
                endpoint,
                "the response has no credential object".to_owned(),
            )
        })?;
    let get = |names: &[&str]| {
        first_of(obj, names).ok_or_else(|| {
            malformed(
                origin,
                endpoint,
                format!("the response lacks credential.{}", names.join(" / ")),
            )
        })
    };
    let (ak, sk, token) = (get(AK)?, get(SK)?, get(TOKEN)?);
    let expiry = sts::expiration(ctx, get(EXPIRY)?, origin)?;
    Ok(Credentials::sts(ak, sk, token, Some(expiry), name))
}

/// A non-2xx answer as [`ErrorKind::Upstream`] with the parsed IAM error code and message and the
/// `X-Request-Id` header, all through the request's `scrubber`.
pub fn upstream_error(
    response: &Response,
    scrubber: &Scrubber,
    origin: &str,
    endpoint: &str,
) -> Error {
    let (code, message) = error_fields(&response.body);
    scrubber.upstream(
        origin,
        endpoint,
        response.status,
        code.as_deref(),
        message.as_deref(),
        response
            .headers
            .get("x-request-id")
            .and_then(|v| v.to_str().ok()),
    )
}

/// `(error_code, error_msg)` of either IAM error shape.
pub fn error_fields(body: &[u8]) -> (Option<String>, Option<String>) {
    let Ok(json) = serde_json::from_slice::<Value>(body) else {
        return (None, None);
    };
    let s = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_owned);
    match json.get("error") {
        Some(e) if e.is_object() => (s(e.get("code")), s(e.get("message"))),
        _ => (s(json.get("error_code")), s(json.get("error_msg"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> Context {
        Context::from_env(crate::context::MapEnv::default())
    }

    #[test]
    fn parses_every_alias_and_fractional_seconds() {
        let body = br#"{"credential":{"access":"AK1","secret":"planted-sk","securitytoken":"planted-tok","expires_at":"2999-01-02T03:04:05.123456Z"}}"#;
        let c = parse_credentials(&ctx(), body, "metadata", "e", ProviderName::new("m")).unwrap();
        assert_eq!(c.access_key_id(), "AK1");
        assert_eq!(c.security_token().unwrap().expose(), "planted-tok");
        assert_eq!(
            c.expiration().unwrap().timestamp_subsec_micros(),
            123456,
            "fractional seconds kept"
        );
        let body = br#"{"credentials":{"access_key_id":"AK2","secret_access_key":"s","security_token":"t","expiration":"2999-01-02T03:04:05+08:00"}}"#;
        let c = parse_credentials(&ctx(), body, "oidc_sts", "e", ProviderName::new("o")).unwrap();
        assert_eq!(c.access_key_id(), "AK2");
        let body = br#"{"credential":{"accessKeyId":"AK3","secretAccessKey":"s","securityToken":"t","expires_at":"2999-01-02T03:04:05Z"}}"#;
        assert!(parse_credentials(&ctx(), body, "x", "e", ProviderName::new("x")).is_ok());
    }

    #[test]
    fn missing_fields_and_expired_are_errors_without_values() {
        let body = br#"{"credential":{"access":"AK1","secret":"planted-sk","expires_at":"2999-01-02T03:04:05Z"}}"#;
        let e = parse_credentials(&ctx(), body, "metadata", "e", ProviderName::new("m"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("securitytoken") && !e.contains("planted"), "{e}");
        let body = br#"{"credential":{"access":"AK1","secret":"s","securitytoken":"t","expires_at":"2001-01-02T03:04:05.000000Z"}}"#;
        let e =
            parse_credentials(&ctx(), body, "metadata", "e", ProviderName::new("m")).unwrap_err();
        assert_eq!(e.kind_name(), "expired");
        let e = parse_credentials(
            &ctx(),
            b"planted not json",
            "m",
            "e",
            ProviderName::new("m"),
        )
        .unwrap_err()
        .to_string();
        assert!(!e.contains("planted"), "{e}");
    }

    #[test]
    fn both_error_shapes() {
        assert_eq!(
            error_fields(br#"{"error_code":"IAM.0001","error_msg":"bad"}"#),
            (Some("IAM.0001".into()), Some("bad".into()))
        );
        assert_eq!(
            error_fields(br#"{"error":{"code":"401","message":"expired"}}"#),
            (Some("401".into()), Some("expired".into()))
        );
        assert_eq!(error_fields(b"<html>"), (None, None));
    }
}
