//! What a connection's guard enforces on it: the shutdown (finish up, then
//! end after the grace period) and the send timeout of the stream it carries.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use hyper_util::server::graceful::GracefulConnection;
use tokio::time::{Instant, Sleep};

use crate::response::DisconnectReason;
use crate::serve::current_stream::CurrentStream;
use crate::serve::write_clock::WriteClock;
use crate::shutdown::{Notice, ShutdownListener};

/// Enforces the shutdown and the send timeout on one connection.
pub(crate) struct ConnectionGuard {
    shutdown: ShutdownListener,
    finishing: bool,
    clock: Arc<WriteClock>,
    current: CurrentStream,
    timer: Option<Pin<Box<Sleep>>>,
}

impl ConnectionGuard {
    pub(crate) fn new(
        shutdown: ShutdownListener,
        clock: Arc<WriteClock>,
        current: CurrentStream,
    ) -> Self {
        Self {
            shutdown,
            finishing: false,
            clock,
            current,
            timer: None,
        }
    }

    /// Drives `connection`; ready when it has ended, or when the guard ended
    /// it (the caller then drops it).
    pub(crate) fn poll<C>(&mut self, mut connection: Pin<&mut C>, cx: &mut Context<'_>) -> Poll<()>
    where
        C: GracefulConnection,
        C::Error: std::fmt::Display,
    {
        loop {
            if let Poll::Ready(result) = connection.as_mut().poll(cx) {
                if let Err(error) = result {
                    tracing::debug!(%error, "connection ended with an error");
                }
                return Poll::Ready(());
            }
            match self.shutdown.poll_notice(cx) {
                Poll::Pending => {}
                Poll::Ready(Notice::FinishUp) if !self.finishing => {
                    // Ends idle keep-alive connections now and lets a running
                    // response finish; poll the connection again to act on it.
                    self.finishing = true;
                    connection.as_mut().graceful_shutdown();
                    continue;
                }
                Poll::Ready(Notice::FinishUp) => {}
                Poll::Ready(Notice::GraceOver) => {
                    self.end_stream(DisconnectReason::Shutdown);
                    tracing::debug!("grace period over; dropping connection");
                    return Poll::Ready(());
                }
            }
            return self.poll_send_timeout(cx);
        }
    }

    /// Ready when a write has waited longer than the stream's send timeout.
    fn poll_send_timeout(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        // The clock first: one atomic load while writes go through, the
        // stream's lock only while one waits.
        let Some(since) = self.clock.blocked_since() else {
            return Poll::Pending;
        };
        let Some(timeout) = self.current.get().and_then(|stream| stream.send_timeout) else {
            return Poll::Pending;
        };
        let deadline = since + timeout;
        let timer = self
            .timer
            .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
        if timer.deadline() != deadline {
            timer.as_mut().reset(deadline);
        }
        if timer.as_mut().poll(cx).is_pending() && Instant::now() < deadline {
            return Poll::Pending;
        }
        tracing::warn!(
            ?timeout,
            "client stopped reading: a write waited longer than the send timeout; dropping it"
        );
        self.end_stream(DisconnectReason::SendTimeout);
        Poll::Ready(())
    }

    fn end_stream(&self, reason: DisconnectReason) {
        if let Some(stream) = self.current.get() {
            stream.end(reason);
        }
    }
}
