//! The process's one listener: `LISTEN sse_hub` on a connection of its own,
//! delivering each notification to the topic it names when this process
//! serves it.
//!
//! A publish notifies inside its transaction, so notifications arrive when
//! events commit, in commit order, which for one topic is id order (the
//! topic's row lock). An event small enough travels in its notification; a
//! larger one is read from the table. Notifications are forgotten while the
//! connection is down: the listener then connects again with backoff and
//! jitter, listens, and reads from the table what each topic missed after
//! the last event it delivered, so each is delivered once. Where the table
//! no longer holds all of it (trimmed meanwhile), the topic's subscribers
//! are told of the gap.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use sqlx::postgres::PgListener;

use crate::hub::backoff::jitter;
use crate::hub::error::{HubError, timed};
use crate::hub::message::Message;
use crate::hub::postgres::schema::CHANNEL;
use crate::hub::postgres::topics::{PgTopic, catch_up};
use crate::hub::postgres::{Shared, backend};
use crate::hub::topic_ids::WireId;

/// Topics read back per statement after a reconnect.
const CATCH_UP_BATCH: usize = 1_000;

/// Runs until the hub is dropped.
pub(super) async fn run(shared: Arc<Shared>, listener: PgListener) {
    let mut listener = Some(listener);
    let mut backoff = Duration::from_millis(100);
    loop {
        let Some(live) = listener.as_mut() else {
            match listen_again(&shared).await {
                Ok(fresh) => {
                    tracing::info!("the hub listens to PostgreSQL again");
                    crate::metrics::reconnected("postgres");
                    listener = Some(fresh);
                    backoff = Duration::from_millis(100);
                }
                Err(error) => {
                    tracing::warn!(%error, ?backoff, "cannot listen to PostgreSQL; retrying");
                    tokio::time::sleep(jitter(backoff)).await;
                    backoff = (backoff * 2).min(Duration::from_secs(1));
                }
            }
            continue;
        };
        let delivered = match live.try_recv().await {
            Ok(Some(notification)) => deliver(&shared, notification.payload()).await,
            Ok(None) => Err(HubError::Backend("the connection closed".into())),
            Err(error) => Err(backend(error)),
        };
        if let Err(error) = delivered {
            tracing::warn!(%error, "the hub's PostgreSQL listener lost its connection; reconnecting");
            // Its connection goes back to the listener's own pool, which
            // checks it before handing it out again.
            listener = None;
        }
    }
}

/// A new listener, listening, with what each topic missed read back.
async fn listen_again(shared: &Arc<Shared>) -> Result<PgListener, HubError> {
    let limit = shared.config.backend_timeout;
    let listener = timed("PostgreSQL", limit, async {
        let mut listener = PgListener::connect_with(&shared.listener_pool)
            .await
            .map_err(backend)?;
        listener.eager_reconnect(false);
        listener.listen(CHANNEL).await.map_err(backend)?;
        Ok(listener)
    })
    .await?;
    // A topic starting now reads back what it missed itself if it did not
    // make it into the list below.
    shared.listening.fetch_add(1, Ordering::AcqRel);
    // Listening before reading: an event committed from now on is both
    // notified and read, and delivered once.
    let served: Vec<(Arc<PgTopic>, u64)> = shared
        .topics()
        .into_iter()
        .filter_map(|topic| topic.last_delivered().map(|last| (topic, last)))
        .collect();
    for batch in served.chunks(CATCH_UP_BATCH) {
        catch_up(shared, batch).await?;
    }
    Ok(listener)
}

/// What a notification says: `<id>[;last] <topic length> <topic>`, then a
/// line break and the event's fields when they fit.
struct Notice<'a> {
    id: u64,
    last: bool,
    topic: &'a str,
    fields: Option<&'a str>,
}

fn parse(payload: &str) -> Option<Notice<'_>> {
    let (head, rest) = payload.split_once(' ')?;
    let (id, last) = match head.strip_suffix(";last") {
        Some(id) => (id, true),
        None => (head, false),
    };
    let (length, rest) = rest.split_once(' ')?;
    let length: usize = length.parse().ok()?;
    let topic = rest.get(..length)?;
    Some(Notice {
        id: id.parse().ok()?,
        last,
        topic,
        fields: rest[length..].strip_prefix('\n'),
    })
}

/// One notification. An error means an event may not have reached its
/// topic: the listener starts again and reads it back.
async fn deliver(shared: &Arc<Shared>, payload: &str) -> Result<(), HubError> {
    let Some(notice) = parse(payload) else {
        tracing::debug!(
            payload,
            "a notification on the hub's channel that it did not send"
        );
        return Ok(());
    };
    let Some(topic) = shared.topic(notice.topic) else {
        return Ok(());
    };
    let config = &shared.config;
    match notice.fields {
        Some(fields) => {
            let id = WireId {
                n: notice.id,
                topic: config.topic_in_ids.then_some(notice.topic),
            };
            let message = Message::stored(id, fields.as_bytes(), notice.last, config.line_ending);
            topic.deliver(message);
            Ok(())
        }
        // Too large to travel in the notification: read from the table,
        // with whatever followed it already.
        None => {
            let after = topic
                .last_delivered()
                .unwrap_or(notice.id.saturating_sub(1));
            if notice.id <= after {
                return Ok(());
            }
            catch_up(shared, &[(topic, after)]).await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_the_publish_function_writes() {
        let notice = parse("4294967299;last 7 a b\nc d\ndata: x\n").expect("parsed");
        assert_eq!(
            (notice.id, notice.last, notice.topic),
            (4_294_967_299, true, "a b\nc d")
        );
        assert_eq!(notice.fields, Some("data: x\n"));
        let large = parse("12 3 r\u{e9}").expect("parsed");
        assert_eq!(
            (large.topic, large.fields, large.last),
            ("r\u{e9}", None, false)
        );
        for foreign in ["", "12", "x 1 a", "12 9 short", "12 1 \u{e9}"] {
            assert!(parse(foreign).is_none(), "{foreign:?}");
        }
    }
}
