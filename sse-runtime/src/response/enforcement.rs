//! What the connection enforces on a stream it carries, and what it tells
//! the stream back.
//!
//! hyper stops polling a response body while the socket is full, so a body
//! cannot time out a client that stopped reading: the connection must. The
//! response puts its [`Enforcement`] in its extensions; [`serve`](crate::serve())
//! picks it up, enforces the send timeout, and when it ends the stream
//! without polling it again, records why, for the stream's report.

use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::time::Duration;

use crate::response::disconnect::DisconnectReason;

/// Shared by a stream's body and the connection that carries it.
#[derive(Debug, Default)]
pub(crate) struct Enforcement {
    pub(crate) send_timeout: Option<Duration>,
    /// Set by a connection that enforces the send timeout.
    enforced: AtomicBool,
    /// Set by the connection just before it drops the stream.
    ended_by: AtomicU8,
    /// Whether the body's last poll gave a frame: until it is polled again,
    /// that frame waits to be sent (an HTTP/2 stream out of flow-control
    /// window stops polling its body).
    frame_waiting: AtomicBool,
}

/// The reasons a connection ends a stream for, as stored in
/// [`Enforcement::ended_by`]; 0 means none.
const ENDED_BY: [DisconnectReason; 3] = [
    DisconnectReason::SendTimeout,
    DisconnectReason::Shutdown,
    DisconnectReason::PeerUnresponsive,
];

impl Enforcement {
    pub(crate) fn new(send_timeout: Option<Duration>) -> Self {
        Self {
            send_timeout,
            ..Self::default()
        }
    }

    /// The connection enforces the send timeout from now on.
    pub(crate) fn mark_enforced(&self) {
        self.enforced.store(true, Ordering::Relaxed);
    }

    /// Whether a connection enforces the send timeout.
    pub(crate) fn is_enforced(&self) -> bool {
        self.enforced.load(Ordering::Relaxed)
    }

    /// The connection ends the stream for `reason`.
    pub(crate) fn end(&self, reason: DisconnectReason) {
        if let Some(at) = ENDED_BY.iter().position(|&known| known == reason) {
            self.ended_by.store(at as u8 + 1, Ordering::Relaxed);
        }
    }

    /// The body's poll gave a frame (`true`) or nothing yet (`false`).
    pub(crate) fn note_poll(&self, gave_frame: bool) {
        self.frame_waiting.store(gave_frame, Ordering::Relaxed);
    }

    /// Whether the frame the body last gave still waits for the body to be
    /// polled again, i.e. for room to send it.
    pub(crate) fn frame_waiting(&self) -> bool {
        self.frame_waiting.load(Ordering::Relaxed)
    }

    /// Why the connection ended the stream, if it did.
    pub(crate) fn ended_by(&self) -> Option<DisconnectReason> {
        let stored = self.ended_by.load(Ordering::Relaxed);
        ENDED_BY.get(usize::from(stored).checked_sub(1)?).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_the_reason_the_connection_gave() {
        let enforcement = Enforcement::new(None);
        assert_eq!(enforcement.ended_by(), None);
        for reason in ENDED_BY {
            enforcement.end(reason);
            assert_eq!(enforcement.ended_by(), Some(reason));
        }
    }
}
