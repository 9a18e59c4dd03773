//! What a connection's guard enforces on it under `sse_runtime::serve`: the
//! shutdown (finish up, then end after the grace period) and, on an HTTP/2
//! connection, the idle rule (no stream for the header read timeout: close
//! with `GOAWAY`). The send timeout is the socket's own
//! ([`WatchedIo`](crate::serve::WatchedIo)); an HTTP/1 connection's header
//! read timeout is hyper's.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use hyper_util::server::graceful::GracefulConnection;
use tokio::time::{Instant, Sleep};

use crate::response::DisconnectReason;
use crate::serve::h2::ConnectionEnd;
use crate::serve::header_read::HeaderReadTimeout;
use crate::serve::socket::CurrentStream;
use crate::shutdown::{Notice, ShutdownListener};

/// How long an HTTP/2 connection asked to close for idleness has, with no
/// stream open, to close by itself before it is dropped. A live client
/// answers the `GOAWAY`'s `PING` within a round trip and hyper then closes;
/// one that sent no preface, or stopped reading, never does, and a
/// connection still handshaking cannot send `GOAWAY` at all.
const CLOSE_AFTER_GOAWAY: Duration = Duration::from_secs(1);

/// Enforces the shutdown on one connection, and the idle rule on an HTTP/2
/// one.
pub(crate) struct ConnectionGuard {
    shutdown: ShutdownListener,
    finishing: bool,
    /// For hyper's HTTP/1 connection, built again after a lean stream.
    header_read_timeout: HeaderReadTimeout,
    current: CurrentStream,
    /// An HTTP/2 connection's word to its stream tasks, and its idle rule.
    h2: Option<Pin<Box<Http2>>>,
}

pin_project_lite::pin_project! {
    /// What the guard of an HTTP/2 connection keeps: one allocation per
    /// connection, none for HTTP/1.
    struct Http2 {
        streams: Arc<ConnectionEnd>,
        // How long the connection may go without a stream; `None`: forever.
        timeout: Option<Duration>,
        // Due when the connection may have been without a stream for long
        // enough; set again while it is not.
        #[pin]
        check: Sleep,
        // When the connection was asked to close for idleness.
        asked_to_close: Option<Instant>,
    }
}

/// What the idle rule does to an HTTP/2 connection.
enum Idle {
    /// It has had no stream for the timeout: ask it to close (`GOAWAY`).
    AskToClose,
    /// Asked, it has still not closed, and has no stream: drop it.
    Drop,
}

impl Http2 {
    fn poll_idle(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Idle> {
        let mut this = self.project();
        let Some(timeout) = *this.timeout else {
            return Poll::Pending;
        };
        loop {
            ready!(this.check.as_mut().poll(cx));
            let now = Instant::now();
            // A stream open: nothing to do before another `timeout` (the
            // count is not watched, so that a stream costs no wake-up).
            let Some(idle_since) = this.streams.idle_since() else {
                this.check.as_mut().reset(now + timeout);
                continue;
            };
            let due = match *this.asked_to_close {
                None => idle_since + timeout,
                Some(asked) => idle_since.max(asked) + CLOSE_AFTER_GOAWAY,
            };
            if due > now {
                this.check.as_mut().reset(due);
                continue;
            }
            if this.asked_to_close.is_some() {
                return Poll::Ready(Idle::Drop);
            }
            *this.asked_to_close = Some(now);
            this.check.as_mut().reset(now + CLOSE_AFTER_GOAWAY);
            return Poll::Ready(Idle::AskToClose);
        }
    }
}

impl ConnectionGuard {
    pub(crate) fn new(
        shutdown: ShutdownListener,
        current: CurrentStream,
        header_read_timeout: HeaderReadTimeout,
    ) -> Self {
        Self {
            shutdown,
            finishing: false,
            header_read_timeout,
            current,
            h2: None,
        }
    }

    /// The connection speaks HTTP/2: at the end of the grace period, its
    /// stream tasks are told why they end; and once it has gone without a
    /// stream for the header read timeout (from now, or from when its last
    /// stream ended), it is asked to close (`GOAWAY`), then dropped if it has
    /// not closed [`CLOSE_AFTER_GOAWAY`] later.
    pub(crate) fn with_h2(mut self, streams: Arc<ConnectionEnd>) -> Self {
        let timeout = self.header_read_timeout.get();
        let first_check = Instant::now() + timeout.unwrap_or_default();
        self.h2 = Some(Box::pin(Http2 {
            streams,
            timeout,
            check: tokio::time::sleep_until(first_check),
            asked_to_close: None,
        }));
        self
    }

    /// The header read timeout hyper's HTTP/1 connection is built with.
    pub(crate) fn header_read_timeout(&self) -> HeaderReadTimeout {
        self.header_read_timeout
    }

