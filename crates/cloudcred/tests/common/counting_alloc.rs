//! A global allocator that counts the allocations of the calling thread while [`count`] runs,
//! for the tests that show a cached read allocates nothing. Included with `#[path]` by the test
//! binaries that install it (a global allocator is per binary, so it is not part of `common`).
//!
//! Only the calling thread's allocations count: a runtime worker or the test harness allocating
//! at the same moment on another thread is not the cached read's doing (process-wide counting
//! made such tests fail now and then on a loaded machine).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};

pub struct Counting;

thread_local! {
    // Const-initialised and without a destructor: reading it never allocates.
    static COUNTING: Cell<bool> = const { Cell::new(false) };
}
static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if COUNTING.with(Cell::get) {
            ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        }
        System.alloc(layout)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }
}

/// Allocations made by `f` over 10,000 calls on this thread. The counter is shared: tests of
/// one binary that count must not run at the same time (one counting test per binary).
pub fn count<F: FnMut()>(mut f: F) -> u64 {
    ALLOCATIONS.store(0, Ordering::SeqCst);
    COUNTING.with(|c| c.set(true));
    for _ in 0..10_000 {
        f();
    }
    COUNTING.with(|c| c.set(false));
    ALLOCATIONS.load(Ordering::SeqCst)
}
