//! The topics this process serves on Redis: each starts on its first local
//! subscriber (subscribed on the Pub/Sub connection, then placed after the
//! stream's newest entry), delivers what the reader brings exactly once, and
//! stops when its last local subscriber leaves. Starts and stops pass one at
//! a time through the gate that holds the Pub/Sub sink, so a channel is never
//! unsubscribed under a topic that just started again.

use std::sync::{Arc, Mutex, Weak};

use crate::hub::config::HubConfig;
use crate::hub::delivered::{Delivered, Readiness, Ready, find_or_insert};
use crate::hub::error::HubError;
use crate::hub::fanout::Fanout;
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
    ready: Readiness,
    shared: Weak<Shared>,
}

impl Shared {
    /// The local fan-out of `name`, started the first time (in a task of
    /// its own), once its start is known.
    pub(super) async fn start(self: &Arc<Self>, name: &str) -> Result<Arc<RedisTopic>, HubError> {
        let (topic, new) =
            find_or_insert(&self.topics, name, &self.config, &self.metrics, |fanout| {
                RedisTopic {
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
        timed(self.config.backend_timeout, topic.ready.wait()).await?;
        Ok(topic)
    }

    /// Subscribes `topic`'s channel and places its live messages after the
    /// stream's newest entry, through the gate; or takes it out of the map.
    async fn begin(self: Arc<Self>, topic: Arc<RedisTopic>) {
        let limit = self.config.backend_timeout;
        let channel = self.layout.key(&topic.name);
        let Ok(mut sink) = timed(limit, async { Ok(self.gate.lock().await) }).await else {
            self.abandon(
                &topic,
                "the hub's Redis subscriptions are busy reconnecting".into(),
            );
            return;
        };
        // Each step bounded, so that a start fails (and is undone below)
        // rather than hanging while Redis is away.
        let started = async {
            within(limit, sink.subscribe(channel.clone())).await?;
            // Where live messages start: the stream's newest entry now,
            // before any subscriber of this process replays.
            let mut connection = self.connection.clone();
            let info = timed(limit, stream_info(&mut connection, &channel)).await?;
            Ok::<_, HubError>(info.newest.as_deref().and_then(pack).unwrap_or(0))
        }
        .await;
        match started {
            Ok(start) => {
                lock(&topic.delivered).started(start, &topic.fanout);
                topic.ready.set(Ready::Started);
            }
            Err(error) => {
                self.abandon(&topic, error.to_string());
                let _ = sink.unsubscribe(channel).await;
            }
        }
    }

    /// `topic` could not start: out of the map, its waiting subscribers told.
    fn abandon(&self, topic: &Arc<RedisTopic>, why: String) {
        topic.fanout.lock().removed = true;
        topic.fanout.close();
        {
            let mut topics = lock(&self.topics);
            if topics
                .get(&topic.name)
                .is_some_and(|current| Arc::ptr_eq(current, topic))
            {
                topics.remove(&topic.name);
                self.metrics.topics_changed(-1);
            }
        }
        topic.ready.set(Ready::Failed(why));
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
