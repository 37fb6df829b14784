//! Server state shared by every connection: the clock, the key registry, fault switches,
//! counters and the logs tests read back.
//!
//! One `std::sync::Mutex` guards the mutable part. Handlers hold it only for map look-ups, never
//! across an await, so contention stays negligible even when thousands of client tasks hit the
//! server at once.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use chrono::{DateTime, TimeDelta, Utc};
use rand::distributions::Alphanumeric;
use rand::{Rng, RngCore};
use rsa::RsaPublicKey;

use crate::config::FakeCloudConfig;
use crate::model::{Endpoint, Fault, Issued, RecordedRequest};
use crate::objects::Objects;

/// A key STS accepts as a caller.
#[derive(Clone, Debug)]
pub(crate) struct KnownKey {
    pub secret: String,
    /// Issued STS keys carry a token that must come with them.
    pub token: Option<String>,
    /// Issued keys expire; configured long-term keys do not.
    pub expiration: Option<DateTime<Utc>>,
}

impl KnownKey {
    /// An issued credential as a caller key: its token required, valid until it expires.
    fn issued(issued: &Issued) -> KnownKey {
        KnownKey {
            secret: issued.access_key_secret.clone(),
            token: issued.security_token.clone(),
            expiration: Some(DateTime::<Utc>::from(issued.expiration)),
        }
    }
}

#[derive(Default)]
struct EndpointFaults {
    /// Faults for the next N requests, consumed front first; they win over `persistent`.
    timed: VecDeque<(Fault, u32)>,
    persistent: Option<Fault>,
}

#[derive(Default)]
pub(crate) struct Mutable {
    faults: HashMap<Endpoint, EndpointFaults>,
    counts: HashMap<Endpoint, u64>,
    pub requests: Vec<RecordedRequest>,
    pub issued: Vec<Issued>,
    pub keys: HashMap<String, KnownKey>,
    pub nonces: HashSet<String>,
    pub imds_tokens: HashMap<String, DateTime<Utc>>,
    /// The one refresh token `/v1/token` accepts; rotation replaces it.
    pub oauth_refresh_token: String,
    pub oauth_access_tokens: HashMap<String, DateTime<Utc>>,
    /// Huawei metadata tokens (`X-Metadata-Token`) → expiry; apart from the Alibaba ones.
    pub hw_metadata_tokens: HashMap<String, DateTime<Utc>>,
    /// Huawei IAM federation tokens (`X-Subject-Token`) → expiry.
    pub hw_subject_tokens: HashMap<String, DateTime<Utc>>,
    /// Keys OBS accepts: the configured Huawei ones and every Huawei credential issued.
    pub hw_keys: HashMap<String, KnownKey>,
}

pub(crate) struct Shared {
    pub config: FakeCloudConfig,
    pub rsa_key: Option<RsaPublicKey>,
    /// The buckets every object endpoint serves.
    pub objects: Objects,
    clock_offset: AtomicI64,
    inner: Mutex<Mutable>,
}

/// A credential triple about to be issued.
pub(crate) struct NewCredential {
    pub access_key_id: String,
    pub access_key_secret: String,
    pub security_token: Option<String>,
    pub expiration: DateTime<Utc>,
}

impl NewCredential {
    pub fn expiration_text(&self) -> String {
        iso8601(self.expiration)
    }

    /// The log record of this credential; callers add what the request asked for.
    pub fn issued(&self, endpoint: Endpoint) -> Issued {
        Issued {
            endpoint,
            access_key_id: self.access_key_id.clone(),
            access_key_secret: self.access_key_secret.clone(),
            security_token: self.security_token.clone(),
            role_arn: None,
            role_session_name: None,
            duration_seconds: None,
            policy: None,
            external_id: None,
            oidc_provider_arn: None,
            caller_access_key_id: None,
            expiration: SystemTime::from(self.expiration),
            expiration_text: self.expiration_text(),
        }
    }
}

impl Shared {
    pub fn new(config: FakeCloudConfig, rsa_key: Option<RsaPublicKey>) -> Shared {
        let now = Utc::now();
        let far = now + TimeDelta::days(3650);
        let mut m = Mutable {
            oauth_refresh_token: config.oauth_refresh_token.clone(),
            ..Mutable::default()
        };
        for (id, secret) in &config.access_keys {
            m.keys.insert(
                id.clone(),
                KnownKey {
                    secret: secret.clone(),
                    token: None,
                    expiration: None,
                },
            );
        }
        for (id, secret, token) in &config.sts_access_keys {
            m.keys.insert(
                id.clone(),
                KnownKey {
                    secret: secret.clone(),
                    token: Some(token.clone()),
                    expiration: None,
                },
            );
        }
        for (id, secret) in &config.hw_access_keys {
            m.hw_keys.insert(
                id.clone(),
                KnownKey {
                    secret: secret.clone(),
                    token: None,
                    expiration: None,
                },
            );
        }
        for (id, secret, token) in &config.hw_sts_access_keys {
            m.hw_keys.insert(
                id.clone(),
                KnownKey {
                    secret: secret.clone(),
                    token: Some(token.clone()),
                    expiration: None,
                },
            );
        }
        for t in
            std::iter::once(&config.oauth_access_token).chain(&config.oauth_extra_access_tokens)
        {
            m.oauth_access_tokens.insert(t.clone(), far);
        }
        Shared {
            config,
            rsa_key,
            objects: Objects::default(),
            clock_offset: AtomicI64::new(0),
            inner: Mutex::new(m),
        }
    }

