//! The STS wire format shared by AssumeRole, AssumeRoleWithOIDC and GenerateSessionAccessKey
//! (spec 8): endpoint selection, the RPC request, the response and its errors.
//!
//! Requests are POSTs whose parameters travel in an `application/x-www-form-urlencoded` body,
//! signer parameters included, so neither the security token nor the signature nor an OIDC token
//! ever appears in a URL (D18, D20; cloudcred also moves the common parameters into the body,
//! which STS reads the same way, because the go/node split would put `SecurityToken` in the URL).

use crate::context::Context;
use crate::error::{Error, ErrorKind, Result};
use crate::http::endpoint::{self, describe};
use crate::http::{send_scrubbed, RequestOptions, Response, Scrubber, TransportErrorKind};
use crate::model::{Credentials, ProviderName};
use crate::sign::{encoding, rpc};
use chrono::{DateTime, Utc};
use serde_json::Value;
use url::Url;

/// `ALIBABA_CLOUD_STS_ENDPOINT` (aliyun-cli's variable, widened to URLs: spec 4.2).
pub const STS_ENDPOINT_VAR: &str = "ALIBABA_CLOUD_STS_ENDPOINT";
/// `ALIBABA_CLOUD_STS_REGION`: the STS region when no endpoint is configured.
pub const STS_REGION_VAR: &str = "ALIBABA_CLOUD_STS_REGION";
/// `ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED`: use the region's VPC endpoint.
pub const VPC_VAR: &str = "ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED";
/// The default STS host.
pub const DEFAULT_STS_HOST: &str = "sts.aliyuncs.com";
/// The STS API version every call sends.
pub const API_VERSION: &str = "2015-04-01";

/// Picks the STS endpoint (spec 4.2, 8.1): an explicit value (builder or the profile's
/// `sts_endpoint`), else `ALIBABA_CLOUD_STS_ENDPOINT`, else `sts[-vpc].<region>.aliyuncs.com`
/// for a region from the argument or `ALIBABA_CLOUD_STS_REGION`, else `default_host`.
pub fn resolve_endpoint(
    ctx: &Context,
    explicit: Option<&str>,
    region: Option<&str>,
    vpc: Option<bool>,
    default_host: &str,
) -> Result<Url> {
    if let Some(e) = explicit {
        return endpoint::sts_endpoint(e, "sts_endpoint");
    }
    if let Some(e) = ctx.var(STS_ENDPOINT_VAR) {
        return endpoint::sts_endpoint(&e, &format!("environment variable {STS_ENDPOINT_VAR}"));
    }
    let region = region
        .map(str::to_owned)
        .or_else(|| ctx.var(STS_REGION_VAR));
    let host = match region {
        Some(r) => {
            let vpc = match vpc {
                Some(v) => v,
                None => ctx.flag(VPC_VAR)?,
            };
            format!("{}.{r}.aliyuncs.com", if vpc { "sts-vpc" } else { "sts" })
        }
        None => default_host.to_owned(),
    };
    endpoint::sts_endpoint(&host, "STS region")
}

/// How an STS request is authenticated.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub enum Auth<'a> {
    /// HMAC-SHA1 with these credentials (AssumeRole).
    Credentials(&'a Credentials),
    /// SHA256withRSA with a key pair (GenerateSessionAccessKey).
    #[cfg(feature = "rsa")]
    Rsa {
        /// The key pair's public key id.
        public_key_id: &'a str,
        /// The private key.
        key: &'a rpc::RsaKey,
    },
    /// Unsigned (AssumeRoleWithOIDC).
    None,
}

/// How the parameters travel: a form body (the default) or, for gateways that need it, the
/// query string of a GET.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum StsMethod {
    #[default]
    /// `POST` with a form body (the default).
    PostForm,
    /// `GET` with the parameters in the query.
    Get,
}

/// Who is calling, for errors: e.g. `ram_role_arn (role acs:ram::1:role/r, previous static_ak)`.
#[non_exhaustive]
#[derive(Debug)]
pub struct Caller<'a> {
    /// The provider name used in errors.
    pub provider: &'a str,
    /// What the provider was doing, for errors (role, endpoint, origin).
    pub detail: String,
}

