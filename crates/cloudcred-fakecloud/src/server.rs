//! The HTTP/1.1 server: accept loop, routing, fault application, response headers, recording.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Either, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::config::FakeCloudConfig;
use crate::faults;
use crate::http::{Ctx, Reply, Req};
use crate::model::{Endpoint, Fault, RecordedRequest, Verdict};
use crate::state::{self, Shared};
use crate::trickle::Trickle;
use crate::{hwiam, hwmeta, hwpod, hwsts, imds, oauth, obs, oss, sso, sts, uri};

/// Request bodies above this are refused: no credential call comes near it.
const MAX_BODY: usize = 1 << 20;

/// Object bodies above this are refused: test objects are small, and the store keeps them all.
const MAX_OBJECT_BODY: usize = 16 << 20;

/// What a listener serves: the credential endpoints, or one object protocol on its own port
/// (its own port so the Host header can name a bucket, as the services' do).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Listener {
    Credentials,
    Oss,
    Obs,
}

/// A whole answer, or the trickled one of the `SlowBody` fault.
type Answer = Response<Either<Full<Bytes>, Trickle>>;

/// Returned by the service to make hyper close the connection without writing a response.
#[derive(Debug)]
struct DropConnection;

impl fmt::Display for DropConnection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("connection dropped by fault injection")
    }
}

impl std::error::Error for DropConnection {}

/// Serves until `shutdown` flips or its sender is dropped; open connections are closed too.
pub(crate) async fn serve(
    listener: TcpListener,
    shared: Arc<Shared>,
    mut shutdown: watch::Receiver<bool>,
    kind: Listener,
) {
    loop {
        tokio::select! {
            _ = shutdown.changed() => break,
            accepted = listener.accept() => {
                let stream = match accepted {
                    Ok((stream, _)) => stream,
                    Err(_) => {
                        // Out of descriptors or similar: back off instead of spinning.
                        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let shared = shared.clone();
                let mut stop = shutdown.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |req| handle(shared.clone(), req, kind));
                    let conn = http1::Builder::new()
                        .keep_alive(true)
                        .serve_connection(TokioIo::new(stream), service);
                    tokio::select! {
                        _ = conn => {}
                        _ = stop.changed() => {}
                    }
                });
            }
        }
    }
}

fn route(config: &FakeCloudConfig, req: &Req) -> Option<Endpoint> {
    if let Some(e) = imds::route(&req.path) {
        return Some(e);
    }
    if let Some(e) = hwmeta::route(&req.path)
        .or_else(|| hwiam::route(&req.path))
        .or_else(|| hwsts::route(&req.path))
    {
        return Some(e);
    }
    if req.path == config.hw_pod_identity_path {
        return Some(Endpoint::HwPodIdentity);
    }
    if req.path == config.credentials_uri_path {
        return Some(Endpoint::CredentialsUri);
    }
    match req.path.as_str() {
        "/cloud-credentials" => Some(Endpoint::CloudSso),
        "/v1/token" => Some(Endpoint::OAuthToken),
        "/v1/exchange" => Some(Endpoint::OAuthExchange),
        // STS answers on any other path: an endpoint URL may carry a path prefix.
        _ => sts::route(req),
    }
}

async fn handle(
    shared: Arc<Shared>,
    request: Request<Incoming>,
    kind: Listener,
) -> Result<Answer, DropConnection> {
    let (parts, body) = request.into_parts();
    let limit = match kind {
        Listener::Credentials => MAX_BODY,
        Listener::Oss | Listener::Obs => MAX_OBJECT_BODY,
    };
    let body = match Limited::new(body, limit).collect().await {
        Ok(collected) => collected.to_bytes().to_vec(),
        Err(_) => return Ok(plain(StatusCode::PAYLOAD_TOO_LARGE)),
    };
    let headers = parts
        .headers
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let req = Req::new(
        parts.method.to_string(),
        parts.uri.path().to_string(),
        parts.uri.query().unwrap_or("").to_string(),
        headers,
        body,
    );
    let endpoint = match kind {
        Listener::Credentials => route(&shared.config, &req),
        Listener::Oss => Some(Endpoint::Oss),
        Listener::Obs => Some(Endpoint::Obs),
    };
    let fault = endpoint.and_then(|e| shared.arrive(e));
    if let Some(Fault::Delay(d)) = &fault {
        tokio::time::sleep(*d).await;
    }
    if fault == Some(Fault::DropConnection) {
        record(&shared, req, endpoint, Verdict::Dropped, fault, None);
        return Err(DropConnection);
    }
    let request_id = state::request_id();
    let host = req.header("host").unwrap_or_default().to_string();
    let ctx = Ctx {
        shared: &shared,
        request_id: &request_id,
        host: &host,
        expired: fault == Some(Fault::ExpiredCredentials),
    };
    let replaced = match (endpoint, &fault) {
        (Some(e), Some(f)) => faults::replacement(&ctx, &req, e, f),
        _ => None,
    };
    let mut reply = replaced.unwrap_or_else(|| dispatch(&ctx, &req, endpoint));
    if let Some(f) = &fault {
        reply = faults::reshape(reply, f);
    }
    let verdict = if (200..300).contains(&reply.status) {
        Verdict::Accepted
    } else {
        Verdict::Rejected {
            status: reply.status,
            code: reply
                .code
                .clone()
                .unwrap_or_else(|| reply.status.to_string()),
        }
    };
    if endpoint.is_some_and(Endpoint::is_huawei) {
        // Huawei services name the request id `X-Request-Id`.
        reply = reply.with_header("X-Request-Id", request_id.to_lowercase().replace('-', ""));
    }
    let slow = match &fault {
        Some(Fault::SlowBody(over)) => Some(*over),
        _ => None,
    };
    let verified = reply.verified.take();
    let response = build(&shared, &request_id, reply, slow);
    record(&shared, req, endpoint, verdict, fault, verified);
    Ok(response)
}