    pub fn lock(&self) -> MutexGuard<'_, Mutable> {
        // A panicking handler must not wedge every later test request.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The server's notion of now: the real clock shifted by the configured offset.
    pub fn now(&self) -> DateTime<Utc> {
        Utc::now() + TimeDelta::seconds(self.clock_offset.load(Ordering::Relaxed))
    }

    pub fn set_clock_offset(&self, secs: i64) {
        self.clock_offset.store(secs, Ordering::Relaxed);
    }

    pub fn set_fault(&self, endpoint: Endpoint, fault: Fault, times: Option<u32>) {
        let mut m = self.lock();
        let slot = m.faults.entry(endpoint).or_default();
        match times {
            Some(0) => {}
            Some(n) => slot.timed.push_back((fault, n)),
            None => slot.persistent = Some(fault),
        }
    }

    pub fn clear_faults(&self) {
        self.lock().faults.clear();
    }

    /// Counts a request and picks the fault that applies to it.
    pub fn arrive(&self, endpoint: Endpoint) -> Option<Fault> {
        let mut m = self.lock();
        *m.counts.entry(endpoint).or_default() += 1;
        let slot = m.faults.get_mut(&endpoint)?;
        if let Some((fault, left)) = slot.timed.front_mut() {
            let fault = fault.clone();
            *left -= 1;
            if *left == 0 {
                slot.timed.pop_front();
            }
            return Some(fault);
        }
        slot.persistent.clone()
    }

    pub fn count(&self, endpoint: Endpoint) -> u64 {
        self.lock().counts.get(&endpoint).copied().unwrap_or(0)
    }

    pub fn reset_counters(&self) {
        let mut m = self.lock();
        m.counts.clear();
        m.requests.clear();
    }

    /// Makes a random credential. `expired` backdates it by an hour (the ExpiredCredentials fault);
    /// `with_token` = false gives a plain session AccessKey.
    pub fn new_credential(
        &self,
        lifetime: Duration,
        expired: bool,
        with_token: bool,
    ) -> NewCredential {
        let now = self.now();
        let expiration = if expired {
            now - TimeDelta::hours(1)
        } else {
            now + TimeDelta::seconds(lifetime.as_secs() as i64)
        };
        let (access_key_id, security_token) = if with_token {
            (format!("STS.{}", alnum(20)), Some(security_token()))
        } else {
            (format!("TMPSK.{}", alnum(20)), None)
        };
        NewCredential {
            access_key_id,
            access_key_secret: alnum(30),
            security_token,
            expiration,
        }
    }

    /// Makes a random Huawei temporary credential (20 upper-case alphanumerics AK, 40-character
    /// SK, a Base64 security token). `expired` backdates it by an hour.
    pub fn new_hw_credential(&self, lifetime: Duration, expired: bool) -> NewCredential {
        let now = self.now();
        let expiration = if expired {
            now - TimeDelta::hours(1)
        } else {
            now + TimeDelta::seconds(lifetime.as_secs() as i64)
        };
        let mut raw = [0u8; 180];
        rand::thread_rng().fill_bytes(&mut raw);
        NewCredential {
            access_key_id: alnum(20).to_ascii_uppercase(),
            access_key_secret: alnum(40),
            security_token: Some(format!("gQpjbi1ub3J0aC00{}", B64.encode(raw))),
            expiration,
        }
    }

    /// Logs a Huawei credential and registers it as an OBS caller key. Unlike
    /// [`Shared::record_issued`] it is not an Alibaba STS caller key.
    pub fn record_hw_issued(&self, issued: Issued) {
        let mut m = self.lock();
        m.hw_keys
            .insert(issued.access_key_id.clone(), KnownKey::issued(&issued));
        m.issued.push(issued);
    }

    /// Registers an issued credential as a usable caller key and logs who asked for it.
    pub fn record_issued(&self, issued: Issued) {
        let mut m = self.lock();
        m.keys
            .insert(issued.access_key_id.clone(), KnownKey::issued(&issued));
        m.issued.push(issued);
    }
}

/// `YYYY-MM-DDThh:mm:ssZ`, the strict form every official parser expects.
pub(crate) fn iso8601(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// `YYYY-MM-DDThh:mm:ss.ffffffZ`: Huawei metadata and IAM `expires_at` (microseconds, as the
/// official parser's `%Y-%m-%dT%H:%M:%S.%fZ` expects).
pub(crate) fn iso8601_micros(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

/// `YYYY-MM-DDThh:mm:ss.fffZ`: Huawei STS v5 `expiration` (milliseconds).
pub(crate) fn iso8601_millis(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

pub(crate) fn alnum(n: usize) -> String {
    rand::thread_rng()
        .sample_iter(&Alphanumeric)
        .take(n)
        .map(char::from)
        .collect()
}

/// A random token shaped like a real one (`CAIS…` Base64) that always holds `+`, `/` and `=`, so a
/// client that forgets to percent-encode it fails signature verification every time, not by luck.
pub(crate) fn security_token() -> String {
    let mut raw = [0u8; 121];
    rand::thread_rng().fill_bytes(&mut raw);
    let mut t: Vec<u8> = format!("CAIS{}", B64.encode(raw)).into_bytes();
    t[8] = b'+';
    t[16] = b'/';
    debug_assert!(t.ends_with(b"=="));
    String::from_utf8(t).expect("ASCII")
}

/// An Alibaba-style request id (upper-case UUID shape).
pub(crate) fn request_id() -> String {
    let mut b = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut b);
    let h: String = b.iter().map(|x| format!("{x:02X}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}
