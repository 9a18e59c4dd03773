//! The PostgreSQL backend: processes that share a database share topics,
//! and an application publishes inside its own transactions.
//!
//! Through sqlx rather than tokio-postgres: it is the pool most axum
//! applications already hold (and the one axum's examples use), so
//! `Hub::postgres` takes that pool and `Hub::publish_in` the application's
//! own transaction, as they are.
//!
//! Design:
//! - A topic is a row of `sse_hub_topics` and its replay window the rows of
//!   `sse_hub_events` (`schema.rs`). A publish is one call of
//!   `sse_hub_publish`: it locks the topic's row, takes the next number,
//!   stores the event, trims the window (by count, at least the newest one
//!   kept; by age when [`HubConfig::replay_for`] is set) and notifies
//!   `sse_hub`. The row lock is held until the transaction commits, so a
//!   topic's events commit in number order and are notified in it.
//! - Ids are `tag << 32 | n`: `n` numbers the topic's events from 1, `tag`
//!   is drawn when the topic's row is made (and again after 2^32 events),
//!   so an id from another database (restored, recreated) is a gap, never a
//!   position in this one.
//! - Each process holds one listening connection of its own, for all the
//!   topics it serves (`reader.rs`) and fans each event out to its local subscribers.
//!   An event whose fields fit in NOTIFY's 8,000 bytes travels inside the
//!   notification; a larger one is read from the table.
//! - `subscribe` first joins the local fan-out (the topic starts after its
//!   newest event), then replays from the table what came after the
//!   client's id, topic row and events in one statement; live messages up
//!   to the last replayed one are dropped.
//! - Delivery guarantee: a subscriber gets every event the table still
//!   holds after its `Last-Event-ID`, once, in order. While PostgreSQL is
//!   unreachable publishes and subscribes fail within
//!   [`HubConfig::backend_timeout`]; the listener reconnects with backoff
//!   and reads from the table what each topic missed, and subscribers of a
//!   topic whose missed events were trimmed meanwhile are told of the gap.
//! - What no publish trims is swept (`sweep.rs`): expired `publish_once`
//!   keys, and with [`HubConfig::replay_for`] the events and then the rows
//!   of topics idle for that long.
//! - Inside a transaction ([`Hub::publish_in`](crate::hub::Hub::publish_in)):
//!   the event is stored, numbered and notified exactly when the
//!   application's transaction commits, and not at all if it rolls back
//!   (the outbox pattern, without an outbox to drain). Other publishes to
//!   the same topic wait for that commit.

mod hub;
mod reader;
mod schema;
mod store;
mod sweep;
mod topics;

use std::collections::HashMap;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};

use sqlx::PgPool;
use sqlx::postgres::{PgConnection, PgListener, PgPoolOptions};
use tokio::task::JoinHandle;

use self::store::{NUMBER, Publish, read_after};
use self::topics::PgTopic;
use crate::event::SseEvent;
use crate::hub::config::HubConfig;
use crate::hub::error::{HubError, timed};
use crate::hub::publish_keys::Stored;
use crate::hub::resume::{History, Resume};
use crate::hub::subscription::Subscription;
use crate::hub::topic_ids::check_topic_for_ids;
use crate::metrics::HubMetrics;
use crate::sync::lock;

pub(super) fn backend(error: sqlx::Error) -> HubError {
    HubError::Backend(Box::new(error))
}

pub(super) struct PostgresHub {
    shared: Arc<Shared>,
    reader: JoinHandle<()>,
    sweeper: JoinHandle<()>,
}

/// What the hub, its listener and its topics share.
pub(super) struct Shared {
    /// The application's pool: publishes, replays, reads.
    pool: PgPool,
    /// One connection, the listener's, so that listening never waits for
    /// (or holds) one of the application's.
    listener_pool: PgPool,
    config: HubConfig,
    topics: Mutex<HashMap<String, Arc<PgTopic>>>,
    metrics: HubMetrics,
    /// Counts the times the listener listened again: a topic whose start
    /// saw it change reads back what it may have missed.
    listening: AtomicU64,
}

impl Drop for PostgresHub {
    fn drop(&mut self) {
        self.reader.abort();
        self.sweeper.abort();
        let topics: Vec<_> = lock(&self.shared.topics).drain().collect();
        for (_, topic) in &topics {
            topic.fanout.close();
        }
        self.shared.metrics.topics_changed(-(topics.len() as isize));
    }
}