fn dispatch(ctx: &Ctx, req: &Req, endpoint: Option<Endpoint>) -> Reply {
    match endpoint {
        Some(e) if e.is_sts() => sts::handle(ctx, req, e),
        Some(e @ (Endpoint::ImdsToken | Endpoint::ImdsRoleList | Endpoint::ImdsCredentials)) => {
            imds::handle(ctx, req, e)
        }
        Some(Endpoint::CredentialsUri) => uri::handle(ctx, req),
        Some(Endpoint::CloudSso) => sso::handle(ctx, req),
        Some(e @ (Endpoint::HwMetadataToken | Endpoint::HwSecurityKey)) => {
            hwmeta::handle(ctx, req, e)
        }
        Some(e @ (Endpoint::HwIdTokenTokens | Endpoint::HwSecurityTokens)) => {
            hwiam::handle(ctx, req, e)
        }
        Some(Endpoint::HwOidcSts) => hwsts::handle(ctx, req),
        Some(Endpoint::HwPodIdentity) => hwpod::handle(ctx, req),
        Some(Endpoint::Oss) => oss::handle(ctx, req),
        Some(Endpoint::Obs) => obs::handle(ctx, req),
        Some(e) => oauth::handle(ctx, req, e),
        None if req.path.starts_with("/latest/") => imds::error(404),
        None if req.path.starts_with("/openstack/") || req.path.starts_with("/meta-data/") => {
            hwmeta::error(404, None)
        }
        None => sts::unknown_action(ctx, req),
    }
}

fn build(shared: &Shared, request_id: &str, reply: Reply, slow: Option<Duration>) -> Answer {
    let date = shared.now().format("%a, %d %b %Y %H:%M:%S GMT").to_string();
    let mut builder = Response::builder()
        .status(reply.status)
        .header("date", date)
        .header("x-acs-request-id", request_id);
    // An empty content type means the reply names its own (a stored object's) among its headers.
    if !reply.content_type.is_empty() {
        builder = builder.header("content-type", reply.content_type);
    }
    for (name, value) in &reply.headers {
        builder = builder.header(name.as_ref(), value);
    }
    let body = match slow {
        Some(over) => Either::Right(Trickle::new(reply.body, over)),
        None => Either::Left(Full::new(Bytes::from(reply.body))),
    };
    builder
        .body(body)
        .unwrap_or_else(|_| plain(StatusCode::INTERNAL_SERVER_ERROR))
}

fn plain(status: StatusCode) -> Answer {
    let mut r = Response::new(Either::Left(Full::new(Bytes::new())));
    *r.status_mut() = status;
    r
}

pub(crate) fn record(
    shared: &Shared,
    req: Req,
    endpoint: Option<Endpoint>,
    verdict: Verdict,
    fault: Option<Fault>,
    verified: Option<String>,
) {
    let token = &shared.config.oidc_token;
    let token_in_query = req.query.iter().any(|(k, _)| k == "OIDCToken")
        || (!token.is_empty() && req.raw_query.contains(token.as_str()));
    let entry = RecordedRequest {
        method: req.method,
        path: req.path,
        query: req.query,
        form: req.form,
        headers: req.headers,
        body: String::from_utf8_lossy(&req.body).into_owned(),
        endpoint,
        verdict,
        fault,
        token_in_query,
        verified,
    };
    shared.lock().requests.push(entry);
}
