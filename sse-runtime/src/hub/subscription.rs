//! A subscriber's view of a topic: the replay, then live messages.

use std::collections::VecDeque;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::{BufMut, Bytes, BytesMut};
use futures_core::Stream;
use tokio::sync::broadcast::{self, error::RecvError};
use tokio::time::Instant;
use tokio_util::sync::ReusableBoxFuture;

use super::LagPolicy;
use crate::encode::{EventWriter, WriteEvent};
use crate::error::EventError;
use crate::line_ending::LineEnding;

/// One published event, encoded once and shared by every subscriber.
#[derive(Debug, Clone)]
pub struct Message {
    id: u64,
    at: Instant,
    /// The whole event, `id:` first, blank line included: sent as a frame
    /// of its own by every subscriber's response, never copied.
    frame: Bytes,
    /// Where the fields end (and the blank line starts).
    fields_len: usize,
}

impl Message {
    /// A message from its encoded fields, ended here with a blank line.
    pub(crate) fn new(id: u64, at: Instant, mut fields: BytesMut, line_ending: LineEnding) -> Self {
        let fields_len = fields.len();
        fields.put_slice(line_ending.as_bytes());
        Self {
            id,
            at,
            frame: fields.freeze(),
            fields_len,
        }
    }

    /// Where the value of this message's `id:` line lies in its bytes.
    fn id_range(&self) -> Option<std::ops::Range<usize>> {
        (self.id != 0).then(|| 4..4 + itoa::Buffer::new().format(self.id).len())
    }

    /// The id the hub gave this event (0 for a `lagged` notice, which has
    /// none).
    pub fn id(&self) -> u64 {
        self.id
    }

    pub(crate) fn at(&self) -> Instant {
        self.at
    }

    /// The encoded event, as it goes on the wire.
    pub fn as_bytes(&self) -> &[u8] {
        &self.frame
    }

    fn lagged(skipped: u64, line_ending: LineEnding) -> Self {
        let mut buf = BytesMut::new();
        let mut writer = EventWriter::new(&mut buf, line_ending);
        writer.raw_field("event", "lagged");
        let mut digits = itoa::Buffer::new();
        writer.raw_field("data", digits.format(skipped));
        Self::new(0, Instant::now(), buf, line_ending)
    }
}

impl WriteEvent for Message {
    fn write_event(&self, writer: &mut EventWriter<'_>) -> Result<(), EventError> {
        writer.encoded_fields(&self.frame[..self.fields_len], self.id_range());
        Ok(())
    }

    fn complete_frame(&self) -> Option<(Bytes, Option<std::ops::Range<usize>>)> {
        Some((self.frame.clone(), self.id_range()))
    }
}

/// How a subscription relates to the `Last-Event-ID` it was given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Resume {
    /// No `Last-Event-ID`: live events only.
    Fresh,
    /// Everything after the client's last id is replayed: nothing was missed.
    Complete,
    /// The client's last id is older than the replay buffer: events it did
    /// not see are gone. Tell the client to reload its state.
    Gap {
        /// How many, when the backend knows (in memory it does; Redis does
        /// not count what it trimmed).
        missed: Option<u64>,
    },
    /// The id is newer than anything published (the hub restarted, or the id
    /// is not the hub's): live events only.
    Unknown {
        /// The id the client sent.
        last_event_id: u64,
    },
}

type Recv = (Result<Message, RecvError>, broadcast::Receiver<Message>);

async fn recv(mut live: broadcast::Receiver<Message>) -> Recv {
    let result = live.recv().await;
    (result, live)
}

/// The messages of one topic for one subscriber: a `Stream` of [`Message`]s,
/// usable directly as an [`SseResponse`](crate::SseResponse) or in an
/// `#[sse_endpoint]` with `while let Some(m) = sub.next().await { yield_!(m) }`.
#[must_use = "streams do nothing unless polled"]
pub struct Subscription {
    replay: VecDeque<Message>,
    // Reused for every receive: no allocation per message.
    live: ReusableBoxFuture<'static, Recv>,
    resume: Resume,
    lag: LagPolicy,
    line_ending: LineEnding,
    ended: bool,
    /// Live messages with ids up to this one were already replayed.
    skip_through: u64,
}

impl Subscription {
    pub(crate) fn new(
        replay: VecDeque<Message>,
        live: broadcast::Receiver<Message>,
        resume: Resume,
        lag: LagPolicy,
        line_ending: LineEnding,
    ) -> Self {
        Self {
            replay,
            live: ReusableBoxFuture::new(recv(live)),
            resume,
            lag,
            line_ending,
            ended: false,
            skip_through: 0,
        }
    }

    /// Drops live messages with ids up to `id` (they came from the replay).
    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    pub(crate) fn skipping_live_through(mut self, id: u64) -> Self {
        self.skip_through = id;
        self
    }

    /// How this subscription relates to the `Last-Event-ID` it was given.
    pub fn resume(&self) -> Resume {
        self.resume
    }

    /// The next message, or `None` when the subscription has ended (the hub
    /// is gone, or it lagged under [`LagPolicy::Disconnect`]).
    pub async fn next(&mut self) -> Option<Message> {
        std::future::poll_fn(|cx| Pin::new(&mut *self).poll_next(cx)).await
    }
}

impl Stream for Subscription {
    type Item = Message;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Message>> {
        if let Some(message) = self.replay.pop_front() {
            return Poll::Ready(Some(message));
        }
        if self.ended {
            return Poll::Ready(None);
        }
        loop {
            let (result, live) = std::task::ready!(self.live.poll(cx));
            self.live.set(recv(live));
            return match result {
                // Already replayed (see `skipping_live_through`).
                Ok(message) if message.id() != 0 && message.id() <= self.skip_through => continue,
                Ok(message) => Poll::Ready(Some(message)),
                Err(RecvError::Closed) => {
                    self.ended = true;
                    Poll::Ready(None)
                }
                Err(RecvError::Lagged(skipped)) => match self.lag {
                    LagPolicy::Skip => {
                        Poll::Ready(Some(Message::lagged(skipped, self.line_ending)))
                    }
                    LagPolicy::Disconnect => {
                        tracing::warn!(
                            skipped,
                            "subscriber fell behind; ending its stream so it resumes"
                        );
                        self.ended = true;
                        Poll::Ready(None)
                    }
                },
            };
        }
    }
}

impl std::fmt::Debug for Subscription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Subscription")
            .field("replay", &self.replay.len())
            .field("resume", &self.resume)
            .field("lag", &self.lag)
            .finish_non_exhaustive()
    }
}