/// One STS action: POST form, signed as `auth` says. Returns the parsed JSON body of a 2xx.
#[allow(clippy::too_many_arguments)]
pub async fn call(
    ctx: &Context,
    url: &Url,
    method: StsMethod,
    action: &str,
    params: &[(&str, &str)],
    auth: Auth<'_>,
    options: &RequestOptions,
    caller: &Caller<'_>,
) -> Result<Value> {
    let mut body = String::new();
    for (k, v) in [
        ("Action", action),
        ("Format", "JSON"),
        ("Version", API_VERSION),
    ]
    .iter()
    .chain(params.iter())
    {
        if !body.is_empty() {
            body.push('&');
        }
        body.push_str(&encoding::encode(k));
        body.push('=');
        body.push_str(&encoding::encode(v));
    }
    let clock = ctx.clock();
    let mut corrected = false;
    loop {
        let skew_before = clock.skew();
        let builder = http::Request::builder().header(http::header::ACCEPT, "application/json");
        let built = match method {
            StsMethod::PostForm => builder
                .method(http::Method::POST)
                .uri(url.as_str())
                .header(
                    http::header::CONTENT_TYPE,
                    "application/x-www-form-urlencoded",
                )
                .body(body.clone().into_bytes()),
            StsMethod::Get => {
                let mut with_query = url.clone();
                with_query.set_query(Some(&body));
                builder
                    .method(http::Method::GET)
                    .uri(with_query.as_str())
                    .body(Vec::new())
            }
        };
        let mut req = built.map_err(|_| {
            Error::invalid_config(
                caller.provider,
                "the STS endpoint does not form a valid request",
            )
        })?;
        // Timestamps are checked by STS against its own clock.
        let time = clock.server_now();
        let nonce = uuid_v4();
        match auth {
            Auth::Credentials(creds) if method == StsMethod::PostForm => {
                rpc::sign_form_request(&mut req, creds, time, &nonce)?;
            }
            Auth::Credentials(creds) => {
                rpc::sign_request(&mut req, creds, time, &nonce)?;
            }
            #[cfg(feature = "rsa")]
            Auth::Rsa { public_key_id, key } => {
                rpc::sign_request_rsa(&mut req, public_key_id, key, time, &nonce)?;
            }
            Auth::None => rpc::prepare_unsigned(&mut req, time)?,
        }
        let where_ = describe(url);
        let (response, scrubber) = send_scrubbed(ctx.http(), req, options)
            .await
            .map_err(|e| -> Error {
                let hint = match e.kind {
                    TransportErrorKind::Connect | TransportErrorKind::ConnectTimeout => {
                        "; check the STS endpoint (ALIBABA_CLOUD_STS_ENDPOINT, ALIBABA_CLOUD_STS_REGION) and the network or proxy"
                    }
                    _ => "",
                };
                ErrorKind::Transport {
                    provider: format!("{} ({})", caller.provider, caller.detail),
                    endpoint: where_.clone(),
                    message: format!("{}{hint}", e.message),
                }
                .into()
            })?;
        if let Some(date) = response.date() {
            clock.observe_server_time(date);
        }
        let answer = json_answer(
            &response,
            &scrubber,
            format!("{} ({})", caller.provider, caller.detail),
            where_,
        );
        // STS refused our Timestamp, and its Date header has just moved our estimate of its
        // clock: the request was stamped with a time we now know to be wrong. Stamp it again,
        // once (a fresh nonce too), instead of failing until the engine's next attempt.
        let skew_moved = (clock.skew() - skew_before).num_seconds().abs() >= 60;
        if !corrected && skew_moved && is_timestamp_refusal(&answer) {
            corrected = true;
            continue;
        }
        return answer;
    }
}

fn is_timestamp_refusal(answer: &Result<Value>) -> bool {
    matches!(answer, Err(e) if matches!(
        e.kind(),
        ErrorKind::Upstream { code: Some(code), .. } if code.starts_with("InvalidTimeStamp")
    ))
}

