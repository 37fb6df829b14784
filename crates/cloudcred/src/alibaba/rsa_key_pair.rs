//! RSA key pair: STS GenerateSessionAccessKey signed SHA256withRSA (spec 6.7, D26), provider
//! `rsa_key_pair`.
//!
//! The result is a temporary plain AccessKey (kind `access_key` with an expiration): the API
//! issues no security token. The private key is given as a file path, read at every refresh so a
//! rotated key file is picked up without a restart, or inline as PEM (aliyun-cli's
//! `private_key` may hold either). Errors name the path, never the key.

use super::sts::{self, rsa_duration, Auth, Caller, StsMethod};
use crate::context::Context;
use crate::engine::{RefreshConfig, Refreshing, Source};
use crate::error::{Error, Result};
use crate::http::endpoint::describe;
use crate::http::RequestOptions;
use crate::model::{Credentials, ProviderName, SecretString};
use crate::provider::{Inspection, Resolution};
use crate::sign::rpc::RsaKey;
use futures_util::future::BoxFuture;
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use url::Url;

/// The API exists on the Japan site only (spec 6.7).
pub const DEFAULT_RSA_STS_HOST: &str = "sts.ap-northeast-1.aliyuncs.com";

/// Where the private key comes from.
#[derive(Clone)]
#[non_exhaustive]
pub enum PrivateKey {
    /// A file holding PEM PKCS#8, PEM PKCS#1 or bare Base64 DER PKCS#8, read at each refresh.
    File(PathBuf),
    /// The key itself, PEM or bare Base64 DER.
    Inline(SecretString),
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PrivateKey::File(p) => write!(f, "File({})", p.display()),
            PrivateKey::Inline(_) => f.write_str("Inline(** redacted **)"),
        }
    }
}

impl PrivateKey {
    /// A profile's value: inline PEM when it starts with `-----BEGIN`, else a path.
    pub fn from_setting(ctx: &Context, raw: &str) -> Self {
        if raw.trim_start().starts_with("-----BEGIN") {
            PrivateKey::Inline(SecretString::new(raw))
        } else {
            PrivateKey::File(ctx.expand_path(raw))
        }
    }

    fn describe(&self) -> String {
        match self {
            PrivateKey::File(p) => format!("the private key file {}", p.display()),
            PrivateKey::Inline(_) => "the inline private key".to_owned(),
        }
    }

    fn load(&self, ctx: &Context, origin: &str) -> Result<RsaKey> {
        let text = match self {
            PrivateKey::File(p) => {
                zeroize::Zeroizing::new(sts::read_input_file(ctx, p, "private key", origin)?)
            }
            PrivateKey::Inline(s) => zeroize::Zeroizing::new(s.expose().to_owned()),
        };
        parse_key(&text).ok_or_else(|| {
            Error::invalid_config(
                origin,
                format!(
                    "{} is not an RSA private key (PEM PKCS#8, PEM PKCS#1 or Base64 DER PKCS#8)",
                    self.describe()
                ),
            )
        })
    }
}

/// PEM (either form) or the Base64 body of a PKCS#8 DER key without the armour lines.
fn parse_key(text: &str) -> Option<RsaKey> {
    use base64::Engine;
    use rsa::pkcs8::DecodePrivateKey;
    let text = text.trim();
    if text.starts_with("-----BEGIN") {
        return RsaKey::from_pem(text).ok();
    }
    let compact: String = text.split_whitespace().collect();
    let der = zeroize::Zeroizing::new(
        base64::engine::general_purpose::STANDARD
            .decode(compact)
            .ok()?,
    );
    rsa::RsaPrivateKey::from_pkcs8_der(&der)
        .ok()
        .map(RsaKey::from_key)
}

/// The GenerateSessionAccessKey source; use it through [`RsaKeyPairProvider`].
#[derive(Debug)]
pub struct RsaKeyPairSource {
    ctx: Context,
    public_key_id: String,
    private_key: PrivateKey,
    duration_seconds: u32,
    url: Url,
    options: RequestOptions,
    name: ProviderName,
    origin: String,
}

/// GenerateSessionAccessKey behind the refresh engine.
pub type RsaKeyPairProvider = Refreshing<RsaKeyPairSource>;

