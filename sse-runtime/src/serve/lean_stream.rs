//! An event stream that has left hyper ([`handover`](crate::serve::handover)):
//! its task owns the socket, the response body and nothing else.
//!
//! It writes each frame the body gives as a chunk, straight from the frame's
//! bytes (no buffer of its own); watches the socket for the client's EOF
//! with a read into the stack; keeps every guarantee of the connection it
//! came from (the socket still enforces the send timeout and notes a kernel
//! timeout; the guard still ends it at the end of the grace period); and
//! when the body ends, writes the last chunk and gives the connection back
//! to hyper for its next request (with whatever the client already sent of
//! it), or closes it during a shutdown.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use axum::body::Body;
use bytes::{Bytes, BytesMut};
use http_body::Body as _;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio_util::task::TaskTracker;

use crate::serve::chunk::{Chunk, Chunks};
use crate::serve::guard::ConnectionGuard;
use crate::serve::service::RouterService;
use crate::serve::watched_io::WatchedIo;

/// How much a client may send while its stream runs before the socket is no
/// longer read: what hyper buffers at most for a connection's next request
/// (its `DEFAULT_MAX_BUFFER_SIZE`).
const PIPELINED_MAX: usize = 8192 + 4096 * 100;

/// One event stream on its own socket, as a task.
pub(crate) struct LeanStream(Option<Streaming>);

/// A lean stream until it ends.
struct Streaming {
    io: WatchedIo,
    body: Body,
    /// The chunks the socket has not taken yet.
    sending: Chunks,
    /// The body has ended; its last chunk is (being) written.
    finished: bool,
    /// What the client sent after its request (a pipelined request, or
    /// garbage), for hyper to read when the stream ends; empty, and no
    /// allocation, in the usual case.
    pipelined: BytesMut,
    guard: ConnectionGuard,
    /// What the connection goes back to hyper with.
    service: RouterService,
    tracker: TaskTracker,
    resume: Resume,
}

/// Starts hyper on a connection again, once its lean stream has ended (the
/// HTTP/1 connection's task, which also starts lean streams: a function
/// rather than a name, so that neither module needs the other).
pub(crate) type Resume = fn(WatchedIo, RouterService, ConnectionGuard, TaskTracker);

/// How a lean stream's task ends.
enum End {
    /// The last chunk is out: the connection can serve its next request.
    Finished,
    /// The connection goes (the client left, a write failed or timed out,
    /// the body failed, the grace period ended): everything is dropped.
    Dropped,
}

impl LeanStream {
    pub(crate) fn new(
        io: WatchedIo,
        body: Body,
        pipelined: Bytes,
        service: RouterService,
        guard: ConnectionGuard,
        tracker: TaskTracker,
        resume: Resume,
    ) -> Self {
        tracing::debug!(peer = %service.peer, "event stream left hyper's connection");
        Self(Some(Streaming {
            io,
            body,
            sending: Chunks::default(),
            finished: false,
            // A copy, not hyper's buffer: an empty `Bytes` split off hyper's
            // read buffer still holds all 8 KiB of it.
            pipelined: BytesMut::from(&pipelined[..]),
            guard,
            service,
            tracker,
            resume,
        }))
    }
}

