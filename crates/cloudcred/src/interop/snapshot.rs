//! Convert once per credential snapshot: the last credentials a provider returned and what they
//! were converted to, so a read that gets the same credentials back reuses the conversion.

use crate::error::{Error, Result};
use crate::model::{CredentialKind, Credentials};
use arc_swap::ArcSwapOption;
use std::sync::Arc;

/// The last conversion, keyed by the snapshot it was made from. The refresh engine hands each
/// thread its own equal copy of a snapshot (`model::Replicas`, against reference-count
/// contention), and the first read after a fetch gets the fetched `Arc` itself, so one snapshot
/// arrives as several `Arc`s: pointer equality settles the common case, equal fields the rest.
/// Keyed by pointer alone, threads taking turns would reconvert and store on every read.
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
            if same_snapshot(&last.0, &creds) {
                return last.1.clone();
            }
        }
        let converted = convert(&creds);
        self.last.store(Some(Arc::new((creds, converted.clone()))));
        converted
    }

    /// The credentials the stored conversion was made from.
    #[cfg(feature = "reqsign")]
    pub(crate) fn source(&self) -> Option<Arc<Credentials>> {
        self.last.load().as_ref().map(|last| Arc::clone(&last.0))
    }
}

/// Whether `a` and `b` are copies of one snapshot: everything a conversion reads is equal.
fn same_snapshot(a: &Arc<Credentials>, b: &Arc<Credentials>) -> bool {
    Arc::ptr_eq(a, b)
        || (a.kind() == b.kind()
            && a.expiration() == b.expiration()
            && a.access_key_id() == b.access_key_id()
            && a.access_key_secret() == b.access_key_secret()
            && a.security_token() == b.security_token())
}

/// The AccessKey pair (and security token) every object-storage signature needs (S3's, OSS's,
/// OBS's); bearer and anonymous credentials have none, and those endpoints cannot take them.
pub(crate) fn require_access_key(creds: &Credentials, adapter: &str) -> Result<()> {
    match creds.kind() {
        CredentialKind::AccessKey | CredentialKind::Sts => Ok(()),
        kind => Err(Error::invalid_config(
            creds.provider_name().as_str(),
            format!(
                "{adapter} needs an AccessKey pair to sign requests, but the provider returned {} credentials; configure an AccessKey, STS or role source for this program",
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
        // Another thread's copy of the same snapshot (equal fields): no new conversion.
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
