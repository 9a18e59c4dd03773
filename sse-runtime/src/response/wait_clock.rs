//! How long sending has been waiting for the client, and the timer that
//! wakes the task when that exceeds the send timeout: one per HTTP/1
//! connection ([`WatchedIo`](crate::serve::WatchedIo)), one per HTTP/2 stream
//! task.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::time::{Instant, Sleep};

/// Since when sending has waited, if it does.
#[derive(Debug, Default)]
pub(crate) struct WaitClock {
    since: Option<Instant>,
    /// Made on the first wait, then reset rather than rebuilt.
    timer: Option<Pin<Box<Sleep>>>,
}

impl WaitClock {
    /// Sending waits (from now, unless it already did).
    pub(crate) fn waiting(&mut self) {
        self.since.get_or_insert_with(Instant::now);
    }

    /// Sending goes through again.
    pub(crate) fn going(&mut self) {
        self.since = None;
    }

    /// Whether sending waits.
    pub(crate) fn is_waiting(&self) -> bool {
        self.since.is_some()
    }

    /// Ready once sending has waited longer than `timeout`; otherwise
    /// registers the task to be woken then.
    pub(crate) fn poll_waited(&mut self, timeout: Duration, cx: &mut Context<'_>) -> Poll<()> {
        let Some(since) = self.since else {
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
        Poll::Ready(())
    }

    /// Nothing more to time: the timer's memory goes.
    pub(crate) fn stop(&mut self) {
        *self = Self::default();
    }
}
