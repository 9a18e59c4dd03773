//! How a stream ended and what it did: decided once, when the stream is
//! dropped, logged, and handed to the
//! [`on_disconnect`](crate::SseResponse::on_disconnect) hook.

use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::MatchedPath;
use futures_util::future::BoxFuture;
use tokio::time::Instant;

use crate::metrics::StreamMetrics;
use crate::response::span::record_close;

/// Why a stream ended.
///
/// ```
/// use sse_runtime::{Disconnect, DisconnectReason};
///
/// async fn gone(end: Disconnect) {
///     match end.reason {
///         DisconnectReason::ClientGone | DisconnectReason::SendTimeout => { /* the client left */ }
///         DisconnectReason::Shutdown => { /* the server stopped */ }
///         _ => { /* the stream finished, or failed */ }
///     }
/// }
/// # let _ = gone;
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DisconnectReason {
    /// The client went away: TCP close, HTTP/2 reset, or the connection broke.
    ClientGone,
    /// The client stopped reading and a write waited longer than the send
    /// timeout.
    SendTimeout,
    /// The client's machine stopped answering (a closed laptop lid, a NAT or
    /// mobile network that dropped the connection): data stayed
    /// unacknowledged for [`DEFAULT_SEND_TIMEOUT`](crate::DEFAULT_SEND_TIMEOUT)
    /// (`TCP_USER_TIMEOUT`), or TCP keep-alive probes went unanswered, and
    /// the kernel gave the connection up.
    PeerUnresponsive,
    /// The server shut down.
    Shutdown,
    /// The stream lived its [`MaxDuration`](crate::response::MaxDuration) and ended
    /// cleanly, for the client to reconnect.
    MaxDuration,
    /// The generator finished.
    Completed,
    /// The generator returned an error, panicked, or yielded an event that
    /// could not be written.
    Error,
}

impl DisconnectReason {
    /// A short lowercase name, as used in logs.
    ///
    /// ```
    /// assert_eq!(sse_runtime::DisconnectReason::SendTimeout.as_str(), "send_timeout");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            DisconnectReason::ClientGone => "client_gone",
            DisconnectReason::SendTimeout => "send_timeout",
            DisconnectReason::PeerUnresponsive => "peer_unresponsive",
            DisconnectReason::Shutdown => "shutdown",
            DisconnectReason::MaxDuration => "max_duration",
            DisconnectReason::Completed => "completed",
            DisconnectReason::Error => "error",
        }
    }
}

impl fmt::Display for DisconnectReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a stream sent before it ended.
///
/// ```
/// use sse_runtime::{Disconnect, Event, SseResponse};
/// # let events = futures_util::stream::empty::<Event>();
///
/// let response = SseResponse::new(events).on_disconnect(|end: Disconnect| async move {
///     let stats = end.stats;
///     tracing::info!(events = stats.events, bytes = stats.bytes, last_id = ?stats.last_id, "ended");
/// });
/// # drop(response);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct StreamStats {
    /// Events written (keep-alive pings and the opening comment not counted).
    pub events: u64,
    /// Bytes handed to the connection, pings included.
    pub bytes: u64,
    /// Time from the first poll of the body to its end.
    pub duration: Duration,
    /// The last `id` written, if any.
    pub last_id: Option<String>,
}

/// The argument of an [`on_disconnect`](crate::SseResponse::on_disconnect)
/// hook: why the stream ended, what it sent, and to whom.
///
/// ```
/// use sse_runtime::{Disconnect, DisconnectReason, Event, SseResponse};
/// # let events = futures_util::stream::empty::<Event>();
///
/// let response = SseResponse::new(events).on_disconnect(|end: Disconnect| async move {
///     if end.reason == DisconnectReason::ClientGone {
///         tracing::info!(peer = ?end.peer, events = end.stats.events, "client left");
///     }
/// });
/// # drop(response);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Disconnect {
    /// Why the stream ended.
    pub reason: DisconnectReason,
    /// What it sent.
    pub stats: StreamStats,
    /// The client's address, when known: set by [`serve`](crate::serve())
    /// (or axum's `ConnectInfo`) for `#[sse_endpoint]`s, or with
    /// [`SseResponse::peer`](crate::SseResponse::peer).
    pub peer: Option<SocketAddr>,
}

