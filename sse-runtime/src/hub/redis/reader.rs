//! The process's one reader: a Redis Pub/Sub connection subscribed to the
//! channel of every topic this process serves, fanning each entry out to
//! the topic's local subscribers.
//!
//! A publish stores the entry in the topic's stream and publishes it on the
//! channel of the same name in one script, so the channel carries the
//! entries in stream order and the reader needs no read per entry. Pub/Sub
//! forgets what it could not deliver: when the connection drops, the reader
//! reconnects with backoff and jitter, subscribes again, and reads from each
//! stream what came after the last entry it delivered. Entries at or before
//! a topic's last delivered id are skipped, so each is delivered once.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use ::redis::aio::PubSubSink;
use ::redis::streams::StreamRangeReply;
use ::redis::{PushInfo, PushKind, Value};
use futures_util::StreamExt;

use crate::hub::backoff::jitter;
use crate::hub::error::HubError;
use crate::hub::redis::LAST;
use crate::hub::redis::backend;
use crate::hub::redis::connection::Subscriber;
use crate::hub::redis::stream::{message, pack, stream_info, unpack};
use crate::hub::redis::topics::RedisTopic;
use crate::hub::redis::{Shared, within};

/// Subscribing in batches keeps each command small after a reconnect.
const SUBSCRIBE_BATCH: usize = 1_000;

/// Runs until the hub is dropped.
pub(super) async fn run(shared: Arc<Shared>, mut stream: ::redis::aio::PubSubStream) {
    loop {
        while let Some(entry) = stream.next().await {
            deliver(&shared, entry.get_channel_name(), entry.get_payload_bytes());
        }
        tracing::warn!("the hub's Redis Pub/Sub connection closed; reconnecting");
        stream = reconnect(&shared).await;
    }
}

/// On a cluster: runs until the hub is dropped, taking the pushes of every
/// shard's connection. Those connections reconnect and subscribe again by
/// themselves (also when a slot moves to another shard); each confirmed
/// subscription of a topic already serving reads from its stream what came
/// while it was not subscribed.
pub(super) async fn run_cluster(
    shared: Arc<Shared>,
    mut pushes: tokio::sync::mpsc::UnboundedReceiver<PushInfo>,
) {
    while let Some(push) = pushes.recv().await {
        let channel = match push.data.first() {
            Some(Value::BulkString(channel)) => std::str::from_utf8(channel).ok(),
            _ => None,
        };
        match (push.kind, channel) {
            (PushKind::SMessage, Some(channel)) => {
                if let Some(Value::BulkString(payload)) = push.data.get(1) {
                    deliver(&shared, channel, payload);
                }
            }
            (PushKind::SSubscribe, Some(channel)) => {
                let Some(topic) = shared
                    .layout
                    .topic_of(channel)
                    .and_then(|t| shared.topic(t))
                else {
                    continue;
                };
                if topic.last_delivered().is_none() {
                    // Starting: its start is read after this confirmation.
                    continue;
                }
                if let Err(error) = catch_up(&shared, std::slice::from_ref(&topic)).await {
                    tracing::warn!(
                        %error,
                        topic = topic.name,
                        "cannot read what the topic missed while its shard was away; its \
                         subscribers are told of a gap"
                    );
                    topic.fanout.mark_gap();
                }
            }
            (PushKind::Disconnection, _) => {
                tracing::warn!(
                    "a Redis Cluster shard's connection closed; subscribing every topic again \
                     until its shard, or the replica that took over, confirms"
                );
                shared.resubscribe_again.store(true, Ordering::Release);
                if !shared.resubscribing.swap(true, Ordering::AcqRel) {
                    tokio::spawn(resubscribe_cluster(shared.clone()));
                }
            }
            (PushKind::SUnsubscribe, Some(channel)) => {
                // The server dropped a subscription this process still needs
                // (its slot moved to another shard): subscribe it again
                // there. (A topic this process stopped is out of the map.)
                if let Some(topic) = shared
                    .layout
                    .topic_of(channel)
                    .and_then(|t| shared.topic(t))
                {
                    tokio::spawn(resubscribe(shared.clone(), vec![topic]));
                }
            }
            _ => {}
        }
    }
}

/// Subscribes every served topic again, until each is confirmed. A shard
/// that went away holds its slots' subscriptions no more, and the cluster's
/// connections learn where its slots went (a replica took over) only from a
/// command to one of them: this is that command. Confirmations of topics
/// already serving read back what they missed (`run_cluster`); topics still
/// subscribed elsewhere are confirmed again, harmlessly.
async fn resubscribe_cluster(shared: Arc<Shared>) {
    loop {
        // A shard that closes while this pass runs asks for another.
        shared.resubscribe_again.store(false, Ordering::Release);
        resubscribe(shared.clone(), shared.topics()).await;
        shared.resubscribing.store(false, Ordering::Release);
        if !shared.resubscribe_again.load(Ordering::Acquire)
            || shared.resubscribing.swap(true, Ordering::AcqRel)
        {
            return;
        }
    }
}

/// Subscribes `topics` again until each is confirmed or no longer served.
async fn resubscribe(shared: Arc<Shared>, mut waiting: Vec<Arc<RedisTopic>>) {
    let mut backoff = Duration::from_millis(100);
    while !waiting.is_empty() {
        let mut failed = Vec::new();
        for topic in waiting {
            let mut gate = shared.gate.lock().await;
            // Stopped meanwhile (and perhaps started again: that start
            // subscribes itself).
            let served = shared.topic(&topic.name);
            if !served.is_some_and(|served| Arc::ptr_eq(&served, &topic)) {
                continue;
            }
            let channel = shared.layout.key(&topic.name);
            let subscribed = within(shared.config.backend_timeout, gate.subscribe(channel)).await;
            drop(gate);
            if subscribed.is_err() {
                failed.push(topic);
            }
        }
        waiting = failed;
        if !waiting.is_empty() {
            tracing::debug!(
                topics = waiting.len(),
                ?backoff,
                "topics not subscribed yet"
            );
            tokio::time::sleep(jitter(backoff)).await;
            backoff = (backoff * 2).min(Duration::from_secs(1));
        }
    }
}

