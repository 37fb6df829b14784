//! A verifying local fake of the Alibaba Cloud and Huawei Cloud credential endpoints, for offline
//! tests.
//!
//! [`FakeCloud`] is a real HTTP server on a loopback address that speaks the wire formats of STS
//! (`AssumeRole`, `AssumeRoleWithOIDC`, `GenerateSessionAccessKey`), the ECS instance metadata
//! service, a credentials URI, CloudSSO and the OAuth token/exchange endpoints, and of Huawei
//! Cloud's ECS metadata `securitykey`, IAM id-token federation and temporary AK/SK
//! (`OS-CREDENTIAL/securitytokens`), STS `assume-with-oidc` and CCE pod identity, and checks requests
//! the way the real services do: RPC signatures (HMAC-SHA1 and SHA256withRSA), nonces, timestamps,
//! security tokens of the keys it issued, durations, role ARNs, bearer and metadata tokens.
//!
//! Credentials can then be used: [`FakeCloud::oss_url`] and [`FakeCloud::obs_url`] are OSS and
//! OBS object endpoints on ports of their own that verify every signature form as the services do
//! (OSS V1 and V4, OBS native, AWS V2 and V4; header and presigned), accept the keys the fake
//! issued (with their security tokens) and the fixtures' long-term keys, and store objects in
//! memory (PUT, GET with `Range`, HEAD, DELETE, listing). Address buckets path-style
//! (`/bucket/key`) or virtual-hosted (a `bucket.` Host mapped to the port). Errors are the
//! services' codes in their XML; each recorded request says how it was verified
//! ([`RecordedRequest::verified`]). What is and is not checked: `docs/fakecloud-objects.md`.
//!
//! It deliberately shares no code with the `cloudcred` library: it is the oracle that library is
//! tested against, so its RPC canonicalisation ([`rpc_signature`]) is an independent
//! implementation checked against the shared vectors.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use cloudcred_fakecloud::{Endpoint, FakeCloud, FakeCloudConfig, Fault};
//! let cloud = FakeCloud::start(FakeCloudConfig::default()).await?;
//! std::env::set_var("ALIBABA_CLOUD_STS_ENDPOINT", cloud.base_url());
//! cloud.set_fault_times(Endpoint::StsAssumeRole, Fault::Status(503), 1);
//! // ... run the client ...
//! assert_eq!(cloud.count(Endpoint::StsAssumeRole), 2);
//! // Objects: e.g. `PUT {oss_url}/bucket/key` signed with OSS V4 by a key STS issued above.
//! println!("{} {}", cloud.oss_url(), cloud.obs_url());
//! # Ok(()) }
//! ```

#![warn(missing_docs, missing_debug_implementations)]

mod config;
mod faults;
mod http;
mod hwiam;
mod hwmeta;
mod hwpod;
mod hwsts;
mod imds;
mod model;
mod oauth;
mod object_wire;
mod objects;
mod obs;
mod oss;
pub mod rpc_signature;
#[cfg(feature = "s3")]
mod s3;
mod server;
mod sso;
mod state;
mod sts;
mod trickle;
mod uri;

use std::fmt;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::watch;

pub use config::{
    FakeCloudConfig, ImdsMode, FIXTURE_HUAWEI_IDP_ID, FIXTURE_HUAWEI_ID_TOKEN,
    FIXTURE_HUAWEI_POD_TOKEN, FIXTURE_OIDC_TOKEN, HW_NO_AGENCY_MESSAGE, OAUTH_CLIENT_ID_CN,
    OAUTH_CLIENT_ID_INTL,
};
pub use model::{Endpoint, Fault, Issued, RecordedRequest, Verdict};

use state::Shared;

/// A running fake cloud. Clones share one server; it stops when the last clone is dropped or
/// [`FakeCloud::shutdown`] is called.
#[derive(Clone)]
pub struct FakeCloud {
    handle: Arc<Handle>,
}

struct Handle {
    shared: Arc<Shared>,
    addr: SocketAddr,
    oss_addr: SocketAddr,
    obs_addr: SocketAddr,
    #[cfg(feature = "s3")]
    s3_addr: SocketAddr,
    shutdown: watch::Sender<bool>,
}

impl Drop for Handle {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
    }
}

impl fmt::Debug for FakeCloud {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FakeCloud")
            .field("base_url", &self.base_url())
            .finish_non_exhaustive()
    }
}