/// An `on_disconnect` hook, boxed.
pub(crate) type DisconnectHook = Arc<dyn Fn(Disconnect) -> BoxFuture<'static, ()> + Send + Sync>;

/// A stream's record while it runs: the reason it ends, once known, what it
/// sent, and whom to tell. Reported once, when the stream is dropped.
pub(crate) struct Ending {
    reason: Option<DisconnectReason>,
    // What `StreamStats` reports, but its duration, known only at the end.
    events: u64,
    bytes: u64,
    last_id: Option<String>,
    started: Option<Instant>,
    hook: Option<DisconnectHook>,
    peer: Option<SocketAddr>,
    metrics: StreamMetrics,
}

impl Ending {
    pub(crate) fn new(
        hook: Option<DisconnectHook>,
        peer: Option<SocketAddr>,
        route: Option<&MatchedPath>,
    ) -> Self {
        Self {
            reason: None,
            events: 0,
            bytes: 0,
            last_id: None,
            started: None,
            hook,
            peer,
            metrics: StreamMetrics::new(route),
        }
    }

    /// The stream started: it is first polled now.
    pub(crate) fn start(&mut self) {
        self.started = Some(Instant::now());
        self.metrics.open();
    }

    /// A keep-alive ping went out (its bytes are counted with the frame's).
    pub(crate) fn record_ping(&self) {
        self.metrics.ping();
    }

    /// The stream ends for `reason`, unless it already ended for another.
    pub(crate) fn end(&mut self, reason: DisconnectReason) {
        self.reason.get_or_insert(reason);
    }

    /// Counts `events` more, `last_id` being the last id among them.
    pub(crate) fn record_events(&mut self, events: usize, last_id: Option<&str>) {
        self.events += events as u64;
        if let Some(id) = last_id {
            // Reuses the allocation of the previous id.
            let stored = self.last_id.get_or_insert_with(String::new);
            stored.clear();
            stored.push_str(id);
        }
    }

    /// Counts `bytes` more handed to the connection.
    pub(crate) fn record_bytes(&mut self, bytes: usize) {
        self.bytes += bytes as u64;
        self.metrics.frame_sent(self.events, bytes);
    }

    /// Logs how the stream ended, records it on `span` (the stream's), and
    /// spawns the hook. Called once, after the generator has been dropped;
    /// `by_connection` is the reason the connection gave, if it ended the
    /// stream without polling it.
    pub(crate) fn report(&mut self, by_connection: Option<DisconnectReason>, span: &tracing::Span) {
        let Some(started) = self.started else {
            // Never polled (a `HEAD` request, or a response dropped before it
            // was sent): the stream never started, so it did not disconnect.
            return;
        };
        // The body's own reason first; else the connection's; else the
        // client left.
        let reason = self
            .reason
            .or(by_connection)
            .unwrap_or(DisconnectReason::ClientGone);
        let stats = StreamStats {
            events: self.events,
            bytes: self.bytes,
            duration: started.elapsed(),
            last_id: self.last_id.take(),
        };
        self.metrics
            .closed(reason.as_str(), stats.duration, stats.events);
        record_close(span, reason.as_str(), stats.events, stats.bytes);
        match reason {
            DisconnectReason::ClientGone => tracing::info!(
                events = stats.events,
                bytes = stats.bytes,
                duration = ?stats.duration,
                last_id = ?stats.last_id,
                "client disconnected"
            ),
            // The error itself was logged when it happened: one line per
            // user error, not two.
            DisconnectReason::Error => tracing::info!(
                events = stats.events,
                bytes = stats.bytes,
                "stream ended by an error"
            ),
            reason => tracing::info!(
                %reason,
                events = stats.events,
                bytes = stats.bytes,
                duration = ?stats.duration,
                "stream closed"
            ),
        }
        let Some(hook) = self.hook.take() else {
            return;
        };
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                runtime.spawn(hook(Disconnect {
                    reason,
                    stats,
                    peer: self.peer,
                }));
            }
            Err(_) => tracing::error!("no tokio runtime to run the on_disconnect hook on"),
        }
    }
}