/// One published entry, `<id>\n<fields>`, on `channel`.
fn deliver(shared: &Shared, channel: &str, payload: &[u8]) {
    let Some(topic) = shared
        .layout
        .topic_of(channel)
        .and_then(|name| shared.topic(name))
    else {
        return;
    };
    let Some(split) = payload.iter().position(|&b| b == b'\n') else {
        return;
    };
    let (id, fields) = (&payload[..split], &payload[split + 1..]);
    let (id, last) = match id.strip_suffix(LAST.as_bytes()) {
        Some(id) => (id, true),
        None => (id, false),
    };
    let Some(id) = std::str::from_utf8(id).ok().and_then(pack) else {
        return;
    };
    topic.deliver(id, fields, last, &shared.config);
}

/// A new Pub/Sub connection with every served topic subscribed again, and
/// what each topic missed meanwhile read from its stream.
async fn reconnect(shared: &Arc<Shared>) -> ::redis::aio::PubSubStream {
    let mut backoff = Duration::from_millis(100);
    loop {
        tokio::time::sleep(jitter(backoff)).await;
        // At most a second apart: entries published meanwhile are read back
        // from the streams only while they still hold them.
        backoff = (backoff * 2).min(Duration::from_secs(1));
        // Holding the gate: no topic starts or stops while the set is
        // re-subscribed.
        let mut gate = shared.gate.lock().await;
        let client = match shared.primary.client().await {
            Ok(client) => client,
            Err(error) => {
                tracing::warn!(%error, ?backoff, "cannot find Redis' primary; retrying");
                continue;
            }
        };
        let (mut sink, stream) = match client.get_async_pubsub().await {
            Ok(pubsub) => pubsub.split(),
            Err(error) => {
                tracing::warn!(%error, ?backoff, "cannot reach Redis; retrying");
                continue;
            }
        };
        let topics = shared.topics();
        if let Err(error) = subscribe_all(shared, &mut sink, &topics).await {
            tracing::warn!(%error, ?backoff, "re-subscribing failed; retrying");
            continue;
        }
        *gate = Subscriber::Single(sink);
        drop(gate);
        match catch_up(shared, &topics).await {
            Ok(()) => {
                tracing::info!(topics = topics.len(), "the hub reconnected to Redis");
                crate::metrics::reconnected("redis");
                return stream;
            }
            Err(error) => {
                tracing::warn!(%error, ?backoff, "catching up from Redis failed; retrying");
            }
        }
    }
}

async fn subscribe_all(
    shared: &Shared,
    sink: &mut PubSubSink,
    topics: &[Arc<RedisTopic>],
) -> ::redis::RedisResult<()> {
    for batch in topics.chunks(SUBSCRIBE_BATCH) {
        let channels: Vec<String> = batch
            .iter()
            .map(|topic| shared.layout.key(&topic.name))
            .collect();
        sink.subscribe(channels).await?;
    }
    Ok(())
}

/// Reads from each topic's stream what came after its last delivered entry.
async fn catch_up(shared: &Shared, topics: &[Arc<RedisTopic>]) -> Result<(), HubError> {
    let mut connection = shared.connection.clone();
    for topic in topics {
        let Some(last) = topic.last_delivered() else {
            continue;
        };
        // From `last` itself: whether the stream still holds it tells
        // whether anything after it can have gone.
        let missed: StreamRangeReply = ::redis::cmd("XRANGE")
            .arg(shared.layout.key(&topic.name))
            .arg(unpack(last))
            .arg("+")
            .query_async(&mut connection)
            .await
            .map_err(backend)?;
        let holds_last = missed.ids.first().and_then(|entry| pack(&entry.id)) == Some(last);
        // Asked after the read. Entries after `last` are lost to this
        // process's subscribers, who must learn so, when the stream no
        // longer holds `last` and `last` is not exactly the newest entry
        // trimmed: they were trimmed (raise `HubConfig::replay`), or Redis
        // lost its data (restarted without persistence: what it had not yet
        // passed on when it stopped is gone, acknowledged or not; a
        // `FLUSHALL`; a failover to a replica that lagged). `last` is 0 when
        // nothing came since the topic started on an empty stream: then only
        // a trim shows a loss. (A notice too many at most: when nothing was
        // published after `last` before Redis lost it.)
        let info = stream_info(&mut connection, &shared.layout.key(&topic.name)).await?;
        let lost = if last == 0 {
            info.trimmed
        } else {
            !holds_last && info.dropped_through != Some(last)
        };
        if lost {
            tracing::warn!(
                topic = topic.name,
                trimmed = info.trimmed,
                "entries after the last one delivered are gone from the stream (trimmed while \
                 the hub was disconnected, or Redis lost its data); the topic's subscribers are \
                 told of the gap"
            );
            topic.fanout.mark_gap();
        }
        tracing::debug!(
            topic = topic.name,
            missed = missed.ids.len(),
            "caught up from the stream"
        );
        for entry in &missed.ids {
            let scope = shared.config.topic_in_ids.then_some(topic.name.as_str());
            if let Some(message) = message(&entry.id, &entry.map, scope, shared.config.line_ending)
            {
                topic.deliver_message(message);
            }
        }
    }
    Ok(())
}
