//! A topic served from a shared backend (Redis, PostgreSQL) in this
//! process: how it is found or put in the map, whether it has started, and
//! what it has delivered to the subscribers here (the backend brings each
//! entry at least once, a wake-up then a read after a reconnect, and this
//! makes it exactly once, in order).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::hub::config::HubConfig;
use crate::hub::error::HubError;
use crate::hub::fanout::{Fanout, Limits};
use crate::hub::message::Message;
use crate::metrics::HubMetrics;
use crate::sync::lock;

/// The last id delivered, and what arrived while the topic was starting.
#[derive(Default)]
pub(crate) struct Delivered {
    /// `None` while the topic is starting.
    last: Option<u64>,
    /// What arrived while starting, sorted out when the start is known.
    pending: Vec<Message>,
}

impl Delivered {
    pub(crate) fn last(&self) -> Option<u64> {
        self.last
    }

    /// Gives `message` to `fanout`, unless it was delivered already; held
    /// while the topic is starting.
    pub(crate) fn deliver(&mut self, message: Message, fanout: &Fanout) {
        match self.last {
            None => self.pending.push(message),
            Some(last) if message.id() <= last => {}
            Some(_) => {
                self.last = Some(message.id());
                let _ = fanout.publish(|_| Ok::<_, ()>(message));
            }
        }
    }

    /// The topic's live messages are those after `start`: what arrived
    /// meanwhile is delivered if it is newer.
    pub(crate) fn started(&mut self, start: u64, fanout: &Fanout) {
        self.last = Some(start);
        for message in std::mem::take(&mut self.pending) {
            self.deliver(message, fanout);
        }
    }
}

/// Whether a topic has started: set once, by the task that starts it (a task
/// of its own, so that a subscribe cancelled meanwhile cannot leave the topic
/// starting for ever), and awaited by every subscriber that finds the topic
/// starting (one that went ahead would replay from an older state than the
/// start, and miss what came between).
pub(crate) struct Readiness(tokio::sync::watch::Sender<Ready>);

#[derive(Clone, PartialEq, Eq)]
pub(crate) enum Ready {
    Starting,
    Started,
    Failed(String),
}

impl Readiness {
    pub(crate) fn new() -> Self {
        Self(tokio::sync::watch::Sender::new(Ready::Starting))
    }

    pub(crate) fn set(&self, ready: Ready) {
        self.0.send_replace(ready);
    }

    /// Until the topic has started, or failed to.
    pub(crate) async fn wait(&self) -> Result<(), HubError> {
        let mut ready = self.0.subscribe();
        let outcome = ready
            .wait_for(|ready| *ready != Ready::Starting)
            .await
            .map(|ready| ready.clone());
        match outcome {
            Ok(Ready::Started) => Ok(()),
            Ok(Ready::Failed(why)) => Err(HubError::Backend(why.into())),
            Ok(Ready::Starting) | Err(_) => {
                Err(HubError::Backend("the topic's start was abandoned".into()))
            }
        }
    }
}

/// `name`'s topic in `topics`, or a new one that `make` builds around its
/// fan-out (which keeps nothing once read: the backend holds the history),
/// put in the map before its start is known so that what the reader brings
/// meanwhile is held; `true` when new, and its start the caller's to begin.
/// At most [`HubConfig::max_topics`].
pub(crate) fn find_or_insert<T>(
    topics: &Mutex<HashMap<String, Arc<T>>>,
    name: &str,
    config: &HubConfig,
    metrics: &HubMetrics,
    make: impl FnOnce(Fanout) -> T,
) -> Result<(Arc<T>, bool), HubError> {
    let mut topics = lock(topics);
    if let Some(topic) = topics.get(name) {
        return Ok((topic.clone(), false));
    }
    if topics.len() >= config.max_topics {
        return Err(HubError::TooManyTopics {
            limit: config.max_topics,
        });
    }
    let buffer = config.buffer.max(1);
    let topic = Arc::new(make(Fanout::new(Limits {
        keep_idle: 0,
        keep_busy: buffer,
        buffer,
    })));
    topics.insert(name.to_owned(), topic.clone());
    metrics.topics_changed(1);
    Ok((topic, true))
}
