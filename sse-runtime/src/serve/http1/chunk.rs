//! The frames of a chunked HTTP/1.1 body on their way to the socket, framed
//! byte for byte as hyper frames them (`{len:X}\r\n{data}\r\n`, and
//! `0\r\n\r\n` at the end), the frames that are ready written together with
//! one vectored write, as hyper gathers its queue. A chunk borrows its
//! frame's bytes: nothing is copied, and a stream with nothing to send holds
//! no buffer.

use std::collections::VecDeque;
use std::io::{self, IoSlice, Write as _};
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bytes::Bytes;
use tokio::io::AsyncWrite;

/// Enough for `usize::MAX` in hex and its CRLF.
const HEAD_MAX: usize = 2 * std::mem::size_of::<usize>() + 2;

/// A chunk partly or not yet written.
#[derive(Debug)]
pub(crate) struct Chunk {
    head: [u8; HEAD_MAX],
    head_len: u8,
    data: Bytes,
    /// `\r\n` after data; nothing after the last chunk's head, which is all
    /// of it.
    tail: &'static [u8],
    /// How much of head, data and tail has been written.
    written: usize,
}

impl Chunk {
    /// A chunk carrying `data`, which must not be empty (an empty chunk ends
    /// the body).
    pub(crate) fn data(data: Bytes) -> Self {
        debug_assert!(!data.is_empty(), "an empty chunk would end the body");
        let mut head = [0; HEAD_MAX];
        let mut cursor = io::Cursor::new(&mut head[..]);
        write!(cursor, "{:X}\r\n", data.len()).expect("a usize in hex fits");
        let head_len = cursor.position() as u8;
        Self {
            head,
            head_len,
            data,
            tail: b"\r\n",
            written: 0,
        }
    }

    /// The chunk that ends the body (no trailers).
    pub(crate) fn last() -> Self {
        let mut head = [0; HEAD_MAX];
        head[..5].copy_from_slice(b"0\r\n\r\n");
        Self {
            head,
            head_len: 5,
            data: Bytes::new(),
            tail: b"",
            written: 0,
        }
    }

    fn len(&self) -> usize {
        usize::from(self.head_len) + self.data.len() + self.tail.len()
    }

    /// The parts not yet written.
    fn remaining(&self) -> [IoSlice<'_>; 3] {
        let parts: [&[u8]; 3] = [
            &self.head[..usize::from(self.head_len)],
            &self.data,
            self.tail,
        ];
        let mut skip = self.written;
        parts.map(|part| {
            let skipped = skip.min(part.len());
            skip -= skipped;
            IoSlice::new(&part[skipped..])
        })
    }
}

/// At most this many chunks go to one write (three slices each), as hyper's
/// write buffer holds at most 16 of a body's frames.
pub(crate) const GATHER_MAX: usize = 16;

/// No frame is taken from the body while this many bytes wait for the
/// socket: hyper's write buffer (`8192 + 4096 * 100`, its default), so that a
/// stream whose client stopped reading holds, and has taken from its body,
/// what it would on hyper's path.
pub(crate) const QUEUED_MAX: usize = 8192 + 4096 * 100;

/// The chunks waiting for the socket, oldest first: the first inline, so a
/// stream that sends one event at a time allocates nothing; the others only
/// while frames come faster than the socket takes them.
#[derive(Debug, Default)]
pub(crate) struct Chunks {
    first: Option<Chunk>,
    more: VecDeque<Chunk>,
}

impl Chunks {
    /// Nothing waits.
    pub(crate) fn is_empty(&self) -> bool {
        self.first.is_none()
    }

    /// Whether another chunk may join the next write: fewer than
    /// [`GATHER_MAX`] chunks and [`QUEUED_MAX`] bytes wait.
    pub(crate) fn has_room(&self) -> bool {
        let queued: usize = self
            .first
            .iter()
            .chain(&self.more)
            .map(|chunk| chunk.len() - chunk.written)
            .sum();
        self.more.len() + 1 < GATHER_MAX && queued < QUEUED_MAX
    }

    /// `chunk` goes after the others.
    pub(crate) fn push(&mut self, chunk: Chunk) {
        if self.first.is_none() {
            self.first = Some(chunk);
        } else {
            self.more.push_back(chunk);
        }
    }

