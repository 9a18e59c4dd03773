//! A socket that remembers since when its writes have been blocked: how the
//! connection learns that a client stopped reading.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::Instant;

/// Since when a connection's writes have waited for the peer, shared between
/// the socket (which sets it) and the connection's guard (which enforces the
/// send timeout).
#[derive(Debug)]
pub(crate) struct WriteClock {
    opened: Instant,
    /// Microseconds after `opened` plus one when writes started to block;
    /// zero while writes go through.
    blocked_since: AtomicU64,
}

impl WriteClock {
    pub(crate) fn new() -> Arc<Self> {
        Arc::new(Self {
            opened: Instant::now(),
            blocked_since: AtomicU64::new(0),
        })
    }

    /// When writes started to wait, if they are waiting now.
    pub(crate) fn blocked_since(&self) -> Option<Instant> {
        match self.blocked_since.load(Ordering::Relaxed) {
            0 => None,
            micros => Some(self.opened + std::time::Duration::from_micros(micros - 1)),
        }
    }

    fn record<T>(&self, poll: &Poll<io::Result<T>>) {
        match poll {
            Poll::Pending => {
                if self.blocked_since.load(Ordering::Relaxed) == 0 {
                    let micros = Instant::now().duration_since(self.opened).as_micros();
                    let micros = u64::try_from(micros).unwrap_or(u64::MAX - 1) + 1;
                    self.blocked_since.store(micros, Ordering::Relaxed);
                }
            }
            Poll::Ready(_) => self.blocked_since.store(0, Ordering::Relaxed),
        }
    }
}

pin_project_lite::pin_project! {
    /// Wraps a socket and records on its [`WriteClock`] whenever a write must
    /// wait because the peer is not reading.
    pub(crate) struct ClockedIo<T> {
        #[pin]
        inner: T,
        clock: Arc<WriteClock>,
    }
}

impl<T> ClockedIo<T> {
    pub(crate) fn new(inner: T, clock: Arc<WriteClock>) -> Self {
        Self { inner, clock }
    }
}

impl<T: AsyncRead> AsyncRead for ClockedIo<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        self.project().inner.poll_read(cx, buf)
    }
}

impl<T: AsyncWrite> AsyncWrite for ClockedIo<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.project();
        let poll = this.inner.poll_write(cx, buf);
        this.clock.record(&poll);
        poll
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.project();
        let poll = this.inner.poll_write_vectored(cx, bufs);
        this.clock.record(&poll);
        poll
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.project();
        let poll = this.inner.poll_flush(cx);
        this.clock.record(&poll);
        poll
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.project().inner.poll_shutdown(cx)
    }
}
