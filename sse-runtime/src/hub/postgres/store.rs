//! What a PostgreSQL hub asks of the database: a publish (one call of
//! `sse_hub_publish`, on the hub's pool or inside an application's
//! transaction), and the events of topics after given ids, with what each
//! topic's row says, read in one statement so that the two agree.

use std::collections::VecDeque;
use std::time::Duration;

use sqlx::{Executor, PgPool, Postgres, Row as _};

use crate::event::SseEvent;
use crate::hub::config::HubConfig;
use crate::hub::error::HubError;
use crate::hub::message::{Message, encode_for_topic};
use crate::hub::postgres::backend;
use crate::hub::publish_keys::Stored;
use crate::hub::topic_ids::{WireId, check_topic_for_ids};

/// The number within an id: its low 32 bits (the high ones are the topic's
/// incarnation).
pub(super) const NUMBER: u64 = 0xFFFF_FFFF;

/// NOTIFY's payload is at most 8,000 bytes: an event whose fields and topic
/// fit in this travels inside its notification; a larger one is read from
/// the table by each process that serves its topic.
const INLINE_LIMIT: usize = 7_900;

/// A publish, checked and encoded, ready to run on any connection.
pub(super) struct Publish<'a> {
    topic: &'a str,
    fields: Vec<u8>,
    last: bool,
    key: Option<&'a str>,
    window_ms: i64,
    keep: i64,
    max_age_ms: Option<i64>,
    inline: bool,
}

impl<'a> Publish<'a> {
    pub(super) fn new<E: SseEvent + ?Sized>(
        config: &HubConfig,
        topic: &'a str,
        key: Option<&'a str>,
        event: &E,
        last: bool,
    ) -> Result<Self, HubError> {
        if config.topic_in_ids {
            check_topic_for_ids(topic)?;
        }
        if topic.contains('\0') || key.is_some_and(|key| key.contains('\0')) {
            return Err(HubError::Backend(
                "PostgreSQL text cannot hold NUL: refuse such a topic or publish key before \
                 publishing"
                    .into(),
            ));
        }
        // Stored without an id: the database assigns it, readers write it.
        let encoded = encode_for_topic(event, None, config.line_ending)?;
        let fields = encoded.fields().to_vec();
        let inline = topic.len() + fields.len() <= INLINE_LIMIT && !fields.contains(&0);
        Ok(Self {
            topic,
            fields,
            last,
            key,
            window_ms: millis(config.idempotency_window).max(1),
            keep: i64::try_from(config.replay.max(1)).unwrap_or(i64::MAX),
            max_age_ms: config.replay_for.map(millis),
            inline,
        })
    }

    pub(super) async fn run<'c, X>(self, executor: X) -> Result<Stored, HubError>
    where
        X: Executor<'c, Database = Postgres>,
    {
        let (id, new): (i64, bool) = sqlx::query_as(
            "SELECT id, stored FROM sse_hub_publish($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(self.topic)
        .bind(self.fields)
        .bind(self.last)
        .bind(self.key)
        .bind(self.window_ms)
        .bind(self.keep)
        .bind(self.max_age_ms)
        .bind(self.inline)
        .fetch_one(executor)
        .await
        .map_err(backend)?;
        Ok(Stored { id: id as u64, new })
    }
}

fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

/// A topic's row and its events after an id.
#[derive(Debug)]
pub(super) struct Read {
    pub(super) topic: String,
    /// The incarnation, `tag << 32`.
    pub(super) base: u64,
    /// The newest number published.
    pub(super) newest: u64,
    /// The newest number trimmed away, 0 if none.
    pub(super) dropped_through: u64,
    /// The number the events follow: the asked id's, or 0 when that id is
    /// from another incarnation.
    pub(super) after: u64,
    pub(super) events: Vec<Row>,
}

#[derive(Debug)]
pub(super) struct Row {
    pub(super) n: u64,
    fields: Vec<u8>,
    last: bool,
    /// Older than [`HubConfig::replay_for`]: not replayed.
    pub(super) expired: bool,
}

impl Read {
    /// The id of number `n` in this incarnation.
    pub(super) fn id(&self, n: u64) -> u64 {
        self.base | n
    }

