//! cloudcred's own runtime: where fetches run and where the blocking facade waits.
//!
//! Every fetch of a source (HTTP exchanges, token files, external processes) runs on one shared
//! tokio runtime with all drivers enabled, whatever polls the caller's future: a tokio runtime
//! with or without timers, another executor, or a blocking call. The engine's single flight means
//! this costs one cross-thread hand-off per refresh, never per cached read.
//!
//! Blocking callers hand their future to the same runtime and wait on a channel; this works from
//! plain threads and from inside any async runtime (including a current-thread tokio runtime,
//! where `block_on` would panic and `block_in_place` is unavailable) without deadlock, because the
//! future never runs on the caller's thread. The runtime's single worker is created at the first
//! fetch, so building a provider or a chain starts no thread (spec D16).

use crate::error::{Error, Result};
use std::cell::Cell;
use std::future::Future;
use std::sync::OnceLock;

thread_local! {
    static ON_SHARED: Cell<bool> = const { Cell::new(false) };
}

/// Whether the current thread is a worker of cloudcred's runtime.
pub fn on_shared() -> bool {
    ON_SHARED.with(Cell::get)
}

/// The shared runtime: a current-thread runtime that one dedicated thread drives forever.
///
/// The same single worker as a one-worker multi-thread runtime, without tokio's
/// `rt-multi-thread` scheduler, which is a third of tokio's compile time (measured: 5.6 s of
/// CPU with it, 3.9 s without) in every build, the lean one included.
fn runtime() -> Result<&'static tokio::runtime::Handle> {
    static RT: OnceLock<std::result::Result<tokio::runtime::Handle, String>> = OnceLock::new();
    RT.get_or_init(|| {
        let rt = tokio::runtime::Builder::new_current_thread()
            .thread_name("cloudcred-io")
            // Threads of the blocking pool; the driving thread marks itself below.
            .on_thread_start(|| ON_SHARED.with(|f| f.set(true)))
            .enable_all()
            .build()
            .map_err(|e| e.to_string())?;
        let handle = rt.handle().clone();
        std::thread::Builder::new()
            .name("cloudcred-io".to_owned())
            .spawn(move || {
                ON_SHARED.with(|f| f.set(true));
                rt.block_on(std::future::pending::<()>());
            })
            .map_err(|e| e.to_string())?;
        Ok(handle)
    })
    .as_ref()
    .map_err(|e| Error::internal(format!("cannot start the blocking runtime: {e}")))
}

/// Runs `fut` on the shared runtime (directly when already there) and returns its output.
pub async fn on_shared_runtime<T, F>(fut: F) -> Result<T>
where
    F: Future<Output = Result<T>> + Send + 'static,
    T: Send + 'static,
{
    if on_shared() {
        return fut.await;
    }
    let rt = runtime()?;
    let (tx, rx) = tokio::sync::oneshot::channel();
    rt.spawn(async move {
        let _ = tx.send(fut.await);
    });
    rx.await
        .map_err(|_| Error::internal("the credential resolution task was cancelled"))?
}

/// Runs `fut` to completion on the shared runtime and returns its output.
pub fn run<T, F>(fut: F) -> Result<T>
where
    F: Future<Output = Result<T>> + Send + 'static,
    T: Send + 'static,
{
    let rt = runtime()?;
    let (tx, rx) = std::sync::mpsc::sync_channel(1);
    rt.spawn(async move {
        let _ = tx.send(fut.await);
    });
    rx.recv()
        .map_err(|_| Error::internal("the credential resolution task was cancelled".to_owned()))?
}

/// Runs `fut`, which may borrow from the caller, to completion within cloudcred's runtime and
/// returns its output: on the calling thread when it is outside any tokio runtime, else on a
/// scoped thread (a thread inside a runtime may not `block_on`). Only a cache miss of
/// `get_blocking` comes here, so the thread is paid per refresh, never per cached read.
pub(crate) fn run_borrowed<T, F>(fut: F) -> Result<T>
where
    F: Future<Output = Result<T>> + Send,
    T: Send,
{
    let rt = runtime()?;
    if tokio::runtime::Handle::try_current().is_err() {
        return rt.block_on(fut);
    }
    std::thread::scope(|s| s.spawn(|| rt.block_on(fut)).join())
        .unwrap_or_else(|_| Err(Error::internal("the credential resolution thread panicked")))
}

/// Runs `fut` in a tokio context: directly when the caller is on a tokio runtime, else on the
/// shared runtime (child processes and `spawn_blocking` need tokio).
#[cfg(feature = "write-back")]
pub(crate) async fn in_tokio<T, F>(fut: F) -> Result<T>
where
    F: Future<Output = Result<T>> + Send + 'static,
    T: Send + 'static,
{
    if tokio::runtime::Handle::try_current().is_ok() {
        fut.await
    } else {
        on_shared_runtime(fut).await
    }
}

/// Runs blocking work (file locks, fsync) on tokio's blocking pool, never on an async worker.
#[cfg(feature = "write-back")]
pub(crate) async fn unblock<T, F>(f: F) -> Result<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    in_tokio(async move {
        tokio::task::spawn_blocking(f)
            .await
            .map_err(|_| Error::internal("a blocking file task was cancelled"))
    })
    .await
}
