//! The topics this process serves from PostgreSQL: each starts on its first
//! local subscriber (placed after the topic's newest event: what the reader
//! brings meanwhile is held until then), delivers what the reader brings
//! exactly once, and stops when its last local subscriber leaves. The
//! process listens on one channel for every topic, so starting and stopping
//! a topic asks nothing of the database but its newest id.

use std::sync::{Arc, Mutex, Weak};

use crate::hub::delivered::Delivered;
use crate::hub::error::{HubError, timed};
use crate::hub::fanout::{Fanout, Limits};
use crate::hub::message::Message;
use crate::hub::postgres::Shared;
use crate::hub::postgres::store::newest;
use crate::hub::subscription::Source;
use crate::sync::lock;

/// A topic this process serves.
pub(crate) struct PgTopic {
    pub(super) name: String,
    pub(super) fanout: Fanout,
    delivered: Mutex<Delivered>,
    shared: Weak<Shared>,
}

impl Shared {
    /// The local fan-out of `name`, started the first time.
    pub(super) async fn start(self: &Arc<Self>, name: &str) -> Result<Arc<PgTopic>, HubError> {
        let topic = {
            let mut topics = lock(&self.topics);
            if let Some(topic) = topics.get(name) {
                return Ok(topic.clone());
            }
            if topics.len() >= self.config.max_topics {
                return Err(HubError::TooManyTopics {
                    limit: self.config.max_topics,
                });
            }
            let buffer = self.config.buffer.max(1);
            let topic = Arc::new(PgTopic {
                name: name.to_owned(),
                fanout: Fanout::new(Limits {
                    keep_idle: 0,
                    keep_busy: buffer,
                    buffer,
                }),
                delivered: Mutex::default(),
                shared: Arc::downgrade(self),
            });
            // In the map before asking where live messages start: what the
            // reader brings from then on is held until that is known.
            topics.insert(name.to_owned(), topic.clone());
            self.metrics.topics_changed(1);
            topic
        };
        let limit = self.config.backend_timeout;
        match timed("PostgreSQL", limit, newest(&self.pool, name)).await {
            Ok(start) => {
                lock(&topic.delivered).started(start, &topic.fanout);
                Ok(topic)
            }
            Err(error) => {
                topic.fanout.lock().removed = true;
                topic.fanout.close();
                self.forget(&topic);
                Err(error)
            }
        }
    }

    pub(super) fn topic(&self, name: &str) -> Option<Arc<PgTopic>> {
        lock(&self.topics).get(name).cloned()
    }

    pub(super) fn topics(&self) -> Vec<Arc<PgTopic>> {
        lock(&self.topics).values().cloned().collect()
    }

    /// Takes `topic` out of the map if it is still the one there.
    fn forget(&self, topic: &Arc<PgTopic>) {
        let mut topics = lock(&self.topics);
        if topics
            .get(&topic.name)
            .is_some_and(|current| Arc::ptr_eq(current, topic))
        {
            topics.remove(&topic.name);
            self.metrics.topics_changed(-1);
        }
    }
}

impl PgTopic {
    pub(super) fn last_delivered(&self) -> Option<u64> {
        lock(&self.delivered).last()
    }

    /// An event, unless it was delivered already.
    pub(super) fn deliver(&self, message: Message) {
        lock(&self.delivered).deliver(message, &self.fanout);
    }
}

impl Source for PgTopic {
    fn fanout(&self) -> &Fanout {
        &self.fanout
    }

    fn idle(&self) {
        let Some(shared) = self.shared.upgrade() else {
            return;
        };
        // Lock order: the map, then the topic's log.
        let mut topics = lock(&shared.topics);
        let Some(topic) = topics.get(&self.name) else {
            return;
        };
        if !std::ptr::eq(&**topic, self) {
            return;
        }
        let mut log = self.fanout.lock();
        if log.subscribers() > 0 {
            return;
        }
        log.removed = true;
        drop(log);
        topics.remove(&self.name);
        shared.metrics.topics_changed(-1);
    }
}