    /// Whether the events follow `after` without a hole, up to the newest.
    pub(super) fn contiguous(&self) -> bool {
        match self.events.first() {
            Some(first) => first.n == self.after + 1,
            None => self.newest <= self.after,
        }
    }

    pub(super) fn message(&self, row: &Row, config: &HubConfig) -> Message {
        let id = WireId {
            n: self.id(row.n),
            topic: config.topic_in_ids.then_some(self.topic.as_str()),
        };
        Message::stored(id, &row.fields, row.last, config.line_ending)
    }

    /// The events not expired, as messages.
    pub(super) fn replay(&self, config: &HubConfig) -> VecDeque<Message> {
        self.events
            .iter()
            .filter(|row| !row.expired)
            .map(|row| self.message(row, config))
            .collect()
    }
}

/// What each topic holds after its id (`(topic, id)`, the id 0 for "from the
/// start"), in one statement; topics never published are absent.
pub(super) async fn read_after(
    pool: &PgPool,
    after: &[(&str, u64)],
    max_age: Option<Duration>,
) -> Result<Vec<Read>, HubError> {
    let topics: Vec<&str> = after.iter().map(|(topic, _)| *topic).collect();
    let ids: Vec<i64> = after.iter().map(|(_, id)| *id as i64).collect();
    let rows = sqlx::query(
        "SELECT t.topic, t.base, t.newest, t.dropped_through, w.after,
                e.n, e.fields, e.last,
                e.published_at < clock_timestamp() - $3 * interval '1 millisecond'
         FROM unnest($1::text[], $2::bigint[]) AS a(topic, id)
         JOIN sse_hub_topics t ON t.topic = a.topic
         CROSS JOIN LATERAL (
             SELECT CASE WHEN a.id >> 32 = t.base >> 32 THEN a.id & 4294967295 ELSE 0 END
                 AS after) AS w
         LEFT JOIN LATERAL (
             SELECT ev.n, ev.fields, ev.last, ev.published_at FROM sse_hub_events ev
             WHERE ev.topic = t.topic AND ev.n > w.after ORDER BY ev.n) AS e ON true
         ORDER BY t.topic, e.n",
    )
    .bind(&topics)
    .bind(&ids)
    .bind(max_age.map(millis))
    .fetch_all(pool)
    .await
    .map_err(backend)?;
    let mut reads: Vec<Read> = Vec::new();
    for row in rows {
        let topic: String = row.try_get(0).map_err(backend)?;
        if reads.last().is_none_or(|read| read.topic != topic) {
            let number = |i| row.try_get::<i64, _>(i).map(|n| n as u64);
            reads.push(Read {
                base: number(1).map_err(backend)?,
                newest: number(2).map_err(backend)?,
                dropped_through: number(3).map_err(backend)?,
                after: number(4).map_err(backend)?,
                topic,
                events: Vec::new(),
            });
        }
        let n: Option<i64> = row.try_get(5).map_err(backend)?;
        if let Some(n) = n {
            let read = reads.last_mut().expect("pushed above");
            read.events.push(Row {
                n: n as u64,
                fields: row.try_get(6).map_err(backend)?,
                last: row.try_get(7).map_err(backend)?,
                expired: row
                    .try_get::<Option<bool>, _>(8)
                    .map_err(backend)?
                    .unwrap_or(false),
            });
        }
    }
    Ok(reads)
}

/// The newest id of `topic` (0 if it was never published): where a topic
/// that starts now puts its live messages.
pub(super) async fn newest(pool: &PgPool, topic: &str) -> Result<u64, HubError> {
    let row: Option<(i64, i64)> =
        sqlx::query_as("SELECT base, newest FROM sse_hub_topics WHERE topic = $1")
            .bind(topic)
            .fetch_optional(pool)
            .await
            .map_err(backend)?;
    Ok(row.map_or(0, |(base, newest)| base as u64 | newest as u64))
}
