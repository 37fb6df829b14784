//! `cloudcred serve`: a local credentials-URI server on 127.0.0.1.
//!
//! One process resolves (and refreshes, through the engine) for every program on the machine
//! that reads `ALIBABA_CLOUD_CREDENTIALS_URI`. Access needs a bearer token: the official SDKs
//! send a plain GET of the URI, so the token travels in the URI's query (`?token=…`, which
//! cloudcred's own errors never show), or in `Authorization: Bearer …` for other clients. Tokens
//! are compared in constant time; a wrong or missing token gets a bare 401.
//!
//! Only temporary credentials are served: handing a long-term AccessKey to anything that can
//! reach a local port would widen its exposure, and the URI format needs a security token.
//!
//! Any local program can connect, so the server must survive hostile or broken clients: at the
//! file-descriptor limit it backs off instead of spinning on `accept`, it holds at most
//! `--max-connections` connections (more wait in the kernel's backlog), and a client that does
//! not complete its request headers within 10 s (`HEADER_READ_TIMEOUT_MS`) — including an idle
//! keep-alive connection — is disconnected.

use bytes::Bytes;
use chrono::{Duration as ChronoDuration, SecondsFormat, Utc};
use cloudcred::prelude::*;
use cloudcred::{Chain, Context, CredentialKind, Error, Result, SecretString};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use std::io::Write;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;
use subtle::ConstantTimeEq;
use tokio::sync::Semaphore;

/// `cloudcred serve`: serves temporary credentials on loopback as a credentials URI.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Profile of ~/.aliyun/config.json or ~/.alibabacloud/credentials.
    #[arg(long)]
    profile: Option<String>,
    /// Which cloud's chain: alibaba (default) or huawei.
    #[arg(long, value_enum, default_value_t = super::Cloud::Alibaba)]
    cloud: super::Cloud,
    /// Port on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Loopback address to bind; other addresses are refused.
    #[arg(long, default_value_t = IpAddr::V4(Ipv4Addr::LOCALHOST))]
    bind: IpAddr,
    /// The access token clients must present; default: CLOUDCRED_SERVE_TOKEN, else a random one.
    #[arg(long, env = "CLOUDCRED_SERVE_TOKEN", hide_env_values = true, value_parser = secret)]
    token: Option<SecretString>,
    /// Most connections held open at once; more wait in the kernel's backlog.
    #[arg(long, default_value_t = DEFAULT_MAX_CONNECTIONS, value_parser = clap::value_parser!(u32).range(1..))]
    max_connections: u32,
    /// How long a client may take to send its request headers, or stay idle between requests.
    /// Hidden: for tests, which cannot wait for the default.
    #[arg(long, hide = true, default_value_t = HEADER_READ_TIMEOUT_MS)]
    header_read_timeout_ms: u64,
}

/// Connections held at once by default: far above what local SDK clients open (one each, for a
/// moment at every refresh), and well under the usual 1024 descriptors of a shell's `ulimit -n`.
const DEFAULT_MAX_CONNECTIONS: u32 = 512;

/// A local client sends its few request lines at once; 10 s only disconnects the stalled and
/// the hostile (a half-sent request, an idle keep-alive) that would otherwise hold a slot forever.
const HEADER_READ_TIMEOUT_MS: u64 = 10_000;

/// Pause after `accept` fails for lack of descriptors (EMFILE, ENFILE) or kernel memory: the
/// pending connection stays in the backlog, so retrying at once spins a core without progress
/// (measured: 29 % of a core before, 1 % with the pause). 50 ms lets closing connections free
/// descriptors while adding little delay.
const ACCEPT_BACKOFF_MS: u64 = 50;

/// The characters of the token left as they are in the URI's query: RFC 3986's unreserved set.
/// Everything else (`&`, `#`, space, quotes, `%`…) is percent-encoded, so the query keeps exactly
/// one `token` parameter that decodes to the token.
const TOKEN_QUERY: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Held as a secret from parsing on, so `Args`' `Debug` shows it redacted.
fn secret(s: &str) -> std::result::Result<SecretString, String> {
    Ok(SecretString::new(s))
}