    /// For a connection hyper no longer drives (a lean stream's): notes the
    /// request to finish up (the stream's own shutdown handling sends the
    /// farewell and ends it; the connection then closes), and is ready once
    /// the grace period is over, the stream told why it ends.
    pub(crate) fn poll_grace(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        loop {
            match ready!(self.poll_shutdown(cx)) {
                Step::FinishUp => {}
                Step::GraceOver => {
                    self.end_at_grace();
                    return Poll::Ready(());
                }
            }
        }
    }

    /// Whether the connection was asked to finish up.
    pub(crate) fn is_finishing(&self) -> bool {
        self.finishing
    }

    /// The shutdown's next step for this connection: ready once when it is
    /// asked to finish up, and when the grace period is over.
    fn poll_shutdown(&mut self, cx: &mut Context<'_>) -> Poll<Step> {
        // `FinishUp` comes at every poll of the grace period, the waker
        // registered for its end: after the first, it is nothing new.
        match ready!(self.shutdown.poll_notice(cx)) {
            Notice::FinishUp if self.finishing => Poll::Pending,
            Notice::FinishUp => {
                self.finishing = true;
                Poll::Ready(Step::FinishUp)
            }
            Notice::GraceOver => {
                self.finishing = true;
                Poll::Ready(Step::GraceOver)
            }
        }
    }

    /// The grace period is over: the streams are told why they end, and the
    /// connection is dropped.
    fn end_at_grace(&self) {
        self.current.end(DisconnectReason::Shutdown);
        if let Some(h2) = &self.h2 {
            h2.streams.grace_over();
        }
        tracing::debug!("grace period over; dropping connection");
    }

    /// Drives `connection`; ready when it has ended, or when the guard ended
    /// it (the caller then drops it).
    pub(crate) fn poll<C>(&mut self, mut connection: Pin<&mut C>, cx: &mut Context<'_>) -> Poll<()>
    where
        C: GracefulConnection,
        C::Error: std::fmt::Display,
    {
        loop {
            // Told to finish up before hyper goes on: a response that ends
            // in this poll (an event stream ends itself at the shutdown) is
            // the connection's last, and hyper answers no request it holds
            // after it, as on the lean path (`tests/differential.rs`). Idle
            // keep-alive connections end now. The grace period's end waits
            // until hyper has been polled: a body that ends then gets its
            // last chunk out.
            let was_finishing = self.finishing;
            let step = self.poll_shutdown(cx);
            if step.is_ready() && !was_finishing {
                connection.as_mut().graceful_shutdown();
            }
            if let Poll::Ready(result) = connection.as_mut().poll(cx) {
                if let Err(error) = result {
                    tracing::debug!(%error, "connection ended with an error");
                }
                return Poll::Ready(());
            }
            if let Poll::Ready(Step::GraceOver) = step {
                self.end_at_grace();
                return Poll::Ready(());
            }
            if let Some(h2) = &mut self.h2 {
                match h2.as_mut().poll_idle(cx) {
                    Poll::Pending => {}
                    Poll::Ready(Idle::AskToClose) => {
                        tracing::debug!("no HTTP/2 stream for the header read timeout; GOAWAY");
                        // A shutdown has asked already; asking twice is no use.
                        if !self.finishing {
                            connection.as_mut().graceful_shutdown();
                        }
                        continue;
                    }
                    Poll::Ready(Idle::Drop) => {
                        tracing::debug!("idle HTTP/2 connection did not close; dropping it");
                        return Poll::Ready(());
                    }
                }
            }
            return Poll::Pending;
        }
    }
}

/// What the shutdown asks of a connection, once each.
enum Step {
    FinishUp,
    GraceOver,
}

pin_project_lite::pin_project! {
    /// A connection served under its guard: the task of every connection
    /// hyper drives to its end.
    pub(crate) struct Guarded<C> {
        #[pin]
        connection: C,
        guard: ConnectionGuard,
    }
}

impl<C> Guarded<C> {
    pub(crate) fn new(connection: C, guard: ConnectionGuard) -> Self {
        Self { connection, guard }
    }
}

impl<C> Future for Guarded<C>
where
    C: GracefulConnection,
    C::Error: std::fmt::Display,
{
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.project();
        this.guard.poll(this.connection, cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every idle HTTP/1 stream holds its connection's guard: the header read
    /// timeout and the HTTP/2 idle rule must not make it larger (96 bytes
    /// before either).
    #[test]
    fn the_guard_is_no_larger_for_the_timeouts() {
        let size = std::mem::size_of::<ConnectionGuard>();
        assert!(size <= 96, "a connection's guard is {size} bytes");
    }
}
