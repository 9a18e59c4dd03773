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

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::sync::{Arc, Mutex, MutexGuard, Weak};

use tokio::time::Instant;

use crate::event::{EventError, SseEvent};
use crate::hub::config::HubConfig;
use crate::hub::error::HubError;
use crate::hub::fanout::{Fanout, Limits, Log};
use crate::hub::message::Message;
use crate::hub::resume::{History, Resume};
use crate::hub::subscription::{Source, Subscription};

/// Topics held in this process.
#[derive(Debug)]
pub(super) struct MemoryHub {
    config: HubConfig,
    topics: Mutex<Topics>,
}

#[derive(Debug, Default)]
struct Topics {
    map: HashMap<String, Arc<Topic>>,
    /// Sweep for expired topics when the map reaches this size.
    sweep_at: usize,
}

/// One incarnation of a topic.
#[derive(Debug)]
pub(crate) struct Topic {
    name: String,
    /// `tag << 32`: the ids of this incarnation are `base + n`.
    base: u64,
    fanout: Fanout,
    hub: Weak<MemoryHub>,
}

/// The smallest sweep threshold.
const SWEEP_FROM: usize = 1_024;

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // The guarded data stays consistent at every await-free step.
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A random tag in 1..2^31, so that ids stay below 2^63.
fn random_tag() -> u64 {
    let tag = RandomState::new().hash_one(std::time::SystemTime::now()) >> 33;
    tag.max(1)
}

impl MemoryHub {
    pub(super) fn new(config: HubConfig) -> Self {
        Self {
            config,
            topics: Mutex::new(Topics {
                map: HashMap::new(),
                sweep_at: SWEEP_FROM,
            }),
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
            hub: Arc::downgrade(self),
        });
        topics.map.insert(name.to_owned(), topic.clone());
        Ok(topic)
    }

    pub(super) fn topic_count(&self) -> usize {
        lock(&self.topics).map.len()
    }

    /// Takes out every topic with no subscriber and nothing left to replay.
    fn sweep(&self, topics: &mut Topics) {
        topics.map.retain(|_, topic| {
            let mut log = topic.fanout.lock();
            let reclaimable = self.reclaimable(&mut log);
            log.removed |= reclaimable;
            !reclaimable
        });
        let before = topics.map.len();
        topics.map.shrink_to(before.saturating_mul(2));
        topics.sweep_at = before.saturating_mul(2).max(SWEEP_FROM);
        tracing::debug!(topics = before, "hub swept its idle topics");
    }

    /// Whether nothing needs the topic: no subscriber, nothing to replay
    /// (after expiring what is older than the replay window).
    fn reclaimable(&self, log: &mut Log) -> bool {
        if log.subscribers() > 0 {
            return false;
        }
        expire(log, &self.config);
        log.messages.is_empty()
    }

    /// Called when `topic`'s last subscriber left.
    fn idle(&self, topic: &Topic) {
        let mut topics = lock(&self.topics);
        let Some(current) = topics.map.get(&topic.name) else {
            return;
        };
        if !std::ptr::eq(&**current, topic) {
            return;
        }
        let mut log = topic.fanout.lock();
        if self.reclaimable(&mut log) {
            log.removed = true;
            drop(log);
            topics.map.remove(&topic.name);
        }
    }

    pub(super) fn publish<E: SseEvent + ?Sized>(
        self: &Arc<Self>,
        name: &str,
        event: &E,
    ) -> Result<u64, HubError> {
        let line_ending = self.config.line_ending;
        loop {
            let topic = self.topic(name)?;
            let published = topic.fanout.publish(|position| {
                let n = position + 1;
                if n >= 1 << 32 {
                    return Err(EventError::SequentialIdsExhausted);
                }
                Message::published(topic.base | n, event, line_ending)
            });
            match published {
                Some(message) => return Ok(message?.id()),
                // Reclaimed between the lookup and the lock: look again.
                None => continue,
            }
        }
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
            ));
        }
    }
}

impl Topic {
    /// Where a subscriber that last saw `last_event_id` starts reading, and
    /// how that relates to the id.
    fn resume_after(
        &self,
        log: &Log,
        last_event_id: Option<u64>,
        config: &HubConfig,
    ) -> (u64, Resume) {
        let head = log.head();
        // Messages older than the replay window are kept for lagging
        // subscribers only: a resume does not replay them.
        let first = log.head() - log.messages.len() as u64;
        let young = match config.replay_for {
            Some(age) => {
                let now = Instant::now();
                let old = log
                    .messages
                    .iter()
                    .take_while(|m| now.duration_since(m.at()) > age)
                    .count();
                first + old as u64
            }
            None => first,
        }
        .max(head.saturating_sub(config.replay as u64));
        let id = |position: u64| self.base | (position + 1);
        let history = History {
            newest: (head > 0).then(|| id(head - 1)),
            dropped_through: (young > 0).then(|| id(young - 1)),
            consecutive: true,
            foreign: last_event_id.is_some_and(|last| last & !0xFFFF_FFFF != self.base),
            first_id: Some(id(0)),
        };
        let resume = Resume::after(last_event_id, history);
        let start = match last_event_id {
            Some(last) if resume.replays() && !history.foreign && last != 0 => {
                (last & 0xFFFF_FFFF).max(young)
            }
            Some(_) if resume.replays() => young,
            _ => head,
        };
        (start, resume)
    }
}

impl Source for Topic {
    fn fanout(&self) -> &Fanout {
        &self.fanout
    }

    fn idle(&self) {
        if let Some(hub) = self.hub.upgrade() {
            hub.idle(self);
        }
    }
}

impl Drop for MemoryHub {
    fn drop(&mut self) {
        // Subscribers end after what they have buffered.
        for topic in lock(&self.topics).map.values() {
            topic.fanout.close();
        }
    }
}

/// Drops what is older than the replay window from an idle log.
fn expire(log: &mut Log, config: &HubConfig) {
    log.trim_to(config.replay);
    if let Some(age) = config.replay_for {
        let now = Instant::now();
        while log
            .messages
            .front()
            .is_some_and(|m| now.duration_since(m.at()) > age)
        {
            log.pop_oldest();
        }
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
        let id = hub.publish("t", &Event::data("x")).unwrap();
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        let got = std::pin::Pin::new(&mut subscription);
        match futures_core::Stream::poll_next(got, &mut cx) {
            std::task::Poll::Ready(Some(message)) => assert_eq!(message.id(), id),
            _ => panic!("the publish reached the new subscriber"),
        }
        assert_ne!(id & !0xFFFF_FFFF, looked_up.base, "a new incarnation");
    }
}