/// Credentials without a known expiration are served as expiring this far ahead, so that clients
/// come back (the URI format requires an expiration).
const UNKNOWN_EXPIRY_LEASE_MINUTES: i64 = 15;

struct Server {
    chain: Chain,
    token: String,
    /// Where the chain reports write-backs it could not save, printed after each resolution.
    ctx: Context,
}

/// Resolves once, prints the `export ALIBABA_CLOUD_CREDENTIALS_URI=…` line and serves until stopped.
pub fn run(ctx: &Context, args: Args) -> Result<ExitCode> {
    if !args.bind.is_loopback() {
        return Err(super::exit::usage_error(
            "serve",
            "--bind takes only loopback addresses (127.0.0.1, ::1): credentials must not leave this machine",
        ));
    }
    let token = match args.token {
        Some(t) if t.expose().len() >= 16 => t.expose().to_owned(),
        Some(_) => {
            return Err(super::exit::usage_error(
                "serve",
                "--token must have at least 16 characters",
            ))
        }
        None => hex::encode(rand::random::<[u8; 24]>()),
    };
    let chain = super::chain_for(ctx, args.cloud, args.profile.as_deref())?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Error::internal(format!("cannot start the runtime: {e}")))?;
    rt.block_on(async move {
        // Resolve once up front: a broken profile is reported now, not to the first client.
        let first = chain.get().await;
        super::warn_unsaved(ctx);
        let first = first?;
        if first.kind() != CredentialKind::Sts {
            return Err(Error::invalid_config(
                format!("serve (provider {})", first.provider_name()),
                format!(
                    "resolves to {} credentials; serve hands out temporary STS credentials only: use a RAM role profile (ram_role_arn, ChainableRamRoleArn) or another STS source",
                    first.kind()
                ),
            ));
        }
        let listener = tokio::net::TcpListener::bind(SocketAddr::new(args.bind, args.port))
            .await
            .map_err(|e| Error::internal(format!("cannot listen on {}:{}: {}", args.bind, args.port, e.kind())))?;
        let addr = listener
            .local_addr()
            .map_err(|e| Error::internal(format!("cannot read the bound address: {}", e.kind())))?;
        let host = match addr.ip() {
            IpAddr::V6(ip) => format!("[{ip}]"),
            IpAddr::V4(ip) => ip.to_string(),
        };
        let uri = format!(
            "http://{host}:{}/credentials?token={}",
            addr.port(),
            utf8_percent_encode(&token, TOKEN_QUERY)
        );
        if let Err(code) = super::write_stdout(&format!(
            "export ALIBABA_CLOUD_CREDENTIALS_URI={}\n",
            super::get::shell_quote(&uri)
        )) {
            return Ok(code);
        }
        let _ = writeln!(
            std::io::stderr(),
            "cloudcred serve: serving {} on {host}:{} (Ctrl-C stops)",
            first.provider_name(),
            addr.port()
        );
        let server = Arc::new(Server {
            chain,
            token,
            ctx: ctx.clone(),
        });
        let limits = Limits {
            connections: Arc::new(Semaphore::new(args.max_connections as usize)),
            header_read_timeout: Duration::from_millis(args.header_read_timeout_ms),
        };
        tokio::select! {
            _ = accept_loop(&listener, server, limits) => {}
            _ = tokio::signal::ctrl_c() => {
                let _ = writeln!(std::io::stderr(), "cloudcred serve: stopped");
            }
        }
        Ok(ExitCode::SUCCESS)
    })
}

/// What one server holds against its clients.
struct Limits {
    connections: Arc<Semaphore>,
    header_read_timeout: Duration,
}

