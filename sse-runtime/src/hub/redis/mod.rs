//! The Redis Streams backend: several processes share topics.
//!
//! Design:
//! - A topic is the stream `sse:<topic>`. `publish` runs one script: `XADD …
//!   MAXLEN ~ <replay> * e <fields>` (Redis assigns the id, `<ms>-<seq>`,
//!   packed into a `u64` as `ms << 20 | seq`, so ids stay ordered numbers for
//!   `LastEventId<u64>`, and keeps the history), then `PUBLISH` of the entry
//!   on the channel of the same name (`<id>\n<fields>`). One script: the
//!   channel carries the entries in stream order. An entry published with
//!   `publish_last` has the field `l` too, and `<id>;last` on the channel.
//! - Each process holds one Pub/Sub connection, subscribed to the channels of
//!   the topics it serves (`reader.rs`), and fans each entry out to its local
//!   subscribers: one encoding per process, however many subscribers, and
//!   one connection however many topics (100,000 topics cost one
//!   subscription each on that connection, not a task or a connection).
//! - A topic starts on its first local subscriber (`SUBSCRIBE`, then `XINFO`
//!   for the stream's newest id: entries after it are live, and what arrives
//!   in between is held until the start is known) and stops when its last
//!   local subscriber leaves (`UNSUBSCRIBE`); starts and stops pass one at a
//!   time through a gate, so a channel is never unsubscribed under a new
//!   subscriber. At most [`HubConfig::max_topics`] at once.
//! - `subscribe` first joins the local fan-out, then replays `XRANGE (last +`
//!   from Redis; live messages with ids up to the last replayed one are
//!   dropped. The topic started before the `XRANGE`, so together they cover
//!   every entry after `last` exactly once.
//! - Delivery guarantee: a subscriber gets every entry Redis still holds after
//!   its `Last-Event-ID`, once, in order. When Redis is unreachable, publishes
//!   fail with [`HubError::Backend`](crate::hub::HubError::Backend); the
//!   reader reconnects with backoff and jitter, subscribes again and reads
//!   from each stream what it missed, so subscribers stay connected and miss
//!   nothing that Redis kept. Where entries after the last one delivered are
//!   gone from the stream (trimmed meanwhile, or Redis came back without its
//!   data: without persistence, an entry it acknowledged but had not yet
//!   passed on when it died is lost with it), every subscriber of the topic
//!   is told of the gap, as [`LagPolicy`](crate::hub::LagPolicy) says: its
//!   stream ends so that the client resumes, or `event: lagged` with
//!   `unknown`.
//! - A history Redis lost (restarted without persistence, `FLUSHALL`, a
//!   failover to a replica that lagged) is detected on resume: an id older
//!   than the stream's oldest entry that is not the last one trimmed cannot
//!   come from this stream's history, and is reported as
//!   [`Resume::Gap`](crate::hub::Resume::Gap); an id newer than anything
//!   in the stream as [`Resume::Unknown`](crate::hub::Resume::Unknown).

mod connect;
mod connection;
mod hub;
mod layout;
mod reader;
mod sentinel;
mod stream;
mod topics;

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ::redis::Script;
use ::redis::streams::StreamRangeReply;
use tokio::task::JoinHandle;

use self::connection::{Commands, Primary, Subscriber};
use self::layout::Layout;
use self::stream::{message, pack, stream_info, unpack};
use self::topics::RedisTopic;
use crate::event::SseEvent;
use crate::hub::config::HubConfig;
use crate::hub::error::HubError;
use crate::hub::message::{Message, encode_for_topic};
use crate::hub::publish_keys::Stored;
use crate::hub::resume::{History, Resume};
use crate::hub::subscription::Subscription;
use crate::hub::topic_ids::check_topic_for_ids;
use crate::metrics::HubMetrics;
use crate::sync::lock;

/// Stores the entry and publishes it on the topic's channel (`PUBLISH`, on a
/// cluster `SPUBLISH`: ARGV[5]), atomically, so
/// that the channel carries the entries in the stream's order. With a second
/// key (a publish key's record), a key seen within the window returns the id
/// it was stored under and stores nothing.
/// After the id on the channel, and as the field `l` in the stream: the
/// entry was published with [`Hub::publish_last`](crate::hub::Hub::publish_last).
pub(super) const LAST: &str = ";last";