impl RsaKeyPairProvider {
    /// A builder; the public key id and the private key are required.
    pub fn builder(ctx: &Context) -> RsaKeyPairBuilder {
        RsaKeyPairBuilder {
            ctx: ctx.clone(),
            public_key_id: None,
            private_key: None,
            duration_seconds: 3600,
            sts_endpoint: None,
            sts_region: None,
            options: RequestOptions::credential_service(),
            name: None,
            refresh: RefreshConfig::default(),
            origin: "rsa_key_pair".to_owned(),
        }
    }
}

impl RsaKeyPairSource {
    fn detail(&self) -> String {
        let mut d = format!(
            "public key {}, {}",
            self.public_key_id,
            self.private_key.describe()
        );
        if self.origin != "rsa_key_pair" {
            d.push_str(&format!(", from {}", self.origin));
        }
        d
    }
}

/// The `SessionAccessKey` object of a GenerateSessionAccessKey answer: an AccessKey (no token)
/// with an expiry, refused once expired.
pub fn session_access_key(
    ctx: &Context,
    json: &serde_json::Value,
    origin: &str,
    name: ProviderName,
) -> Result<Credentials> {
    let object = "SessionAccessKey";
    let id = sts::field(json, &[object, "SessionAccessKeyId"], origin)?;
    let secret = sts::field(json, &[object, "SessionAccessKeySecret"], origin)?;
    let expiration = sts::expiration(
        ctx,
        sts::field(json, &[object, "Expiration"], origin)?,
        origin,
    )?;
    Ok(Credentials::access_key(id, secret, name).with_expiration(Some(expiration)))
}

impl Source for RsaKeyPairSource {
    fn fetch(&self) -> BoxFuture<'_, Result<Resolution>> {
        Box::pin(async move {
            let caller = Caller {
                provider: "rsa_key_pair",
                detail: self.detail(),
            };
            let origin = format!("rsa_key_pair ({})", caller.detail);
            let key = self.private_key.load(&self.ctx, &origin)?;
            let duration = self.duration_seconds.to_string();
            // GET as in D26; the signer adds AccessKeyId, PublicKeyId and SignatureType.
            let json = sts::call(
                &self.ctx,
                &self.url,
                StsMethod::Get,
                "GenerateSessionAccessKey",
                &[("DurationSeconds", duration.as_str())],
                Auth::Rsa {
                    public_key_id: &self.public_key_id,
                    key: &key,
                },
                &self.options,
                &caller,
            )
            .await?;
            let creds = session_access_key(&self.ctx, &json, &origin, self.name.clone())?;
            Ok(Resolution::Credentials(Arc::new(creds)))
        })
    }

    fn name(&self) -> &str {
        self.name.as_str()
    }

    fn inspect(&self) -> Inspection {
        let mut reads = vec![format!(
            "STS GenerateSessionAccessKey at {} ({})",
            describe(&self.url),
            self.detail()
        )];
        if let PrivateKey::File(p) = &self.private_key {
            reads.push(format!(
                "file {} (private key, read at every refresh)",
                p.display()
            ));
        }
        Inspection {
            reads,
            warnings: Vec::new(),
        }
    }
}

/// Builds an [`RsaKeyPairProvider`].
#[derive(Debug)]
pub struct RsaKeyPairBuilder {
    ctx: Context,
    public_key_id: Option<String>,
    private_key: Option<PrivateKey>,
    duration_seconds: u32,
    sts_endpoint: Option<String>,
    sts_region: Option<(String, bool)>,
    options: RequestOptions,
    name: Option<ProviderName>,
    refresh: RefreshConfig,
    origin: String,
}

impl RsaKeyPairBuilder {
    /// Where the settings came from (a profile), for errors.
    pub fn origin(mut self, origin: impl Into<String>) -> Self {
        self.origin = origin.into();
        self
    }

    /// The public key id (`TMPSK.…`), sent as `AccessKeyId` and `PublicKeyId`.
    pub fn public_key_id(mut self, id: impl Into<String>) -> Self {
        self.public_key_id = Some(id.into());
        self
    }