async fn accept_loop(listener: &tokio::net::TcpListener, server: Arc<Server>, limits: Limits) {
    let mut warned = false;
    loop {
        let Ok(permit) = limits.connections.clone().acquire_owned().await else {
            return;
        };
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            // One client gave up before it was accepted: only that connection is lost.
            Err(e) if is_connection_error(&e) => continue,
            // Out of descriptors (EMFILE, ENFILE) or kernel memory: the connection stays in the
            // backlog, so an immediate retry fails again and spins a core without progress.
            Err(e) => {
                if !warned {
                    warned = true;
                    tracing::warn!(error = %e, "accept failed; backing off");
                    let _ = writeln!(
                        std::io::stderr(),
                        "cloudcred serve: cannot accept connections ({e}): waiting for open connections to close (raise `ulimit -n` or lower --max-connections)"
                    );
                }
                tokio::time::sleep(Duration::from_millis(ACCEPT_BACKOFF_MS)).await;
                continue;
            }
        };
        let server = server.clone();
        let header_read_timeout = limits.header_read_timeout;
        tokio::spawn(async move {
            let io = hyper_util::rt::TokioIo::new(stream);
            let service = hyper::service::service_fn(move |req| {
                let server = server.clone();
                async move { Ok::<_, std::convert::Infallible>(server.answer(req).await) }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .timer(hyper_util::rt::TokioTimer::new())
                .header_read_timeout(header_read_timeout)
                .serve_connection(io, service)
                .await;
            drop(permit);
        });
    }
}

/// Errors of `accept` that concern one connection only (as axum's `serve` classifies them);
/// every other error persists until something else closes.
fn is_connection_error(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::ConnectionRefused
            | std::io::ErrorKind::ConnectionAborted
            | std::io::ErrorKind::ConnectionReset
    )
}

fn json_response(status: StatusCode, body: String) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = status;
    r.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json"),
    );
    r.headers_mut().insert(
        hyper::header::CACHE_CONTROL,
        hyper::header::HeaderValue::from_static("no-store"),
    );
    r
}

impl Server {
    fn authorized(&self, req: &Request<Incoming>) -> bool {
        // Percent-decoded, as printed by `run`: a token with `&`, `#` or spaces still matches.
        let from_query = req.uri().query().and_then(|q| {
            q.split('&')
                .find_map(|kv| kv.strip_prefix("token="))
                .map(|v| percent_decode_str(v).collect::<Vec<u8>>())
        });
        let from_header = req
            .headers()
            .get(hyper::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(|v| v.as_bytes().to_vec());
        let expected = self.token.as_bytes();
        [from_query, from_header]
            .into_iter()
            .flatten()
            .any(|given| bool::from(given.ct_eq(expected)))
    }

    async fn answer(&self, req: Request<Incoming>) -> Response<Full<Bytes>> {
        if !self.authorized(&req) {
            let mut r = Response::new(Full::new(Bytes::new()));
            *r.status_mut() = StatusCode::UNAUTHORIZED;
            return r;
        }
        if req.method() != hyper::Method::GET || req.uri().path() != "/credentials" {
            let mut r = Response::new(Full::new(Bytes::new()));
            *r.status_mut() = StatusCode::NOT_FOUND;
            return r;
        }
        let resolved = self.chain.get().await;
        super::warn_unsaved(&self.ctx);
        match resolved {
            Ok(c) if c.kind() == CredentialKind::Sts => {
                let expiration = c
                    .expiration()
                    .unwrap_or_else(|| Utc::now() + ChronoDuration::minutes(UNKNOWN_EXPIRY_LEASE_MINUTES));
                let body = serde_json::json!({
                    "Code": "Success",
                    "AccessKeyId": c.access_key_id(),
                    "AccessKeySecret": c.access_key_secret().expose(),
                    "SecurityToken": c.security_token().map(|t| t.expose()),
                    "Expiration": expiration.to_rfc3339_opts(SecondsFormat::Secs, true),
                    "LastUpdated": Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true),
                });
                json_response(StatusCode::OK, body.to_string())
            }
            Ok(_) => json_response(
                StatusCode::INTERNAL_SERVER_ERROR,
                serde_json::json!({"Code": "UnsupportedCredential", "Message": "the source no longer yields temporary credentials"}).to_string(),
            ),
            // The error text is safe by construction (no secrets); clients see why.
            Err(e) => json_response(
                StatusCode::SERVICE_UNAVAILABLE,
                serde_json::json!({"Code": "CredentialsUnavailable", "Message": e.to_string()}).to_string(),
            ),
        }
    }
}
