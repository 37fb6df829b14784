//! The engine's per-thread read cache: a cached read without `ArcSwap`'s hazard bookkeeping.
//!
//! Loading an `Arc` out of an `ArcSwap` safely costs two fenced atomic operations on the reading
//! thread (announce the pointer, retire the announcement) before the `Arc` itself is cloned;
//! callgrind and the `parts` benchmark put that at about as much as the clone. This cache
//! remembers, per thread, the last few snapshots it read: each entry holds the snapshot's
//! generation (numbers are never reused, so equal generations mean the same snapshot), a copy of
//! its freshness deadline and a `Weak` to the thread's replica of the credentials. A hit is a
//! plain load of the engine's generation, a compare, and `Weak::upgrade` (one atomic operation,
//! on a reference count no other thread touches): the same atomic cost as a bare `Arc::clone`.
//!
//! Holding `Weak`s, not `Arc`s, means a thread that stops asking never keeps credentials alive:
//! once the engine replaces or drops a snapshot its secrets are dropped (zeroized) as usual, and
//! a stale entry's upgrade simply fails.

use crate::context::Deadline;
use crate::model::Credentials;
use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};

const ENTRIES: usize = 4;

struct Entry {
    generation: u64,
    /// The engine the entry came from: only to replace that engine's previous entry first.
    owner: usize,
    fresh_until: Deadline,
    creds: Weak<Credentials>,
}

thread_local! {
    static CACHE: RefCell<[Option<Entry>; ENTRIES]> = const { RefCell::new([None, None, None, None]) };
}

static NEXT_GENERATION: AtomicU64 = AtomicU64::new(1);

/// A generation number no snapshot has had before (never 0, which means "none").
pub(crate) fn new_generation() -> u64 {
    NEXT_GENERATION.fetch_add(1, Ordering::Relaxed)
}

/// The credentials of snapshot `generation`, if this thread has read it and it is still fresh
/// at `now` and alive.
#[inline]
pub(crate) fn lookup(generation: u64, now: Deadline) -> Option<Arc<Credentials>> {
    CACHE
        .try_with(|cache| {
            let cache = cache.try_borrow().ok()?;
            let entry = cache
                .iter()
                .flatten()
                .find(|e| e.generation == generation)?;
            if now < entry.fresh_until {
                entry.creds.upgrade()
            } else {
                None
            }
        })
        .ok()
        .flatten()
}

/// Remembers that this thread read `creds` (its replica) of snapshot `generation`.
pub(crate) fn remember(
    owner: usize,
    generation: u64,
    fresh_until: Deadline,
    creds: &Arc<Credentials>,
) {
    let _ = CACHE.try_with(|cache| {
        let Ok(mut cache) = cache.try_borrow_mut() else {
            return;
        };
        // The engine's own previous entry, else an empty one, else the oldest.
        let slot = cache
            .iter()
            .position(|e| e.as_ref().is_some_and(|e| e.owner == owner))
            .or_else(|| cache.iter().position(Option::is_none))
            .unwrap_or_else(|| {
                (0..ENTRIES)
                    .min_by_key(|&i| cache[i].as_ref().map_or(0, |e| e.generation))
                    .unwrap_or(0)
            });
        cache[slot] = Some(Entry {
            generation,
            owner,
            fresh_until,
            creds: Arc::downgrade(creds),
        });
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ProviderName;

    fn creds(id: &str) -> Arc<Credentials> {
        Arc::new(Credentials::access_key(id, "s", ProviderName::new("t")))
    }

    #[test]
    fn hit_while_fresh_and_alive_only() {
        let c = creds("A");
        let g = new_generation();
        remember(1, g, Deadline(1_000), &c);
        assert_eq!(lookup(g, Deadline(999)).unwrap().access_key_id(), "A");
        assert!(lookup(g, Deadline(1_000)).is_none(), "stale");
        assert!(
            lookup(new_generation(), Deadline(0)).is_none(),
            "other snapshot"
        );
        drop(c);
        assert!(
            lookup(g, Deadline(0)).is_none(),
            "dropped snapshot is not kept alive"
        );
    }

    #[test]
    fn an_engine_replaces_its_own_entry_and_others_survive() {
        let (a1, a2, b) = (creds("A1"), creds("A2"), creds("B"));
        let (ga1, gb) = (new_generation(), new_generation());
        remember(10, ga1, Deadline(u64::MAX), &a1);
        remember(20, gb, Deadline(u64::MAX), &b);
        let ga2 = new_generation();
        remember(10, ga2, Deadline(u64::MAX), &a2);
        assert!(lookup(ga1, Deadline(0)).is_none());
        assert_eq!(lookup(ga2, Deadline(0)).unwrap().access_key_id(), "A2");
        assert_eq!(lookup(gb, Deadline(0)).unwrap().access_key_id(), "B");
        // More engines than entries: the oldest goes, lookups stay correct.
        let keep: Vec<_> = (0..8)
            .map(|i| {
                let c = creds(&format!("E{i}"));
                let g = new_generation();
                remember(100 + i, g, Deadline(u64::MAX), &c);
                (g, c)
            })
            .collect();
        let (g_last, c_last) = keep.last().unwrap();
        assert!(Arc::ptr_eq(&lookup(*g_last, Deadline(0)).unwrap(), c_last));
    }
}
