//! The tables and the function a PostgreSQL hub keeps its topics in,
//! created when a hub connects (`IF NOT EXISTS`, under an advisory lock so
//! that processes starting together do not race).
//!
//! - `sse_hub_topics`: one row per topic: its incarnation (`base`, random,
//!   in the high 32 bits of every id; drawn again when a topic has used all
//!   2^32 numbers), the newest event's number, and the
//!   newest number trimmed away. The row's lock orders a topic's publishes:
//!   each takes the next number and holds the lock until its transaction
//!   commits, so numbers commit in order and a reader that saw `n` has seen
//!   everything before it.
//! - `sse_hub_events`: the replay window, one row per event (its encoded
//!   fields, without the id).
//! - `sse_hub_keys`: `publish_once` keys within their window.
//! - `sse_hub_publish(..)`: one round trip per publish, the same inside an
//!   application's transaction: the next number, the event, its key, the
//!   trim, and `NOTIFY sse_hub` (delivered when the transaction commits).

use sqlx::PgPool;

use crate::hub::error::HubError;
use crate::hub::postgres::backend;

/// The one channel every publish notifies: a process listens once however
/// many topics it serves (PostgreSQL before 17 searches a listener's
/// channels one by one for each notification).
pub(super) const CHANNEL: &str = "sse_hub";

/// Serialises schema changes between processes (`pg_advisory_xact_lock`).
const SCHEMA_LOCK: i64 = 0x0053_5345_5f48_5542; // "SSE_HUB"

const TABLES: &str = "
CREATE TABLE IF NOT EXISTS sse_hub_topics (
    topic text PRIMARY KEY,
    base bigint NOT NULL,
    newest bigint NOT NULL DEFAULT 0,
    dropped_through bigint NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS sse_hub_events (
    topic text NOT NULL,
    n bigint NOT NULL,
    fields bytea NOT NULL,
    last boolean NOT NULL,
    published_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (topic, n)
);
CREATE TABLE IF NOT EXISTS sse_hub_keys (
    topic text NOT NULL,
    key text NOT NULL,
    id bigint NOT NULL,
    expires_at timestamptz NOT NULL,
    PRIMARY KEY (topic, key)
);
";

/// Returns the event's id, and whether it was stored now (not a key seen
/// within its window). `p_keep` is at least 1: the newest event stays for a
/// reader to fetch when it was too large to travel in the notification.
const PUBLISH: &str = r"
CREATE OR REPLACE FUNCTION sse_hub_publish(
    p_topic text, p_fields bytea, p_last boolean, p_key text, p_window_ms bigint,
    p_keep bigint, p_max_age_ms bigint, p_inline boolean
) RETURNS TABLE (id bigint, stored boolean) LANGUAGE plpgsql AS $$
DECLARE
    v_base bigint;
    v_n bigint;
    v_seen bigint;
    v_dropped bigint;
BEGIN
    INSERT INTO sse_hub_topics (topic, base)
        VALUES (p_topic, (1 + floor(random() * 2147483646))::bigint << 32)
        ON CONFLICT (topic) DO NOTHING;
    SELECT t.base, t.newest INTO v_base, v_n
        FROM sse_hub_topics t WHERE t.topic = p_topic FOR UPDATE;
    IF p_key IS NOT NULL THEN
        SELECT k.id INTO v_seen FROM sse_hub_keys k
            WHERE k.topic = p_topic AND k.key = p_key AND k.expires_at > clock_timestamp();
        IF FOUND THEN
            id := v_seen; stored := false; RETURN NEXT; RETURN;
        END IF;
        DELETE FROM sse_hub_keys k WHERE k.topic = p_topic AND k.expires_at <= clock_timestamp();
    END IF;
    v_n := v_n + 1;
    IF v_n > 4294967295 THEN
        -- This incarnation's numbers are spent: a new one begins, and a
        -- client resuming from an id of the old one is told of a gap.
        DELETE FROM sse_hub_events e WHERE e.topic = p_topic;
        v_base := (1 + floor(random() * 2147483646))::bigint << 32;
        v_n := 1;
        UPDATE sse_hub_topics t SET base = v_base, dropped_through = 0 WHERE t.topic = p_topic;
    END IF;
    INSERT INTO sse_hub_events (topic, n, fields, last) VALUES (p_topic, v_n, p_fields, p_last);
    IF p_key IS NOT NULL THEN
        INSERT INTO sse_hub_keys (topic, key, id, expires_at)
            VALUES (p_topic, p_key, v_base | v_n,
                    clock_timestamp() + p_window_ms * interval '1 millisecond')
            ON CONFLICT (topic, key) DO UPDATE SET id = excluded.id, expires_at = excluded.expires_at;
    END IF;
    WITH gone AS (
        DELETE FROM sse_hub_events e WHERE e.topic = p_topic AND e.n < v_n AND (
            e.n <= v_n - p_keep
            OR (p_max_age_ms IS NOT NULL
                AND e.published_at < clock_timestamp() - p_max_age_ms * interval '1 millisecond'))
        RETURNING e.n
    )
    SELECT max(gone.n) INTO v_dropped FROM gone;
    UPDATE sse_hub_topics t
        SET newest = v_n, dropped_through = greatest(t.dropped_through, coalesce(v_dropped, 0))
        WHERE t.topic = p_topic;
    PERFORM pg_notify('sse_hub',
        (v_base | v_n)::text || CASE WHEN p_last THEN ';last' ELSE '' END
        || ' ' || octet_length(p_topic)::text || ' ' || p_topic
        || CASE WHEN p_inline THEN E'\n' || convert_from(p_fields, 'UTF8') ELSE '' END);
    id := v_base | v_n; stored := true; RETURN NEXT;
END
$$;
";

/// The publish function's signature, and the version its comment carries:
/// a database that has this version needs nothing created, so that a role
/// without `CREATE` connects once the tables are there.
const FUNCTION: &str =
    "sse_hub_publish(text, bytea, boolean, text, bigint, bigint, bigint, boolean)";
const VERSION: &str = "sse-runtime hub 1";

/// Creates what is missing, once per database however many processes
/// start at once.
pub(super) async fn install(pool: &PgPool) -> Result<(), HubError> {
    let installed: Option<String> =
        sqlx::query_scalar("SELECT obj_description(to_regprocedure($1), 'pg_proc')")
            .bind(FUNCTION)
            .fetch_one(pool)
            .await
            .map_err(backend)?;
    if installed.as_deref() == Some(VERSION) {
        return Ok(());
    }
    let mut transaction = pool.begin().await.map_err(backend)?;
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(SCHEMA_LOCK)
        .execute(&mut *transaction)
        .await
        .map_err(backend)?;
    sqlx::raw_sql(TABLES)
        .execute(&mut *transaction)
        .await
        .map_err(backend)?;
    sqlx::raw_sql(PUBLISH)
        .execute(&mut *transaction)
        .await
        .map_err(backend)?;
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "COMMENT ON FUNCTION {FUNCTION} IS '{VERSION}'"
    )))
    .execute(&mut *transaction)
    .await
    .map_err(backend)?;
    transaction.commit().await.map_err(backend)
}
