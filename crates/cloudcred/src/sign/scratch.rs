//! Working buffers of the signers, reused per thread instead of allocated per signature.
//!
//! A signature builds its canonical strings in a few buffers that die with it: the canonical
//! request, the encoded query before sorting, the sort order, the percent-decoded path. Each
//! was a heap allocation (and a free) per signature, together about a tenth of a header
//! signature. [`string`] and [`ranges`] hand out buffers kept by the thread instead; dropping
//! the guard wipes what was written (canonical requests carry security tokens) and keeps the
//! capacity for the next signature. Buffers grown past [`KEEP_CAPACITY`] are freed rather than
//! kept, and a thread keeps at most [`KEEP_BUFFERS`] of each kind.

use std::cell::RefCell;
use std::ops::{Deref, DerefMut, Range};

/// Larger buffers (a huge query, a long path) are freed when dropped.
const KEEP_CAPACITY: usize = 16 * 1024;
/// Buffers a thread keeps of each kind (a signature uses at most three at once).
const KEEP_BUFFERS: usize = 4;

thread_local! {
    static STRINGS: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
    static RANGES: RefCell<Vec<Vec<RangePair>>> = const { RefCell::new(Vec::new()) };
    #[cfg(feature = "sign")]
    static REFS: RefCell<Vec<Vec<usize>>> = const { RefCell::new(Vec::new()) };
}

/// A parameter as ranges of an encoded buffer: name and value.
pub(crate) type RangePair = (Range<usize>, Range<usize>);

/// An empty string buffer of at least `capacity` bytes, returned to the thread when dropped.
pub(crate) fn string(capacity: usize) -> ScratchString {
    let mut s = STRINGS
        .try_with(|pool| pool.try_borrow_mut().ok().and_then(|mut p| p.pop()))
        .ok()
        .flatten()
        .unwrap_or_default();
    s.reserve(capacity);
    ScratchString(s)
}

/// An empty vector of range pairs, returned to the thread when dropped.
pub(crate) fn ranges(capacity: usize) -> ScratchRanges {
    let mut v = RANGES
        .try_with(|pool| pool.try_borrow_mut().ok().and_then(|mut p| p.pop()))
        .ok()
        .flatten()
        .unwrap_or_default();
    v.reserve(capacity);
    ScratchRanges(v)
}

/// A string buffer from [`string`].
#[derive(Default)]
pub(crate) struct ScratchString(String);

impl std::fmt::Debug for ScratchString {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // It holds canonical requests, security tokens included: the length only.
        f.debug_struct("ScratchString")
            .field("len", &self.0.len())
            .finish()
    }
}

impl Deref for ScratchString {
    type Target = String;
    fn deref(&self) -> &String {
        &self.0
    }
}

impl DerefMut for ScratchString {
    fn deref_mut(&mut self) -> &mut String {
        &mut self.0
    }
}

impl Drop for ScratchString {
    fn drop(&mut self) {
        let mut s = std::mem::take(&mut self.0);
        // Only the written bytes can hold anything: the spare capacity was wiped before, and
        // signers only append. A plain fill, not `zeroize`'s volatile store per byte (a few
        // hundred instructions per canonical request): the buffer stays alive in the pool, so
        // the stores are not dead and cannot be elided.
        // SAFETY: zero bytes are valid UTF-8, and the length is reset right after.
        unsafe { s.as_mut_vec() }.fill(0);
        s.clear();
        if s.capacity() > KEEP_CAPACITY {
            return;
        }
        let _ = STRINGS.try_with(|pool| {
            if let Ok(mut p) = pool.try_borrow_mut() {
                if p.len() < KEEP_BUFFERS {
                    p.push(s);
                }
            }
        });
    }
}

/// A vector of range pairs from [`ranges`]; it holds offsets only, nothing to wipe.
#[derive(Debug, Default)]
pub(crate) struct ScratchRanges(Vec<RangePair>);

impl Deref for ScratchRanges {
    type Target = Vec<RangePair>;
    fn deref(&self) -> &Vec<RangePair> {
        &self.0
    }
}

impl DerefMut for ScratchRanges {
    fn deref_mut(&mut self) -> &mut Vec<RangePair> {
        &mut self.0
    }
}

