//! The in-process backend: topics in memory, each a [`Fanout`] log under its
//! own lock, created on first use and reclaimed as soon as nothing needs
//! them.
//!
//! - **Reclaimed.** A topic goes when it has no subscriber and its replay
//!   window is empty: at once when its last subscriber leaves, or, for one
//!   whose window expires by age later, at the next sweep (run when the map
//!   has doubled since the last one, and before refusing a new topic).
//!   Lock order is always the map, then a topic; a topic taken out of the
//!   map is marked `removed` under its own lock, so a publish or subscribe
//!   that found it just before looks again and never writes to an orphan.
//! - **Bounded.** At most [`HubConfig::max_topics`] live topics; one more is
//!   refused with [`HubError::TooManyTopics`].
//! - **Ids tell incarnations apart.** An id is `tag << 32 | n`: `n` counts the
//!   topic's messages from 1, `tag` is random per incarnation of the topic
//!   (per process, and again after a reclaim). A `Last-Event-ID` from another
//!   incarnation (the server restarted, the topic was reclaimed) is a gap,
//!   never silently a position in this one.

mod topic;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use self::topic::{Topic, expire, random_tag};
use crate::event::{EventError, SseEvent};
use crate::hub::config::HubConfig;
use crate::hub::error::HubError;
use crate::hub::fanout::{Fanout, Limits, Log};
use crate::hub::message::Message;
use crate::hub::publish_keys::Stored;
use crate::hub::subscription::Subscription;
use crate::hub::topic_ids::{WireId, check_topic_for_ids};
use crate::metrics::HubMetrics;
use crate::sync::lock;

/// Topics held in this process.
#[derive(Debug)]
pub(super) struct MemoryHub {
    config: HubConfig,
    topics: Mutex<Topics>,
    pub(super) metrics: HubMetrics,
}

#[derive(Debug, Default)]
struct Topics {
    map: HashMap<String, Arc<Topic>>,
    /// Sweep for expired topics when the map reaches this size.
    sweep_at: usize,
}

/// The smallest sweep threshold.
const SWEEP_FROM: usize = 1_024;

impl MemoryHub {
    pub(super) fn new(config: HubConfig) -> Self {
        Self {
            config,
            topics: Mutex::new(Topics {
                map: HashMap::new(),
                sweep_at: SWEEP_FROM,
            }),
            metrics: HubMetrics::new("memory"),
        }
    }

    fn limits(&self) -> Limits {
        let config = &self.config;
        Limits {
            keep_idle: config.replay,
            keep_busy: config.replay.saturating_add(config.buffer.max(1)),
            buffer: config.buffer.max(1),
        }
    }

    /// The live incarnation of `name`, created if there is none.
    fn topic(self: &Arc<Self>, name: &str) -> Result<Arc<Topic>, HubError> {
        if self.config.topic_in_ids {
            check_topic_for_ids(name)?;
        }
        let mut topics = lock(&self.topics);
        if let Some(topic) = topics.map.get(name) {
            return Ok(topic.clone());
        }
        if topics.map.len() >= topics.sweep_at || topics.map.len() >= self.config.max_topics {
            self.sweep(&mut topics);
        }
        if topics.map.len() >= self.config.max_topics {
            return Err(HubError::TooManyTopics {
                limit: self.config.max_topics,
            });
        }
        let topic = Arc::new(Topic {
            name: name.to_owned(),
            base: random_tag() << 32,
            fanout: Fanout::new(self.limits()),
            keys: Mutex::default(),
            hub: Arc::downgrade(self),
        });
        topics.map.insert(name.to_owned(), topic.clone());
        self.metrics.topics_changed(1);
        Ok(topic)
    }

    pub(super) fn topic_count(&self) -> usize {
        lock(&self.topics).map.len()
    }

    /// Takes out every topic with no subscriber and nothing left to replay.
    fn sweep(&self, topics: &mut Topics) {
        let held = topics.map.len();
        topics.map.retain(|_, topic| {
            let mut log = topic.fanout.lock();
            let reclaimable = self.reclaimable(topic, &mut log);
            log.removed |= reclaimable;
            !reclaimable
        });
        let kept = topics.map.len();
        topics.map.shrink_to(kept.saturating_mul(2));
        topics.sweep_at = kept.saturating_mul(2).max(SWEEP_FROM);
        self.metrics.topics_changed(kept as isize - held as isize);
        tracing::debug!(topics = kept, "hub swept its idle topics");
    }

    /// Whether nothing needs the topic: no subscriber, nothing to replay
    /// (after expiring what is older than the replay window), no publish key
    /// to remember.
    fn reclaimable(&self, topic: &Topic, log: &mut Log) -> bool {
        if log.subscribers() > 0 {
            return false;
        }
        expire(log, &self.config);
        log.messages.is_empty() && lock(&topic.keys).is_empty(self.config.idempotency_window)
    }

