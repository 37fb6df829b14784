//! The body of the `SlowBody` fault: the real answer, released a few bytes at a time.
//!
//! Its exact size hint makes hyper send the full `Content-Length` with the headers, so the
//! response looks healthy until the client has waited longer than its read timeout for the rest.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use hyper::body::{Body, Frame, SizeHint};
use tokio::time::{sleep, Instant, Sleep};

/// About this far apart, pieces keep an idle-read timer from ever firing.
const PIECE_EVERY: Duration = Duration::from_millis(100);

pub(crate) struct Trickle {
    pieces: VecDeque<Bytes>,
    len: u64,
    gap: Duration,
    timer: Pin<Box<Sleep>>,
}

impl Trickle {
    /// `body` spread over `over`: one piece every [`PIECE_EVERY`] (fewer for a short body),
    /// the first one a gap after the headers.
    pub(crate) fn new(body: Vec<u8>, over: Duration) -> Trickle {
        let wanted = (over.as_millis() / PIECE_EVERY.as_millis()).max(1) as usize;
        let n = wanted.min(body.len()).max(1);
        let gap = over / n as u32;
        let body = Bytes::from(body);
        let size = body.len().div_ceil(n).max(1);
        let pieces = (0..body.len())
            .step_by(size)
            .map(|at| body.slice(at..(at + size).min(body.len())))
            .collect();
        Trickle {
            pieces,
            len: body.len() as u64,
            gap,
            timer: Box::pin(sleep(gap)),
        }
    }
}

impl Body for Trickle {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        let this = self.get_mut();
        if this.pieces.is_empty() {
            return Poll::Ready(None);
        }
        if this.timer.as_mut().poll(cx).is_pending() {
            return Poll::Pending;
        }
        let gap = this.gap;
        this.timer.as_mut().reset(Instant::now() + gap);
        Poll::Ready(this.pieces.pop_front().map(|b| Ok(Frame::data(b))))
    }

    fn is_end_stream(&self) -> bool {
        self.pieces.is_empty()
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.len)
    }
}

#[cfg(test)]
mod tests {
    use super::Trickle;
    use std::time::Duration;

    #[tokio::test]
    async fn pieces_cover_the_body_in_order() {
        let body: Vec<u8> = (0..=255u8).cycle().take(1000).collect();
        let t = Trickle::new(body.clone(), Duration::from_secs(2));
        assert_eq!(t.pieces.len(), 20);
        assert_eq!(t.gap, Duration::from_millis(100));
        let joined: Vec<u8> = t.pieces.iter().flatten().copied().collect();
        assert_eq!(joined, body);
        let short = Trickle::new(b"abc".to_vec(), Duration::from_secs(2));
        assert_eq!((short.pieces.len(), short.len), (3, 3));
        let empty = Trickle::new(Vec::new(), Duration::from_secs(2));
        assert!(empty.pieces.is_empty());
    }
}
