//! A subscriber's view of a topic: the replay, then live messages.

use std::collections::VecDeque;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;
use tokio::sync::broadcast::{self, error::RecvError};
use tokio_util::sync::ReusableBoxFuture;

use crate::event::LineEnding;
use crate::hub::config::LagPolicy;
use crate::hub::message::Message;
use crate::hub::resume::Resume;

type Recv = (Result<Message, RecvError>, broadcast::Receiver<Message>);

async fn recv(mut live: broadcast::Receiver<Message>) -> Recv {
    let result = live.recv().await;
    (result, live)
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
