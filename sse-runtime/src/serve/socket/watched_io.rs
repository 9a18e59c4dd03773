//! A socket that enforces, from inside its own reads and writes, what an
//! event stream needs of its connection: the send timeout, and (under
//! `axum::serve`) the end of the grace period.
//!
//! hyper stops polling a response body while the socket is full, so the body
//! cannot notice that its client stopped reading; but hyper keeps polling the
//! socket: a write that waits, and a read that watches for the client's EOF
//! while a response streams. So the socket itself remembers since when its
//! writes have been waiting and, once that exceeds the stream's send timeout,
//! fails them, which makes hyper drop the connection and with it the stream.
//! The same goes for a shutdown whose grace period is over. Being the socket,
//! this works under any server that serves it: `sse_runtime::serve` and,
//! through [`SseListener`](crate::serve::SseListener), plain `axum::serve`.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

use crate::response::{DisconnectReason, WaitClock};
use crate::serve::socket::current_stream::CurrentStream;
use crate::serve::socket::options;
use crate::shutdown::{Notice, Shutdown, ShutdownListener};

pin_project_lite::pin_project! {
    /// A connection's socket, as [`SseListener`](crate::serve::SseListener) hands it
    /// to `axum::serve`: reads and writes go straight through, and fail once
    /// the connection's event stream must end (its client stopped reading for
    /// longer than the send timeout, or the shutdown's grace period is over).
    ///
    /// You do not build one; it is `SseListener`'s `axum::serve::Listener::Io`.
    #[derive(Debug)]
    pub struct WatchedIo {
        #[pin]
        inner: TcpStream,
        watch: Watch,
    }
}

/// What a [`WatchedIo`] watches.
#[derive(Debug)]
pub(crate) struct Watch {
    /// Since when writes have waited for the peer, and the timer for the
    /// send timeout.
    writes: WaitClock,
    /// The event stream the connection carries, for its send timeout.
    current: CurrentStream,
    /// Only where no guard drops the connection at the end of the grace
    /// period (under `axum::serve`).
    shutdown: Option<ShutdownListener>,
    /// The grace period is over and the connection has had one more poll
    /// to end its stream by itself; the next operation that waits fails.
    grace_over: bool,
    /// Why reads and writes now fail, once they do.
    ended: Option<DisconnectReason>,
    /// Bytes read from the socket ahead of hyper, read again before the
    /// socket: those that told a cleartext connection's protocol, and what
    /// the client sent while a lean stream ran.
    unread: Option<Box<Bytes>>,
}

impl WatchedIo {
    pub(crate) fn new(
        inner: TcpStream,
        current: CurrentStream,
        shutdown: Option<ShutdownListener>,
    ) -> Self {
        Self {
            inner,
            watch: Watch {
                writes: WaitClock::default(),
                current,
                shutdown,
                grace_over: false,
                ended: None,
                unread: None,
            },
        }
    }

    /// `bytes` are read before anything more from the socket, and before
    /// whatever is still unread of the bytes given back last time: hyper or
    /// a lean stream took `bytes` from the front of those.
    pub(crate) fn unread(mut self, bytes: Bytes) -> Self {
        if bytes.is_empty() {
            return self;
        }
        let bytes = match self.watch.unread.take() {
            None => bytes,
            Some(rest) => [bytes, *rest].concat().into(),
        };
        self.watch.unread = Some(Box::new(bytes));
        self
    }

    /// The connection's stream slot, for the service that fills it.
    pub(crate) fn current(&self) -> &CurrentStream {
        &self.watch.current
    }

    /// The coordinator whose grace period the socket watches, if it does.
    pub(crate) fn shutdown(&self) -> Option<Shutdown> {
        self.watch.shutdown.as_ref().map(ShutdownListener::shutdown)
    }
}

impl Watch {
    /// The error every operation returns once the connection has ended.
    fn ended(&self) -> Option<io::Error> {
        self.ended.map(|reason| {
            let kind = match reason {
                DisconnectReason::SendTimeout => io::ErrorKind::TimedOut,
                _ => io::ErrorKind::ConnectionAborted,
            };
            io::Error::new(
                kind,
                format!("event stream ended by the server: {reason:?}"),
            )
        })
    }

    /// Notes whether a write went through or has to wait.
    fn record_write<R>(&mut self, poll: &Poll<io::Result<R>>) {
        match poll {
            Poll::Pending => {
                self.writes.waiting();
            }
            Poll::Ready(_) => self.writes.going(),
        }
    }

    /// Called when an operation is about to return `Pending`: checks the
    /// limits, registering the task to be woken when one runs out, and fails
    /// the operation if one has.
    fn poll_limits(&mut self, cx: &mut Context<'_>) -> io::Result<()> {
        if let Some(shutdown) = &mut self.shutdown
            && let Poll::Ready(Notice::GraceOver) = shutdown.poll_notice(cx)
        {
            // hyper reads before it writes: failing this first operation
            // would drop the connection before its body, which ends itself
            // at the end of the grace period, could send its last chunk. So
            // the connection gets one more turn, and whatever still waits
            // after it fails.
            if !std::mem::replace(&mut self.grace_over, true) {
                cx.waker().wake_by_ref();
                return Ok(());
            }
            tracing::debug!("grace period over; closing the connection");
            return Err(self.end(DisconnectReason::Shutdown));
        }
        if self.poll_send_timeout(cx).is_ready() {
            return Err(self.end(DisconnectReason::SendTimeout));
        }
        Ok(())
    }