    /// Writes every waiting chunk; ready once all are written.
    pub(crate) fn poll_write<W: AsyncWrite + Unpin>(
        &mut self,
        io: &mut W,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<()>> {
        while let Some(first) = &self.first {
            let mut slices = [IoSlice::new(&[]); 3 * GATHER_MAX];
            let mut used = 0;
            for chunk in std::iter::once(first).chain(&self.more) {
                for slice in chunk.remaining() {
                    if !slice.is_empty() {
                        slices[used] = slice;
                        used += 1;
                    }
                }
            }
            let n = ready!(Pin::new(&mut *io).poll_write_vectored(cx, &slices[..used]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.advance(n);
        }
        Poll::Ready(Ok(()))
    }

    /// `n` more bytes were written: done chunks go, their bytes with them.
    fn advance(&mut self, mut n: usize) {
        while let Some(first) = &mut self.first {
            let left = first.len() - first.written;
            if n < left {
                first.written += n;
                return;
            }
            n -= left;
            self.first = self.more.pop_front();
        }
        // A burst is over: its queue's memory goes too.
        self.more = VecDeque::new();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A writer that takes at most `step` bytes a write.
    struct Trickle {
        written: Vec<u8>,
        step: usize,
    }

    impl AsyncWrite for Trickle {
        fn poll_write(
            mut self: Pin<&mut Self>,
            _: &mut Context<'_>,
            buf: &[u8],
        ) -> Poll<io::Result<usize>> {
            let n = buf.len().min(self.step);
            self.written.extend_from_slice(&buf[..n]);
            Poll::Ready(Ok(n))
        }

        fn poll_write_vectored(
            mut self: Pin<&mut Self>,
            _: &mut Context<'_>,
            bufs: &[IoSlice<'_>],
        ) -> Poll<io::Result<usize>> {
            let mut budget = self.step;
            let mut n = 0;
            for buf in bufs {
                let take = buf.len().min(budget);
                self.written.extend_from_slice(&buf[..take]);
                budget -= take;
                n += take;
            }
            Poll::Ready(Ok(n))
        }

        fn is_write_vectored(&self) -> bool {
            true
        }

        fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
            Poll::Ready(Ok(()))
        }

        fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
            Poll::Ready(Ok(()))
        }
    }

    /// What `chunks` put on the wire through a socket that takes `step`
    /// bytes a write, `together` of them gathered at a time.
    fn written(chunks: Vec<Chunk>, step: usize, together: usize) -> Vec<u8> {
        let mut io = Trickle {
            written: Vec::new(),
            step,
        };
        let waker = futures_util::task::noop_waker();
        let mut cx = Context::from_waker(&waker);
        let mut waiting = Chunks::default();
        let mut chunks = chunks.into_iter().peekable();
        while chunks.peek().is_some() {
            for chunk in chunks.by_ref().take(together) {
                assert!(waiting.has_room());
                waiting.push(chunk);
            }
            assert!(waiting.poll_write(&mut io, &mut cx).is_ready());
            assert!(waiting.is_empty());
        }
        io.written
    }

    /// hyper's write buffer takes a body's frames while it holds fewer than
    /// 16 and fewer than 417,792 bytes: a stalled stream takes as many.
    #[test]
    fn takes_frames_as_hyper_would_buffer_them() {
        let mut small = Chunks::default();
        let mut taken = 0;
        while small.has_room() {
            small.push(Chunk::data(Bytes::from_static(b"data: a\n\n")));
            taken += 1;
        }
        assert_eq!(taken, GATHER_MAX);
        let mut large = Chunks::default();
        let frame = Bytes::from(vec![b'x'; 60_000]);
        let mut taken = 0;
        while large.has_room() {
            large.push(Chunk::data(frame.clone()));
            taken += 1;
        }
        // Seven frames and their chunk lines: the first over the limit.
        assert_eq!(
            taken, 7,
            "{QUEUED_MAX} bytes hold six 60,000-byte frames, then one more"
        );
    }

    #[test]
    fn frames_as_hyper_does_however_the_socket_splits_the_writes() {
        let mut expected = b"9\r\ndata: a\n\n\r\n12C\r\n".to_vec();
        expected.extend_from_slice(&[b'x'; 300]);
        expected.extend_from_slice(b"\r\n0\r\n\r\n");
        for step in [1, 2, 3, 7, 64, 10_000] {
            for together in [1, 2, 3] {
                let chunks = vec![
                    Chunk::data(Bytes::from_static(b"data: a\n\n")),
                    Chunk::data(Bytes::from(vec![b'x'; 300])),
                    Chunk::last(),
                ];
                assert_eq!(
                    written(chunks, step, together),
                    expected,
                    "{step} bytes a write, {together} chunks gathered"
                );
            }
        }
    }
}
