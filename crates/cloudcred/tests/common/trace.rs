//! Everything `tracing` writes at TRACE, captured for the leak checks.

use std::io::Write;
use std::sync::{Arc, Mutex};

/// Collects everything `tracing` writes.
#[derive(Clone, Default)]
pub struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Capture {
    pub fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

/// The process-wide TRACE subscriber writing into one [`Capture`], installed once for the
/// tests of a binary that read logs.
///
/// A global subscriber, not a scoped one: tracing caches a callsite's interest process-wide,
/// and another test of the binary hitting a callsite first (with no subscriber in its thread)
/// would otherwise disable it here now and then. Other tests' logs are then captured too, and
/// checked as well.
pub fn trace_capture() -> Capture {
    static CAPTURE: std::sync::OnceLock<Capture> = std::sync::OnceLock::new();
    CAPTURE
        .get_or_init(|| {
            let capture = Capture::default();
            let sink = capture.clone();
            let subscriber = tracing_subscriber::fmt()
                .with_max_level(tracing::Level::TRACE)
                .with_writer(move || sink.clone())
                .finish();
            tracing::subscriber::set_global_default(subscriber).unwrap();
            capture
        })
        .clone()
}
