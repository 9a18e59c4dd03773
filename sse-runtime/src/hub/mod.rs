//! A broadcast hub: topics that every subscriber receives in order, with
//! replay for clients that reconnect with `Last-Event-ID`; in this process
//! by default, or shared by several processes through Redis (feature
//! `redis`).
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
//! # async fn publish(hub: Hub) -> Result<(), sse_runtime::hub::HubError> {
//! let id = hub.publish("lobby", &Event::data("hello").event("chat")?).await?;
//! # Ok(()) }
//! let app: axum::Router = room::route().with_state(Hub::new());
//! ```
//!
//! - **Encoded once, never copied.** A published event is written to bytes
//!   once (per process, with its hub-assigned `id:`), and every subscriber's
//!   response sends those same bytes as a frame of its own, whether it
//!   streams the subscription directly or yields its messages from an
//!   `#[sse_endpoint]`.
//! - **Exactly once, in order, no gap on resume.** A subscriber gets every
//!   event after its `Last-Event-ID` exactly once: replayed up to the moment
//!   it subscribed, live after, even when publishes race with the subscribe.
//! - **Bounded.** Each topic keeps the last [`HubConfig::replay`] events (in
//!   memory: also no older than [`HubConfig::replay_for`]); a subscriber may
//!   fall at most [`HubConfig::buffer`] events behind, then [`LagPolicy`]
//!   applies. Neither a slow subscriber nor a burst blocks the publisher.
//! - **Not an authority.** The hub never decides who may read a topic: the
//!   endpoint does, with its extractors, before it subscribes.

mod memory;
#[cfg(feature = "redis")]
mod redis;
mod subscription;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

pub use self::subscription::{Message, Resume, Subscription};
use crate::encode::{EventWriter, WriteEvent};
use crate::error::EventError;
use crate::item::BoxError;
use crate::line_ending::LineEnding;

/// What a slow subscriber gets when it falls more than
/// [`HubConfig::buffer`] events behind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum LagPolicy {
    /// End its stream. A browser reconnects with `Last-Event-ID` and resumes
    /// from the replay buffer, losing nothing the buffer still holds.
    #[default]
    Disconnect,
    /// Skip ahead to the oldest event still buffered, after an event
    /// `event: lagged` whose data is the number of events skipped.
    Skip,
}

/// How a [`Hub`] buffers. Build it with `..HubConfig::default()`.
#[derive(Debug, Clone)]
pub struct HubConfig {
    /// Events kept per topic for replay (default 1,000).
    pub replay: usize,
    /// In memory, events older than this are not replayed (default: no age
    /// limit). Redis trims by count only.
    pub replay_for: Option<Duration>,
    /// How far a subscriber may fall behind the newest event (default 1,024).
    pub buffer: usize,
    /// What happens to a subscriber that falls further behind.
    pub lag: LagPolicy,
    /// Line ending of the encoded events (default `\n`).
    pub line_ending: LineEnding,
}

impl Default for HubConfig {
    fn default() -> Self {
        Self {
            replay: 1_000,
            replay_for: None,
            buffer: 1_024,
            lag: LagPolicy::Disconnect,
            line_ending: LineEnding::Lf,
        }
    }
}

/// Why a publish or subscribe failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum HubError {
    /// The event could not be written (or set its own id).
    Event(EventError),
    /// The backend (Redis) could not be reached or refused the command; the
    /// event was not published.
    Backend(BoxError),
}

impl fmt::Display for HubError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HubError::Event(error) => write!(f, "{error}"),
            HubError::Backend(error) => write!(
                f,
                "the hub's backend failed, nothing was published or subscribed: {error}; \
                 retry, or tell the client to (503)"
            ),
        }
    }
}

impl std::error::Error for HubError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            HubError::Event(error) => Some(error),
            HubError::Backend(error) => Some(&**error),
        }
    }
}

impl From<EventError> for HubError {
    fn from(error: EventError) -> Self {
        HubError::Event(error)
    }
}

/// Topics to publish to and subscribe to. Cheap to clone; clones share the
/// topics.
#[derive(Clone)]
pub struct Hub {
    backend: Backend,
}

#[derive(Clone)]
enum Backend {
    Memory(Arc<memory::MemoryHub>),
    #[cfg(feature = "redis")]
    Redis(Arc<redis::RedisHub>),
}

impl Default for Hub {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for Hub {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let backend = match &self.backend {
            Backend::Memory(_) => "memory",
            #[cfg(feature = "redis")]
            Backend::Redis(_) => "redis",
        };
        f.debug_struct("Hub")
            .field("backend", &backend)
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

    /// A hub whose topics live in Redis Streams at `url`
    /// (`redis://127.0.0.1:6379`), shared by every process connected to it.
    ///
    /// Ids come from Redis (`<ms>-<seq>` packed into a `u64`), history is the
    /// stream trimmed to about [`HubConfig::replay`] entries, and each process
    /// reads each topic it serves once, then fans it out locally.
    /// Delivery: at least what Redis still holds; a client that resumes with
    /// `Last-Event-ID` gets every entry after it that the stream still holds,
    /// exactly once.
    ///
    /// # Errors
    /// [`HubError::Backend`] if Redis cannot be reached.
    #[cfg(feature = "redis")]
    pub async fn redis(url: &str, config: HubConfig) -> Result<Self, HubError> {
        Ok(Self {
            backend: Backend::Redis(Arc::new(redis::RedisHub::connect(url, config).await?)),
        })
    }

    /// Publishes `event` to `topic` and returns the id the hub gave it.
    ///
    /// # Errors
    /// [`HubError::Event`] if the event cannot be written or sets its own
    /// id (ids are the hub's, so that `Last-Event-ID` always means a position
    /// in the topic); [`HubError::Backend`] if Redis failed.
    pub async fn publish<E: WriteEvent + ?Sized>(
        &self,
        topic: &str,
        event: &E,
    ) -> Result<u64, HubError> {
        match &self.backend {
            Backend::Memory(hub) => Ok(hub.publish(topic, event)?),
            #[cfg(feature = "redis")]
            Backend::Redis(hub) => hub.publish(topic, event).await,
        }
    }

    /// Subscribes to `topic`, first replaying what came after
    /// `last_event_id` (a client's `Last-Event-ID`), then live events.
    ///
    /// # Errors
    /// [`HubError::Backend`] if Redis failed (never for the in-memory hub).
    pub async fn subscribe(
        &self,
        topic: &str,
        last_event_id: Option<u64>,
    ) -> Result<Subscription, HubError> {
        match &self.backend {
            Backend::Memory(hub) => Ok(hub.subscribe(topic, last_event_id)),
            #[cfg(feature = "redis")]
            Backend::Redis(hub) => hub.subscribe(topic, last_event_id).await,
        }
    }
}

/// Writes `event`'s fields after the hub's `id:` line, refusing an event
/// that sets its own id.
fn encode_fields<E: WriteEvent + ?Sized>(
    writer: &mut EventWriter<'_>,
    event: &E,
) -> Result<(), EventError> {
    writer.forget_written_fields();
    event.write_event(writer)?;
    if writer.wrote_id() {
        return Err(EventError::IdSetByHub);
    }
    Ok(())
}
