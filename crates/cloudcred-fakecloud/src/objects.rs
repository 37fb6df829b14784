//! The in-memory object store behind the fake cloud's object endpoints (OSS, OBS and the
//! S3-compatible one): one bucket namespace shared by every protocol, as a bucket of OSS is
//! reachable through its native and its S3-compatible API alike.
//!
//! Buckets exist once anything is written to them or [`Objects::create_bucket`] is called; the
//! protocol handlers decide what a missing bucket or key answers in their own error format.

use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::{Mutex, MutexGuard};

use bytes::Bytes;
use chrono::{DateTime, Utc};

/// One stored object: its bytes and what a `HEAD` reports about them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Object {
    pub body: Bytes,
    pub content_type: Option<String>,
    /// User metadata as sent (`x-oss-meta-*`, `x-obs-meta-*`, `x-amz-meta-*`), names lower-case
    /// and without the prefix.
    pub meta: Vec<(String, String)>,
    /// Hex MD5 of the body, quoted as the services return it in `ETag`.
    pub etag: String,
    pub last_modified: DateTime<Utc>,
}

/// A page of a listing, in key order.
#[derive(Debug, Default)]
pub(crate) struct Listing {
    /// `(key, size, etag, last_modified)` of each object on the page.
    pub objects: Vec<(String, u64, String, DateTime<Utc>)>,
    /// Common prefixes when a delimiter was given, in order.
    pub prefixes: Vec<String>,
    /// The last key or prefix returned when the listing was cut at `max_keys`.
    pub next_marker: Option<String>,
}

/// Buckets → keys → objects, behind one lock held only for a map operation.
#[derive(Debug, Default)]
pub(crate) struct Objects {
    buckets: Mutex<BTreeMap<String, BTreeMap<String, Object>>>,
}

impl Objects {
    fn lock(&self) -> MutexGuard<'_, BTreeMap<String, BTreeMap<String, Object>>> {
        // A panicking handler cannot leave a map half-updated: every update is one insert or
        // remove, so the data behind a poisoned lock is still whole.
        self.buckets.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn create_bucket(&self, bucket: &str) {
        self.lock().entry(bucket.to_owned()).or_default();
    }

    pub fn bucket_exists(&self, bucket: &str) -> bool {
        self.lock().contains_key(bucket)
    }

    /// Stores `object` (creating the bucket) and returns the object it replaced.
    pub fn put(&self, bucket: &str, key: &str, object: Object) -> Option<Object> {
        self.lock()
            .entry(bucket.to_owned())
            .or_default()
            .insert(key.to_owned(), object)
    }

    pub fn get(&self, bucket: &str, key: &str) -> Option<Object> {
        self.lock().get(bucket)?.get(key).cloned()
    }

    /// Removes the object; deleting a missing key is not an error for any of the services.
    pub fn delete(&self, bucket: &str, key: &str) -> Option<Object> {
        self.lock().get_mut(bucket)?.remove(key)
    }

    /// Lists keys starting with `prefix` strictly after `marker`, rolled up at `delimiter`, at
    /// most `max_keys` entries (objects and prefixes together). `None` when the bucket is missing.
    pub fn list(
        &self,
        bucket: &str,
        prefix: &str,
        delimiter: Option<&str>,
        marker: Option<&str>,
        max_keys: usize,
    ) -> Option<Listing> {
        let buckets = self.lock();
        let keys = buckets.get(bucket)?;
        let start = match marker {
            Some(m) if m >= prefix => Bound::Excluded(m.to_owned()),
            _ => Bound::Included(prefix.to_owned()),
        };
        let mut listing = Listing::default();
        let mut last = None;
        for (key, object) in keys.range((start, Bound::Unbounded)) {
            if !key.starts_with(prefix) {
                break;
            }
            let rolled = delimiter.filter(|d| !d.is_empty()).and_then(|d| {
                key[prefix.len()..]
                    .find(d)
                    .map(|i| &key[..prefix.len() + i + d.len()])
            });
            if let Some(common) = rolled {
                if listing.prefixes.last().map(String::as_str) == Some(common)
                    || marker.is_some_and(|m| m.starts_with(common))
                {
                    continue;
                }
            }
            if listing.objects.len() + listing.prefixes.len() == max_keys {
                listing.next_marker = last;
                return Some(listing);
            }
            match rolled {
                Some(common) => {
                    listing.prefixes.push(common.to_owned());
                    last = Some(common.to_owned());
                }
                None => {
                    listing.objects.push((
                        key.clone(),
                        object.body.len() as u64,
                        object.etag.clone(),
                        object.last_modified,
                    ));
                    last = Some(key.clone());
                }
            }
        }
        Some(listing)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(body: &'static str) -> Object {
        Object {
            body: Bytes::from_static(body.as_bytes()),
            content_type: None,
            meta: Vec::new(),
            etag: String::new(),
            last_modified: DateTime::<Utc>::UNIX_EPOCH,
        }
    }

    #[test]
    fn lists_in_pages_with_common_prefixes() {
        let store = Objects::default();
        for key in ["a/1", "a/2", "b", "c/x/1", "c/y", "d"] {
            store.put("bk", key, object("v"));
        }
        let page = store.list("bk", "", Some("/"), None, 3).unwrap();
        assert_eq!(page.prefixes, ["a/", "c/"]);
        assert_eq!(
            page.objects
                .iter()
                .map(|o| o.0.as_str())
                .collect::<Vec<_>>(),
            ["b"]
        );
        assert_eq!(page.next_marker.as_deref(), Some("c/"));
        let all = store.list("bk", "", Some("/"), None, 100).unwrap();
        assert_eq!(all.prefixes, ["a/", "c/"]);
        assert_eq!(
            all.objects.iter().map(|o| o.0.as_str()).collect::<Vec<_>>(),
            ["b", "d"]
        );
        assert!(all.next_marker.is_none());
        let cut = store.list("bk", "", None, None, 2).unwrap();
        assert_eq!(cut.next_marker.as_deref(), Some("a/2"));
        let rest = store.list("bk", "", None, Some("a/2"), 100).unwrap();
        assert_eq!(rest.objects.len(), 4);
        let after_prefix = store.list("bk", "", Some("/"), Some("a/"), 100).unwrap();
        assert_eq!(after_prefix.prefixes, ["c/"]);
        assert!(store.list("missing", "", None, None, 10).is_none());
    }

    #[test]
    fn put_replaces_and_delete_is_idempotent() {
        let store = Objects::default();
        assert!(store.put("bk", "k", object("1")).is_none());
        assert_eq!(store.put("bk", "k", object("2")).unwrap().body, "1");
        assert_eq!(store.get("bk", "k").unwrap().body, "2");
        assert!(store.delete("bk", "k").is_some());
        assert!(store.delete("bk", "k").is_none());
        assert!(store.bucket_exists("bk"));
    }
}
