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
//!   fail with [`HubError::Backend`]; readers retry with backoff and continue
//!   from the last id they saw, so subscribers stay connected and miss nothing
//!   that Redis kept. A Redis restarted without persistence starts empty:
//!   what it lost is lost, and a resume from an old id reports
//!   [`Resume::Unknown`] or a gap.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ::redis::aio::ConnectionManager;
use ::redis::streams::{StreamRangeReply, StreamReadReply};
use ::redis::{AsyncConnectionConfig, Client, Value};
use bytes::{BufMut, BytesMut};
use tokio::sync::broadcast;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::{HubConfig, HubError, Message, Resume, Subscription, encode_fields};
use crate::encode::{EventWriter, WriteEvent};

fn backend(error: ::redis::RedisError) -> HubError {
    HubError::Backend(Box::new(error))
}

fn key(topic: &str) -> String {
    format!("sse:{topic}")
}

/// `<ms>-<seq>` as one ordered number.
fn pack(id: &str) -> Option<u64> {
    let (ms, seq) = id.split_once('-')?;
    let (ms, seq) = (ms.parse::<u64>().ok()?, seq.parse::<u64>().ok()?);
    (seq < 1 << 20 && ms < 1 << 44).then_some(ms << 20 | seq)
}

fn unpack(id: u64) -> String {
    format!("{}-{}", id >> 20, id & ((1 << 20) - 1))
}

pub(super) struct RedisHub {
    client: Client,
    publisher: ConnectionManager,
    config: HubConfig,
    topics: Mutex<HashMap<String, Arc<Topic>>>,
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
        })
    }

    pub(super) async fn publish<E: WriteEvent + ?Sized>(
        &self,
        topic: &str,
        event: &E,
    ) -> Result<u64, HubError> {
        let mut fields = BytesMut::new();
        encode_fields(
            &mut EventWriter::new(&mut fields, self.config.line_ending),
            event,
        )?;
        let mut connection = self.publisher.clone();
        let id: String = ::redis::cmd("XADD")
            .arg(key(topic))
            .arg("MAXLEN")
            .arg("~")
            .arg(self.config.replay)
            .arg("*")
            .arg("e")
            .arg(&fields[..])
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
        let local = self.topic(topic).await?;
        let live = local.live.subscribe();
        let mut connection = self.publisher.clone();
        let stream = key(topic);
        let (replay, resume) = match last_event_id {
            None => (VecDeque::new(), Resume::Fresh),
            Some(last) => {
                let newest = newest_id(&mut connection, &stream).await?;
                let newest = newest.as_deref().and_then(pack);
                if newest.is_none_or(|newest| last > newest) {
                    (
                        VecDeque::new(),
                        Resume::Unknown {
                            last_event_id: last,
                        },
                    )
                } else {
                    let replay: StreamRangeReply = ::redis::cmd("XRANGE")
                        .arg(&stream)
                        .arg(format!("({}", unpack(last)))
                        .arg("+")
                        .query_async(&mut connection)
                        .await
                        .map_err(backend)?;
                    let trimmed_after_last = max_deleted_id(&mut connection, &stream)
                        .await?
                        .is_some_and(|deleted| deleted > last);
                    let messages = replay
                        .ids
                        .iter()
                        .filter_map(|entry| message(&entry.id, &entry.map, &self.config))
                        .collect();
                    let resume = if trimmed_after_last {
                        Resume::Gap { missed: None }
                    } else {
                        Resume::Complete
                    };
                    (messages, resume)
                }
            }
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
        // Where the reader starts: the stream's newest entry now, before any
        // subscriber of this process replays, so nothing falls between.
        let mut connection = self.publisher.clone();
        let start = newest_id(&mut connection, &key(name))
            .await?
            .unwrap_or_else(|| "0-0".to_owned());
        let mut topics = self.topics.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(topic) = topics.get(name) {
            return Ok(topic.clone());
        }
        let (live, _) = broadcast::channel(self.config.buffer.max(1));
        let reader = tokio::spawn(read(
            self.client.clone(),
            key(name),
            start,
            live.clone(),
            self.config.clone(),
        ));
        let topic = Arc::new(Topic { live, reader });
        topics.insert(name.to_owned(), topic.clone());
        Ok(topic)
    }
}