    /// A key file, read at each refresh.
    pub fn private_key_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.private_key = Some(PrivateKey::File(path.into()));
        self
    }

    /// The key itself (PEM, or Base64 DER PKCS#8).
    pub fn private_key_pem(mut self, pem: impl Into<String>) -> Self {
        self.private_key = Some(PrivateKey::Inline(SecretString::new(pem)));
        self
    }

    /// The private key of the key pair (inline PEM or a file).
    pub fn private_key(mut self, key: PrivateKey) -> Self {
        self.private_key = Some(key);
        self
    }

    /// 900–3600 seconds (default 3600); checked by [`build`](Self::build).
    pub fn duration_seconds(mut self, secs: u32) -> Self {
        self.duration_seconds = secs;
        self
    }

    /// A host, `host:port` or URL (spec 4.2); wins over every other endpoint source.
    pub fn sts_endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.sts_endpoint = Some(endpoint.into());
        self
    }

    /// The STS region, and whether to use its VPC endpoint.
    pub fn sts_region(mut self, region: impl Into<String>, vpc: bool) -> Self {
        self.sts_region = Some((region.into(), vpc));
        self
    }

    /// Validates everything before any request; the key itself is read at each refresh.
    pub fn build(self) -> Result<RsaKeyPairProvider> {
        let ctx = self.ctx;
        let public_key_id = self
            .public_key_id
            .filter(|s| !s.trim().is_empty())
            .ok_or_else(|| Error::invalid_config(&self.origin, "public_key_id is missing"))?;
        let private_key = self
            .private_key
            .ok_or_else(|| Error::invalid_config(&self.origin, "the private key is missing"))?;
        let duration_seconds = rsa_duration(Some(self.duration_seconds.into()), &self.origin)?;
        let (region, vpc) = match &self.sts_region {
            Some((r, v)) => (Some(r.as_str()), Some(*v)),
            None => (None, None),
        };
        let url = sts::resolve_endpoint(
            &ctx,
            self.sts_endpoint.as_deref(),
            region,
            vpc,
            DEFAULT_RSA_STS_HOST,
        )?;
        let source = RsaKeyPairSource {
            ctx: ctx.clone(),
            public_key_id,
            private_key,
            duration_seconds,
            url,
            options: self.options,
            name: self
                .name
                .unwrap_or_else(|| ProviderName::new("rsa_key_pair")),
            origin: self.origin,
        };
        Ok(Refreshing::with_config(
            source,
            ctx.clock().clone(),
            self.refresh,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rsa::pkcs1::EncodeRsaPrivateKey;
    use rsa::pkcs8::{EncodePrivateKey, LineEnding};

    #[test]
    fn key_forms() {
        let private = rsa::RsaPrivateKey::new(&mut rand::thread_rng(), 1024).unwrap();
        let pkcs8 = private.to_pkcs8_pem(LineEnding::LF).unwrap();
        let pkcs1 = private.to_pkcs1_pem(LineEnding::LF).unwrap();
        let bare: String = pkcs8
            .lines()
            .filter(|l| !l.starts_with("-----"))
            .collect::<Vec<_>>()
            .join("\n");
        let want = RsaKey::from_key(private).sign("x").unwrap();
        for text in [pkcs8.as_str(), pkcs1.as_str(), bare.as_str()] {
            assert_eq!(parse_key(text).unwrap().sign("x").unwrap(), want);
        }
        assert!(parse_key("not a key").is_none());
        assert!(
            parse_key("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----").is_none()
        );
        assert_eq!(
            format!(
                "{:?}",
                PrivateKey::Inline(SecretString::new(pkcs8.as_str()))
            ),
            "Inline(** redacted **)"
        );
    }

    #[test]
    fn durations_and_endpoint() {
        let ctx = Context::from_env(crate::context::MapEnv::new());
        let b = || {
            RsaKeyPairProvider::builder(&ctx)
                .public_key_id("TMPSK.x")
                .private_key_file("/k")
        };
        for bad in [899, 3601] {
            let e = b().duration_seconds(bad).build().unwrap_err().to_string();
            assert!(e.contains(&bad.to_string()), "{e}");
        }
        let p = b().duration_seconds(900).build().unwrap();
        assert_eq!(
            p.source().url.host_str(),
            Some("sts.ap-northeast-1.aliyuncs.com")
        );
        let p = b().sts_region("cn-hangzhou", false).build().unwrap();
        assert_eq!(
            p.source().url.host_str(),
            Some("sts.cn-hangzhou.aliyuncs.com")
        );
        assert!(RsaKeyPairProvider::builder(&ctx)
            .private_key_file("/k")
            .build()
            .is_err());
    }
}

source_builder_setters!(RsaKeyPairBuilder, "rsa_key_pair", request_options);
