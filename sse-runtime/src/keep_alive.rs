//! Keep-alive: something sent when a stream has been idle for a while, so
//! proxies and load balancers do not time the connection out.
//!
//! ```
//! use sse_runtime::{Event, KeepAlive, SseResponse};
//! use std::time::Duration;
//! # let events = futures_util::stream::empty::<Event>();
//!
//! // A comment `: still here` after 10 s without an event.
//! let response = SseResponse::new(events)
//!     .keep_alive(KeepAlive::every(Duration::from_secs(10)).text("still here"));
//! ```

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::event::Event;

/// The default keep-alive interval, as in sse-starlette and the HTML spec's
/// authoring advice.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(15);

/// When and what to send on an idle stream.
///
/// The timer restarts with every frame the stream sends, so a busy stream
/// sends no pings. The default is a `: ping` comment after 15 s of idleness.
#[derive(Clone)]
#[must_use]
pub struct KeepAlive {
    pub(crate) interval: Option<Duration>,
    pub(crate) message: Message,
}

#[derive(Clone)]
pub(crate) enum Message {
    Comment(Cow<'static, str>),
    Event(Arc<dyn Fn() -> Event + Send + Sync>),
}

impl KeepAlive {
    /// A `: ping` comment after `interval` without any frame.
    /// A zero interval disables keep-alive (like [`KeepAlive::disabled`]).
    pub fn every(interval: Duration) -> Self {
        Self {
            interval: (!interval.is_zero()).then_some(interval),
            message: Message::Comment(Cow::Borrowed("ping")),
        }
    }

    /// No keep-alive at all: an idle stream sends nothing and costs no timer.
    pub fn disabled() -> Self {
        Self {
            interval: None,
            message: Message::Comment(Cow::Borrowed("ping")),
        }
    }

    /// Sends `: text` as the keep-alive comment (default `ping`). Text that
    /// spans lines becomes one comment line per line.
    pub fn text(mut self, text: impl Into<Cow<'static, str>>) -> Self {
        self.message = Message::Comment(text.into());
        self
    }

    /// Sends the event `factory` returns instead of a comment, built afresh
    /// for every ping (sse-starlette's `ping_message_factory`).
    ///
    /// ```
    /// use sse_runtime::{Event, KeepAlive};
    /// use std::time::Duration;
    ///
    /// let keep_alive = KeepAlive::every(Duration::from_secs(15))
    ///     .event(|| Event::data("").event("ping").expect("no line break in a literal"));
    /// ```
    pub fn event<F>(mut self, factory: F) -> Self
    where
        F: Fn() -> Event + Send + Sync + 'static,
    {
        self.message = Message::Event(Arc::new(factory));
        self
    }

    /// The idle time after which a ping is sent; `None` when disabled.
    pub fn interval(&self) -> Option<Duration> {
        self.interval
    }
}

impl Default for KeepAlive {
    fn default() -> Self {
        Self::every(DEFAULT_INTERVAL)
    }
}

impl fmt::Debug for KeepAlive {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let message: &dyn fmt::Debug = match &self.message {
            Message::Comment(text) => text,
            Message::Event(_) => &"<event factory>",
        };
        f.debug_struct("KeepAlive")
            .field("interval", &self.interval)
            .field("message", message)
            .finish()
    }
}
