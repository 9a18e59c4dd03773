//! Which engine holds a [`Hub`](super::Hub)'s topics, and what every
//! operation on it reports, whichever engine it is.

use std::fmt;
use std::sync::Arc;

use crate::hub::error::HubError;
use crate::hub::memory::MemoryHub;
use crate::hub::publish_keys::Stored;
#[cfg(feature = "redis")]
use crate::hub::redis::RedisHub;
use crate::metrics::HubMetrics;

#[derive(Clone)]
pub(super) enum Backend {
    Memory(Arc<MemoryHub>),
    #[cfg(feature = "redis")]
    Redis(Arc<RedisHub>),
}

impl Backend {
    fn metrics(&self) -> &HubMetrics {
        match self {
            Backend::Memory(hub) => &hub.metrics,
            #[cfg(feature = "redis")]
            Backend::Redis(hub) => hub.metrics(),
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
    pub(super) fn count_subscribe<T>(&self, result: Result<T, HubError>) -> Result<T, HubError> {
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
        })
    }
}
