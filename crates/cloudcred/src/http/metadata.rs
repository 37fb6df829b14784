//! What the instance metadata services of both clouds share: one direct exchange that carries
//! the token headers and reports the service's `Date`, and the process-wide record of metadata
//! endpoints that refused a connection (spec D24: off an instance the connect timeout is paid at
//! most once per process).

use super::{send_with_retries, RequestOptions, Response, TransportError, TransportErrorKind};
use crate::context::Context;
use crate::context::Deadline;
use crate::model::SecretString;
use arc_swap::ArcSwap;
use std::collections::HashSet;
use std::sync::{Arc, OnceLock};
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

/// A metadata token, or the knowledge that there is none to be had (v1 only), each until a
/// wall-clock deadline (a token outlived by a suspend must not be presented on waking).
#[derive(Clone)]
pub(crate) enum TokenState {
    Unknown,
    Token {
        value: SecretString,
        until: Deadline,
    },
    Absent {
        until: Deadline,
    },
}

/// Endpoints (base URLs) that refused a connection in this process. Lock-free: readers load a
/// snapshot, writers replace it (writes happen once per endpoint, not per request).
fn memo() -> &'static ArcSwap<HashSet<String>> {
    static MEMO: OnceLock<ArcSwap<HashSet<String>>> = OnceLock::new();
    MEMO.get_or_init(Default::default)
}

pub(crate) fn is_unreachable(base: &Url) -> bool {
    memo().load().contains(base.as_str())
}

pub(crate) fn mark_unreachable(base: &Url) {
    memo().rcu(|set| {
        let mut set = HashSet::clone(set);
        set.insert(base.as_str().to_owned());
        Arc::new(set)
    });
}

fn mark_reachable(base: &Url) {
    if is_unreachable(base) {
        memo().rcu(|set| {
            let mut set = HashSet::clone(set);
            set.remove(base.as_str());
            Arc::new(set)
        });
    }
}

pub(crate) fn forget_unreachable() {
    memo().store(Arc::default());
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
        ctx.clock().observe_server_time(date);
    }
    mark_reachable(base);
    Ok(response)
}
