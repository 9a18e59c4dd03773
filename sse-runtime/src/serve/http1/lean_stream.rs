//! An event stream that has left hyper ([`handover`](crate::serve::http1::handover)):
//! its task owns the socket, the response body and nothing else.
//!
//! It writes each frame the body gives as a chunk, straight from the frame's
//! bytes (no buffer of its own); reads the socket as hyper's connection does
//! while it writes a response (below); keeps every guarantee of the
//! connection it came from (the socket still enforces the send timeout and
//! notes a kernel timeout; the guard still ends it at the end of the grace
//! period); and when the body ends, writes the last chunk and gives back
//! the socket, with whatever the client already sent of its next request,
//! for hyper to serve it (`connection.rs`).
//!
//! While hyper writes a response, it reads the socket only for the client's
//! EOF, and only while its read buffer is empty (hyper 1's
//! `Conn::poll_read_keep_alive`): a read that finds the EOF ends the
//! connection (the client has gone, even if it only half-closed), and a read
//! that brings bytes (a pipelined request, garbage) keeps them and stops
//! reading until the response has ended, so that the rest of what the client
//! sends, its EOF included, waits in the kernel's socket buffer. A lean
//! stream reads the same way, into the stack: it holds what hyper had read
//! past the stream's request, or else at most one read of [`READ_MAX`] bytes,
//! and a client that half-closes after sending something gets its stream to
//! the end, then hyper's answer to what it sent, as on hyper's path
//! (`tests/lean_stream_reads.rs`).

use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use axum::body::Body;
use bytes::Bytes;
use http_body::Body as _;
use tokio::io::{AsyncRead, ReadBuf};

use crate::serve::guard::ConnectionGuard;
use crate::serve::http1::chunk::{Chunk, Chunks};
use crate::serve::socket::WatchedIo;

/// The most a lean stream reads of what its client sends while it runs (one
/// read, on the stack; hyper's path reads up to its read buffer, 8 KiB at
/// first): the rest waits in the kernel until the stream ends.
const READ_MAX: usize = 256;

/// One event stream on its own socket, polled by its connection's task.
pub(crate) struct LeanStream(Option<Streaming>);

/// A lean stream until it ends.
struct Streaming {
    wire: Wire,
    guard: ConnectionGuard,
}

/// What a lean stream's turns use: its socket, its body, and what is on its
/// way between them and the client.
struct Wire {
    io: WatchedIo,
    body: Body,
    /// The chunks the socket has not taken yet.
    sending: Chunks,
    /// The body has ended; its last chunk is (being) written.
    finished: bool,
    /// Not polled yet: hyper's last read of the socket came just before it
    /// wrote the head, so the body's ready frames go out before the next
    /// read, as they would have with the head on hyper's path.
    fresh: bool,
    /// What the client sent after its request (a pipelined request, or
    /// garbage), for hyper to read when the stream ends; while it holds
    /// anything, the socket is not read. Empty, and no allocation, in the
    /// usual case.
    pipelined: Bytes,
}

/// How a lean stream's turns end.
enum End {
    /// The last chunk is out: the connection can serve its next request.
    Finished,
    /// The connection goes (the client left, a write failed or timed out,
    /// the body failed, the grace period ended): everything is dropped.
    Dropped,
}

/// What a lean stream whose last chunk is out gives back: the socket (what
/// the client sent meanwhile to be read first) and its guard.
pub(crate) struct Finished {
    pub(crate) io: WatchedIo,
    pub(crate) guard: ConnectionGuard,
}

impl LeanStream {
    /// `pipelined`: what hyper had read past the stream's request.
    pub(crate) fn new(
        io: WatchedIo,
        body: Body,
        pipelined: &[u8],
        guard: ConnectionGuard,
        peer: SocketAddr,
    ) -> Self {
        tracing::debug!(%peer, "event stream left hyper's connection");
        Self(Some(Streaming {
            wire: Wire::new(io, body, pipelined, peer),
            guard,
        }))
    }

    /// Sends, reads and watches the grace period until the stream ends:
    /// with what goes back to hyper once its last chunk is out, or `None`
    /// once the connection is dropped.
    pub(crate) fn poll_end(
        &mut self,
        cx: &mut Context<'_>,
        peer: SocketAddr,
    ) -> Poll<Option<Finished>> {
        let stream = self
            .0
            .as_mut()
            .expect("a lean stream polled after it ended");
        // The body first: at the end of the grace period it ends itself and
        // its last chunk goes out (as under hyper, whose connection the
        // guard polls before it looks at the grace period); only a stream
        // that could not end, or whose socket is full, is cut off.
        let end = match stream.wire.poll_turn(cx, peer) {
            Poll::Ready(end) => end,
            Poll::Pending if stream.guard.poll_grace(cx).is_ready() => End::Dropped,
            Poll::Pending => return Poll::Pending,
        };
        let Streaming { wire, guard } = self.0.take().expect("just polled");
        Poll::Ready(match end {
            End::Finished => Some(Finished {
                io: wire.io.unread(wire.pipelined),
                guard,
            }),
            End::Dropped => None,
        })
    }
}

