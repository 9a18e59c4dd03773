//! The topics this process serves from PostgreSQL: each starts on its first
//! local subscriber (placed after the topic's newest event: what the reader
//! brings meanwhile is held until then), delivers what the reader brings
//! exactly once, and stops when its last local subscriber leaves. The
//! process listens on one channel for every topic, so starting and stopping
//! a topic asks nothing of the database but its newest id.

use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, Weak};

use crate::hub::delivered::{Delivered, Readiness, Ready, find_or_insert};
use crate::hub::error::{HubError, timed};
use crate::hub::fanout::Fanout;
use crate::hub::message::Message;
use crate::hub::postgres::Shared;
use crate::hub::postgres::store::{NUMBER, newest, read_after};
use crate::hub::subscription::Source;
use crate::sync::lock;

/// A topic this process serves.
pub(crate) struct PgTopic {
    pub(super) name: String,
    pub(super) fanout: Fanout,
    delivered: Mutex<Delivered>,
    ready: Readiness,
    shared: Weak<Shared>,
}

impl Shared {
    /// The local fan-out of `name`, started the first time (in a task of
    /// its own), once its start is known.
    pub(super) async fn start(self: &Arc<Self>, name: &str) -> Result<Arc<PgTopic>, HubError> {
        let (topic, new) =
            find_or_insert(&self.topics, name, &self.config, &self.metrics, |fanout| {
                PgTopic {
                    name: name.to_owned(),
                    fanout,
                    delivered: Mutex::default(),
                    ready: Readiness::new(),
                    shared: Arc::downgrade(self),
                }
            })?;
        if new {
            tokio::spawn(self.clone().begin(topic.clone()));
        }
        timed(
            "PostgreSQL",
            self.config.backend_timeout,
            topic.ready.wait(),
        )
        .await?;
        Ok(topic)
    }

    /// Places `topic`'s live messages after its newest event, or takes it
    /// out of the map if that cannot be read.
    async fn begin(self: Arc<Self>, topic: Arc<PgTopic>) {
        let listening = self.listening.load(Ordering::Acquire);
        let limit = self.config.backend_timeout;
        match timed("PostgreSQL", limit, newest(&self.pool, &topic.name)).await {
            Ok(start) => {
                lock(&topic.delivered).started(start, &topic.fanout);
                topic.ready.set(Ready::Started);
                // The listener came back while the start was read, and may
                // have left this topic out of what it read back: read it.
                if self.listening.load(Ordering::Acquire) != listening
                    && let Err(error) = catch_up(&self, &[(topic.clone(), start)]).await
                {
                    tracing::warn!(%error, topic = topic.name, "cannot read what a starting topic missed; its subscribers are told of a gap");
                    topic.fanout.mark_gap();
                }
            }
            Err(error) => {
                topic.fanout.lock().removed = true;
                topic.fanout.close();
                self.forget(&topic);
                topic.ready.set(Ready::Failed(error.to_string()));
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

    /// An event, unless it was delivered already. One of a new incarnation
    /// (the topic used all its numbers) follows a gap.
    pub(super) fn deliver(&self, message: Message) {
        let mut delivered = lock(&self.delivered);
        if let Some(last) = delivered.last()
            && last != 0
            && last & !NUMBER != message.id() & !NUMBER
        {
            self.fanout.mark_gap();
            delivered.started(message.id() & !NUMBER, &self.fanout);
        }
        delivered.deliver(message, &self.fanout);
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

/// Reads and delivers what each topic holds after its id; a topic whose
/// events no longer follow that id without a hole is told of the gap.
pub(super) async fn catch_up(
    shared: &Shared,
    topics: &[(Arc<PgTopic>, u64)],
) -> Result<(), HubError> {
    let asked: Vec<(&str, u64)> = topics
        .iter()
        .map(|(topic, after)| (topic.name.as_str(), *after))
        .collect();
    let limit = shared.config.backend_timeout;
    let reads = timed("PostgreSQL", limit, read_after(&shared.pool, &asked, None)).await?;
    for read in reads {
        let Some((topic, _)) = topics.iter().find(|(topic, _)| topic.name == read.topic) else {
            continue;
        };
        if !read.contiguous() {
            tracing::warn!(
                topic = topic.name,
                "events after the last one delivered are gone from the table (trimmed while \
                 the hub was disconnected); the topic's subscribers are told of the gap"
            );
            topic.fanout.mark_gap();
        }
        for row in &read.events {
            topic.deliver(read.message(row, &shared.config));
        }
    }
    Ok(())
}
