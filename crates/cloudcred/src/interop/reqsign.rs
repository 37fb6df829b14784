//! cloudcred providers as [reqsign] credential providers, for reqsign's [`Signer`] and the
//! clients built on it (Apache OpenDAL).
//!
//! - [`OssCredentialProvider`] implements reqsign-core's [`ProvideCredential`] with
//!   `Credential = reqsign_aliyun_oss::Credential`: id, secret, security token and expiration.
//! - [`ObsCredentialProvider`] does the same with `reqsign_huaweicloud_obs::Credential`: id,
//!   secret and security token. That type has no expiration field; see
//!   [refreshing OBS credentials](#refreshing-obs-credentials).
//! - [`S3CredentialProvider`] does the same with `reqsign_aws_v4::Credential` (defined in
//!   reqsign-aws-core): id, secret, session token and expiration, for the S3-compatible APIs of
//!   OSS and OBS, and the credential type of OpenDAL's S3 service.
//!
//! All three wrap any provider (a source, a [`Chain`](crate::Chain), a default chain): the refresh
//! engine decides when credentials are fetched, and the adapter converts each credential
//! snapshot once (whichever thread's copy of it a read gets). reqsign's trait hands out an owned credential, so a call costs one clone of
//! the converted credential (its two or three strings) and nothing else.
//!
//! Outcomes follow reqsign's conventions: a provider that is not configured (or a chain none of
//! whose providers is) gives `Ok(None)`, so a [`ProvideCredentialChain`] moves on to its next
//! provider; any other error becomes a [`reqsign_core::Error`] whose message is cloudcred's
//! (the source and the fix, never a secret) and whose [`source`](std::error::Error::source) is
//! the [`crate::Error`]. Bearer and anonymous credentials cannot sign OSS or OBS requests and
//! are refused with an error rather than skipped, so a chain never falls back to other
//! credentials behind the user's back.
//!
//! The feature `reqsign` needs Rust 1.86 (reqsign's `rust-version`).
//!
//! # Signing OSS requests
//!
//! ```no_run
//! use cloudcred::alibaba::DefaultChain;
//! use cloudcred::interop::reqsign::OssCredentialProvider;
//! use cloudcred::Context;
//! use reqsign_aliyun_oss::RequestSigner;
//!
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let chain = DefaultChain::builder(&Context::from_process()).build();
//! let signer = reqsign_core::Signer::new(
//!     reqsign_core::Context::new(),
//!     OssCredentialProvider::new(chain),
//!     RequestSigner::new("my-bucket"),
//! );
//! let mut parts = http::Request::get("https://my-bucket.oss-cn-hangzhou.aliyuncs.com/key")
//!     .body(())?
//!     .into_parts()
//!     .0;
//! signer.sign(&mut parts, None).await?;
//! // Send `parts` with any HTTP client.
//! # Ok(())
//! # }
//! ```
//!
//! # OpenDAL
//!
//! As of OpenDAL 0.59.5 (`opendal-service-oss` and `opendal-service-obs` 0.59.5, which sign
//! with the reqsign crates adapted here), the **OSS and OBS services build their own
//! credential loader** from their configuration (static keys, environment, and for OSS also
//! ECS metadata, AssumeRole and OIDC): neither builder has a hook for a credential provider, so
//! a cloudcred provider cannot be handed to them. Static keys copied into those builders work
//! but never refresh. What works:
//!
//! - reqsign's [`Signer`] with these adapters, as above, with any HTTP client;
//! - OpenDAL's **S3 service**, which takes a reqsign provider chain
//!   (`S3::credential_provider_chain`, of `reqsign_aws_v4::Credential`), pointed at the
//!   S3-compatible endpoint of OSS (`https://s3.oss-<region>.aliyuncs.com`, virtual-hosted, as
//!   Alibaba Cloud's "use AWS SDKs to access OSS" guide configures it) or of OBS,
//!   with [`S3CredentialProvider`]:
//!
//! ```no_run
//! // opendal = { version = "0.59", features = ["services-s3"] }
//! use cloudcred::alibaba::DefaultChain;
//! use cloudcred::interop::reqsign::S3CredentialProvider;
//! use opendal::{services::S3, Operator};
//! use reqsign_core::ProvideCredentialChain;
//!
//! # async fn demo() -> opendal::Result<()> {
//! let chain = DefaultChain::builder(&cloudcred::Context::from_process()).build();
//! let s3 = S3::default()
//!     .bucket("my-bucket")
//!     .region("cn-hangzhou")
//!     .endpoint("https://s3.oss-cn-hangzhou.aliyuncs.com")
//!     .enable_virtual_host_style()
//!     .credential_provider_chain(
//!         ProvideCredentialChain::new().push(S3CredentialProvider::new(chain)),
//!     );
//! let op = Operator::new(s3)?;
//! op.write("hello.txt", "hello").await?;
//! # Ok(())
//! # }
//! ```
//!
//! OpenDAL needs Rust 1.91.
//!
//! # Refreshing OBS credentials
//!
//! reqsign's [`Signer`] caches the credential it got and asks its provider again only once the
//! credential reports itself invalid. `reqsign_huaweicloud_obs::Credential` has no expiration,
//! so it never does: **a `Signer` keeps the first OBS credential for its whole life**, and with
//! temporary credentials (ECS metadata security keys, IAM temporary keys) its requests start
//! failing with `403` once they expire, although the cloudcred provider behind it has long
//! refreshed. For temporary OBS credentials, sign with the request signer directly and ask the
//! adapter per request (a cached read: one clone of the converted credential):
//!
//! ```no_run
//! use cloudcred::huawei::obs_chain;
//! use cloudcred::interop::reqsign::ObsCredentialProvider;
//! use cloudcred::Context;
//! use reqsign_core::{ProvideCredential, SignRequest};
//! use reqsign_huaweicloud_obs::RequestSigner;
//!
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! // OBS_DEFAULT: environment, profile, ECS metadata.
//! let provider = ObsCredentialProvider::new(obs_chain(&Context::from_process()));
//! let request_signer = RequestSigner::new("my-bucket");
//! let ctx = reqsign_core::Context::new();
//! let mut parts = http::Request::get("https://my-bucket.obs.cn-north-4.myhuaweicloud.com/key")
//!     .body(())?
//!     .into_parts()
//!     .0;
//! let credential = provider
//!     .provide_credential(&ctx)
//!     .await?
//!     .ok_or("no OBS credentials configured")?;
//! request_signer
//!     .sign_request(&ctx, &mut parts, Some(&credential), None)
//!     .await?;
//! # Ok(())
//! # }
//! ```
//!
//! (`None` is "not configured": the request signer would leave the request unsigned), or rebuild
//! the `Signer` ([`Signer::with_credential_provider`]) before the time
//! [`ObsCredentialProvider::expiration`] reports. Long-term keys need neither.
//!
//! [reqsign]: https://github.com/apache/opendal-reqsign
//! [`Signer`]: reqsign_core::Signer
//! [`Signer::with_credential_provider`]: reqsign_core::Signer::with_credential_provider
//! [`ProvideCredentialChain`]: reqsign_core::ProvideCredentialChain