    /// Ready when a write has waited longer than the stream's send timeout.
    fn poll_send_timeout(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let Some(timeout) = self.current.get().and_then(|stream| stream.send_timeout) else {
            return Poll::Pending;
        };
        std::task::ready!(self.writes.poll_waited(timeout, cx));
        tracing::debug!(
            ?timeout,
            "client stopped reading: a write waited longer than the send timeout"
        );
        Poll::Ready(())
    }

    /// A new response on the connection: the kernel's own limit on
    /// unacknowledged data (`TCP_USER_TIMEOUT`) follows its send timeout, so
    /// that a peer that vanished is found as soon as one that stopped reading
    /// (none where the stream turned the send timeout off).
    fn follow_stream(&mut self, socket: &TcpStream) {
        if !self.current.take_changed() {
            return;
        }
        if let Some(stream) = self.current.get() {
            options::set_user_timeout(socket, stream.send_timeout);
        }
    }

    /// Notes an error from the socket itself: `ETIMEDOUT` is the kernel
    /// giving up on a peer that stopped acknowledging (`TCP_USER_TIMEOUT`, or
    /// keep-alive probes), which the stream's report should say.
    fn record_error<R>(&mut self, poll: &Poll<io::Result<R>>) {
        if let Poll::Ready(Err(error)) = poll
            && error.kind() == io::ErrorKind::TimedOut
            && self.ended.is_none()
        {
            // The kernel's timeout also covers a client that acknowledges but
            // stopped reading (zero-window probes), and may fire just before
            // ours: with our writes waiting on a full buffer, that is a send
            // timeout; with writes going through, the peer is gone.
            let reason = if self.writes.is_waiting() {
                DisconnectReason::SendTimeout
            } else {
                DisconnectReason::PeerUnresponsive
            };
            tracing::debug!(%error, %reason, "the kernel timed the connection out");
            self.current.end(reason);
        }
    }

    /// Ends the connection's stream for `reason`; every operation fails from
    /// now on.
    fn end(&mut self, reason: DisconnectReason) -> io::Error {
        self.current.end(reason);
        self.ended = Some(reason);
        self.writes.stop();
        self.ended().expect("just ended")
    }
}

impl WatchedIo {
    /// Runs one socket operation under the watch: fails at once once the
    /// connection has ended, notes a kernel timeout, and, for writes, what
    /// the stream's send timeout needs; registers for the limits while the
    /// operation waits.
    fn watched<R>(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        writes: bool,
        op: impl FnOnce(Pin<&mut TcpStream>, &mut Context<'_>) -> Poll<io::Result<R>>,
    ) -> Poll<io::Result<R>> {
        let this = self.project();
        if let Some(error) = this.watch.ended() {
            return Poll::Ready(Err(error));
        }
        if writes {
            this.watch.follow_stream(&this.inner);
        }
        let poll = op(this.inner, cx);
        this.watch.record_error(&poll);
        if writes {
            this.watch.record_write(&poll);
        }
        if poll.is_pending() {
            this.watch.poll_limits(cx)?;
        }
        poll
    }
}

impl AsyncRead for WatchedIo {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let watch = self.as_mut().project().watch;
        if let Some(unread) = &mut watch.unread
            && buf.remaining() > 0
        {
            let n = unread.len().min(buf.remaining());
            buf.put_slice(&unread.split_to(n));
            if unread.is_empty() {
                watch.unread = None;
            }
            return Poll::Ready(Ok(()));
        }
        self.watched(cx, false, |inner, cx| inner.poll_read(cx, buf))
    }
}

impl AsyncWrite for WatchedIo {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.watched(cx, true, |inner, cx| inner.poll_write(cx, buf))
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.watched(cx, true, |inner, cx| inner.poll_write_vectored(cx, bufs))
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.watched(cx, true, |inner, cx| inner.poll_flush(cx))
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.project().inner.poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    use super::*;

    /// hyper read part of what was given back and gives back the rest of
    /// what it read: that comes first, then what it had not read, then the
    /// socket.
    #[tokio::test]
    async fn bytes_given_back_go_before_those_still_unread() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let mut client = TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let (socket, _) = listener.accept().await.unwrap();
        let io = WatchedIo::new(socket, CurrentStream::default(), None);
        let mut io = io.unread(Bytes::from_static(b"abcdef"));
        let mut read = [0; 3];
        io.read_exact(&mut read).await.unwrap();
        assert_eq!(&read, b"abc");
        let mut io = io.unread(Bytes::from_static(b"c"));
        client.write_all(b"g").await.unwrap();
        client.shutdown().await.unwrap();
        let mut rest = String::new();
        io.read_to_string(&mut rest).await.unwrap();
        assert_eq!(rest, "cdefg");
    }
}
