//! Which engine holds a [`Hub`](super::Hub)'s topics, and what every
//! operation on it reports, whichever engine it is.

use std::fmt;
use std::sync::Arc;

use crate::event::SseEvent;
use crate::hub::error::HubError;
use crate::hub::memory::MemoryHub;
#[cfg(feature = "postgres")]
use crate::hub::postgres::PostgresHub;
use crate::hub::publish_keys::Stored;
#[cfg(feature = "redis")]
use crate::hub::redis::RedisHub;
use crate::hub::subscription::Subscription;
use crate::metrics::HubMetrics;

#[derive(Clone)]
pub(super) enum Backend {
    Memory(Arc<MemoryHub>),
    #[cfg(feature = "redis")]
    Redis(Arc<RedisHub>),
    #[cfg(feature = "postgres")]
    Postgres(Arc<PostgresHub>),
}

impl Backend {
    fn metrics(&self) -> &HubMetrics {
        match self {
            Backend::Memory(hub) => &hub.metrics,
            #[cfg(feature = "redis")]
            Backend::Redis(hub) => hub.metrics(),
            #[cfg(feature = "postgres")]
            Backend::Postgres(hub) => hub.metrics(),
        }
    }

    /// Publishes `event` to `topic` (once per `key` when given; as the
    /// topic's last when `last`), counted.
    pub(super) async fn publish<E: SseEvent + ?Sized>(
        &self,
        topic: &str,
        key: Option<&str>,
        event: &E,
        last: bool,
    ) -> Result<u64, HubError> {
        let result = match self {
            Backend::Memory(hub) => match key {
                Some(key) => hub.publish_once(topic, key, event),
                None => hub.publish(topic, event, last),
            },
            #[cfg(feature = "redis")]
            Backend::Redis(hub) => hub.publish_with(topic, key, event, last).await,
            #[cfg(feature = "postgres")]
            Backend::Postgres(hub) => hub.publish_with(topic, key, event, last).await,
        };
        self.count_publish(topic, result)
    }

    pub(super) async fn subscribe(
        &self,
        topic: &str,
        last_event_id: Option<u64>,
    ) -> Result<Subscription, HubError> {
        self.count_subscribe(match self {
            Backend::Memory(hub) => hub.subscribe(topic, last_event_id),
            // Boxed: a shared backend's subscribe is a large future (its
            // connection's round trips), and a stream's task keeps the
            // largest state of its endpoint's future for as long as the
            // stream lives; boxed, that state is a pointer, and the box is
            // freed once subscribed (tests/hub_sizes.rs).
            #[cfg(feature = "redis")]
            Backend::Redis(hub) => Box::pin(hub.subscribe(topic, last_event_id)).await,
            #[cfg(feature = "postgres")]
            Backend::Postgres(hub) => Box::pin(hub.subscribe(topic, last_event_id)).await,
        })
    }

    pub(super) fn topic_count(&self) -> usize {
        match self {
            Backend::Memory(hub) => hub.topic_count(),
            #[cfg(feature = "redis")]
            Backend::Redis(hub) => hub.topic_count(),
            #[cfg(feature = "postgres")]
            Backend::Postgres(hub) => hub.topic_count(),
        }
    }

    /// `result` of a publish to `topic`, counted: a stored event, or why it
    /// was not (a `publish_once` answered from its key is neither). A stored
    /// event's id is logged (DEBUG) as `sse.event_id`, the field each
    /// subscriber's stream span logs (TRACE) when it takes the message: a
    /// publish and its deliveries join on it.
    pub(super) fn count_publish(
        &self,
        topic: &str,
        result: Result<Stored, HubError>,
    ) -> Result<u64, HubError> {
        match &result {
            Ok(Stored { id, new: true }) => {
                self.metrics().published();
                tracing::debug!(sse.topic = topic, sse.event_id = id, "published");
            }
            Ok(Stored { new: false, .. }) => {}
            Err(error) => self.metrics().failed("publish", kind(error)),
        }
        result.map(|stored| stored.id)
    }

    /// `result` of a subscribe, its failure counted.
    fn count_subscribe<T>(&self, result: Result<T, HubError>) -> Result<T, HubError> {
        if let Err(error) = &result {
            self.metrics().failed("subscribe", kind(error));
        }
        result
    }
}

/// The `error` label of a failure.
fn kind(error: &HubError) -> &'static str {
    match error {
        HubError::Event(_) => "event",
        HubError::Backend(_) => "backend",
        HubError::TooManyTopics { .. } => "too_many_topics",
    }
}

impl fmt::Debug for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Backend::Memory(_) => "memory",
            #[cfg(feature = "redis")]
            Backend::Redis(_) => "redis",
            #[cfg(feature = "postgres")]
            Backend::Postgres(_) => "postgres",
        })
    }
}