use super::snapshot::{require_access_key, Snapshot};
use crate::error::{Error, ErrorCategory, ErrorKind};
use crate::model::Credentials;
use crate::provider::{ProvideCredentialsExt, SharedProvider};
use chrono::{DateTime, Utc};
use reqsign_core::time::Timestamp;
use reqsign_core::{ErrorKind as ReqsignErrorKind, ProvideCredential};
use std::fmt;

/// A reqsign credential provider of Alibaba Cloud OSS credentials backed by a cloudcred
/// provider; the expiration is passed through (`expires_in`).
pub struct OssCredentialProvider(Converting<reqsign_aliyun_oss::Credential>);

impl OssCredentialProvider {
    /// Wraps `provider` (any provider, a chain or a [`SharedProvider`]); each read asks it for
    /// credentials and converts a new snapshot once, for reqsign's OSS signer.
    pub fn new(provider: impl Into<SharedProvider>) -> Self {
        Self(Converting::new(provider.into()))
    }
}

impl ProvideCredential for OssCredentialProvider {
    type Credential = reqsign_aliyun_oss::Credential;

    async fn provide_credential(
        &self,
        _ctx: &reqsign_core::Context,
    ) -> reqsign_core::Result<Option<Self::Credential>> {
        self.0.credential("reqsign's OSS signer", to_oss).await
    }
}

