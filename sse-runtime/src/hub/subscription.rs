//! A subscriber's view of a topic: the replay, then live messages.

use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures_core::Stream;

use crate::event::LineEnding;
use crate::hub::config::LagPolicy;
use crate::hub::fanout::{Cursor, Fanout, Next};
use crate::hub::message::Message;
use crate::hub::resume::Resume;
use crate::metrics::{HubMetrics, Since};

/// A topic as its subscribers see it: a log to read, and who to tell when
/// the last of them leaves.
pub(crate) trait Source: Send + Sync {
    fn fanout(&self) -> &Fanout;

    /// The last subscriber left: the hub may reclaim the topic.
    fn idle(&self);
}

/// The messages of one topic for one subscriber: a `Stream` of [`Message`]s,
/// usable directly as an [`SseResponse`](crate::SseResponse) or in an
/// `#[sse_endpoint]` with `while let Some(m) = sub.next().await { yield_!(m) }`.
///
/// ```
/// use axum::extract::{Path, State};
/// use axum::http::StatusCode;
/// use sse_runtime::hub::{Hub, Subscription};
/// use sse_runtime::{LastEventId, SseResponse};
///
/// async fn room(
///     State(hub): State<Hub>,
///     Path(room): Path<String>,
///     LastEventId(last): LastEventId<u64>,
/// ) -> Result<SseResponse<Subscription>, (StatusCode, String)> {
///     let messages = hub.subscribe(&room, last).await;
///     let messages = messages.map_err(|error| (StatusCode::SERVICE_UNAVAILABLE, error.to_string()))?;
///     Ok(SseResponse::new(messages))
/// }
/// # let app: axum::Router = axum::Router::new()
/// #     .route("/rooms/{room}", axum::routing::get(room))
/// #     .with_state(Hub::new());
/// # drop(app);
/// ```
#[must_use = "streams do nothing unless polled"]
pub struct Subscription {
    /// Fetched from the backend before the cursor's messages (Redis).
    replay: VecDeque<Message>,
    source: Arc<dyn Source>,
    cursor: Cursor,
    resume: Resume,
    lag: LagPolicy,
    line_ending: LineEnding,
    ended: bool,
    /// Live messages with ids up to this one were already replayed.
    skip_through: u64,
    metrics: HubMetrics,
    since: Since,
}

impl Subscription {
    pub(crate) fn new(
        replay: VecDeque<Message>,
        source: Arc<dyn Source>,
        cursor: Cursor,
        resume: Resume,
        lag: LagPolicy,
        line_ending: LineEnding,
        metrics: HubMetrics,
    ) -> Self {
        Self {
            replay,
            source,
            cursor,
            resume,
            lag,
            line_ending,
            ended: false,
            skip_through: 0,
            metrics,
            since: Since::now(),
        }
    }

    /// A subscription to `source`'s live messages from now on (a shared
    /// backend's topic: what came before is the backend's to replay), or
    /// `None` if the topic was reclaimed meanwhile: look it up again.
    #[cfg(any(feature = "redis", feature = "postgres"))]
    pub(crate) fn live(
        source: Arc<dyn Source>,
        config: &crate::hub::config::HubConfig,
        metrics: &HubMetrics,
    ) -> Option<Self> {
        let mut log = source.fanout().lock();
        let head = log.head();
        let cursor = Fanout::join(&mut log, head)?;
        drop(log);
        let (lag, line_ending) = (config.lag, config.line_ending);
        let replay = VecDeque::new();
        let fresh = Resume::Fresh;
        Some(Self::new(
            replay,
            source,
            cursor,
            fresh,
            lag,
            line_ending,
            metrics.clone(),
        ))
    }

    /// Adds the `replay` fetched from the backend, and drops live messages
    /// with ids up to `skip_through` (the replay has them).
    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    pub(crate) fn resumed(
        mut self,
        replay: VecDeque<Message>,
        resume: Resume,
        skip_through: u64,
    ) -> Self {
        self.replay = replay;
        self.resume = resume;
        self.skip_through = skip_through;
        self
    }

    /// How this subscription relates to the `Last-Event-ID` it was given.
    pub fn resume(&self) -> Resume {
        self.resume
    }

    /// The next message, or `None` when the subscription has ended (the hub
    /// is gone, it lagged under [`LagPolicy::Disconnect`], or it delivered a
    /// message published with [`Hub::publish_last`](super::Hub::publish_last)).
    pub async fn next(&mut self) -> Option<Message> {
        std::future::poll_fn(|cx| Pin::new(&mut *self).poll_next(cx)).await
    }
}

/// What a subscription yields, before it is an event: a message, or the
/// news that messages were skipped (`Some(count)`, or `None` when the hub
/// itself lost an unknown number). The untyped stream writes the latter as
/// a `lagged` notice, a typed topic's as a `reset`.
pub(crate) enum Item {
    Message(Message),
    Lagged(Option<u64>),
}

impl Subscription {
    pub(crate) fn poll_item(&mut self, cx: &mut Context<'_>) -> Poll<Option<Item>> {
        if self.ended {
            return Poll::Ready(None);
        }
        if let Some(message) = self.replay.pop_front() {
            self.metrics
                .delivered(message.id(), message.at(), &self.since);
            tracing::trace!(sse.event_id = message.id(), "replayed");
            self.ended = message.is_last();
            return Poll::Ready(Some(Item::Message(message)));
        }
        let this = self;
        loop {
            let next = std::task::ready!(this.source.fanout().poll_next(&mut this.cursor, cx));
            return match next {
                // Already replayed (see `skipping_live_through`).
                Next::Message(message)
                    if message.id() != 0 && message.id() <= this.skip_through =>
                {
                    continue;
                }
                Next::Message(message) => {
                    this.metrics
                        .delivered(message.id(), message.at(), &this.since);
                    // Joins the publish's DEBUG line (see `Backend::published`).
                    tracing::trace!(sse.event_id = message.id(), "delivered");
                    this.ended = message.is_last();
                    Poll::Ready(Some(Item::Message(message)))
                }
                Next::Closed => {
                    this.ended = true;
                    Poll::Ready(None)
                }
                Next::Gap => match this.lag {
                    LagPolicy::Skip => {
                        this.metrics.lagged("skip");
                        Poll::Ready(Some(Item::Lagged(None)))
                    }
                    LagPolicy::Disconnect => {
                        this.metrics.lagged("disconnect");
                        tracing::warn!(
                            "the hub lost messages of this topic; ending the stream so it resumes"
                        );
                        this.ended = true;
                        Poll::Ready(None)
                    }
                },
                Next::Lagged(skipped) => match this.lag {
                    LagPolicy::Skip => {
                        this.metrics.lagged("skip");
                        Poll::Ready(Some(Item::Lagged(Some(skipped))))
                    }
                    LagPolicy::Disconnect => {
                        this.metrics.lagged("disconnect");
                        tracing::warn!(
                            skipped,
                            "subscriber fell behind; ending its stream so it resumes"
                        );
                        this.ended = true;
                        Poll::Ready(None)
                    }
                },
            };
        }
    }
}

impl Stream for Subscription {
    type Item = Message;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Message>> {
        let line_ending = self.line_ending;
        self.poll_item(cx).map(|item| {
            item.map(|item| match item {
                Item::Message(message) => message,
                Item::Lagged(Some(skipped)) => Message::lagged(skipped, line_ending),
                Item::Lagged(None) => Message::lost(line_ending),
            })
        })
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        let fanout = self.source.fanout();
        if let Some(log) = fanout.leave(&self.cursor) {
            drop(log);
            self.source.idle();
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
