//! A broadcast hub: topics that every subscriber receives in order, with
//! replay for clients that reconnect with `Last-Event-ID`; in this process
//! by default, or shared by several processes through Redis (feature
//! `redis`, `Hub::redis`) or PostgreSQL (feature `postgres`,
//! `Hub::postgres`, with `Hub::publish_in` inside the application's
//! transactions).
//!
//! ```
//! use axum::extract::{Path, State};
//! use sse_runtime::hub::{Hub, Resume};
//! use sse_runtime::{Event, LastEventId, sse_endpoint};
//!
//! #[sse_endpoint(get "/rooms/{room}")]
//! async fn room(
//!     State(hub): State<Hub>,
//!     Path(room): Path<String>,
//!     LastEventId(last): LastEventId<u64>,
//! ) -> Result<(), sse_runtime::hub::HubError> {
//!     let mut messages = hub.subscribe(&room, last).await?;
//!     if let Resume::Gap { .. } = messages.resume() {
//!         // The client missed more than the hub kept: tell it to reload.
//!         yield_!(Event::data("reload").event("reset").unwrap());
//!     }
//!     while let Some(message) = messages.next().await {
//!         yield_!(message);
//!     }
//!     Ok(())
//! }
//!
//! let hub = Hub::new();
//! let app: axum::Router = room::route().with_state(hub.clone());
//! # drop(app);
//! # async fn publish(hub: Hub) -> Result<(), sse_runtime::hub::HubError> {
//! // From any handler or task: every subscriber of "lobby" gets it.
//! let id = hub.publish("lobby", &Event::data("hello").event("chat")?).await?;
//! # let _ = id;
//! # Ok(()) }
//! # let _ = publish(hub);
//! ```
//!
//! - **Encoded once, shared when it starts a frame.** A published event is
//!   written to bytes once (per process, with its hub-assigned `id:`). A
//!   subscriber's response whose frame is empty sends those same bytes as a
//!   frame of their own, whether it streams the subscription directly or
//!   yields its messages from an `#[sse_endpoint]`: a live message, the usual
//!   case, is never copied. A message that joins a frame already holding
//!   other bytes is copied into it: the first replayed message of a
//!   response (after its opening line), and messages ready together in one
//!   poll (a replay, a burst), so that they still leave in one write.
//! - **Exactly once, in order, no gap on resume.** A subscriber gets every
//!   event after its `Last-Event-ID` exactly once: replayed up to the moment
//!   it subscribed, live after, even when publishes race with the subscribe.
//! - **Bounded.** Each topic keeps the last [`HubConfig::replay`] events (in
//!   memory: also no older than [`HubConfig::replay_for`]); a subscriber may
//!   fall at most [`HubConfig::buffer`] events behind, then [`LagPolicy`]
//!   applies. Neither a slow subscriber nor a burst blocks the publisher.
//! - **Topics come and go.** A topic costs memory for what it buffers, and
//!   is reclaimed once it has no subscriber and nothing to replay, so a
//!   client naming rooms (`/rooms/{room}`) cannot grow the server (BENCHMARKS.md,
//!   "Hub topics a client names"). At most [`HubConfig::max_topics`] live at once; one
//!   more is [`HubError::TooManyTopics`], which answers `503`.
//! - **Honest resume.** An id from another history (the server restarted,
//!   Redis lost its data, the topic was reclaimed) resumes as
//!   [`Resume::Gap`], never as a position in this one; messages the hub
//!   itself lost reach subscribers as a gap too.
//! - **Retry-safe publishing.** A failed publish may have been stored;
//!   [`Hub::publish_once`] with the caller's key stores it once however
//!   often it is retried.
//! - **A topic per job or request.** [`Hub::publish_last`] ends every
//!   subscription of a topic after its last message, replayed or live, and
//!   with [`HubConfig::topic_in_ids`] each id names its topic
//!   ([`TopicEventId`]), so a `Last-Event-ID` alone resumes the right
//!   stream: a tool call's progress and result under MCP (`examples/mcp`),
//!   a generation that outlives its connection.
//! - **Not an authority.** The hub never decides who may read a topic: the
//!   endpoint does, with its extractors, before it subscribes.

mod backend;
#[cfg(any(feature = "redis", feature = "postgres"))]
mod backoff;
mod config;
#[cfg(any(feature = "redis", feature = "postgres"))]
mod delivered;
mod error;
mod fanout;
mod memory;
mod message;
#[cfg(feature = "postgres")]
mod postgres;
mod publish_keys;
mod published;
#[cfg(feature = "redis")]
mod redis;
mod resume;
mod subscription;
mod topic;
mod topic_ids;

use std::fmt;
use std::sync::Arc;

use self::backend::Backend;
pub use self::config::{HubConfig, LagPolicy};
pub use self::error::HubError;
pub use self::message::Message;
pub use self::published::{Published, Reset};
pub use self::resume::Resume;
pub use self::subscription::Subscription;
pub use self::topic::{Topic, TopicSubscription};
pub use self::topic_ids::{InvalidTopicEventId, TopicEventId};
use crate::event::SseEvent;

/// Topics to publish to and subscribe to. Cheap to clone; clones share the
/// topics.
///
/// ```
/// use sse_runtime::Event;
/// use sse_runtime::hub::{Hub, Resume};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), sse_runtime::hub::HubError> {
/// let hub = Hub::new();
/// let first = hub.publish("news", &Event::data("one")).await?;
/// let second = hub.publish("news", &Event::data("two")).await?;
/// // A client that saw the first event resumes after it.
/// let mut resumed = hub.subscribe("news", Some(first)).await?;
/// assert_eq!(resumed.resume(), Resume::Complete);
/// let replayed = resumed.next().await.expect("replayed");
/// assert_eq!(replayed.as_bytes(), format!("id: {second}\ndata: two\n\n").as_bytes());
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct Hub {
    backend: Backend,
}