impl fmt::Debug for OssCredentialProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.debug("OssCredentialProvider", f)
    }
}

/// A reqsign credential provider of Huawei Cloud OBS credentials backed by a cloudcred
/// provider.
///
/// reqsign's OBS credential has no expiration: a reqsign `Signer` never asks for a newer one
/// (see [refreshing OBS credentials](self#refreshing-obs-credentials)).
pub struct ObsCredentialProvider(Converting<reqsign_huaweicloud_obs::Credential>);

impl ObsCredentialProvider {
    /// Wraps `provider` (any provider, a chain or a [`SharedProvider`]); each read asks it for
    /// credentials and converts a new snapshot once, for reqsign's OBS signer.
    pub fn new(provider: impl Into<SharedProvider>) -> Self {
        Self(Converting::new(provider.into()))
    }

    /// When the credentials last handed out expire (`None`: long-term keys, or nothing handed
    /// out yet): the information reqsign's OBS credential cannot carry.
    pub fn expiration(&self) -> Option<DateTime<Utc>> {
        self.0.snapshot.source()?.expiration()
    }
}

impl ProvideCredential for ObsCredentialProvider {
    type Credential = reqsign_huaweicloud_obs::Credential;

    async fn provide_credential(
        &self,
        _ctx: &reqsign_core::Context,
    ) -> reqsign_core::Result<Option<Self::Credential>> {
        self.0.credential("reqsign's OBS signer", to_obs).await
    }
}

impl fmt::Debug for ObsCredentialProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.debug("ObsCredentialProvider", f)
    }
}

/// A reqsign credential provider of credentials for S3-compatible APIs (those of OSS and OBS,
/// through reqsign's AWS V4 signer or OpenDAL's S3 service) backed by a cloudcred provider; the
/// expiration is passed through, the security token becomes the session token.
pub struct S3CredentialProvider(Converting<reqsign_aws_core::Credential>);

impl S3CredentialProvider {
    /// Wraps `provider` (any provider, a chain or a [`SharedProvider`]); each read asks it for
    /// credentials and converts a new snapshot once, for reqsign's S3-compatible signer.
    pub fn new(provider: impl Into<SharedProvider>) -> Self {
        Self(Converting::new(provider.into()))
    }
}

impl ProvideCredential for S3CredentialProvider {
    type Credential = reqsign_aws_core::Credential;

    async fn provide_credential(
        &self,
        _ctx: &reqsign_core::Context,
    ) -> reqsign_core::Result<Option<Self::Credential>> {
        self.0.credential("reqsign's AWS V4 signer", to_s3).await
    }
}

impl fmt::Debug for S3CredentialProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.debug("S3CredentialProvider", f)
    }
}

/// The provider and the conversion of the last snapshot it handed out.
struct Converting<T> {
    provider: SharedProvider,
    snapshot: Snapshot<T>,
}

impl<T: Clone> Converting<T> {
    fn new(provider: SharedProvider) -> Self {
        Self {
            provider,
            snapshot: Snapshot::new(),
        }
    }

