//! The topics this process serves on Redis: each starts on its first local
//! subscriber (subscribed on the Pub/Sub connection, then placed after the
//! stream's newest entry), delivers what the reader brings exactly once, and
//! stops when its last local subscriber leaves. Starts and stops pass one at
//! a time through the gate that holds the Pub/Sub sink, so a channel is never
//! unsubscribed under a topic that just started again.

use std::sync::{Arc, Mutex, Weak};

use crate::hub::config::HubConfig;
use crate::hub::delivered::Delivered;
use crate::hub::error::HubError;
use crate::hub::fanout::{Fanout, Limits};
use crate::hub::message::Message;
use crate::hub::redis::stream::{pack, stream_info};
use crate::hub::redis::{Shared, timed, within};
use crate::hub::subscription::Source;
use crate::hub::topic_ids::WireId;
use crate::sync::lock;

/// A topic this process serves.
pub(crate) struct RedisTopic {
    pub(super) name: String,
    pub(super) fanout: Fanout,
    delivered: Mutex<Delivered>,
    shared: Weak<Shared>,
}

impl Shared {
    /// The local fan-out of `name`, started the first time.
    pub(super) async fn start(self: &Arc<Self>, name: &str) -> Result<Arc<RedisTopic>, HubError> {
        let shared = self;
        if let Some(topic) = shared.topic(name) {
            return Ok(topic);
        }
        let limit = shared.config.backend_timeout;
        let mut sink = timed(limit, async { Ok(shared.gate.lock().await) }).await?;
        let topic = {
            let mut topics = lock(&shared.topics);
            if let Some(topic) = topics.get(name) {
                return Ok(topic.clone());
            }
            if topics.len() >= shared.config.max_topics {
                return Err(HubError::TooManyTopics {
                    limit: shared.config.max_topics,
                });
            }
            let buffer = shared.config.buffer.max(1);
            let topic = Arc::new(RedisTopic {
                name: name.to_owned(),
                fanout: Fanout::new(Limits {
                    keep_idle: 0,
                    keep_busy: buffer,
                    buffer,
                }),
                delivered: Mutex::default(),
                shared: Arc::downgrade(shared),
            });
            // In the map before subscribing: what the channel brings from
            // then on is held until the start is known.
            topics.insert(name.to_owned(), topic.clone());
            self.metrics.topics_changed(1);
            topic
        };
        // Each step bounded, so that a start fails (and is undone below)
        // rather than hanging while Redis is away.
        let started = async {
            within(limit, sink.subscribe(shared.layout.key(name))).await?;
            // Where live messages start: the stream's newest entry now,
            // before any subscriber of this process replays.
            let mut connection = shared.connection.clone();
            let stream = shared.layout.key(name);
            let info = timed(limit, stream_info(&mut connection, &stream)).await?;
            Ok::<_, HubError>(info.newest.as_deref().and_then(pack).unwrap_or(0))
        }
        .await;
        match started {
            Ok(start) => {
                topic.started(start);
                Ok(topic)
            }
            Err(error) => {
                topic.fanout.lock().removed = true;
                topic.fanout.close();
                {
                    let mut topics = lock(&shared.topics);
                    if topics.remove(name).is_some() {
                        shared.metrics.topics_changed(-1);
                    }
                }
                let _ = sink.unsubscribe(shared.layout.key(name)).await;
                Err(error)
            }
        }
    }

    pub(super) fn topic(&self, name: &str) -> Option<Arc<RedisTopic>> {
        lock(&self.topics).get(name).cloned()
    }

    pub(super) fn topics(&self) -> Vec<Arc<RedisTopic>> {
        lock(&self.topics).values().cloned().collect()
    }

    /// Stops serving `topic` if it still has no subscriber.
    pub(super) async fn reclaim(&self, topic: Arc<RedisTopic>) {
        let mut sink = self.gate.lock().await;
        {
            let mut topics = lock(&self.topics);
            match topics.get(&topic.name) {
                Some(current) if Arc::ptr_eq(current, &topic) => {}
                _ => return,
            }
            let mut log = topic.fanout.lock();
            if log.subscribers() > 0 {
                return;
            }
            log.removed = true;
            drop(log);
            topics.remove(&topic.name);
            self.metrics.topics_changed(-1);
        }
        // On failure the connection is gone, and a reconnect subscribes only
        // to the topics still served.
        if let Err(error) = sink.unsubscribe(self.layout.key(&topic.name)).await {
            tracing::debug!(%error, topic = topic.name, "unsubscribing failed");
        }
    }
}

impl RedisTopic {
    pub(super) fn last_delivered(&self) -> Option<u64> {
        lock(&self.delivered).last()
    }

    /// An entry from the channel.
    pub(super) fn deliver(&self, n: u64, fields: &[u8], last: bool, config: &HubConfig) {
        let id = WireId {
            n,
            topic: config.topic_in_ids.then_some(self.name.as_str()),
        };
        self.deliver_message(Message::stored(id, fields, last, config.line_ending));
    }

    /// An entry, unless it was delivered already.
    pub(super) fn deliver_message(&self, message: Message) {
        lock(&self.delivered).deliver(message, &self.fanout);
    }

    /// The topic's live messages are those after `start`.
    fn started(&self, start: u64) {
        lock(&self.delivered).started(start, &self.fanout);
    }
}

impl Source for RedisTopic {
    fn fanout(&self) -> &Fanout {
        &self.fanout
    }

    fn idle(&self) {
        let (Some(shared), Ok(runtime)) =
            (self.shared.upgrade(), tokio::runtime::Handle::try_current())
        else {
            return;
        };
        let Some(topic) = shared.topic(&self.name) else {
            return;
        };
        if !std::ptr::eq(&*topic, self) {
            return;
        }
        runtime.spawn(async move { shared.reclaim(topic).await });
    }
}
