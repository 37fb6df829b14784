//! The Huawei Cloud credentials file (spec 6, H9): `HUAWEICLOUD_SDK_CREDENTIALS_FILE`, else
//! `~/.huaweicloud/credentials`, provider `profile/<inner>`.
//!
//! The file is parsed with the shared lenient INI dialect ([`crate::format::ini`]) at the first
//! request. The section is the credential type: `[basic]` (project id) or `[global]` (domain id).
//! Within it, `idp_id` + `id_token_file` → IdP federation (with `iam_endpoint`), beating
//! `ak` / `sk` (+ `security_token`) → static keys. One of a pair alone, or a section with neither,
//! is an error naming the file, the section and the key; a missing default file or section is
//! "not configured", a missing file named by the variable an error.

use super::federation::IdpFederationProvider;
use super::CredentialType;
use crate::context::Context;
use crate::error::{Error, Result};
use crate::format::ini::{IniFile, IniSection};
use crate::model::{Credentials, ProviderName, Replicas};
use crate::provider::{Inspection, ProvideCredentials, Resolution};
use futures_util::future::BoxFuture;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

/// `HUAWEICLOUD_SDK_CREDENTIALS_FILE`.
pub const CREDENTIALS_FILE_VAR: &str = "HUAWEICLOUD_SDK_CREDENTIALS_FILE";
/// The default file, relative to the home directory.
pub const DEFAULT_FILE: &str = ".huaweicloud/credentials";

/// What the selected section of a credentials file configures, decided once per provider.
#[derive(Debug)]
#[non_exhaustive]
pub enum Section {
    /// Nothing (no file, no such section, no keys); the reason says what was looked for.
    NotConfigured(String),
    /// Static credentials: `ak`, `sk` and the project or domain id.
    Static(Replicas),
    /// IdP federation (`idp_id` and `id_token_file`), built but never called.
    Federation(IdpFederationProvider),
}

/// Credentials from the Huawei Cloud credentials file.
#[derive(Debug)]
pub struct ProfileProvider {
    ctx: Context,
    kind: CredentialType,
    file: Option<PathBuf>,
    prefix: String,
    name: ProviderName,
    inner: OnceLock<Result<Section>>,
}

impl ProfileProvider {
    /// The `[basic]` or `[global]` section of the default file; names `profile/<inner>`.
    pub fn new(ctx: &Context, kind: CredentialType) -> Self {
        Self::builder(ctx, kind, None, "")
    }

    /// `file` overrides the variable and the default path; `prefix` is prepended to the names
    /// (`default` → `default/profile/static_ak`).
    pub fn builder(
        ctx: &Context,
        kind: CredentialType,
        file: Option<PathBuf>,
        prefix: &str,
    ) -> Self {
        Self {
            ctx: ctx.clone(),
            kind,
            file,
            prefix: prefix.to_owned(),
            name: ProviderName::new("profile").within(prefix),
            inner: OnceLock::new(),
        }
    }

    /// The file and whether it was named explicitly (builder or variable).
    fn path(&self) -> Option<(PathBuf, bool)> {
        if let Some(f) = &self.file {
            return Some((f.clone(), true));
        }
        if let Some(v) = self.ctx.var(CREDENTIALS_FILE_VAR) {
            return Some((self.ctx.expand_path(&v), true));
        }
        self.ctx.home_dir().map(|h| (h.join(DEFAULT_FILE), false))
    }

    fn inner_name(&self, inner: &str) -> ProviderName {
        ProviderName::new(inner)
            .within("profile")
            .within(&self.prefix)
    }

    fn load(&self) -> Result<Section> {
        let Some((path, explicit)) = self.path() else {
            return Ok(Section::NotConfigured(
                "no home directory to find ~/.huaweicloud/credentials in".to_owned(),
            ));
        };
        if !explicit && !self.ctx.exists(&path) {
            return Ok(Section::NotConfigured(format!(
                "{} does not exist",
                path.display()
            )));
        }
        let text = self.ctx.read_to_string(&path).map_err(|e| {
            if explicit && self.file.is_none() {
                Error::invalid_config(
                    format!("environment variable {CREDENTIALS_FILE_VAR}"),
                    e.to_string(),
                )
            } else {
                e
            }
        })?;
        self.configure(&text, &path)
    }