pub(super) const PUBLISH: &str = r"
if KEYS[2] then
  local seen = redis.call('GET', KEYS[2])
  if seen then return 'seen:' .. seen end
end
local id
if ARGV[4] == '' then
  id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', 'e', ARGV[2])
else
  id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', 'e', ARGV[2], 'l', '1')
end
if KEYS[2] then
  redis.call('SET', KEYS[2], id, 'PX', ARGV[3])
end
redis.call(ARGV[5], KEYS[1], id .. ARGV[4] .. '\n' .. ARGV[2])
return id
";

/// A Redis failure as the hub reports it.
pub(super) fn backend(error: ::redis::RedisError) -> HubError {
    HubError::Backend(Box::new(error))
}

pub(super) struct RedisHub {
    shared: Arc<Shared>,
    reader: JoinHandle<()>,
}

/// What the hub, its reader and its topics share.
pub(super) struct Shared {
    /// What the reader reconnects to; a cluster's connections reconnect
    /// (and subscribe again) by themselves.
    primary: Primary,
    connection: Commands,
    layout: Layout,
    config: HubConfig,
    publish: Script,
    topics: Mutex<HashMap<String, Arc<RedisTopic>>>,
    pub(super) metrics: HubMetrics,
    /// Where topics are subscribed, and the gate that they start and stop
    /// through one at a time.
    gate: tokio::sync::Mutex<Subscriber>,
    /// On a cluster: every topic is being subscribed again after a shard's
    /// connection closed.
    resubscribing: AtomicBool,
    /// A shard's connection closed while every topic was being subscribed
    /// again: one more pass.
    resubscribe_again: AtomicBool,
}

impl Drop for RedisHub {
    fn drop(&mut self) {
        self.reader.abort();
        // Out of the map, so that a subscription that leaves later finds no
        // topic to reclaim (and the gauge is taken down once).
        let topics: Vec<_> = lock(&self.shared.topics).drain().collect();
        for (_, topic) in &topics {
            topic.fanout.close();
        }
        self.shared.metrics.topics_changed(-(topics.len() as isize));
    }
}

impl RedisHub {
    pub(super) fn topic_count(&self) -> usize {
        lock(&self.shared.topics).len()
    }

    pub(in crate::hub) fn metrics(&self) -> &HubMetrics {
        &self.shared.metrics
    }

    /// Publishes `event`, once per `publish_key` within the window when one
    /// is given.
    pub(super) async fn publish_with<E: SseEvent + ?Sized>(
        &self,
        topic: &str,
        publish_key: Option<&str>,
        event: &E,
        last: bool,
    ) -> Result<Stored, HubError> {
        // Stored without an id: Redis assigns it, and readers write it.
        let shared = &self.shared;
        if shared.config.topic_in_ids {
            check_topic_for_ids(topic)?;
        }
        let encoded = encode_for_topic(event, None, shared.config.line_ending)?;
        let mut keys = vec![shared.layout.key(topic)];
        if let Some(publish_key) = publish_key {
            keys.push(shared.layout.once_key(topic, publish_key));
        }
        let window = shared.config.idempotency_window.as_millis().max(1) as u64;
        let script = |command: &str, body: &str| {
            let mut command = ::redis::cmd(command);
            command.arg(body).arg(keys.len()).arg(&keys);
            command
                .arg(shared.config.replay)
                .arg(encoded.fields())
                .arg(window)
                .arg(if last { LAST } else { "" })
                .arg(shared.layout.publish_command());
            command
        };
        // By its hash, else by its text. Not `SCRIPT LOAD`: on a cluster it
        // goes to every node, and waits for one that is down (a failed-over
        // primary's replica starts without the script).
        let mut connection = shared.connection.clone();
        let id: String = within(shared.config.backend_timeout, async {
            match script("EVALSHA", shared.publish.get_hash())
                .query_async(&mut connection)
                .await
            {
                Err(error)
                    if error.kind()
                        == ::redis::ErrorKind::Server(::redis::ServerErrorKind::NoScript) =>
                {
                    script("EVAL", PUBLISH).query_async(&mut connection).await
                }
                answer => answer,
            }
        })
        .await?;
        // The script answers a key it has seen with `seen:<id>`.
        let (id, new) = match id.strip_prefix("seen:") {
            Some(seen) => (seen, false),
            None => (id.as_str(), true),
        };
        let id = pack(id).ok_or_else(|| {
            HubError::Backend(format!("Redis returned an unexpected id {id:?}").into())
        })?;
        Ok(Stored { id, new })
    }

