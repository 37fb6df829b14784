//! Convert once per credential snapshot: the last credentials a provider returned and what they
//! were converted to, so a read that gets the same `Arc<Credentials>` back reuses the conversion.

use crate::error::{Error, Result};
use crate::model::{CredentialKind, Credentials};
use arc_swap::ArcSwapOption;
use std::sync::Arc;

/// The last conversion, keyed by the provider's `Arc<Credentials>`. A provider hands out the same
/// `Arc` until it refreshes, so pointer equality is the common hit; but a cached read gives each
/// thread its own equal copy of the snapshot (`model::Replicas`, which keeps threads off one
/// reference count), so a miss falls back to comparing what the conversion reads before
/// converting again: threads sharing an adapter never re-convert the same snapshot.
pub(crate) struct Snapshot<T> {
    last: ArcSwapOption<(Arc<Credentials>, T)>,
}

impl<T: Clone> Snapshot<T> {
    pub(crate) fn new() -> Self {
        Self {
            last: ArcSwapOption::empty(),
        }
    }

    /// The conversion of `creds`: the stored one when `creds` is the snapshot it was made from,
    /// else `convert`'s, stored for the next read.
    pub(crate) fn get(
        &self,
        creds: Arc<Credentials>,
        convert: impl FnOnce(&Credentials) -> T,
    ) -> T {
        if let Some(last) = &*self.last.load() {
            if Arc::ptr_eq(&last.0, &creds) || same_conversion(&last.0, &creds) {
                return last.1.clone();
            }
        }
        let converted = convert(&creds);
        self.last.store(Some(Arc::new((creds, converted.clone()))));
        converted
    }
}

/// Whether `a` and `b` convert alike: every field an adapter reads is equal.
fn same_conversion(a: &Credentials, b: &Credentials) -> bool {
    a.access_key_id() == b.access_key_id()
        && a.expiration() == b.expiration()
        && a.access_key_secret() == b.access_key_secret()
        && a.security_token() == b.security_token()
}

/// The AccessKey pair (and security token) S3's signature needs; bearer and anonymous
/// credentials have none, and an S3-compatible endpoint cannot take them.
pub(crate) fn require_access_key(creds: &Credentials, adapter: &str) -> Result<()> {
    match creds.kind() {
        CredentialKind::AccessKey | CredentialKind::Sts => Ok(()),
        kind => Err(Error::invalid_config(
            creds.provider_name().as_str(),
            format!(
                "{adapter} needs an AccessKey pair for S3's signature, but the provider returned {} credentials; configure an AccessKey, STS or role source for this program",
                kind.as_str()
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ProviderName;

    #[test]
    fn converts_once_per_snapshot() {
        let snapshot = Snapshot::new();
        let first = Arc::new(Credentials::access_key("AK1", "s1", ProviderName::new("t")));
        let mut calls = 0;
        let mut get = |c: &Arc<Credentials>| {
            snapshot.get(c.clone(), |c| {
                calls += 1;
                Arc::new(c.access_key_id().to_owned())
            })
        };
        let a = get(&first);
        let b = get(&first);
        assert!(Arc::ptr_eq(&a, &b));
        // An equal copy (another thread's replica of the snapshot): not converted again.
        let replica = Arc::new((*first).clone());
        assert!(Arc::ptr_eq(&a, &get(&replica)));
        // A refreshed snapshot: converted anew.
        let second = Arc::new(Credentials::access_key("AK1", "s2", ProviderName::new("t")));
        let c = get(&second);
        assert!(!Arc::ptr_eq(&a, &c));
        assert_eq!(calls, 2);
    }

    #[test]
    fn bearer_credentials_are_refused_by_name() {
        let bearer = Credentials::bearer("tok-secret-value", ProviderName::new("cloud_sso"));
        let e = require_access_key(&bearer, "object_store").unwrap_err();
        let text = format!("{e} {e:?}");
        assert!(
            text.contains("cloud_sso") && text.contains("bearer"),
            "{text}"
        );
        assert!(!text.contains("tok-secret-value"));
        let ak = Credentials::access_key("AK1", "s1", ProviderName::new("t"));
        assert!(require_access_key(&ak, "aws").is_ok());
    }
}
