//! HTTP for credential endpoints (spec 10): one pooled client per context, the timeouts of each
//! kind of endpoint, proxies that never apply to metadata or loopback addresses, bounded retries,
//! a response size limit, and errors that never carry a URL query, a header value or a body.
//!
//! The client is injected through [`HttpClient`], so a test or an embedder can supply its own;
//! the default is [`ReqwestClient`] (rustls).

mod client;
pub mod endpoint;
pub(crate) mod metadata;
pub mod scrub;

pub use client::ReqwestClient;
pub use scrub::Scrubber;

use futures_util::future::BoxFuture;
use rand::Rng;
use std::fmt;
use std::time::Duration;

/// Largest response body read from a credential endpoint.
pub const MAX_BODY: usize = 1 << 20;

/// How one request is sent. Start from [`metadata`](Self::metadata) or
/// [`credential_service`](Self::credential_service) and adjust.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RequestOptions {
    /// Longest wait for the TCP (and TLS) connection.
    pub connect_timeout: Duration,
    /// Longest wait for the whole response once connected.
    pub read_timeout: Duration,
    /// Never through a proxy (metadata services).
    pub direct: bool,
    /// Extra attempts on 5xx, 429 and connection resets.
    pub retries: u32,
}

impl RequestOptions {
    /// Instance metadata: 1 s connect, 1 s read, no proxy, no retry (spec 6.5, 10.1).
    pub fn metadata() -> Self {
        Self {
            connect_timeout: Duration::from_secs(1),
            read_timeout: Duration::from_secs(1),
            direct: true,
            retries: 0,
        }
    }

    /// STS, credentials URI, CloudSSO, OAuth: 5 s connect, 10 s read, 2 retries (spec 10.4).
    pub fn credential_service() -> Self {
        Self {
            connect_timeout: Duration::from_secs(5),
            read_timeout: Duration::from_secs(10),
            direct: false,
            retries: 2,
        }
    }

    /// The same options with these connect and read timeouts.
    pub fn with_timeouts(mut self, connect: Duration, read: Duration) -> Self {
        self.connect_timeout = connect;
        self.read_timeout = read;
        self
    }

    /// The same options with `retries` extra attempts (0: one attempt only).
    pub fn with_retries(mut self, retries: u32) -> Self {
        self.retries = retries;
        self
    }
}

/// A response, read whole (up to [`MAX_BODY`]).
#[derive(Clone)]
#[non_exhaustive]
pub struct Response {
    /// The HTTP status code.
    pub status: u16,
    /// The response headers.
    pub headers: http::HeaderMap,
    /// The body, at most [`MAX_BODY`] bytes.
    pub body: Vec<u8>,
}

impl fmt::Debug for Response {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Bodies of credential endpoints are credentials.
        f.debug_struct("Response")
            .field("status", &self.status)
            .field("body_len", &self.body.len())
            .finish()
    }
}

impl Response {
    /// A response, for an [`HttpClient`] of one's own.
    pub fn new(status: u16, headers: http::HeaderMap, body: Vec<u8>) -> Self {
        Self {
            status,
            headers,
            body,
        }
    }

    /// A 2xx status.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The `Date` header, for clock-skew estimation.
    pub fn date(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        let v = self.headers.get(http::header::DATE)?.to_str().ok()?;
        chrono::DateTime::parse_from_rfc2822(v)
            .ok()
            .map(|d| d.with_timezone(&chrono::Utc))
    }
}

/// Why a request got no response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TransportErrorKind {
    /// Connection refused, no route, DNS failure: nothing listens there.
    Connect,
    /// The connection was not established in time.
    ConnectTimeout,
    /// Connected, but the answer did not come in time.
    Timeout,
    /// The connection was reset or closed before a full response.
    Reset,
    /// The body exceeded [`MAX_BODY`].
    TooLarge,
    /// A redirect, which credential endpoints never follow.
    Redirect,
    /// Anything else the client reports (TLS, a malformed response).
    Other,
}

