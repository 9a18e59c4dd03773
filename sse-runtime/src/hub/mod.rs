//! A broadcast hub: topics that every subscriber receives in order, with
//! replay for clients that reconnect with `Last-Event-ID`.
//!
//! ```
//! use axum::extract::{Path, State};
//! use sse_runtime::hub::{Hub, Resume};
//! use sse_runtime::{Event, LastEventId, sse_endpoint};
//!
//! #[sse_endpoint(get "/rooms/{room}")]
//! async fn room(State(hub): State<Hub>, Path(room): Path<String>, LastEventId(last): LastEventId<u64>) {
//!     let mut messages = hub.subscribe(&room, last);
//!     if let Resume::Gap { .. } = messages.resume() {
//!         // The client missed more than the hub kept: tell it to reload.
//!         yield_!(Event::data("reload").event("reset").unwrap());
//!     }
//!     while let Some(message) = messages.next().await {
//!         yield_!(message);
//!     }
//! }
//!
//! # async fn publish(hub: Hub) -> Result<(), sse_runtime::EventError> {
//! let id = hub.publish("lobby", &Event::data("hello").event("chat")?)?;
//! # Ok(()) }
//! let app: axum::Router = room::route().with_state(Hub::new());
//! ```
//!
//! - **Encoded once.** A published event is written to bytes once, with its
//!   hub-assigned `id:`; every subscriber shares those bytes.
//! - **Exactly once, in order, no gap on resume.** Publishing and subscribing
//!   take the topic's lock, so a subscriber gets every event after its
//!   `Last-Event-ID` exactly once: from the replay buffer up to the moment it
//!   subscribed, live after it, even when publishes race with the subscribe.
//! - **Bounded.** Each topic keeps the last [`HubConfig::replay`] events (and
//!   no older than [`HubConfig::replay_for`]); a subscriber may fall at most
//!   [`HubConfig::buffer`] events behind, then [`LagPolicy`] applies. Neither
//!   a slow subscriber nor a burst blocks the publisher or grows memory.
//! - **Not an authority.** The hub never decides who may read a topic: the
//!   endpoint does, with its extractors, before it subscribes.

mod subscription;

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use tokio::sync::broadcast;
use tokio::time::Instant;

pub use self::subscription::{Message, Resume, Subscription};
use crate::encode::{EventWriter, WriteEvent};
use crate::error::EventError;
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
    /// Events older than this are not replayed (default: no age limit).
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

/// A set of topics held in this process. Cheap to clone; clones share the
/// topics.
#[derive(Clone, Debug, Default)]
pub struct Hub {
    inner: Arc<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    config: HubConfig,
    topics: Mutex<HashMap<String, Arc<Topic>>>,
}

/// One topic: its id counter, replay buffer and live channel, under one lock
/// so that a subscribe sees an exact split between replay and live.
#[derive(Debug)]
pub(crate) struct Topic {
    state: Mutex<TopicState>,
}

#[derive(Debug)]
struct TopicState {
    next_id: u64,
    history: VecDeque<Message>,
    live: broadcast::Sender<Message>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // The guarded data stays consistent at every await-free step.
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Hub {
    /// A hub with the default [`HubConfig`].
    pub fn new() -> Self {
        Self::default()
    }

    /// A hub with `config`.
    pub fn with_config(config: HubConfig) -> Self {
        Self {
            inner: Arc::new(Inner {
                config,
                topics: Mutex::default(),
            }),
        }
    }

    fn topic(&self, name: &str) -> Arc<Topic> {
        let mut topics = lock(&self.inner.topics);
        if let Some(topic) = topics.get(name) {
            return topic.clone();
        }
        let (live, _) = broadcast::channel(self.inner.config.buffer.max(1));
        let topic = Arc::new(Topic {
            state: Mutex::new(TopicState {
                next_id: 1,
                history: VecDeque::new(),
                live,
            }),
        });
        topics.insert(name.to_owned(), topic.clone());
        topic
    }

    /// Publishes `event` to `topic` and returns the id the hub gave it.
    ///
    /// # Errors
    /// The event's own error if it cannot be written, or
    /// [`EventError::IdSetByHub`] if it sets an id: ids are the hub's, so that
    /// `Last-Event-ID` always means a position in the topic.
    pub fn publish<E: WriteEvent + ?Sized>(
        &self,
        topic: &str,
        event: &E,
    ) -> Result<u64, EventError> {
        let topic = self.topic(topic);
        let config = &self.inner.config;
        let mut state = lock(&topic.state);
        let id = state.next_id;
        let mut buf = BytesMut::new();
        let mut writer = EventWriter::new(&mut buf, config.line_ending);
        writer.id_u64(id);
        writer.forget_written_fields();
        event.write_event(&mut writer)?;
        if writer.wrote_id() {
            return Err(EventError::IdSetByHub);
        }
        state.next_id += 1;
        let message = Message::new(id, Instant::now(), Bytes::from(buf));
        state.history.push_back(message.clone());
        trim(&mut state.history, config);
        // No receivers is fine: the replay buffer still has it.
        let _ = state.live.send(message);
        Ok(id)
    }

    /// Subscribes to `topic`, first replaying what came after `last_event_id`
    /// (a client's `Last-Event-ID`), then live events.
    pub fn subscribe(&self, topic: &str, last_event_id: Option<u64>) -> Subscription {
        let topic = self.topic(topic);
        let config = &self.inner.config;
        let mut state = lock(&topic.state);
        trim(&mut state.history, config);
        let live = state.live.subscribe();
        let newest = state.next_id - 1;
        let (replay, resume) = match last_event_id {
            None => (VecDeque::new(), Resume::Fresh),
            Some(last) if last > newest => (
                VecDeque::new(),
                Resume::Unknown {
                    last_event_id: last,
                },
            ),
            Some(last) => {
                let replay: VecDeque<Message> = state
                    .history
                    .iter()
                    .filter(|m| m.id() > last)
                    .cloned()
                    .collect();
                let first_kept = state.history.front().map_or(newest + 1, Message::id);
                let resume = if last + 1 >= first_kept {
                    Resume::Complete
                } else {
                    Resume::Gap {
                        missed: first_kept - last - 1,
                    }
                };
                (replay, resume)
            }
        };
        drop(state);
        Subscription::new(replay, live, resume, config.lag, config.line_ending)
    }

    /// The id the next event published to `topic` will get.
    pub fn next_id(&self, topic: &str) -> u64 {
        lock(&self.topic(topic).state).next_id
    }
}

/// Drops what the replay buffer no longer keeps.
fn trim(history: &mut VecDeque<Message>, config: &HubConfig) {
    while history.len() > config.replay {
        history.pop_front();
    }
    if let Some(age) = config.replay_for {
        let now = Instant::now();
        while history
            .front()
            .is_some_and(|m| now.duration_since(m.at()) > age)
        {
            history.pop_front();
        }
    }
}
