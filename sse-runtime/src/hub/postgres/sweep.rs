//! What no publish trims: `publish_once` keys past their window, and, when
//! [`HubConfig::replay_for`](crate::hub::HubConfig::replay_for) is set, the
//! events of topics nobody published to for that long, then those topics'
//! rows. A topic forgotten that way starts a new history with its next
//! event (its subscribers are told of a gap, as a client resuming from an
//! old id is): topics a request names (MCP's, `topic_in_ids`) do not pile
//! up. One process at a time sweeps (an advisory lock), every
//! `replay_for` (at least a second, at most a minute; a minute without it).

use std::sync::Arc;
use std::time::Duration;

use crate::hub::backoff::jitter;
use crate::hub::error::{HubError, timed};
use crate::hub::postgres::{Shared, backend};

/// Serialises sweeps between processes (`pg_try_advisory_xact_lock`).
const SWEEP_LOCK: i64 = 0x0053_5345_5357_4550; // "SSESWEP"

const SWEEP: &str = "
WITH gone AS (
    DELETE FROM sse_hub_events e
    WHERE $1::bigint IS NOT NULL
      AND e.published_at < clock_timestamp() - $1 * interval '1 millisecond'
    RETURNING e.topic, e.n
), trimmed AS (
    UPDATE sse_hub_topics t SET dropped_through = greatest(t.dropped_through, g.n)
    FROM (SELECT topic, max(n) AS n FROM gone GROUP BY topic) g
    WHERE t.topic = g.topic
    RETURNING t.topic
)
SELECT count(*) FROM trimmed";

/// Runs until the hub is dropped.
pub(super) async fn run(shared: Arc<Shared>) {
    let every = shared
        .config
        .replay_for
        .map_or(Duration::from_secs(60), |age| {
            age.clamp(Duration::from_secs(1), Duration::from_secs(60))
        });
    loop {
        tokio::time::sleep(jitter(every)).await;
        let limit = shared.config.backend_timeout;
        if let Err(error) = timed("PostgreSQL", limit * 4, sweep(&shared)).await {
            tracing::debug!(%error, "sweeping the hub's tables failed; trying again later");
        }
    }
}

async fn sweep(shared: &Shared) -> Result<(), HubError> {
    let mut transaction = shared.pool.begin().await.map_err(backend)?;
    let ours: bool = sqlx::query_scalar("SELECT pg_try_advisory_xact_lock($1)")
        .bind(SWEEP_LOCK)
        .fetch_one(&mut *transaction)
        .await
        .map_err(backend)?;
    if !ours {
        return Ok(());
    }
    sqlx::query("DELETE FROM sse_hub_keys WHERE expires_at <= clock_timestamp()")
        .execute(&mut *transaction)
        .await
        .map_err(backend)?;
    let max_age = shared
        .config
        .replay_for
        .map(|age| i64::try_from(age.as_millis()).unwrap_or(i64::MAX));
    let trimmed: i64 = sqlx::query_scalar(SWEEP)
        .bind(max_age)
        .fetch_one(&mut *transaction)
        .await
        .map_err(backend)?;
    if max_age.is_some() {
        // A topic whose every event was trimmed: forgotten. Decided on the
        // row alone, so that a publish holding it (inside an application's
        // transaction) is waited for, and the row it leaves is what counts.
        sqlx::query("DELETE FROM sse_hub_topics t WHERE t.dropped_through >= t.newest")
            .execute(&mut *transaction)
            .await
            .map_err(backend)?;
    }
    transaction.commit().await.map_err(backend)?;
    tracing::debug!(trimmed, "swept the hub's tables");
    Ok(())
}