    async fn credential(
        &self,
        adapter: &'static str,
        convert: fn(&Credentials) -> T,
    ) -> reqsign_core::Result<Option<T>> {
        let creds = match self.provider.get().await {
            Ok(creds) => creds,
            Err(e) if e.category() == ErrorCategory::NotConfigured => {
                // reqsign's `None` carries no reason; keep ours where a program can see it.
                tracing::debug!(provider = self.provider.name(), "{e}");
                return Ok(None);
            }
            Err(e) => return Err(reqsign_error(e)),
        };
        // An error, not `None`: a reqsign chain must not move on to other credentials.
        require_access_key(&creds, adapter).map_err(reqsign_error)?;
        Ok(Some(self.snapshot.get(creds, convert)))
    }

    /// The wrapped provider and the last snapshot's `Display` (kind, masked id, provider,
    /// expiration): never a secret.
    fn debug(&self, name: &str, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct(name)
            .field("provider", &self.provider)
            .field("last", &self.snapshot.source().map(|s| s.to_string()))
            .finish()
    }
}

/// reqsign's time type covers years -9999 to 9999; an expiration beyond it is "never" in
/// practice (the engine never hands out credentials that already expired).
fn expiration(creds: &Credentials) -> Option<Timestamp> {
    let expiration = creds.expiration()?;
    Timestamp::from_millisecond(expiration.timestamp_millis()).ok()
}

fn to_oss(creds: &Credentials) -> reqsign_aliyun_oss::Credential {
    reqsign_aliyun_oss::Credential {
        access_key_id: creds.access_key_id().to_owned(),
        access_key_secret: creds.access_key_secret().expose().to_owned(),
        security_token: creds.security_token().map(|t| t.expose().to_owned()),
        expires_in: expiration(creds),
    }
}

fn to_s3(creds: &Credentials) -> reqsign_aws_core::Credential {
    reqsign_aws_core::Credential {
        access_key_id: creds.access_key_id().to_owned(),
        secret_access_key: creds.access_key_secret().expose().to_owned(),
        session_token: creds.security_token().map(|t| t.expose().to_owned()),
        expires_in: expiration(creds),
    }
}

fn to_obs(creds: &Credentials) -> reqsign_huaweicloud_obs::Credential {
    reqsign_huaweicloud_obs::Credential::new(
        creds.access_key_id().to_owned(),
        creds.access_key_secret().expose().to_owned(),
        creds.security_token().map(|t| t.expose().to_owned()),
    )
}

