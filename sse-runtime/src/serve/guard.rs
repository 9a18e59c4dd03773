//! What a connection's guard enforces on it under `sse_runtime::serve`: the
//! shutdown (finish up, then end after the grace period). The send timeout
//! is the socket's own ([`WatchedIo`](crate::serve::watched_io)).

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use hyper_util::server::graceful::GracefulConnection;

use crate::response::DisconnectReason;
use crate::serve::current_stream::CurrentStream;
use crate::serve::h2_streams::ConnectionEnd;
use crate::shutdown::{Notice, ShutdownListener};

/// Enforces the shutdown on one connection.
pub(crate) struct ConnectionGuard {
    shutdown: ShutdownListener,
    finishing: bool,
    current: CurrentStream,
    /// An HTTP/2 connection's word to its stream tasks.
    h2: Option<Arc<ConnectionEnd>>,
}

impl ConnectionGuard {
    pub(crate) fn new(shutdown: ShutdownListener, current: CurrentStream) -> Self {
        Self {
            shutdown,
            finishing: false,
            current,
            h2: None,
        }
    }

    /// The connection may speak HTTP/2: at the end of the grace period, its
    /// stream tasks are told why they end.
    pub(crate) fn with_h2(mut self, connection: Arc<ConnectionEnd>) -> Self {
        self.h2 = Some(connection);
        self
    }

    /// For a connection hyper no longer drives (a lean stream's): notes the
    /// request to finish up (the stream's own shutdown handling sends the
    /// farewell and ends it; the connection then closes), and is ready once
    /// the grace period is over, the stream told why it ends.
    pub(crate) fn poll_grace(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        loop {
            match self.shutdown.poll_notice(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Notice::FinishUp) if !self.finishing => self.finishing = true,
                Poll::Ready(Notice::FinishUp) => return Poll::Pending,
                Poll::Ready(Notice::GraceOver) => {
                    self.current.end(DisconnectReason::Shutdown);
                    tracing::debug!("grace period over; dropping connection");
                    return Poll::Ready(());
                }
            }
        }
    }

    /// Whether the connection was asked to finish up.
    pub(crate) fn is_finishing(&self) -> bool {
        self.finishing
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
                    self.current.end(DisconnectReason::Shutdown);
                    if let Some(h2) = &self.h2 {
                        h2.grace_over();
                    }
                    tracing::debug!("grace period over; dropping connection");
                    return Poll::Ready(());
                }
            }
            return Poll::Pending;
        }
    }
}
