//! How a stream ended, and what it did: passed to the
//! [`on_disconnect`](crate::SseResponse::on_disconnect) hook.
//!
//! ```
//! use sse_runtime::{Disconnect, DisconnectReason, Event, SseResponse};
//! # let events = futures_util::stream::empty::<Event>();
//!
//! let response = SseResponse::new(events).on_disconnect(|end: Disconnect| async move {
//!     if end.reason == DisconnectReason::ClientGone {
//!         tracing::info!(peer = ?end.peer, events = end.stats.events, "client left");
//!     }
//! });
//! ```

use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::time::Duration;

/// Why a stream ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DisconnectReason {
    /// The client went away: TCP close, HTTP/2 reset, or the connection broke.
    ClientGone,
    /// The client stopped reading and a write waited longer than the send
    /// timeout.
    SendTimeout,
    /// The server shut down.
    Shutdown,
    /// The generator finished.
    Completed,
    /// The generator returned an error, panicked, or yielded an event that
    /// could not be written.
    Error,
}

impl DisconnectReason {
    /// A short lowercase name, as used in logs.
    pub fn as_str(self) -> &'static str {
        match self {
            DisconnectReason::ClientGone => "client_gone",
            DisconnectReason::SendTimeout => "send_timeout",
            DisconnectReason::Shutdown => "shutdown",
            DisconnectReason::Completed => "completed",
            DisconnectReason::Error => "error",
        }
    }

    fn to_u8(self) -> u8 {
        match self {
            DisconnectReason::ClientGone => 1,
            DisconnectReason::SendTimeout => 2,
            DisconnectReason::Shutdown => 3,
            DisconnectReason::Completed => 4,
            DisconnectReason::Error => 5,
        }
    }

    fn from_u8(value: u8) -> Option<Self> {
        Some(match value {
            1 => DisconnectReason::ClientGone,
            2 => DisconnectReason::SendTimeout,
            3 => DisconnectReason::Shutdown,
            4 => DisconnectReason::Completed,
            5 => DisconnectReason::Error,
            _ => return None,
        })
    }
}

impl fmt::Display for DisconnectReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a stream sent before it ended.
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
/// hook.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Disconnect {
    /// Why the stream ended.
    pub reason: DisconnectReason,
    /// What it sent.
    pub stats: StreamStats,
    /// The client's address, when known: set by [`serve`](crate::serve)
    /// (or axum's `ConnectInfo`) for `#[sse_endpoint]`s, or with
    /// [`SseResponse::peer`](crate::SseResponse::peer).
    pub peer: Option<std::net::SocketAddr>,
}

/// State shared between a stream's body and the connection that carries it.
///
/// The response puts it in its extensions; [`serve`](crate::serve) picks it up,
/// so that when the connection layer ends a stream the body is not polled
/// again to learn why, it can still report the right reason.
#[derive(Debug, Default)]
pub(crate) struct StreamControl {
    pub(crate) send_timeout: Option<Duration>,
    /// Set by the connection layer that enforces the send timeout.
    managed: AtomicBool,
    /// Set by the connection layer just before it drops the connection.
    ended_by_connection: AtomicU8,
}

impl StreamControl {
    pub(crate) fn new(send_timeout: Option<Duration>) -> Self {
        Self {
            send_timeout,
            ..Self::default()
        }
    }

    pub(crate) fn mark_managed(&self) {
        self.managed.store(true, Ordering::Relaxed);
    }

    pub(crate) fn is_managed(&self) -> bool {
        self.managed.load(Ordering::Relaxed)
    }

    pub(crate) fn end_by_connection(&self, reason: DisconnectReason) {
        self.ended_by_connection
            .store(reason.to_u8(), Ordering::Relaxed);
    }

    pub(crate) fn connection_reason(&self) -> Option<DisconnectReason> {
        DisconnectReason::from_u8(self.ended_by_connection.load(Ordering::Relaxed))
    }
}
