//! How a [`Hub`](super::Hub) buffers: its replay window, how far a
//! subscriber may fall behind, and what happens then.

use std::time::Duration;

use crate::event::LineEnding;

/// What a slow subscriber gets when it falls more than
/// [`HubConfig::buffer`] events behind.
///
/// ```
/// use sse_runtime::hub::{Hub, HubConfig, LagPolicy};
///
/// // A ticker where only the newest prices matter: skip, never disconnect.
/// let hub = Hub::with_config(HubConfig { lag: LagPolicy::Skip, ..HubConfig::default() });
/// # drop(hub);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum LagPolicy {
    /// End its stream. A browser reconnects with `Last-Event-ID` and resumes
    /// from the replay buffer, losing nothing the buffer still holds (and
    /// learning of a gap when it does not). The same happens to every
    /// subscriber when the hub itself lost messages.
    #[default]
    Disconnect,
    /// Skip ahead to the oldest event still buffered, after an event
    /// `event: lagged` whose data is the number of events skipped (or
    /// `unknown` when the hub itself lost them: see `Hub::redis`, feature `redis`, and
    /// `Hub::postgres`, feature `postgres`).
    Skip,
}

/// How a [`Hub`](crate::hub::Hub) buffers. Build it with `..HubConfig::default()`.
///
/// ```
/// use sse_runtime::hub::{Hub, HubConfig};
/// use std::time::Duration;
///
/// // Replay at most 100 events, none older than a minute.
/// let hub = Hub::with_config(HubConfig {
///     replay: 100,
///     replay_for: Some(Duration::from_secs(60)),
///     ..HubConfig::default()
/// });
/// # drop(hub);
///
/// // The defaults each field states:
/// let defaults = HubConfig::default();
/// assert_eq!((defaults.replay, defaults.replay_for, defaults.buffer), (1_000, None, 1_024));
/// assert_eq!(defaults.max_topics, 100_000);
/// assert_eq!(defaults.idempotency_window, Duration::from_secs(10 * 60));
/// assert_eq!(defaults.backend_timeout, Duration::from_secs(2));
/// assert!(!defaults.topic_in_ids);
/// ```
#[derive(Debug, Clone)]
pub struct HubConfig {
    /// Events kept per topic for replay (default 1,000).
    pub replay: usize,
    /// In memory and on PostgreSQL, events older than this are not replayed
    /// (default: no age limit). Redis trims by count only. On PostgreSQL a
    /// topic nobody published to for this long is also forgotten (its next
    /// event starts a new history, after a gap), so that topics a request
    /// names do not pile up in the tables.
    pub replay_for: Option<Duration>,
    /// How far a subscriber may fall behind the newest event (default 1,024).
    pub buffer: usize,
    /// What happens to a subscriber that falls further behind.
    pub lag: LagPolicy,
    /// Line ending of the encoded events (default `\n`).
    pub line_ending: LineEnding,
    /// Topics this process holds at once (default 100,000). A topic is held
    /// while it has subscribers or events to replay, and reclaimed after;
    /// one more is refused with [`HubError::TooManyTopics`](super::HubError::TooManyTopics),
    /// so that clients choosing topic names cannot exhaust memory.
    pub max_topics: usize,
    /// How long a key given to [`Hub::publish_once`](super::Hub::publish_once)
    /// is remembered (default 10 minutes): a retry with the same key within
    /// it returns the first publish's id and stores nothing again.
    pub idempotency_window: Duration,
    /// How long a publish or subscribe waits for Redis or PostgreSQL before failing with
    /// [`HubError::Backend`](super::HubError::Backend) (default 2 s), so that
    /// while Redis is away requests are refused promptly (answer 503) instead
    /// of waiting out the reconnection. In memory nothing waits.
    pub backend_timeout: Duration,
    /// Write ids as `<topic>:<n>` instead of `<n>` (default `false`), so
    /// that a `Last-Event-ID` alone names the topic to resume: parse it as
    /// a [`TopicEventId`](super::TopicEventId). For a topic per stream, such
    /// as MCP's per-request streams, resumed by a `GET` that says nothing
    /// else. A topic holding CR, LF or NUL is then refused with
    /// [`HubError::Event`](super::HubError::Event).
    pub topic_in_ids: bool,
}

impl Default for HubConfig {
    fn default() -> Self {
        Self {
            replay: 1_000,
            replay_for: None,
            buffer: 1_024,
            lag: LagPolicy::Disconnect,
            line_ending: LineEnding::Lf,
            max_topics: 100_000,
            idempotency_window: Duration::from_secs(600),
            backend_timeout: Duration::from_secs(2),
            topic_in_ids: false,
        }
    }
}