/// The JSON body of an Alibaba credential service's answer (STS, CloudSSO): a non-2xx becomes
/// [`ErrorKind::Upstream`] with the service's `Code`, `Message` and `RequestId` (passed through
/// the request's `scrubber`), a 2xx that is not JSON a transport error. The body itself never
/// goes into an error.
pub fn json_answer(
    response: &Response,
    scrubber: &Scrubber,
    provider: String,
    endpoint: String,
) -> Result<Value> {
    let json: Option<Value> = serde_json::from_slice(&response.body).ok();
    if !response.is_success() {
        let field = |k: &str| json.as_ref().and_then(|j| j.get(k)).and_then(Value::as_str);
        return Err(scrubber.upstream(
            provider,
            endpoint,
            response.status,
            field("Code"),
            field("Message"),
            field("RequestId"),
        ));
    }
    json.ok_or_else(|| {
        ErrorKind::Transport {
            provider,
            endpoint,
            message: format!("the response is not JSON ({} bytes)", response.body.len()),
        }
        .into()
    })
}

/// A required string field of a response object, or an error naming it.
pub fn field<'a>(obj: &'a Value, path: &[&str], origin: &str) -> Result<&'a str> {
    let mut v = obj;
    for p in path {
        v = v.get(p).ok_or_else(|| missing(origin, path))?;
    }
    match v {
        Value::String(s) if !s.is_empty() => Ok(s),
        Value::String(_) | Value::Null => Err(missing(origin, path)),
        other => Err(ErrorKind::Transport {
            provider: origin.to_owned(),
            endpoint: "response".to_owned(),
            message: format!(
                "the response's {} is {}, not a string",
                path.join("."),
                crate::format::json_type(other)
            ),
        }
        .into()),
    }
}

fn missing(origin: &str, path: &[&str]) -> Error {
    ErrorKind::Transport {
        provider: origin.to_owned(),
        endpoint: "response".to_owned(),
        message: format!("the response lacks {}", path.join(".")),
    }
    .into()
}

/// An expiration timestamp: RFC 3339 in UTC or with an offset, with or without fractional
/// seconds (spec 8.3).
pub fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s.trim())
        .ok()
        .map(|d| d.with_timezone(&Utc))
}

/// The `Credentials` object of AssumeRole / AssumeRoleWithOIDC (spec 8.2): all four fields are
/// required, and credentials that already expired are an error.
pub fn sts_credentials(
    ctx: &Context,
    json: &Value,
    object: &str,
    origin: &str,
    name: ProviderName,
) -> Result<Credentials> {
    let id = field(json, &[object, "AccessKeyId"], origin)?;
    let secret = field(json, &[object, "AccessKeySecret"], origin)?;
    let token = field(json, &[object, "SecurityToken"], origin)?;
    let expiration = expiration(ctx, field(json, &[object, "Expiration"], origin)?, origin)?;
    Ok(Credentials::sts(id, secret, token, Some(expiration), name))
}

/// Parses an expiration and refuses one that has passed (by the service's clock).
pub fn expiration(ctx: &Context, raw: &str, origin: &str) -> Result<DateTime<Utc>> {
    let at = parse_time(raw).ok_or_else(|| -> Error {
        ErrorKind::Transport {
            provider: origin.to_owned(),
            endpoint: "response".to_owned(),
            message: "the Expiration is not an RFC 3339 timestamp".to_owned(),
        }
        .into()
    })?;
    if at <= ctx.clock().server_now() {
        return Err(ErrorKind::Expired {
            provider: origin.to_owned(),
            expired_at: at,
        }
        .into());
    }
    Ok(at)
}

/// Reads a file an STS provider needs at each refresh (the OIDC token, the RSA key): an error
/// names `what`, the path and `origin` (the profile or variables), never the content. At most
/// [`TOKEN_FILE_MAX_BYTES`](crate::context::TOKEN_FILE_MAX_BYTES) are read.
pub fn read_input_file(
    ctx: &Context,
    path: &std::path::Path,
    what: &str,
    origin: &str,
) -> Result<String> {
    let max_bytes = crate::context::TOKEN_FILE_MAX_BYTES;
    ctx.read_to_string_limited(path, max_bytes)
        .map_err(|e| match e.kind() {
            ErrorKind::Io { message, .. } => Error::invalid_config(
                origin,
                format!("cannot read the {what} file {}: {message}", path.display()),
            ),
            _ => e,
        })
}

/// A random UUID v4 (SignatureNonce).
pub fn uuid_v4() -> String {
    let mut b: [u8; 16] = rand::random();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex::encode(b);
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}

/// `cloudcred-<unix ms>`, the default session name (spec 6.3).
pub fn default_session_name(ctx: &Context) -> String {
    format!("cloudcred-{}", ctx.clock().now().timestamp_millis())
}

