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

use bytes::Bytes;
use chrono::{Duration as ChronoDuration, SecondsFormat, Utc};
use cloudcred::{Chain, Context, CredentialKind, Error, Result, SecretString};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::process::ExitCode;
use std::sync::Arc;
use subtle::ConstantTimeEq;

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
}

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
}

pub fn run(ctx: &Context, args: Args) -> Result<ExitCode> {
    if !args.bind.is_loopback() {
        return Err(Error::invalid_config(
            "serve --bind",
            "only loopback addresses (127.0.0.1, ::1) may be bound: credentials must not leave this machine",
        ));
    }
    let token = match args.token {
        Some(t) if t.expose().len() >= 16 => t.expose().to_owned(),
        Some(_) => {
            return Err(Error::invalid_config(
                "serve --token",
                "the token must have at least 16 characters",
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
        let first = chain.get().await?;
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
        println!("export ALIBABA_CLOUD_CREDENTIALS_URI='http://{host}:{}/credentials?token={token}'", addr.port());
        eprintln!("cloudcred serve: serving {} on {host}:{} (Ctrl-C stops)", first.provider_name(), addr.port());
        let server = Arc::new(Server { chain, token });
        let accept = async {
            loop {
                let Ok((stream, _)) = listener.accept().await else { continue };
                let server = server.clone();
                tokio::spawn(async move {
                    let io = hyper_util::rt::TokioIo::new(stream);
                    let service = hyper::service::service_fn(move |req| {
                        let server = server.clone();
                        async move { Ok::<_, std::convert::Infallible>(server.answer(req).await) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new().serve_connection(io, service).await;
                });
            }
        };
        tokio::select! {
            _ = accept => {}
            _ = tokio::signal::ctrl_c() => eprintln!("cloudcred serve: stopped"),
        }
        Ok(ExitCode::SUCCESS)
    })
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
        let from_query = req.uri().query().and_then(|q| {
            q.split('&')
                .find_map(|kv| kv.strip_prefix("token="))
                .map(str::to_owned)
        });
        let from_header = req
            .headers()
            .get(hyper::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::to_owned);
        let expected = self.token.as_bytes();
        [from_query, from_header]
            .into_iter()
            .flatten()
            .any(|given| bool::from(given.as_bytes().ct_eq(expected)))
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
        match self.chain.get().await {
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
