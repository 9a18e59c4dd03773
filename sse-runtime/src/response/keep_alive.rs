//! Keep-alive: what a stream sends after a while without a frame, and the
//! timer that decides when.

use std::borrow::Cow;
use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::time::{Instant, Sleep};

use crate::event::{Event, EventWriter};
use crate::response::streaming::panic_message;

/// The default keep-alive interval, as in sse-starlette and the HTML spec's
/// authoring advice.
pub const DEFAULT_KEEP_ALIVE: Duration = Duration::from_secs(15);

/// When and what to send on an idle stream, so that proxies and load
/// balancers do not time the connection out.
///
/// The timer restarts with every frame the stream sends, so a busy stream
/// sends no pings. The default is a `: ping` comment after
/// [`DEFAULT_KEEP_ALIVE`] of idleness.
///
/// ```
/// use sse_runtime::{Event, KeepAlive, SseResponse};
/// use std::time::Duration;
/// # let events = futures_util::stream::empty::<Event>();
///
/// // A comment `: still here` after 10 s without a frame.
/// let response = SseResponse::new(events)
///     .keep_alive(KeepAlive::every(Duration::from_secs(10)).text("still here"));
/// # drop(response);
/// ```
#[derive(Clone)]
#[must_use]
pub struct KeepAlive {
    interval: Option<Duration>,
    ping: Ping,
}

/// The comment a keep-alive sends unless told otherwise: `: ping`.
const DEFAULT_PING_TEXT: &str = "ping";

/// What a keep-alive sends.
#[derive(Clone)]
enum Ping {
    Comment(Cow<'static, str>),
    Event(Arc<dyn Fn() -> Event + Send + Sync>),
}

impl KeepAlive {
    /// A `: ping` comment after `interval` without any frame.
    /// A zero interval disables keep-alive (like [`KeepAlive::disabled`]).
    pub fn every(interval: Duration) -> Self {
        Self {
            interval: (!interval.is_zero()).then_some(interval),
            ping: Ping::Comment(Cow::Borrowed(DEFAULT_PING_TEXT)),
        }
    }

    /// No keep-alive at all: an idle stream sends nothing and costs no timer.
    pub fn disabled() -> Self {
        Self::every(Duration::ZERO)
    }

    /// Sends `: text` as the keep-alive comment (default `ping`). Text that
    /// spans lines becomes one comment line per line.
    pub fn text(mut self, text: impl Into<Cow<'static, str>>) -> Self {
        self.ping = Ping::Comment(text.into());
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
    ///     .event(|| Event::data("").event("ping").expect("a valid literal name"));
    /// # drop(keep_alive);
    /// ```
    pub fn event<F>(mut self, factory: F) -> Self
    where
        F: Fn() -> Event + Send + Sync + 'static,
    {
        self.ping = Ping::Event(Arc::new(factory));
        self
    }

    /// The idle time after which a ping is sent; `None` when disabled.
    pub fn interval(&self) -> Option<Duration> {
        self.interval
    }

    /// The timer of one stream, or `None` when disabled (no timer at all).
    pub(crate) fn start(self) -> Option<KeepAliveTimer> {
        let interval = self.interval?;
        let now = Instant::now();
        Some(KeepAliveTimer {
            interval,
            ping: self.ping,
            sleep: Box::pin(tokio::time::sleep_until(now + interval)),
            last_frame: now,
        })
    }
}

impl Default for KeepAlive {
    fn default() -> Self {
        Self::every(DEFAULT_KEEP_ALIVE)
    }
}

impl fmt::Debug for KeepAlive {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ping: &dyn fmt::Debug = match &self.ping {
            Ping::Comment(text) => text,
            Ping::Event(_) => &"<event factory>",
        };
        f.debug_struct("KeepAlive")
            .field("interval", &self.interval)
            .field("ping", ping)
            .finish()
    }
}

/// One stream's keep-alive: a ping once nothing has been sent for a whole
/// interval.
pub(crate) struct KeepAliveTimer {
    interval: Duration,
    ping: Ping,
    sleep: Pin<Box<Sleep>>,
    /// When the last frame went out; the ping is due `interval` after it.
    last_frame: Instant,
}

impl KeepAliveTimer {
    /// Notes that a frame went out now.
    pub(crate) fn frame_sent(&mut self) {
        self.last_frame = Instant::now();
    }

    /// Writes a ping into `writer` once the stream has been idle for the
    /// whole interval; otherwise registers for that moment.
    pub(crate) fn poll_ping(&mut self, cx: &mut Context<'_>, writer: &mut EventWriter) -> Poll<()> {
        // The timer is moved only when it is polled, not on every frame: a
        // busy stream resets nothing.
        let due = self.last_frame + self.interval;
        if self.sleep.deadline() != due {
            self.sleep.as_mut().reset(due);
        }
        std::task::ready!(self.sleep.as_mut().poll(cx));
        // Either way a ping writes at least its blank line, so a frame goes
        // out and `frame_sent` restarts the timer.
        match &self.ping {
            Ping::Comment(text) => {
                writer.comment(text);
                writer.end();
            }
            Ping::Event(factory) => {
                match catch_unwind(AssertUnwindSafe(|| factory())) {
                    // An `Event`'s values were checked when it was built, so
                    // writing it cannot fail.
                    Ok(event) => {
                        let _ = writer.write(&event);
                    }
                    // A panicking factory costs this stream its custom pings,
                    // not its connection: it pings with a comment from now on,
                    // and says so once.
                    Err(panic) => {
                        tracing::error!(
                            panic = panic_message(&*panic),
                            "the keep-alive event factory panicked; this stream pings with a \
                             comment from now on"
                        );
                        self.ping = Ping::Comment(DEFAULT_PING_TEXT.into());
                        writer.comment(DEFAULT_PING_TEXT);
                        writer.end();
                    }
                }
            }
        }
        Poll::Ready(())
    }
}