/// A request that got no (usable) response. The message is ours: no URL, no header, no body.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct TransportError {
    /// What failed, which decides whether the request is retried.
    pub kind: TransportErrorKind,
    /// Our description of it, without URL, header or body.
    pub message: String,
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl TransportError {
    /// An error of `kind`; `message` must name no URL query, header value or body.
    pub fn new(kind: TransportErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
        }
    }
}

/// Sends HTTP requests for providers.
pub trait HttpClient: Send + Sync + fmt::Debug {
    /// One attempt: no retry, no redirect.
    fn send<'a>(
        &'a self,
        request: http::Request<Vec<u8>>,
        options: &'a RequestOptions,
    ) -> BoxFuture<'a, Result<Response, TransportError>>;
}

/// Whether a response is worth another attempt: 5xx, 429, or an STS throttling code.
fn retryable(response: &Response) -> bool {
    response.status >= 500
        || response.status == 429
        || (response.status == 400 && response.body.windows(10).any(|w| w == b"Throttling"))
}

fn clone_request(req: &http::Request<Vec<u8>>) -> http::Request<Vec<u8>> {
    let mut out = http::Request::new(req.body().clone());
    *out.method_mut() = req.method().clone();
    *out.uri_mut() = req.uri().clone();
    *out.headers_mut() = req.headers().clone();
    *out.version_mut() = req.version();
    out
}

/// Sends with the retries of `options`: on 5xx, 429, throttling and connection resets, with
/// jittered backoff from 100 ms, never on other 4xx or on connect failures and timeouts (the
/// refresh engine's backoff handles longer outages).
///
/// Works under any executor: off cloudcred's runtime the exchange is moved onto it (reqwest
/// needs a tokio reactor with timers, which the caller's executor may not have).
pub async fn send_with_retries(
    client: &std::sync::Arc<dyn HttpClient>,
    request: http::Request<Vec<u8>>,
    options: &RequestOptions,
) -> Result<Response, TransportError> {
    if crate::blocking::on_shared() {
        return retry_loop(&**client, request, options).await;
    }
    let (client, options) = (client.clone(), options.clone());
    crate::blocking::on_shared_runtime(
        async move { Ok(retry_loop(&*client, request, &options).await) },
    )
    .await
    .unwrap_or_else(|e| {
        Err(TransportError::new(
            TransportErrorKind::Other,
            e.to_string(),
        ))
    })
}

/// [`send_with_retries`], with the [`Scrubber`] of what the request carried: how providers
/// send, so that no text of the answer reaches an error unscrubbed.
pub async fn send_scrubbed(
    client: &std::sync::Arc<dyn HttpClient>,
    request: http::Request<Vec<u8>>,
    options: &RequestOptions,
) -> Result<(Response, Scrubber), TransportError> {
    let scrubber = Scrubber::of_request(&request);
    let response = send_with_retries(client, request, options).await?;
    Ok((response, scrubber))
}

async fn retry_loop(
    client: &dyn HttpClient,
    request: http::Request<Vec<u8>>,
    options: &RequestOptions,
) -> Result<Response, TransportError> {
    let mut attempt = 0;
    loop {
        let this = if attempt < options.retries {
            clone_request(&request)
        } else {
            return client.send(request, options).await;
        };
        match client.send(this, options).await {
            Ok(r) if retryable(&r) => {}
            Err(e) if e.kind == TransportErrorKind::Reset => {}
            other => return other,
        }
        let base = 100u64 << attempt;
        let delay = rand::thread_rng().gen_range(base / 2..=base);
        tokio::time::sleep(Duration::from_millis(delay)).await;
        attempt += 1;
    }
}

/// The user agent of every request (spec 10.4).
pub fn user_agent() -> String {
    format!(
        "AlibabaCloud ({}; {}) Rust cloudcred/{} TeaDSL/1",
        std::env::consts::OS,
        std::env::consts::ARCH,
        env!("CARGO_PKG_VERSION")
    )
}