    pub(super) async fn subscribe(
        &self,
        name: &str,
        last_event_id: Option<u64>,
    ) -> Result<Subscription, HubError> {
        // Join the local fan-out first: the topic started before the replay
        // below, so together they cover every entry after `last`.
        if self.shared.config.topic_in_ids {
            check_topic_for_ids(name)?;
        }
        let config = &self.shared.config;
        let subscription = loop {
            // Not cut short from here: its own steps are bounded, and a
            // failed start cleans up after itself.
            let topic = self.shared.start(name).await?;
            if let Some(subscription) = Subscription::live(topic, config, &self.shared.metrics) {
                break subscription;
            }
        };
        let Some(last) = last_event_id else {
            return Ok(subscription);
        };
        // On an error the subscription is dropped, and leaves the topic.
        let (replay, resume, newest) =
            timed(config.backend_timeout, self.replay_after(name, last)).await?;
        // Live messages up to what the read saw are not sent again: the
        // client has them, or they are replayed (not up to an id ahead of
        // the stream: those would never come).
        let skip_through = replay.back().map_or(last.min(newest), Message::id);
        Ok(subscription.resumed(replay, resume, skip_through))
    }

    /// What the stream holds after `last`, and how that relates to it.
    async fn replay_after(
        &self,
        topic: &str,
        last: u64,
    ) -> Result<(VecDeque<Message>, Resume, u64), HubError> {
        let mut connection = self.shared.connection.clone();
        let stream = self.shared.layout.key(topic);
        // From `last` itself: whether the stream holds it tells whether the
        // client's history is this one.
        let mut replay: StreamRangeReply = ::redis::cmd("XRANGE")
            .arg(&stream)
            .arg(unpack(last))
            .arg("+")
            .query_async(&mut connection)
            .await
            .map_err(backend)?;
        let holds_last = replay.ids.first().and_then(|entry| pack(&entry.id)) == Some(last);
        if holds_last {
            replay.ids.remove(0);
        }
        // Asked after the replay: an entry after `last` trimmed away before
        // the replay read it shows up here as a gap.
        let info = stream_info(&mut connection, &stream).await?;
        let newest = info.newest.as_deref().and_then(pack);
        // An id up to the newest that the stream does not hold, other than
        // the last one trimmed, is from a history Redis no longer has: older
        // than what it keeps, or lost (a failover to a replica that had not
        // received it, a restart without persistence, a `FLUSHALL`).
        let foreign = last != 0
            && !holds_last
            && info.dropped_through != Some(last)
            && newest.is_some_and(|newest| last <= newest);
        let resume = Resume::after(
            Some(last),
            History {
                newest,
                dropped_through: info.dropped_through,
                consecutive: false,
                foreign,
                first_id: None,
            },
        );
        if !resume.replays() {
            return Ok((VecDeque::new(), resume, newest.unwrap_or(0)));
        }
        let config = &self.shared.config;
        let scope = config.topic_in_ids.then_some(topic);
        let messages = replay
            .ids
            .iter()
            .filter_map(|entry| message(&entry.id, &entry.map, scope, config.line_ending))
            .collect();
        Ok((messages, resume, newest.unwrap_or(0)))
    }
}

/// `request`, failing as [`HubError::Backend`] after `limit`.
pub(super) async fn within<T>(
    limit: Duration,
    request: impl Future<Output = ::redis::RedisResult<T>>,
) -> Result<T, HubError> {
    timed(limit, async { request.await.map_err(backend) }).await
}

/// `request`, failing as [`HubError::Backend`] after `limit`.
pub(super) async fn timed<T>(
    limit: Duration,
    request: impl Future<Output = Result<T, HubError>>,
) -> Result<T, HubError> {
    crate::hub::error::timed("Redis", limit, request).await
}