/// Says that the stream of `peer` holds `pipelined` and reads no more of
/// its socket.
fn stopped_reading(peer: SocketAddr, pipelined: &Bytes) {
    tracing::debug!(
        %peer,
        held = pipelined.len(),
        "the client sent more while its stream runs: kept for hyper, and the socket is \
         not read until the stream ends"
    );
}

impl Wire {
    /// `pipelined`: what hyper had read past the stream's request.
    fn new(io: WatchedIo, body: Body, pipelined: &[u8], peer: SocketAddr) -> Self {
        // A copy, not hyper's buffer: what is left of hyper's read buffer
        // still holds all 8 KiB of it, even when empty.
        let pipelined = Bytes::copy_from_slice(pipelined);
        if !pipelined.is_empty() {
            stopped_reading(peer, &pipelined);
        }
        Self {
            io,
            body,
            sending: Chunks::default(),
            finished: false,
            fresh: true,
            pipelined,
        }
    }

    /// One turn of the task, in hyper's order: a read for the client's EOF,
    /// then the body. Except on the first, whose read hyper made before it
    /// wrote the head: the body goes first, then the read.
    fn poll_turn(&mut self, cx: &mut Context<'_>, peer: SocketAddr) -> Poll<End> {
        let fresh = std::mem::take(&mut self.fresh);
        if !fresh && self.poll_client_gone(cx, peer).is_ready() {
            return Poll::Ready(End::Dropped);
        }
        let sent = self.poll_send(cx);
        if fresh && sent.is_pending() && self.poll_client_gone(cx, peer).is_ready() {
            return Poll::Ready(End::Dropped);
        }
        sent
    }

    /// Reads the socket for the client's EOF, as hyper does while it writes
    /// a response (the module docs): ready once the client has gone (or the
    /// socket failed). Not at all while the stream holds what the client
    /// sent; else one read, into the stack, whose bytes the stream then
    /// holds.
    fn poll_client_gone(&mut self, cx: &mut Context<'_>, peer: SocketAddr) -> Poll<()> {
        if !self.pipelined.is_empty() {
            return Poll::Pending;
        }
        let mut scratch = [0u8; READ_MAX];
        let mut buf = ReadBuf::new(&mut scratch);
        match Pin::new(&mut self.io).poll_read(cx, &mut buf) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Ok(())) if buf.filled().is_empty() => {
                tracing::trace!("the client closed its side");
                Poll::Ready(())
            }
            Poll::Ready(Ok(())) => {
                self.pipelined = Bytes::copy_from_slice(buf.filled());
                stopped_reading(peer, &self.pipelined);
                Poll::Pending
            }
            Poll::Ready(Err(error)) => {
                tracing::debug!(%error, "reading the connection failed");
                Poll::Ready(())
            }
        }
    }

    /// Sends what the body gives until it waits, or until it ends and its
    /// last chunk is out. The frames that are ready (up to
    /// [`GATHER_MAX`](crate::serve::http1::chunk::GATHER_MAX)) go in one write.
    fn poll_send(&mut self, cx: &mut Context<'_>) -> Poll<End> {
        loop {
            while !self.finished && self.sending.has_room() {
                match Pin::new(&mut self.body).poll_frame(cx) {
                    Poll::Pending => break,
                    Poll::Ready(Some(Ok(frame))) => match frame.into_data() {
                        Ok(data) if data.is_empty() => {}
                        Ok(data) => self.sending.push(Chunk::data(data)),
                        // Trailers: hyper sends them only to a client that
                        // asked with `TE: trailers`, which stays on hyper's
                        // path; to any other, hyper ends the body there: it
                        // drops it at once and writes the last chunk.
                        Err(_) => {
                            self.body = Body::empty();
                            self.finished = true;
                            self.sending.push(Chunk::last());
                        }
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
}

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::{TcpListener, TcpStream};

    use super::*;
    use crate::serve::socket::CurrentStream;

    /// A client that half-closed right after its request, its EOF there
    /// before the stream's first turn: hyper's path wrote the body's ready
    /// frames with the head, before it read again, so the lean stream sends
    /// them (here, all of a body that ends) before its first read.
    #[tokio::test]
    async fn the_first_turn_sends_before_it_reads() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let mut client = TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let (socket, peer) = listener.accept().await.unwrap();
        client.shutdown().await.unwrap();
        assert_eq!(socket.peek(&mut [0; 1]).await.unwrap(), 0, "the EOF is in");
        let io = WatchedIo::new(socket, CurrentStream::default(), None);
        let mut wire = Wire::new(io, Body::from("data: x\n\n"), &[], peer);
        let end = std::future::poll_fn(|cx| wire.poll_turn(cx, peer)).await;
        assert!(matches!(end, End::Finished), "the body went out whole");
        drop(wire);
        let mut seen = String::new();
        client.read_to_string(&mut seen).await.unwrap();
        assert_eq!(seen, "9\r\ndata: x\n\n\r\n0\r\n\r\n");
    }
}