    /// Called when `topic`'s last subscriber left.
    pub(super) fn idle(&self, topic: &Topic) {
        let mut topics = lock(&self.topics);
        let Some(current) = topics.map.get(&topic.name) else {
            return;
        };
        if !std::ptr::eq(&**current, topic) {
            return;
        }
        let mut log = topic.fanout.lock();
        if self.reclaimable(topic, &mut log) {
            log.removed = true;
            drop(log);
            topics.map.remove(&topic.name);
            self.metrics.topics_changed(-1);
        }
    }

    pub(super) fn publish<E: SseEvent + ?Sized>(
        self: &Arc<Self>,
        name: &str,
        event: &E,
        last: bool,
    ) -> Result<Stored, HubError> {
        loop {
            let topic = self.topic(name)?;
            if let Some(published) = self.publish_on(&topic, event, last) {
                return published.map(Stored::new);
            }
        }
    }

    pub(super) fn publish_once<E: SseEvent + ?Sized>(
        self: &Arc<Self>,
        name: &str,
        key: &str,
        event: &E,
    ) -> Result<Stored, HubError> {
        let window = self.config.idempotency_window;
        loop {
            let topic = self.topic(name)?;
            // Held across the publish: the same key races with itself here.
            let mut keys = lock(&topic.keys);
            if let Some(id) = keys.get(key, window) {
                return Ok(Stored { id, new: false });
            }
            if let Some(published) = self.publish_on(&topic, event, false) {
                let id = published?;
                keys.insert(key, id);
                return Ok(Stored::new(id));
            }
        }
    }

    /// Appends `event` to `topic`; `None` if the topic was reclaimed between
    /// its lookup and the lock, and the caller must look it up again.
    fn publish_on<E: SseEvent + ?Sized>(
        &self,
        topic: &Topic,
        event: &E,
        last: bool,
    ) -> Option<Result<u64, HubError>> {
        let (line_ending, ids_name_topic) = (self.config.line_ending, self.config.topic_in_ids);
        let published = topic.fanout.publish(|position| {
            let n = position + 1;
            if n >= 1 << 32 {
                return Err(EventError::SequentialIdsExhausted);
            }
            let id = WireId {
                n: topic.base | n,
                topic: ids_name_topic.then_some(topic.name.as_str()),
            };
            Message::published(id, event, last, line_ending)
        })?;
        Some(
            published
                .map(|message| message.id())
                .map_err(HubError::from),
        )
    }

    pub(super) fn subscribe(
        self: &Arc<Self>,
        name: &str,
        last_event_id: Option<u64>,
    ) -> Result<Subscription, HubError> {
        loop {
            let topic = self.topic(name)?;
            let mut log = topic.fanout.lock();
            if log.subscribers() == 0 {
                expire(&mut log, &self.config);
            }
            let (start, resume) = topic.resume_after(&log, last_event_id, &self.config);
            let Some(cursor) = Fanout::join(&mut log, start) else {
                // Reclaimed between the lookup and the lock: look again.
                continue;
            };
            drop(log);
            return Ok(Subscription::new(
                Default::default(),
                topic,
                cursor,
                resume,
                self.config.lag,
                self.config.line_ending,
                self.metrics.clone(),
            ));
        }
    }
}

impl Drop for MemoryHub {
    fn drop(&mut self) {
        // Subscribers end after what they have buffered.
        let topics = lock(&self.topics);
        for topic in topics.map.values() {
            topic.fanout.close();
        }
        self.metrics.topics_changed(-(topics.map.len() as isize));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Event;

    #[test]
    fn a_topic_reclaimed_after_its_lookup_is_looked_up_again() {
        // The window a publish or subscribe can hit: the topic was looked
        // up, then its last subscriber left and reclaimed it, then the lock.
        let hub = Arc::new(MemoryHub::new(HubConfig {
            replay: 0,
            ..HubConfig::default()
        }));
        let looked_up = hub.topic("t").unwrap();
        drop(hub.subscribe("t", None).unwrap());
        assert_eq!(hub.topic_count(), 0, "reclaimed");
        assert!(
            Fanout::join(&mut looked_up.fanout.lock(), 0).is_none(),
            "a reclaimed topic takes no subscriber"
        );
        assert!(
            looked_up
                .fanout
                .publish(|_| Err::<Message, ()>(()))
                .is_none(),
            "nor a publish"
        );
        // Both look again, and meet on the new incarnation.
        let mut subscription = hub.subscribe("t", None).unwrap();
        let id = hub.publish("t", &Event::data("x"), false).unwrap().id;
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        let got = std::pin::Pin::new(&mut subscription);
        match futures_core::Stream::poll_next(got, &mut cx) {
            std::task::Poll::Ready(Some(message)) => assert_eq!(message.id(), id),
            _ => panic!("the publish reached the new subscriber"),
        }
        assert_ne!(id & !0xFFFF_FFFF, looked_up.base, "a new incarnation");
    }
}