/// The id of the newest entry of `stream`, if it has any.
async fn newest_id(
    connection: &mut ConnectionManager,
    stream: &str,
) -> Result<Option<String>, HubError> {
    let newest: StreamRangeReply = ::redis::cmd("XREVRANGE")
        .arg(stream)
        .arg("+")
        .arg("-")
        .arg("COUNT")
        .arg(1)
        .query_async(connection)
        .await
        .map_err(backend)?;
    Ok(newest.ids.into_iter().next().map(|entry| entry.id))
}

/// A stream entry as a message: the `id:` line, then the stored fields.
fn message(id: &str, map: &HashMap<String, Value>, config: &HubConfig) -> Option<Message> {
    let packed = pack(id)?;
    let Some(Value::BulkString(fields)) = map.get("e") else {
        return None;
    };
    let mut buf = BytesMut::with_capacity(fields.len() + 32);
    EventWriter::new(&mut buf, config.line_ending).id_u64(packed);
    buf.put_slice(fields);
    Some(Message::new(
        packed,
        Instant::now(),
        buf,
        config.line_ending,
    ))
}

/// `max-deleted-entry-id` of `XINFO STREAM`: the newest id trimmed away.
async fn max_deleted_id(
    connection: &mut ConnectionManager,
    stream: &str,
) -> Result<Option<u64>, HubError> {
    let info: Value = match ::redis::cmd("XINFO")
        .arg("STREAM")
        .arg(stream)
        .query_async(connection)
        .await
    {
        Ok(info) => info,
        // No such stream: nothing was trimmed.
        Err(error)
            if error.kind()
                == ::redis::ErrorKind::Server(::redis::ServerErrorKind::ResponseError) =>
        {
            return Ok(None);
        }
        Err(error) => return Err(backend(error)),
    };
    let pairs: Vec<(Value, Value)> = match info {
        Value::Map(pairs) => pairs,
        Value::Array(items) => {
            let mut items = items.into_iter();
            let mut pairs = Vec::new();
            while let (Some(k), Some(v)) = (items.next(), items.next()) {
                pairs.push((k, v));
            }
            pairs
        }
        _ => return Ok(None),
    };
    let text = |value: &Value| match value {
        Value::BulkString(bytes) => String::from_utf8(bytes.clone()).ok(),
        Value::SimpleString(text) => Some(text.clone()),
        _ => None,
    };
    Ok(pairs
        .iter()
        .find(|(k, _)| text(k).as_deref() == Some("max-deleted-entry-id"))
        .and_then(|(_, v)| text(v))
        .and_then(|id| pack(&id))
        .filter(|&id| id > 0))
}

/// Follows `stream` from `start` and sends every entry to the local
/// subscribers; on any error, reconnects with backoff and continues from the
/// last id seen.
async fn read(
    client: Client,
    stream: String,
    mut last: String,
    live: broadcast::Sender<Message>,
    config: HubConfig,
) {
    let mut backoff = Duration::from_millis(100);
    loop {
        let connection = client
            .get_multiplexed_async_connection_with_config(
                &AsyncConnectionConfig::new().set_response_timeout(None),
            )
            .await;
        let mut connection = match connection {
            Ok(connection) => connection,
            Err(error) => {
                tracing::warn!(%error, stream, ?backoff, "cannot reach Redis; retrying");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(2));
                continue;
            }
        };
        loop {
            let reply: Result<Option<StreamReadReply>, _> = ::redis::cmd("XREAD")
                .arg("BLOCK")
                .arg(5_000)
                .arg("COUNT")
                .arg(512)
                .arg("STREAMS")
                .arg(&stream)
                .arg(&last)
                .query_async(&mut connection)
                .await;
            match reply {
                Ok(reply) => {
                    backoff = Duration::from_millis(100);
                    for entry in reply.into_iter().flat_map(|r| r.keys).flat_map(|k| k.ids) {
                        if let Some(message) = message(&entry.id, &entry.map, &config) {
                            // No local subscribers is fine.
                            let _ = live.send(message);
                        }
                        last = entry.id;
                    }
                }
                Err(error) => {
                    tracing::warn!(%error, stream, "reading from Redis failed; reconnecting");
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_secs(2));
                    break;
                }
            }
        }
    }
}
