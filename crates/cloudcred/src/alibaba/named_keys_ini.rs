//! An INI section of named keys, as the Tablestore guides keep credentials:
//!
//! ```ini
//! [myConfig]
//! TABLESTORE_ACCESS_KEY_ID = …
//! TABLESTORE_ACCESS_KEY_SECRET = …
//! TABLESTORE_SESSION_TOKEN = …   ; optional
//! ```
//!
//! The file and section are chosen by the caller, so their absence is an error, not "not
//! configured". Key names are configurable (any [`EnvNames`]) and, as everywhere in the INI
//! dialect, case-insensitive. Provider name `tablestore_ini` unless given.

use super::env::{EnvNames, TABLESTORE};
use super::profile_file::{LazyProvider, Loaded};
use super::StaticProvider;
use crate::context::Context;
use crate::error::{Error, Result};
use crate::format::ini::IniFile;
use crate::model::{Credentials, ProviderName};
use crate::provider::{Inspection, ProvideCredentials, Resolution};
use futures_util::future::BoxFuture;
use std::path::PathBuf;
use std::sync::Arc;

/// Credentials from named keys of one INI section.
#[derive(Debug)]
pub struct NamedKeysIniProvider {
    ctx: Context,
    path: PathBuf,
    section: String,
    keys: EnvNames,
    name: ProviderName,
    lazy: LazyProvider,
}

impl NamedKeysIniProvider {
    /// The Tablestore key names in `section` of `path`.
    pub fn tablestore(ctx: &Context, path: impl Into<PathBuf>, section: impl Into<String>) -> Self {
        Self::new(
            ctx,
            path,
            section,
            TABLESTORE,
            ProviderName::new("tablestore_ini"),
        )
    }

    /// Any key names.
    pub fn new(
        ctx: &Context,
        path: impl Into<PathBuf>,
        section: impl Into<String>,
        keys: EnvNames,
        name: ProviderName,
    ) -> Self {
        Self {
            ctx: ctx.clone(),
            path: ctx.expand_path(&path.into().to_string_lossy()),
            section: section.into(),
            keys,
            name,
            lazy: LazyProvider::default(),
        }
    }

    fn load(&self) -> Result<Loaded> {
        let text = self.ctx.read_to_string(&self.path)?;
        let file = IniFile::parse(&text, &self.path)?;
        let origin = format!("{} [{}]", self.path.display(), self.section);
        let section = file.section(&self.section).ok_or_else(|| {
            Error::invalid_config(
                format!("{}", self.path.display()),
                format!(
                    "has no section [{}]: add it or choose another",
                    self.section
                ),
            )
        })?;
        let get = |k: &str| {
            section
                .get(&k.to_ascii_lowercase())
                .filter(|v| !v.is_empty())
        };
        let id = get(self.keys.access_key_id);
        let secret = get(self.keys.access_key_secret);
        let token = self.keys.security_token.and_then(get);
        let provider = match (id, secret, token) {
            (Some(id), Some(secret), None) => {
                StaticProvider::access_key_from(id, secret, &origin, self.name.clone())?
            }
            (Some(id), Some(secret), Some(token)) => {
                StaticProvider::sts_from(id, secret, token, &origin, self.name.clone())?
            }
            (id, _, _) => {
                let missing = if id.is_none() {
                    self.keys.access_key_id
                } else {
                    self.keys.access_key_secret
                };
                return Err(Error::invalid_config(
                    origin,
                    format!("{missing} is missing or empty: add `{missing} = …`"),
                ));
            }
        };
        Ok(Loaded::Provider(provider.into()))
    }
}

impl ProvideCredentials for NamedKeysIniProvider {
    fn resolve(&self) -> BoxFuture<'_, Result<Resolution>> {
        Box::pin(self.lazy.resolve(|| self.load()))
    }

    #[inline]
    fn cached(&self) -> Option<Arc<Credentials>> {
        self.lazy.cached()
    }

    fn name(&self) -> &str {
        self.name.as_str()
    }

    fn inspect(&self) -> Inspection {
        Inspection {
            reads: vec![format!("file {} [{}]", self.path.display(), self.section)],
            warnings: Vec::new(),
        }
    }
}