impl FakeCloud {
    /// Starts on `127.0.0.1` with a free port. Must be called inside a tokio runtime.
    pub async fn start(config: FakeCloudConfig) -> io::Result<FakeCloud> {
        Self::start_on(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)), config).await
    }

    /// Starts on the given address, which must be a loopback address: the fake accepts fixture
    /// keys and hands out credentials, so it must never be reachable from another machine.
    pub async fn start_on(addr: SocketAddr, config: FakeCloudConfig) -> io::Result<FakeCloud> {
        if !addr.ip().is_loopback() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "refusing to bind {}: the fake cloud only listens on loopback addresses",
                    addr.ip()
                ),
            ));
        }
        let rsa_key = match &config.rsa_public_key_pem {
            Some(pem) => Some(rpc_signature::parse_public_key_pem(pem).ok_or_else(|| {
                io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "rsa_public_key_pem is neither an SPKI nor a PKCS#1 RSA public key PEM",
                )
            })?),
            None => None,
        };
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        // The object protocols listen on free ports of the same address.
        let oss = TcpListener::bind(SocketAddr::new(addr.ip(), 0)).await?;
        let obs = TcpListener::bind(SocketAddr::new(addr.ip(), 0)).await?;
        let (oss_addr, obs_addr) = (oss.local_addr()?, obs.local_addr()?);
        let shared = Arc::new(Shared::new(config, rsa_key));
        let (tx, rx) = watch::channel(false);
        #[cfg(feature = "s3")]
        let s3_addr = s3::start(SocketAddr::new(addr.ip(), 0), shared.clone(), rx.clone()).await?;
        for (listener, kind) in [
            (listener, server::Listener::Credentials),
            (oss, server::Listener::Oss),
            (obs, server::Listener::Obs),
        ] {
            tokio::spawn(server::serve(listener, shared.clone(), rx.clone(), kind));
        }
        Ok(FakeCloud {
            handle: Arc::new(Handle {
                shared,
                addr,
                oss_addr,
                obs_addr,
                #[cfg(feature = "s3")]
                s3_addr,
                shutdown: tx,
            }),
        })
    }

    /// `http://127.0.0.1:PORT` (no trailing slash).
    pub fn base_url(&self) -> String {
        format!("http://{}", self.handle.addr)
    }

    /// `base_url()` followed by `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base_url(), path)
    }

    /// `http://127.0.0.1:PORT` of the OSS endpoint (no trailing slash). Path-style requests
    /// (`/bucket/key`) go to this address; virtual-hosted ones use a Host of `bucket.<anything>`
    /// mapped to it (`reqwest::ClientBuilder::resolve`, `curl --connect-to`).
    pub fn oss_url(&self) -> String {
        format!("http://{}", self.handle.oss_addr)
    }

    /// `http://127.0.0.1:PORT` of the OBS endpoint (no trailing slash), addressed like
    /// [`FakeCloud::oss_url`].
    pub fn obs_url(&self) -> String {
        format!("http://{}", self.handle.obs_addr)
    }

    /// `http://127.0.0.1:PORT` of the S3-compatible object endpoint (its own listener;
    /// path-style buckets: `{s3_url}/{bucket}/{key}`).
    #[cfg(feature = "s3")]
    pub fn s3_url(&self) -> String {
        format!("http://{}", self.handle.s3_addr)
    }

    /// The bound port.
    pub fn port(&self) -> u16 {
        self.handle.addr.port()
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.handle.addr
    }

    /// The configuration the server runs with.
    pub fn config(&self) -> &FakeCloudConfig {
        &self.handle.shared.config
    }

    /// Stops accepting and closes open connections; clones stop working too.
    pub fn shutdown(&self) {
        let _ = self.handle.shutdown.send(true);
    }

    /// Injects `fault` into every request to `endpoint` until [`FakeCloud::clear_faults`].
    pub fn set_fault(&self, endpoint: Endpoint, fault: Fault) {
        self.handle.shared.set_fault(endpoint, fault, None);
    }

    /// Injects `fault` into the next `times` requests to `endpoint` only. Queued after earlier
    /// timed faults of the endpoint, and ahead of its persistent fault.
    pub fn set_fault_times(&self, endpoint: Endpoint, fault: Fault, times: u32) {
        self.handle.shared.set_fault(endpoint, fault, Some(times));
    }

    /// Removes every fault of every endpoint.
    pub fn clear_faults(&self) {
        self.handle.shared.clear_faults();
    }

    /// Requests received by `endpoint` since start or [`FakeCloud::reset_counters`], faulted
    /// ones included.
    pub fn count(&self, endpoint: Endpoint) -> u64 {
        self.handle.shared.count(endpoint)
    }

    /// Every request received (since start or the last reset), in completion order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.handle.shared.lock().requests.clone()
    }

    /// Every credential issued, in order.
    pub fn issued(&self) -> Vec<Issued> {
        self.handle.shared.lock().issued.clone()
    }

    /// Zeroes the counters and forgets the recorded requests (issued credentials stay valid and
    /// listed).
    pub fn reset_counters(&self) {
        self.handle.shared.reset_counters();
    }

    /// Shifts the server clock by `secs` (negative = behind): the `Date` header, expirations,
    /// `Timestamp` checks and token lifetimes all follow it.
    pub fn set_clock_offset(&self, secs: i64) {
        self.handle.shared.set_clock_offset(secs);
    }

    /// The refresh token `/v1/token` currently accepts (it changes on every rotation).
    pub fn oauth_refresh_token(&self) -> String {
        self.handle.shared.lock().oauth_refresh_token.clone()
    }
}