/// Checks a GenerateSessionAccessKey duration read from `origin`: 900–3600 s, default 3600 when
/// absent or 0 (spec D26). Here, with the other STS facts, so the profile readers and the
/// key-pair provider share it without depending on each other.
pub fn rsa_duration(value: Option<i64>, origin: &str) -> Result<u32> {
    match value {
        None | Some(0) => Ok(3600),
        Some(v @ 900..=3600) => Ok(v as u32),
        Some(v) => Err(Error::invalid_config(
            origin,
            format!("session duration {v} s is outside 900–3600 s, the range of GenerateSessionAccessKey"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::MapEnv;

    #[test]
    fn a_field_of_the_wrong_type_is_named_as_such() {
        let doc = serde_json::json!({"AccessKeySecret": 12345, "Empty": "", "Id": "LTAI"});
        let e = field(&doc, &["AccessKeySecret"], "o")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("AccessKeySecret is a number, not a string"),
            "{e}"
        );
        assert!(!e.contains("12345"), "{e}");
        for key in ["Empty", "Absent"] {
            let e = field(&doc, &[key], "o").unwrap_err().to_string();
            assert!(e.contains(&format!("lacks {key}")), "{e}");
        }
        assert_eq!(field(&doc, &["Id"], "o").unwrap(), "LTAI");
    }

    fn ctx(pairs: &[(&str, &str)]) -> Context {
        Context::from_env(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<MapEnv>(),
        )
    }

    #[test]
    fn endpoint_precedence() {
        let c = ctx(&[]);
        assert_eq!(
            resolve_endpoint(&c, None, None, None, DEFAULT_STS_HOST)
                .unwrap()
                .host_str(),
            Some("sts.aliyuncs.com")
        );
        assert_eq!(
            resolve_endpoint(&c, None, Some("cn-hangzhou"), None, DEFAULT_STS_HOST)
                .unwrap()
                .host_str(),
            Some("sts.cn-hangzhou.aliyuncs.com")
        );
        assert_eq!(
            resolve_endpoint(&c, None, Some("cn-beijing"), Some(true), DEFAULT_STS_HOST)
                .unwrap()
                .host_str(),
            Some("sts-vpc.cn-beijing.aliyuncs.com")
        );
        // VPC without a region is ignored.
        assert_eq!(
            resolve_endpoint(&c, None, None, Some(true), DEFAULT_STS_HOST)
                .unwrap()
                .host_str(),
            Some("sts.aliyuncs.com")
        );
        let c = ctx(&[(STS_REGION_VAR, "ap-southeast-1"), (VPC_VAR, "true")]);
        assert_eq!(
            resolve_endpoint(&c, None, None, None, DEFAULT_STS_HOST)
                .unwrap()
                .host_str(),
            Some("sts-vpc.ap-southeast-1.aliyuncs.com")
        );
        let c = ctx(&[
            (STS_ENDPOINT_VAR, "http://127.0.0.1:9"),
            (STS_REGION_VAR, "x"),
        ]);
        assert_eq!(
            resolve_endpoint(&c, None, None, None, DEFAULT_STS_HOST)
                .unwrap()
                .as_str(),
            "http://127.0.0.1:9/"
        );
        assert_eq!(
            resolve_endpoint(&c, Some("sts.example:8443"), None, None, DEFAULT_STS_HOST)
                .unwrap()
                .as_str(),
            "https://sts.example:8443/"
        );
        let c = ctx(&[(STS_ENDPOINT_VAR, "http://sts.example")]);
        let e = resolve_endpoint(&c, None, None, None, DEFAULT_STS_HOST)
            .unwrap_err()
            .to_string();
        assert!(e.contains(STS_ENDPOINT_VAR) && e.contains("https"), "{e}");
    }

    #[test]
    fn times_and_nonces() {
        assert_eq!(
            parse_time("2015-04-09T11:52:19Z").unwrap().timestamp(),
            1_428_580_339
        );
        assert_eq!(
            parse_time("2015-04-09T19:52:19.5+08:00")
                .unwrap()
                .timestamp(),
            1_428_580_339
        );
        assert!(parse_time("tomorrow").is_none());
        let n = uuid_v4();
        assert_eq!((n.len(), &n[14..15]), (36, "4"));
        assert_ne!(uuid_v4(), n);
    }
}