    /// What `text`, the content of the file at `path`, configures: its section's static
    /// credentials or federation provider (built, never called), or "not configured". No I/O;
    /// an error names `path`, the section and the key, never a value.
    pub fn configure(&self, text: &str, path: &Path) -> Result<Section> {
        let ini = IniFile::parse(text, path)?;
        let section_name = self.kind.as_str();
        let Some(section) = ini.section(section_name) else {
            return Ok(Section::NotConfigured(format!(
                "{} has no [{section_name}] section",
                path.display()
            )));
        };
        let origin = format!("{} [{section_name}]", path.display());
        self.read_section(section, &origin)
    }

    fn read_section(&self, section: &IniSection, origin: &str) -> Result<Section> {
        let get = |k: &str| section.get(k).map(str::trim).filter(|v| !v.is_empty());
        let scope_key = match self.kind {
            CredentialType::Basic => "project_id",
            CredentialType::Global => "domain_id",
        };
        let scope_id = get(scope_key).map(str::to_owned);
        let pair_error = |set: &str, unset: &str, what: &str| {
            Error::invalid_config(
                origin,
                format!("{set} is set but {unset} is not: {what} needs both"),
            )
        };
        match (get("idp_id"), get("id_token_file")) {
            (Some(idp), Some(file)) => {
                let mut b =
                    IdpFederationProvider::builder(&self.ctx, idp, self.ctx.expand_path(file))
                        .credential_type(self.kind)
                        .scope_id(scope_id)
                        .name(self.inner_name("idp_federation"))
                        .origin(origin);
                if let Some(iam) = get("iam_endpoint") {
                    b = b.iam_endpoint_from(iam, format!("{origin} iam_endpoint"));
                }
                return b.build().map(Section::Federation);
            }
            (Some(_), None) => return Err(pair_error("idp_id", "id_token_file", "IdP federation")),
            (None, Some(_)) => return Err(pair_error("id_token_file", "idp_id", "IdP federation")),
            (None, None) => {}
        }
        let creds =
            match (get("ak"), get("sk"), get("security_token")) {
                (Some(ak), Some(sk), None) => {
                    Credentials::access_key(ak, sk, self.inner_name("static_ak"))
                }
                (Some(ak), Some(sk), Some(token)) => {
                    Credentials::sts(ak, sk, token, None, self.inner_name("static_sts"))
                }
                (Some(_), None, _) => return Err(pair_error("ak", "sk", "an AK/SK pair")),
                (None, Some(_), _) => return Err(pair_error("sk", "ak", "an AK/SK pair")),
                (None, None, _) => return Err(Error::invalid_config(
                    origin,
                    "the section has no credentials: set ak and sk, or idp_id and id_token_file",
                )),
            };
        Ok(Section::Static(Replicas::new(Arc::new(
            self.kind.scope(creds, scope_id),
        ))))
    }

    fn inner(&self) -> &Result<Section> {
        self.inner.get_or_init(|| self.load())
    }
}

