//! What the instance metadata services of both clouds share: one direct exchange that carries
//! the token headers and reports the service's `Date`, and the process-wide record of metadata
//! endpoints that refused a connection (spec D24: off an instance the connect timeout is paid at
//! most once per process).

use super::{send_with_retries, RequestOptions, Response, TransportError, TransportErrorKind};
use crate::context::Context;
use crate::model::SecretString;
use std::collections::HashSet;
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::Duration;
use url::Url;

/// The header names of one cloud's token flow.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TokenHeaders {
    /// Sent with the token `PUT`: the requested lifetime in seconds.
    pub ttl: &'static str,
    /// Sent with every `GET` once a token is held.
    pub token: &'static str,
}

/// Endpoints (base URLs) that refused a connection in this process. The lock guards a small set
/// for a few instructions and is never held across an await.
pub(crate) fn unreachable_endpoints() -> MutexGuard<'static, HashSet<String>> {
    static MEMO: OnceLock<Mutex<HashSet<String>>> = OnceLock::new();
    MEMO.get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// One metadata request: a `PUT` asks for a token of `ttl`, a `GET` carries `token` when held.
/// Any answer proves `base` reachable and clears its record.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn exchange(
    ctx: &Context,
    base: &Url,
    headers: TokenHeaders,
    method: http::Method,
    url: &Url,
    token: Option<&SecretString>,
    ttl: Duration,
    options: &RequestOptions,
) -> Result<Response, TransportError> {
    let mut request = http::Request::builder()
        .method(method.clone())
        .uri(url.as_str());
    if method == http::Method::PUT {
        request = request.header(headers.ttl, ttl.as_secs().to_string());
    }
    if let Some(t) = token {
        request = request.header(headers.token, t.expose());
    }
    let request = request.body(Vec::new()).map_err(|_| {
        TransportError::new(TransportErrorKind::Other, "the request could not be formed")
    })?;
    let response = send_with_retries(ctx.http(), request, options).await?;
    if let Some(date) = response.date() {
        ctx.get_clock().observe_server_time(date);
    }
    unreachable_endpoints().remove(base.as_str());
    Ok(response)
}
