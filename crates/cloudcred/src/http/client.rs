//! The default [`HttpClient`](super::HttpClient), on reqwest with rustls.

use super::{RequestOptions, Response, TransportError, TransportErrorKind, MAX_BODY};
use crate::context::Context;
use futures_util::future::BoxFuture;
use std::fmt;
use std::time::Duration;

/// Pooled reqwest clients: one that may use the proxies of the environment, one that never does
/// (metadata services, loopback). Connect timeouts are per client in reqwest, so clients are
/// kept per connect timeout as well.
pub struct ReqwestClient {
    proxy: Option<ProxySettings>,
    user_agent: String,
    clients: arc_swap::ArcSwap<Vec<ClientSlot>>,
}

/// A client for one (direct?, connect timeout) combination.
type ClientSlot = ((bool, Duration), reqwest::Client);

#[derive(Clone)]
struct ProxySettings {
    https: Option<String>,
    http: Option<String>,
    no_proxy: Option<String>,
}

impl fmt::Debug for ReqwestClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Proxy URLs may carry credentials.
        f.debug_struct("ReqwestClient")
            .field("proxy", &self.proxy.is_some())
            .finish()
    }
}

impl ReqwestClient {
    /// Proxies from the context's `HTTPS_PROXY` / `HTTP_PROXY` / `NO_PROXY` (either case).
    pub fn from_context(ctx: &Context) -> Self {
        let var = |upper: &str| {
            ctx.var(upper)
                .or_else(|| ctx.var(&upper.to_ascii_lowercase()))
        };
        let proxy = ProxySettings {
            https: var("HTTPS_PROXY"),
            http: var("HTTP_PROXY"),
            no_proxy: var("NO_PROXY"),
        };
        let proxy = (proxy.https.is_some() || proxy.http.is_some()).then_some(proxy);
        Self {
            proxy,
            user_agent: super::user_agent(),
            clients: arc_swap::ArcSwap::from_pointee(Vec::new()),
        }
    }

    fn build(&self, direct: bool, connect: Duration) -> Result<reqwest::Client, TransportError> {
        let mut b = reqwest::Client::builder()
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(connect)
            .user_agent(&self.user_agent)
            .pool_idle_timeout(Duration::from_secs(30));
        if let (false, Some(p)) = (direct, &self.proxy) {
            let no_proxy = p
                .no_proxy
                .as_deref()
                .and_then(reqwest::NoProxy::from_string);
            let bad = |_| {
                TransportError::new(
                    TransportErrorKind::Other,
                    "the proxy setting (HTTPS_PROXY / HTTP_PROXY) is not a valid URL",
                )
            };
            if let Some(u) = &p.https {
                b = b.proxy(
                    reqwest::Proxy::https(u)
                        .map_err(bad)?
                        .no_proxy(no_proxy.clone()),
                );
            }
            if let Some(u) = &p.http {
                b = b.proxy(reqwest::Proxy::http(u).map_err(bad)?.no_proxy(no_proxy));
            }
        }
        b.build().map_err(|_| {
            TransportError::new(TransportErrorKind::Other, "cannot build the HTTP client")
        })
    }

    fn client(&self, direct: bool, connect: Duration) -> Result<reqwest::Client, TransportError> {
        let key = (direct, connect);
        if let Some((_, c)) = self.clients.load().iter().find(|(k, _)| *k == key) {
            return Ok(c.clone());
        }
        let built = self.build(direct, connect)?;
        // Lock-free insert; a racing builder's client is kept if it got there first.
        let after = self.clients.rcu(|v| {
            let mut v = (**v).clone();
            if !v.iter().any(|(k, _)| *k == key) {
                v.push((key, built.clone()));
            }
            v
        });
        let _ = after;
        Ok(self
            .clients
            .load()
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, c)| c.clone())
            .unwrap_or(built))
    }
}

fn classify(e: &reqwest::Error) -> TransportError {
    // reqwest's own text names the URL, whose query may hold a token: describe by kind only.
    let (kind, message) = if e.is_connect() && e.is_timeout() {
        (TransportErrorKind::ConnectTimeout, "connection timed out")
    } else if e.is_connect() {
        (
            TransportErrorKind::Connect,
            "cannot connect (refused or unreachable)",
        )
    } else if e.is_timeout() {
        (
            TransportErrorKind::Timeout,
            "timed out waiting for the response",
        )
    } else if e.is_redirect() {
        (
            TransportErrorKind::Redirect,
            "redirected; credential endpoints are never followed to another address",
        )
    } else if e.is_body() || e.is_decode() || e.is_request() {
        (
            TransportErrorKind::Reset,
            "the connection closed before a complete response",
        )
    } else {
        (TransportErrorKind::Other, "the request failed")
    };
    TransportError::new(kind, message)
}

impl super::HttpClient for ReqwestClient {
    fn send<'a>(
        &'a self,
        request: http::Request<Vec<u8>>,
        options: &'a RequestOptions,
    ) -> BoxFuture<'a, Result<Response, TransportError>> {
        Box::pin(async move {
            let host_is_loopback = request
                .uri()
                .host()
                .is_some_and(super::endpoint::is_loopback_host);
            let client =
                self.client(options.direct || host_is_loopback, options.connect_timeout)?;
            let request = reqwest::Request::try_from(request).map_err(|_| {
                TransportError::new(TransportErrorKind::Other, "the request URL is not valid")
            })?;
            let total = options.connect_timeout + options.read_timeout;
            let send = async {
                let mut resp = client.execute(request).await.map_err(|e| classify(&e))?;
                let status = resp.status().as_u16();
                if (300..400).contains(&status) {
                    return Err(TransportError::new(
                        TransportErrorKind::Redirect,
                        format!("answered with redirect {status}; credential endpoints are never followed elsewhere"),
                    ));
                }
                let headers = std::mem::take(resp.headers_mut());
                let mut body = Vec::new();
                while let Some(chunk) = resp.chunk().await.map_err(|e| classify(&e))? {
                    if body.len() + chunk.len() > MAX_BODY {
                        return Err(TransportError::new(
                            TransportErrorKind::TooLarge,
                            "the response is larger than 1 MiB",
                        ));
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(Response {
                    status,
                    headers,
                    body,
                })
            };
            match tokio::time::timeout(total, send).await {
                Ok(r) => r,
                Err(_) => Err(TransportError::new(
                    TransportErrorKind::Timeout,
                    "timed out waiting for the response",
                )),
            }
        })
    }
}
