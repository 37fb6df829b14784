//! One in-flight computation shared by every concurrent caller.
//!
//! The slot is an `ArcSwapOption`, so joining or starting a flight takes no lock, blocking or
//! async: a caller either clones the running shared future or installs a new one with a
//! compare-and-swap. The future clears the slot itself when it finishes.

use arc_swap::ArcSwapOption;
use futures_util::future::{BoxFuture, FutureExt, Shared};
use std::sync::Arc;

pub(crate) type Flight<T> = Shared<BoxFuture<'static, T>>;

pub(crate) struct SingleFlight<T: Clone + Send + Sync + 'static> {
    slot: ArcSwapOption<Flight<T>>,
}

/// Whether the caller joined a flight that was already running or started a new one.
pub(crate) enum Joined<T: Clone + Send + Sync + 'static> {
    Existing(Flight<T>),
    Started(Flight<T>),
}

impl<T: Clone + Send + Sync + 'static> Default for SingleFlight<T> {
    fn default() -> Self {
        Self {
            slot: ArcSwapOption::empty(),
        }
    }
}

impl<T: Clone + Send + Sync + 'static> SingleFlight<T> {
    pub(crate) fn is_running(&self) -> bool {
        self.slot.load().is_some()
    }

    /// Joins the running flight, or starts `make()` as the new one.
    ///
    /// `make` receives a closure that the future must call when it is done, before it returns,
    /// so that later callers start a new flight.
    pub(crate) fn join_or_start(&self, make: impl FnOnce() -> BoxFuture<'static, T>) -> Joined<T> {
        if let Some(existing) = self.slot.load_full() {
            return Joined::Existing((*existing).clone());
        }
        let flight = Arc::new(make().shared());
        let previous = self
            .slot
            .compare_and_swap(&None::<Arc<Flight<T>>>, Some(flight.clone()));
        match &*previous {
            None => Joined::Started((*flight).clone()),
            Some(winner) => Joined::Existing((**winner).clone()),
        }
    }

    /// Clears the slot (called by the flight's own future when it completes).
    pub(crate) fn finish(&self) {
        self.slot.store(None);
    }
}