impl Default for Hub {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for Hub {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Hub")
            .field("backend", &self.backend)
            .finish_non_exhaustive()
    }
}

impl Hub {
    /// A hub in this process with the default [`HubConfig`].
    pub fn new() -> Self {
        Self::with_config(HubConfig::default())
    }

    /// A hub in this process with `config`.
    pub fn with_config(config: HubConfig) -> Self {
        Self {
            backend: Backend::Memory(Arc::new(memory::MemoryHub::new(config))),
        }
    }

    /// Publishes `event` to `topic` and returns the id the hub gave it.
    ///
    /// # Errors
    /// [`HubError::Event`] if the event cannot be written or sets its own
    /// id (ids are the hub's, so that `Last-Event-ID` always means a position
    /// in the topic); [`HubError::Backend`] if Redis or PostgreSQL failed;
    /// [`HubError::TooManyTopics`] if `topic` is new and the hub holds
    /// [`HubConfig::max_topics`] already.
    pub async fn publish<E: SseEvent + ?Sized>(
        &self,
        topic: &str,
        event: &E,
    ) -> Result<u64, HubError> {
        self.backend.publish(topic, None, event, false).await
    }

    /// Publishes `event` to `topic` unless a publish with the same `key`
    /// was stored there within [`HubConfig::idempotency_window`]; returns the
    /// id it was stored under either way.
    ///
    /// A publish whose connection failed after the backend stored it reports
    /// [`HubError::Backend`] although subscribers will get it: retrying with
    /// a plain [`publish`](Hub::publish) would store it twice. With a key the
    /// caller chooses (a message id from its client, a request id), retry
    /// until it succeeds: the event is stored once.
    ///
    /// ```
    /// use sse_runtime::Event;
    /// use sse_runtime::hub::Hub;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), sse_runtime::hub::HubError> {
    /// let hub = Hub::new();
    /// let event = Event::data("hello").event("chat")?;
    /// let first = hub.publish_once("lobby", "msg-7f3a", &event).await?;
    /// let retried = hub.publish_once("lobby", "msg-7f3a", &event).await?;
    /// assert_eq!(first, retried, "stored once");
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// As [`publish`](Hub::publish).
    pub async fn publish_once<E: SseEvent + ?Sized>(
        &self,
        topic: &str,
        key: &str,
        event: &E,
    ) -> Result<u64, HubError> {
        self.backend.publish(topic, Some(key), event, false).await
    }

    /// Publishes `event` as the last of `topic`: every subscription, live or
    /// replaying, ends after it. For a topic per job or per request (a tool
    /// call's progress, then its result; a generation's tokens), so that a
    /// client that resumes with `Last-Event-ID` gets the rest and its stream
    /// then ends, as the first one would have.
    ///
    /// ```
    /// use sse_runtime::Event;
    /// use sse_runtime::hub::Hub;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), sse_runtime::hub::HubError> {
    /// let hub = Hub::new();
    /// let mut job = hub.subscribe("job-9", None).await?;
    /// let half = hub.publish("job-9", &Event::data("50%")).await?;
    /// hub.publish_last("job-9", &Event::data("done")).await?;
    ///
    /// assert_eq!(job.next().await.map(|m| m.is_last()), Some(false));
    /// assert_eq!(job.next().await.map(|m| m.is_last()), Some(true));
    /// assert!(job.next().await.is_none(), "ended after the last");
    ///
    /// // Resuming after `half` replays the rest, then ends too.
    /// let mut resumed = hub.subscribe("job-9", Some(half)).await?;
    /// assert!(resumed.next().await.is_some_and(|m| m.is_last()));
    /// assert!(resumed.next().await.is_none());
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// A subscription that starts after the last message (without a
    /// `Last-Event-ID`, or resuming from it) waits for new messages: answer
    /// such a request before subscribing, from what the application knows
    /// of the job.
    ///
    /// # Errors
    /// As [`publish`](Hub::publish).
    pub async fn publish_last<E: SseEvent + ?Sized>(
        &self,
        topic: &str,
        event: &E,
    ) -> Result<u64, HubError> {
        self.backend.publish(topic, None, event, true).await
    }

    /// How many topics this process holds now: those with subscribers here,
    /// and (in memory) those with events left to replay. A topic is
    /// reclaimed once it has neither (see [`HubConfig::max_topics`]); for
    /// metrics and tests.
    ///
    /// ```
    /// use sse_runtime::hub::Hub;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), sse_runtime::hub::HubError> {
    /// let hub = Hub::new();
    /// let subscription = hub.subscribe("room-42", None).await?;
    /// assert_eq!(hub.topic_count(), 1);
    /// drop(subscription);
    /// assert_eq!(hub.topic_count(), 0, "nothing to replay, nobody listening");
    /// # Ok(())
    /// # }
    /// ```
    pub fn topic_count(&self) -> usize {
        self.backend.topic_count()
    }

    /// Subscribes to `topic`, first replaying what came after
    /// `last_event_id` (a client's `Last-Event-ID`), then live events.
    ///
    /// # Errors
    /// [`HubError::Backend`] if Redis or PostgreSQL failed (never for the in-memory hub);
    /// [`HubError::TooManyTopics`] if `topic` is new and the hub holds
    /// [`HubConfig::max_topics`] already.
    pub async fn subscribe(
        &self,
        topic: &str,
        last_event_id: Option<u64>,
    ) -> Result<Subscription, HubError> {
        self.backend.subscribe(topic, last_event_id).await
    }
}