impl PostgresHub {
    pub(super) async fn connect(pool: PgPool, config: HubConfig) -> Result<Self, HubError> {
        let limit = config.backend_timeout;
        timed("PostgreSQL", limit, schema::install(&pool)).await?;
        let listener_pool = PgPoolOptions::new()
            .max_connections(1)
            .acquire_timeout(limit)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_lazy_with((*pool.connect_options()).clone());
        let listener = timed("PostgreSQL", limit, async {
            let mut listener = PgListener::connect_with(&listener_pool)
                .await
                .map_err(backend)?;
            listener.eager_reconnect(false);
            listener.listen(schema::CHANNEL).await.map_err(backend)?;
            Ok(listener)
        })
        .await?;
        let shared = Arc::new(Shared {
            pool,
            listener_pool,
            config,
            topics: Mutex::default(),
            metrics: HubMetrics::new("postgres"),
            listening: AtomicU64::new(0),
        });
        let reader = tokio::spawn(reader::run(shared.clone(), listener));
        let sweeper = tokio::spawn(sweep::run(shared.clone()));
        Ok(Self {
            shared,
            reader,
            sweeper,
        })
    }

    pub(super) fn topic_count(&self) -> usize {
        lock(&self.shared.topics).len()
    }

    pub(in crate::hub) fn metrics(&self) -> &HubMetrics {
        &self.shared.metrics
    }

    /// Publishes `event` on the hub's pool, once per `publish_key` within
    /// the window when one is given.
    pub(super) async fn publish_with<E: SseEvent + ?Sized>(
        &self,
        topic: &str,
        publish_key: Option<&str>,
        event: &E,
        last: bool,
    ) -> Result<Stored, HubError> {
        let config = &self.shared.config;
        let publish = Publish::new(config, topic, publish_key, event, last)?;
        timed(
            "PostgreSQL",
            config.backend_timeout,
            publish.run(&self.shared.pool),
        )
        .await
    }

    /// Publishes `event` inside the caller's transaction: stored and
    /// delivered when it commits. Not timed: the transaction is the
    /// caller's.
    pub(super) async fn publish_in<E: SseEvent + ?Sized>(
        &self,
        connection: &mut PgConnection,
        topic: &str,
        event: &E,
    ) -> Result<Stored, HubError> {
        let publish = Publish::new(&self.shared.config, topic, None, event, false)?;
        publish.run(connection).await
    }

    pub(super) async fn subscribe(
        &self,
        name: &str,
        last_event_id: Option<u64>,
    ) -> Result<Subscription, HubError> {
        let config = &self.shared.config;
        if config.topic_in_ids {
            check_topic_for_ids(name)?;
        }
        // Join the local fan-out first: the topic started before the replay
        // below, so together they cover every event after `last`.
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
        let reads = timed(
            "PostgreSQL",
            config.backend_timeout,
            read_after(&self.shared.pool, &[(name, last)], config.replay_for),
        )
        .await?;
        let Some(read) = reads.first() else {
            // Never published: any id but 0 is from another history.
            let history = History {
                newest: None,
                dropped_through: None,
                consecutive: true,
                foreign: last != 0,
                first_id: None,
            };
            let resume = Resume::after(Some(last), history);
            return Ok(subscription.resumed(Default::default(), resume, 0));
        };
        let replay = read.replay(config);
        let expired = read
            .events
            .iter()
            .filter(|row| row.expired)
            .map(|row| row.n)
            .max();
        let dropped = read.dropped_through.max(expired.unwrap_or(0));
        let history = History {
            newest: (read.newest > 0).then(|| read.id(read.newest)),
            dropped_through: (dropped > 0).then(|| read.id(dropped)),
            consecutive: true,
            foreign: last != 0 && last & !NUMBER != read.base,
            first_id: Some(read.id(1)),
        };
        let resume = Resume::after(Some(last), history);
        // Live messages up to what the read saw are not sent again: the
        // client has them (the newest is its id), or they are replayed.
        let newest = read.id(read.newest);
        if !resume.replays() {
            return Ok(subscription.resumed(Default::default(), resume, newest));
        }
        let skip_through = replay.back().map_or(newest, |message| message.id());
        Ok(subscription.resumed(replay, resume, skip_through))
    }
}