impl Streaming {
    /// Reads whatever the client sends, for its EOF: ready once the client
    /// has gone (or the socket failed). Into the stack, since a client
    /// almost never sends anything; what it does send is kept for hyper, up
    /// to as much as hyper would buffer ([`PIPELINED_MAX`]), after which
    /// the socket is not read until the stream ends, as under hyper.
    fn poll_client_gone(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let mut scratch = [0u8; 256];
        while self.pipelined.len() < PIPELINED_MAX {
            let mut buf = ReadBuf::new(&mut scratch);
            match Pin::new(&mut self.io).poll_read(cx, &mut buf) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Ok(())) if buf.filled().is_empty() => {
                    tracing::trace!("the client closed its side");
                    return Poll::Ready(());
                }
                Poll::Ready(Ok(())) => self.pipelined.extend_from_slice(buf.filled()),
                Poll::Ready(Err(error)) => {
                    tracing::debug!(%error, "reading the connection failed");
                    return Poll::Ready(());
                }
            }
        }
        Poll::Pending
    }

    /// Sends what the body gives until it waits, or until it ends and its
    /// last chunk is out. The frames that are ready (up to
    /// [`GATHER_MAX`](crate::serve::chunk::GATHER_MAX)) go in one write.
    fn poll_send(&mut self, cx: &mut Context<'_>) -> Poll<End> {
        loop {
            while !self.finished && self.sending.has_room() {
                match Pin::new(&mut self.body).poll_frame(cx) {
                    Poll::Pending => break,
                    Poll::Ready(Some(Ok(frame))) => match frame.into_data() {
                        Ok(data) if data.is_empty() => {}
                        Ok(data) => self.sending.push(Chunk::data(data)),
                        // Trailers: hyper sends them only to a client that
                        // asked with `TE: trailers`, which stays on hyper's path.
                        Err(_) => {}
                    },
                    Poll::Ready(Some(Err(error))) => {
                        // As hyper does: the client sees the body cut off,
                        // with no last chunk.
                        tracing::debug!(%error, "the event stream's body failed");
                        return Poll::Ready(End::Dropped);
                    }
                    Poll::Ready(None) => {
                        self.finished = true;
                        self.sending.push(Chunk::last());
                    }
                }
            }
            if self.sending.is_empty() {
                // The body waits, and has registered the task.
                return Poll::Pending;
            }
            if let Err(error) = ready!(self.sending.poll_write(&mut self.io, cx)) {
                tracing::debug!(%error, "writing the event stream failed");
                return Poll::Ready(End::Dropped);
            }
            if self.finished {
                return Poll::Ready(End::Finished);
            }
        }
    }

    /// The stream is over and its last chunk out: hyper serves the
    /// connection's next request, unless the connection must close.
    fn hand_back(self, cx: &mut Context<'_>) {
        let Self {
            io,
            pipelined,
            guard,
            service,
            tracker,
            resume,
            ..
        } = self;
        service.current.set(None);
        if guard.is_finishing() || service.shutdown.is_requested() {
            // As hyper closes a connection that does not stay open: our side
            // first (a TCP shutdown does not wait), then the socket.
            let mut io = io;
            let _ = Pin::new(&mut io).poll_shutdown(cx);
            return;
        }
        resume(io.unread(pipelined.freeze()), service, guard, tracker);
    }
}

impl Future for LeanStream {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let stream = self
            .0
            .as_mut()
            .expect("a lean stream polled after it ended");
        if stream.poll_client_gone(cx).is_ready() {
            self.0 = None;
            return Poll::Ready(());
        }
        // The body first: at the end of the grace period it ends itself and
        // its last chunk goes out (as under hyper, whose connection the
        // guard polls before it looks at the grace period); only a stream
        // that could not end, or whose socket is full, is cut off.
        let end = match stream.poll_send(cx) {
            Poll::Ready(end) => end,
            Poll::Pending if stream.guard.poll_grace(cx).is_ready() => End::Dropped,
            Poll::Pending => return Poll::Pending,
        };
        let stream = self.0.take().expect("just polled");
        if let End::Finished = end {
            stream.hand_back(cx);
        }
        Poll::Ready(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every idle lean stream keeps this future in its task: it is most of
    /// what the stream costs besides its body (BENCHMARKS.md, "Idle memory").
    #[test]
    fn a_lean_stream_task_is_small() {
        let size = std::mem::size_of::<LeanStream>();
        assert!(
            size <= 560,
            "a lean stream's future is {size} bytes; BENCHMARKS.md's heap profile counts on about 530"
        );
    }
}