/// cloudcred's message (already free of secrets) under the nearest reqsign kind; services
/// that refused or could not be reached may answer the next attempt, so those are retryable.
fn reqsign_error(e: Error) -> reqsign_core::Error {
    let kind = match (e.category(), e.kind()) {
        (_, ErrorKind::Expired { .. }) => ReqsignErrorKind::CredentialInvalid,
        (
            _,
            ErrorKind::Upstream {
                status: 401 | 403, ..
            },
        ) => ReqsignErrorKind::PermissionDenied,
        (ErrorCategory::InvalidConfig, _) => ReqsignErrorKind::ConfigInvalid,
        _ => ReqsignErrorKind::Unexpected,
    };
    let retryable = e.category() == ErrorCategory::Service;
    reqsign_core::Error::new(kind, format!("cloudcred: {e}"))
        .set_retryable(retryable)
        .with_source(e)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::Clock;
    use crate::engine::{RefreshConfig, Refreshing, Source};
    use crate::model::ProviderName;
    use crate::provider::{ProvideCredentials, Resolution};
    use futures_util::future::BoxFuture;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use std::time::Duration;

    const SECRET: &str = "planted-secret-value-0001";
    const TOKEN: &str = "planted-token-value-0001";

    /// A provider that always answers the same way.
    #[derive(Debug)]
    struct Fixed(fn() -> crate::Result<Resolution>);

    impl ProvideCredentials for Fixed {
        fn resolve(&self) -> BoxFuture<'_, crate::Result<Resolution>> {
            let answer = (self.0)();
            Box::pin(async move { answer })
        }
        fn name(&self) -> &str {
            "fixed"
        }
    }

    fn sts() -> crate::Result<Resolution> {
        let expiration = "2030-01-02T03:04:05.678Z".parse().unwrap();
        Ok(Resolution::Credentials(Arc::new(Credentials::sts(
            "STS.PLANTEDID0001",
            SECRET,
            TOKEN,
            Some(expiration),
            ProviderName::new("fixed"),
        ))))
    }

    /// One-hour STS credentials, numbered by fetch.
    #[derive(Debug)]
    struct Hourly {
        clock: Clock,
        fetches: AtomicUsize,
    }

    impl Source for Hourly {
        fn fetch(&self) -> BoxFuture<'_, crate::Result<Resolution>> {
            let n = self.fetches.fetch_add(1, Ordering::SeqCst);
            let expiration = self.clock.now() + chrono::Duration::hours(1);
            Box::pin(async move {
                Ok(Resolution::Credentials(Arc::new(Credentials::sts(
                    format!("STS.ID{n}"),
                    format!("{SECRET}-{n}"),
                    format!("{TOKEN}-{n}"),
                    Some(expiration),
                    ProviderName::new("hourly"),
                ))))
            })
        }
        fn name(&self) -> &str {
            "hourly"
        }
    }

    fn ctx() -> reqsign_core::Context {
        reqsign_core::Context::new()
    }

    fn block_on<F: std::future::Future>(f: F) -> F::Output {
        futures_util::FutureExt::now_or_never(f).expect("no I/O in these tests")
    }

    #[test]
    fn oss_gets_every_field_and_the_expiration() {
        let p = OssCredentialProvider::new(Fixed(sts));
        let c = block_on(p.provide_credential(&ctx())).unwrap().unwrap();
        assert_eq!(c.access_key_id, "STS.PLANTEDID0001");
        assert_eq!(c.access_key_secret, SECRET);
        assert_eq!(c.security_token.as_deref(), Some(TOKEN));
        let expires = c.expires_in.expect("expiration passed through");
        let expected: DateTime<Utc> = "2030-01-02T03:04:05.678Z".parse().unwrap();
        assert_eq!(expires.as_second(), expected.timestamp());
        assert_eq!(expires.subsec_nanosecond(), 678_000_000);
    }

    #[test]
    fn s3_gets_every_field_and_the_expiration() {
        let p = S3CredentialProvider::new(Fixed(sts));
        let c = block_on(p.provide_credential(&ctx())).unwrap().unwrap();
        assert_eq!(c.access_key_id, "STS.PLANTEDID0001");
        assert_eq!(c.secret_access_key, SECRET);
        assert_eq!(c.session_token.as_deref(), Some(TOKEN));
        let expected: DateTime<Utc> = "2030-01-02T03:04:05.678Z".parse().unwrap();
        assert_eq!(c.expires_in.unwrap().as_second(), expected.timestamp());
    }

    #[test]
    fn obs_gets_every_field_and_reports_the_expiration_it_cannot_carry() {
        let p = ObsCredentialProvider::new(Fixed(sts));
        assert_eq!(p.expiration(), None, "nothing handed out yet");
        let c = block_on(p.provide_credential(&ctx())).unwrap().unwrap();
        assert_eq!(c.access_key_id, "STS.PLANTEDID0001");
        assert_eq!(c.secret_access_key, SECRET);
        assert_eq!(c.security_token.as_deref(), Some(TOKEN));
        assert_eq!(
            p.expiration().unwrap().to_rfc3339(),
            "2030-01-02T03:04:05.678+00:00"
        );
    }

    #[test]
    fn long_term_keys_have_no_token_and_no_expiration() {
        fn ak() -> crate::Result<Resolution> {
            Ok(Resolution::Credentials(Arc::new(Credentials::access_key(
                "LTAIPLANTED0001",
                SECRET,
                ProviderName::new("fixed"),
            ))))
        }
        let c = block_on(OssCredentialProvider::new(Fixed(ak)).provide_credential(&ctx()))
            .unwrap()
            .unwrap();
        assert_eq!((c.security_token, c.expires_in), (None, None));
        let c = block_on(ObsCredentialProvider::new(Fixed(ak)).provide_credential(&ctx()))
            .unwrap()
            .unwrap();
        assert_eq!(c.security_token, None);
    }

    #[tokio::test]
    async fn a_snapshot_is_converted_once_and_a_refresh_is_picked_up() {
        let (clock, manual) = Clock::manual(Utc::now());
        let source = Hourly {
            clock: clock.clone(),
            fetches: AtomicUsize::new(0),
        };
        let engine =
            Refreshing::with_config(source, clock, RefreshConfig::default().background(false));
        let p = OssCredentialProvider::new(engine);
        let first = p.provide_credential(&ctx()).await.unwrap().unwrap();
        let converted = p.0.snapshot.source().expect("a conversion is kept");
        // From this thread and from others (each reads its own copy of the snapshot).
        for _ in 0..3 {
            let again = p.provide_credential(&ctx()).await.unwrap().unwrap();
            assert_eq!(again.access_key_secret, first.access_key_secret);
            std::thread::scope(|s| {
                s.spawn(|| block_on(p.provide_credential(&ctx())).unwrap().unwrap());
            });
            // Still the conversion of the first read: nothing was converted again.
            assert!(Arc::ptr_eq(&p.0.snapshot.source().unwrap(), &converted));
        }

        // Past the engine's expiry margin: the caller waits for a new snapshot, which the
        // adapter converts.
        manual.advance(Duration::from_secs(59 * 60 + 30));
        let refreshed = p.provide_credential(&ctx()).await.unwrap().unwrap();
        assert_eq!(refreshed.access_key_id, "STS.ID1");
        assert_eq!(refreshed.access_key_secret, format!("{SECRET}-1"));
        assert!(refreshed.expires_in.unwrap() > first.expires_in.unwrap());
        assert!(!Arc::ptr_eq(&p.0.snapshot.source().unwrap(), &converted));
    }

    #[test]
    fn not_configured_is_none_so_a_reqsign_chain_moves_on() {
        fn absent() -> crate::Result<Resolution> {
            Ok(Resolution::NotConfigured("no variables".into()))
        }
        fn empty_chain() -> crate::Result<Resolution> {
            Err(ErrorKind::NoCredentials { attempts: vec![] }.into())
        }
        for answer in [absent as fn() -> _, empty_chain] {
            let oss =
                block_on(OssCredentialProvider::new(Fixed(answer)).provide_credential(&ctx()));
            assert!(oss.unwrap().is_none());
            let obs =
                block_on(ObsCredentialProvider::new(Fixed(answer)).provide_credential(&ctx()));
            assert!(obs.unwrap().is_none());
        }
        let chain = reqsign_core::ProvideCredentialChain::new()
            .push(OssCredentialProvider::new(Fixed(absent)))
            .push(OssCredentialProvider::new(Fixed(sts)));
        let c = block_on(chain.provide_credential(&ctx())).unwrap().unwrap();
        assert_eq!(c.access_key_id, "STS.PLANTEDID0001");
        // The chain OpenDAL's S3 service takes (`S3::credential_provider_chain`).
        let chain = reqsign_core::ProvideCredentialChain::new()
            .push(S3CredentialProvider::new(Fixed(absent)))
            .push(S3CredentialProvider::new(Fixed(sts)));
        let c = block_on(chain.provide_credential(&ctx())).unwrap().unwrap();
        assert_eq!(c.session_token.as_deref(), Some(TOKEN));
    }

    #[test]
    fn errors_keep_cloudcred_s_message_and_source_under_the_nearest_kind() {
        fn broken() -> crate::Result<Resolution> {
            Err(Error::invalid_config(
                "env ALIBABA_CLOUD_ACCESS_KEY_ID",
                "set without ALIBABA_CLOUD_ACCESS_KEY_SECRET: set both or neither",
            ))
        }
        fn refused() -> crate::Result<Resolution> {
            Err(ErrorKind::Upstream {
                provider: "ram_role_arn".into(),
                endpoint: "sts.aliyuncs.com".into(),
                status: 403,
                code: Some("NoPermission".into()),
                message: None,
                request_id: None,
            }
            .into())
        }
        fn unreachable() -> crate::Result<Resolution> {
            Err(ErrorKind::Transport {
                provider: "ecs_ram_role".into(),
                endpoint: "100.100.100.200".into(),
                message: "connection refused".into(),
            }
            .into())
        }
        let cases = [
            (broken as fn() -> _, ReqsignErrorKind::ConfigInvalid, false),
            (refused, ReqsignErrorKind::PermissionDenied, true),
            (unreachable, ReqsignErrorKind::Unexpected, true),
        ];
        for (answer, kind, retryable) in cases {
            let e = block_on(OssCredentialProvider::new(Fixed(answer)).provide_credential(&ctx()))
                .unwrap_err();
            assert_eq!((e.kind(), e.is_retryable()), (kind, retryable), "{e:?}");
            let ours = (answer)().unwrap_err();
            assert_eq!(e.to_string(), format!("cloudcred: {ours}"));
            let source = std::error::Error::source(&e).expect("the cloudcred error");
            assert_eq!(source.to_string(), ours.to_string());
            let e = block_on(ObsCredentialProvider::new(Fixed(answer)).provide_credential(&ctx()))
                .unwrap_err();
            assert_eq!(e.kind(), kind);
        }
    }

    #[test]
    fn bearer_and_anonymous_are_refused_not_skipped() {
        fn bearer() -> crate::Result<Resolution> {
            Ok(Resolution::Credentials(Arc::new(Credentials::bearer(
                TOKEN,
                ProviderName::new("profile/bearer"),
            ))))
        }
        fn anonymous() -> crate::Result<Resolution> {
            Ok(Resolution::Credentials(Arc::new(Credentials::anonymous(
                ProviderName::new("profile/anonymous"),
            ))))
        }
        for answer in [bearer as fn() -> _, anonymous] {
            let e = block_on(OssCredentialProvider::new(Fixed(answer)).provide_credential(&ctx()))
                .unwrap_err();
            assert_eq!(e.kind(), ReqsignErrorKind::ConfigInvalid);
            let text = e.to_string();
            assert!(
                text.contains("reqsign's OSS signer needs an AccessKey pair"),
                "{text}"
            );
            let e = block_on(ObsCredentialProvider::new(Fixed(answer)).provide_credential(&ctx()))
                .unwrap_err();
            assert!(e.to_string().contains("reqsign's OBS signer"), "{e}");
            let e = block_on(S3CredentialProvider::new(Fixed(answer)).provide_credential(&ctx()))
                .unwrap_err();
            assert!(e.to_string().contains("reqsign's AWS V4 signer"), "{e}");
            assert!(!format!("{e} {e:?}").contains(TOKEN));
        }
    }

    #[test]
    fn debug_never_shows_a_secret() {
        let oss = OssCredentialProvider::new(Fixed(sts));
        let obs = ObsCredentialProvider::new(Fixed(sts));
        let s3 = S3CredentialProvider::new(Fixed(sts));
        let before = format!("{oss:?} {obs:#?} {s3:?}");
        block_on(oss.provide_credential(&ctx())).unwrap();
        block_on(obs.provide_credential(&ctx())).unwrap();
        block_on(s3.provide_credential(&ctx())).unwrap();
        let after = format!("{oss:?} {obs:#?} {s3:?}");
        assert!(after.contains("from fixed"), "{after}");
        for text in [before, after] {
            for secret in [SECRET, TOKEN, "STS.PLANTEDID0001"] {
                assert!(!text.contains(secret), "{text}");
            }
        }
    }
}