impl ProvideCredentials for ProfileProvider {
    fn resolve(&self) -> BoxFuture<'_, Result<Resolution>> {
        match self.inner() {
            Ok(Section::Federation(p)) => p.resolve(),
            Ok(Section::Static(c)) => Box::pin(futures_util::future::ready(Ok(
                Resolution::Credentials(c.get().clone()),
            ))),
            Ok(Section::NotConfigured(r)) => Box::pin(futures_util::future::ready(Ok(
                Resolution::NotConfigured(r.clone()),
            ))),
            Err(e) => Box::pin(futures_util::future::ready(Err(e.clone()))),
        }
    }

    fn cached(&self) -> Option<Arc<Credentials>> {
        match self.inner.get()? {
            Ok(Section::Static(c)) => Some(c.get().clone()),
            Ok(Section::Federation(p)) => p.cached(),
            _ => None,
        }
    }

    fn name(&self) -> &str {
        self.name.as_str()
    }

    fn inspect(&self) -> Inspection {
        let mut reads = vec![self.ctx.describe_var(CREDENTIALS_FILE_VAR)];
        let mut warnings = Vec::new();
        match self.path() {
            Some((p, _)) => {
                warnings = self.ctx.exposure_warnings(&p);
                reads.push(format!(
                    "file {} [{}] ({})",
                    p.display(),
                    self.kind.as_str(),
                    if self.ctx.exists(&p) {
                        "exists"
                    } else {
                        "absent"
                    }
                ))
            }
            None => reads.push("no home directory".to_owned()),
        }
        Inspection { reads, warnings }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::MapEnv;

    fn fixtures() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/fixtures")
    }

    fn resolve(file: &str, kind: CredentialType) -> Result<Resolution> {
        let ctx = Context::from_env(MapEnv::default());
        let p = ProfileProvider::builder(
            &ctx,
            kind,
            Some(fixtures().join("huaweicloud").join(file)),
            "",
        );
        futures::executor::block_on(p.resolve())
    }

    fn creds(file: &str, kind: CredentialType) -> Arc<Credentials> {
        match resolve(file, kind).unwrap() {
            Resolution::Credentials(c) => c,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn basic_global_and_temporary_fixtures() {
        let c = creds("credentials", CredentialType::Basic);
        assert_eq!(c.access_key_id(), "FAKEHWBASICAK0000001");
        assert_eq!(c.project_id(), Some("0000000000000000fakeproject00001"));
        assert_eq!(c.provider_name().as_str(), "profile/static_ak");
        let c = creds("credentials", CredentialType::Global);
        assert_eq!(c.access_key_id(), "FAKEHWGLOBALAK000002");
        assert_eq!(c.domain_id(), Some("0000000000000000fakedomain000002"));
        let c = creds("credentials-temporary", CredentialType::Basic);
        assert_eq!(c.access_key_id(), "FAKEHWTEMPAK00000003");
        assert_eq!(
            c.security_token().unwrap().expose(),
            "fake-hw-security-token-00003"
        );
        assert_eq!(c.provider_name().as_str(), "profile/static_sts");
    }

    #[test]
    fn partial_names_file_section_and_key() {
        let e = resolve("credentials-partial", CredentialType::Basic)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("credentials-partial [basic]") && e.contains("sk is not"),
            "{e}"
        );
        assert!(!e.contains("FAKEHWNOSECRET000005"), "{e}");
    }

    #[test]
    fn missing_section_default_file_and_named_file() {
        assert!(matches!(
            resolve("credentials-partial", CredentialType::Global),
            Ok(Resolution::NotConfigured(_))
        ));
        let home = tempfile::tempdir().unwrap();
        let ctx = Context::from_env(MapEnv::from([("HOME", home.path().to_str().unwrap())]));
        let p = ProfileProvider::new(&ctx, CredentialType::Basic);
        assert!(matches!(
            futures::executor::block_on(p.resolve()),
            Ok(Resolution::NotConfigured(_))
        ));
        let ctx = Context::from_env(MapEnv::from([(
            CREDENTIALS_FILE_VAR,
            home.path().join("nope").to_str().unwrap(),
        )]));
        let p = ProfileProvider::new(&ctx, CredentialType::Basic);
        let e = futures::executor::block_on(p.resolve())
            .unwrap_err()
            .to_string();
        assert!(e.contains(CREDENTIALS_FILE_VAR), "{e}");
    }

    #[test]
    fn federation_beats_ak_sk_and_half_pairs_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("c");
        std::fs::write(
            &f,
            "[basic]\nidp_id = i\nid_token_file = /t\niam_endpoint = http://127.0.0.1:9\nak = a\nsk = s\n",
        )
        .unwrap();
        let ctx = Context::from_env(MapEnv::default());
        let p = ProfileProvider::builder(&ctx, CredentialType::Basic, Some(f.clone()), "default");
        assert!(matches!(p.inner(), Ok(Section::Federation(_))));
        assert_eq!(p.name(), "default/profile");
        std::fs::write(&f, "[basic]\nidp_id = i\nak = a\nsk = s\n").unwrap();
        let p = ProfileProvider::builder(&ctx, CredentialType::Basic, Some(f.clone()), "");
        let e = futures::executor::block_on(p.resolve())
            .unwrap_err()
            .to_string();
        assert!(e.contains("[basic]") && e.contains("id_token_file"), "{e}");
        std::fs::write(&f, "[basic]\nproject_id = p\n").unwrap();
        let p = ProfileProvider::builder(&ctx, CredentialType::Basic, Some(f.clone()), "");
        let e = futures::executor::block_on(p.resolve())
            .unwrap_err()
            .to_string();
        assert!(e.contains("no credentials"), "{e}");
        std::fs::write(
            &f,
            "[basic]\nidp_id = i\nid_token_file = /t\niam_endpoint = http://iam.example\n",
        )
        .unwrap();
        let p = ProfileProvider::builder(&ctx, CredentialType::Basic, Some(f), "");
        let e = futures::executor::block_on(p.resolve())
            .unwrap_err()
            .to_string();
        assert!(e.contains("iam_endpoint") && e.contains("https"), "{e}");
    }
}