impl Drop for ScratchRanges {
    fn drop(&mut self) {
        let mut v = std::mem::take(&mut self.0);
        v.clear();
        if v.capacity() > KEEP_CAPACITY / std::mem::size_of::<RangePair>() {
            return;
        }
        let _ = RANGES.try_with(|pool| {
            if let Ok(mut p) = pool.try_borrow_mut() {
                if p.len() < KEEP_BUFFERS {
                    p.push(v);
                }
            }
        });
    }
}

/// An empty vector of references (header names), returned to the thread when dropped.
///
/// The thread keeps the allocation as a `Vec<usize>`, which has the layout of a reference; an
/// empty vector changes element type through `into_iter().map().collect()`, which the standard
/// library does in place for equal layouts. Were it ever not to, this would allocate, as
/// before: no `unsafe` is needed.
#[cfg(feature = "sign")]
pub(crate) fn refs<'a, T>(capacity: usize) -> ScratchRefs<'a, T> {
    let kept = REFS
        .try_with(|pool| pool.try_borrow_mut().ok().and_then(|mut p| p.pop()))
        .ok()
        .flatten()
        .unwrap_or_default();
    let mut v: Vec<&'a T> = retype(kept);
    v.reserve(capacity);
    ScratchRefs(v)
}

/// A vector of references from [`refs`].
#[cfg(feature = "sign")]
#[derive(Debug)]
pub(crate) struct ScratchRefs<'a, T>(Vec<&'a T>);

#[cfg(feature = "sign")]
impl<'a, T> Deref for ScratchRefs<'a, T> {
    type Target = Vec<&'a T>;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

#[cfg(feature = "sign")]
impl<T> DerefMut for ScratchRefs<'_, T> {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.0
    }
}

#[cfg(feature = "sign")]
impl<T> Drop for ScratchRefs<'_, T> {
    fn drop(&mut self) {
        let v: Vec<usize> = retype(std::mem::take(&mut self.0));
        if v.capacity() > KEEP_CAPACITY / 8 {
            return;
        }
        let _ = REFS.try_with(|pool| {
            if let Ok(mut p) = pool.try_borrow_mut() {
                if p.len() < KEEP_BUFFERS {
                    p.push(v);
                }
            }
        });
    }
}

/// `v`, emptied, as a vector of another element type, keeping its allocation where the layouts
/// agree.
#[cfg(feature = "sign")]
fn retype<T, U>(mut v: Vec<T>) -> Vec<U> {
    v.clear();
    v.into_iter()
        .map(|_| unreachable!("the vector is empty"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffers_come_back_empty_and_wiped() {
        let ptr = {
            let mut s = string(64);
            s.push_str("x-oss-security-token:CAIS-secret");
            s.as_ptr()
        };
        // The same allocation comes back, empty, its old bytes zero.
        let s = string(8);
        assert!(s.is_empty());
        assert_eq!(s.as_ptr(), ptr);
        // SAFETY: reading within the capacity of a live allocation of `u8`.
        let old = unsafe { std::slice::from_raw_parts(s.as_ptr(), 32) };
        assert!(old.iter().all(|&b| b == 0));
        // Its `Debug` shows the length, never the text.
        let mut secret = string(8);
        secret.push_str("CAIS-secret");
        assert_eq!(format!("{secret:?}"), "ScratchString { len: 11 }");
        drop(secret);
        // Nested use gets distinct buffers.
        let t = string(8);
        assert_ne!(t.as_ptr(), s.as_ptr());
        let mut r = ranges(4);
        r.push((0..1, 1..2));
        drop(r);
        assert!(ranges(0).is_empty());
    }

    #[cfg(feature = "sign")]
    #[test]
    fn reference_vectors_keep_their_allocation() {
        let (a, b) = (1u8, 2u8);
        let ptr = {
            let mut p = refs::<u8>(8);
            p.extend([&a, &b]);
            p.as_ptr() as usize
        };
        let p = refs::<String>(1);
        assert!(p.is_empty());
        assert_eq!(p.as_ptr() as usize, ptr);
    }

    #[test]
    fn huge_buffers_are_not_kept() {
        let big = {
            let mut s = string(KEEP_CAPACITY * 2);
            s.push('x');
            s.as_ptr()
        };
        // This thread's pool had nothing else: a kept buffer would be the big one.
        let again = string(0);
        assert!(again.capacity() < KEEP_CAPACITY, "{big:?}");
    }
}
