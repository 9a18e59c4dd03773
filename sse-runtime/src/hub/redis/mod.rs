//! The Redis Streams backend: several processes share topics.
//!
//! Design:
//! - A topic is the stream `sse:<topic>`. `publish` is one `XADD … MAXLEN ~
//!   <replay> * e <fields>`: Redis assigns the id (`<ms>-<seq>`, packed into a
//!   `u64` as `ms << 20 | seq`, so ids stay ordered numbers for
//!   `LastEventId<u64>`) and keeps the history.
//! - Each process runs one reader per topic it serves (`XREAD BLOCK` from the
//!   stream's last id at the moment the reader started) and fans each entry
//!   out to its local subscribers through a broadcast channel: one Redis read
//!   and one encoding per process, however many subscribers.
//! - `subscribe` first joins the local channel, then replays `XRANGE (last +`
//!   from Redis; live messages with ids up to the last replayed one are
//!   dropped. The reader started before the `XRANGE`, so together they cover
//!   every entry after `last` exactly once.
//! - Delivery guarantee: a subscriber gets every entry Redis still holds after
//!   its `Last-Event-ID`, once, in order. When Redis is unreachable, publishes
//!   fail with [`HubError::Backend`](crate::hub::HubError::Backend); readers retry with backoff and continue
//!   from the last id they saw, so subscribers stay connected and miss nothing
//!   that Redis kept. A Redis restarted without persistence starts empty:
//!   what it lost is lost, and a resume from an old id reports
//!   [`Resume::Unknown`](crate::hub::Resume::Unknown) or a gap.

mod reader;
mod stream;

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use ::redis::Client;
use ::redis::aio::ConnectionManager;
use ::redis::streams::StreamRangeReply;
use tokio::sync::broadcast;
use tokio::task::JoinHandle;

use self::stream::{backend, key, message, pack, stream_info, unpack};
use crate::event::SseEvent;
use crate::hub::config::HubConfig;
use crate::hub::error::HubError;
use crate::hub::message::{Message, encode_for_topic};
use crate::hub::resume::{History, Resume};
use crate::hub::subscription::Subscription;

pub(super) struct RedisHub {
    client: Client,
    publisher: ConnectionManager,
    config: HubConfig,
    topics: Mutex<HashMap<String, Arc<Topic>>>,
    /// Held while a topic's reader is being started, so that a crowd
    /// subscribing to a new topic at once asks Redis for its position once,
    /// not once each (10,000 `XINFO`s queued on one connection made some
    /// time out).
    starting: tokio::sync::Mutex<()>,
}

struct Topic {
    live: broadcast::Sender<Message>,
    reader: JoinHandle<()>,
}

impl Drop for Topic {
    fn drop(&mut self) {
        self.reader.abort();
    }
}

impl RedisHub {
    pub(super) async fn connect(url: &str, config: HubConfig) -> Result<Self, HubError> {
        let client = Client::open(url).map_err(backend)?;
        let publisher = ConnectionManager::new(client.clone())
            .await
            .map_err(backend)?;
        Ok(Self {
            client,
            publisher,
            config,
            topics: Mutex::default(),
            starting: tokio::sync::Mutex::new(()),
        })
    }

    pub(super) async fn publish<E: SseEvent + ?Sized>(
        &self,
        topic: &str,
        event: &E,
    ) -> Result<u64, HubError> {
        // Stored without an id: Redis assigns it, and readers write it.
        let encoded = encode_for_topic(event, None, self.config.line_ending)?;
        let mut connection = self.publisher.clone();
        let id: String = ::redis::cmd("XADD")
            .arg(key(topic))
            .arg("MAXLEN")
            .arg("~")
            .arg(self.config.replay)
            .arg("*")
            .arg("e")
            .arg(encoded.fields())
            .query_async(&mut connection)
            .await
            .map_err(backend)?;
        pack(&id).ok_or_else(|| {
            HubError::Backend(format!("Redis returned an unexpected id {id:?}").into())
        })
    }

    pub(super) async fn subscribe(
        &self,
        topic: &str,
        last_event_id: Option<u64>,
    ) -> Result<Subscription, HubError> {
        // Join the local fan-out first: its reader started before the replay
        // below, so together they cover every entry after `last`.
        let local = self.topic(topic).await?;
        let live = local.live.subscribe();
        let (replay, resume) = match last_event_id {
            None => (VecDeque::new(), Resume::Fresh),
            Some(last) => self.replay_after(topic, last).await?,
        };
        let skip_through = replay
            .back()
            .map_or(last_event_id.unwrap_or(0), Message::id);
        Ok(Subscription::new(
            replay,
            live,
            resume,
            self.config.lag,
            self.config.line_ending,
        )
        .skipping_live_through(skip_through))
    }

    /// What the stream holds after `last`, and how that relates to it.
    async fn replay_after(
        &self,
        topic: &str,
        last: u64,
    ) -> Result<(VecDeque<Message>, Resume), HubError> {
        let mut connection = self.publisher.clone();
        let stream = key(topic);
        let replay: StreamRangeReply = ::redis::cmd("XRANGE")
            .arg(&stream)
            .arg(format!("({}", unpack(last)))
            .arg("+")
            .query_async(&mut connection)
            .await
            .map_err(backend)?;
        // Asked after the replay: an entry after `last` trimmed away before
        // the replay read it shows up here as a gap.
        let info = stream_info(&mut connection, &stream).await?;
        let resume = Resume::after(
            Some(last),
            History {
                newest: info.newest.as_deref().and_then(pack),
                dropped_through: info.dropped_through,
                consecutive: false,
            },
        );
        if !resume.replays() {
            return Ok((VecDeque::new(), resume));
        }
        let messages = replay
            .ids
            .iter()
            .filter_map(|entry| message(&entry.id, &entry.map, self.config.line_ending))
            .collect();
        Ok((messages, resume))
    }

    /// The local fan-out of `topic`, starting its reader the first time.
    async fn topic(&self, name: &str) -> Result<Arc<Topic>, HubError> {
        if let Some(topic) = self
            .topics
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(name)
        {
            return Ok(topic.clone());
        }
        let _starting = self.starting.lock().await;
        if let Some(topic) = self
            .topics
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(name)
        {
            return Ok(topic.clone());
        }
        // Where the reader starts: the stream's newest entry now, before any
        // subscriber of this process replays, so nothing falls between.
        let mut connection = self.publisher.clone();
        let start = stream_info(&mut connection, &key(name))
            .await?
            .newest
            .unwrap_or_else(|| "0-0".to_owned());
        let mut topics = self.topics.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(topic) = topics.get(name) {
            return Ok(topic.clone());
        }
        let (live, _) = broadcast::channel(self.config.buffer.max(1));
        let reader = tokio::spawn(reader::read(
            self.client.clone(),
            key(name),
            start,
            live.clone(),
            self.config.line_ending,
        ));
        let topic = Arc::new(Topic { live, reader });
        topics.insert(name.to_owned(), topic.clone());
        Ok(topic)
    }
}
