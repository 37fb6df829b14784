//! Per-thread copies of one credential, so concurrent cached reads do not contend.
//!
//! A cached read hands out an `Arc<Credentials>`, and cloning an `Arc` is an atomic increment of
//! its reference count. When every thread clones the *same* `Arc`, that count's cache line
//! bounces between cores and two threads each get slower than one (measured in
//! `benches/hot_path.rs`: the `two_threads` rows). [`Replicas`] keeps a few equal copies, each
//! in its own allocation, and gives each thread the copy of its slot, so threads clone different
//! counts. The copies are owned here and dropped (secrets zeroized) with the snapshot they belong
//! to; nothing lingers per thread.

use super::Credentials;
use std::cell::Cell;
use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

/// Equal copies of one credential, one per thread slot.
#[derive(Clone)]
pub struct Replicas {
    copies: Box<[Arc<Credentials>]>,
}

impl fmt::Debug for Replicas {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // One copy stands for all: they are equal (and Credentials' Debug redacts).
        f.debug_struct("Replicas")
            .field("credentials", &self.copies[0])
            .field("copies", &self.copies.len())
            .finish()
    }
}

impl Replicas {
    /// `creds` and as many copies as there are thread slots.
    pub fn new(creds: Arc<Credentials>) -> Self {
        let n = slots();
        let mut copies = Vec::with_capacity(n);
        for _ in 1..n {
            copies.push(Arc::new((*creds).clone()));
        }
        copies.insert(0, creds);
        Self {
            copies: copies.into_boxed_slice(),
        }
    }

    /// The copy of the calling thread's slot.
    #[inline]
    pub fn get(&self) -> &Arc<Credentials> {
        // `slots()` is a power of two and `copies.len()` equals it.
        &self.copies[thread_slot() & (self.copies.len() - 1)]
    }

    /// The copy every snapshot starts from (the one the source returned).
    pub fn first(&self) -> &Arc<Credentials> {
        &self.copies[0]
    }
}

/// Thread slots: the available parallelism rounded up to a power of two, at most 16.
fn slots() -> usize {
    static SLOTS: OnceLock<usize> = OnceLock::new();
    *SLOTS.get_or_init(|| {
        std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .clamp(1, 16)
            .next_power_of_two()
    })
}

thread_local! {
    static SLOT: Cell<usize> = const { Cell::new(usize::MAX) };
}

static NEXT_SLOT: AtomicUsize = AtomicUsize::new(0);

/// A small number fixed per thread, handed out round-robin as threads first ask.
#[inline]
pub(crate) fn thread_slot() -> usize {
    SLOT.with(|s| {
        let v = s.get();
        if v != usize::MAX {
            return v;
        }
        let v = NEXT_SLOT.fetch_add(1, Ordering::Relaxed);
        s.set(v);
        v
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ProviderName;

    #[test]
    fn copies_are_equal_and_distinct_allocations() {
        let creds = Arc::new(Credentials::access_key(
            "LTAIREPLICA",
            "replica-secret",
            ProviderName::new("t"),
        ));
        let r = Replicas::new(creds.clone());
        assert!(Arc::ptr_eq(r.first(), &creds));
        assert!(r.copies.len().is_power_of_two());
        for c in r.copies.iter() {
            assert_eq!(c.access_key_id(), "LTAIREPLICA");
            assert_eq!(c.access_key_secret().expose(), "replica-secret");
        }
        // A thread always gets the same copy.
        assert!(Arc::ptr_eq(r.get(), r.get()));
        let dbg = format!("{r:?}");
        assert!(!dbg.contains("replica-secret"));
    }

    #[test]
    fn threads_get_their_own_copy_when_there_are_slots() {
        let creds = Arc::new(Credentials::access_key("id", "s", ProviderName::new("t")));
        let r = Arc::new(Replicas::new(creds));
        let ptrs: Vec<usize> = (0..r.copies.len())
            .map(|_| {
                let r = r.clone();
                std::thread::spawn(move || Arc::as_ptr(r.get()) as usize)
                    .join()
                    .unwrap()
            })
            .collect();
        let distinct: std::collections::HashSet<_> = ptrs.iter().collect();
        // Round-robin slots: consecutive new threads land on different copies (other tests'
        // threads may interleave, so require more than one, not all).
        assert!(distinct.len() > 1 || r.copies.len() == 1, "{ptrs:?}");
    }
}
