//! The hub's PostgreSQL backend with a real PostgreSQL (a cluster of its own
//! per test, started by `tests/support`): what only this backend does.
//! Processes sharing a database share topics (two hubs; two processes of
//! `examples/chat` with `DATABASE_URL`); an event larger than
//! NOTIFY's payload still arrives, in order; `publish_in` delivers exactly
//! when the application's transaction commits; a listener cut off from the
//! database reads back what it missed, and tells subscribers of what the
//! table no longer held. The contract every backend keeps (an outage of the
//! server among it) is `tests/hub_contract.rs`. Without PostgreSQL these tests fail, unless
//! `SSE_SKIP_POSTGRES_TESTS=1` skips them on purpose.

use std::time::Duration;

use sqlx::{Connection, PgConnection, PgPool};
use sse_runtime::Event;
use sse_runtime::hub::{Hub, HubConfig, Resume, Subscription};
use sse_test_support::chat::check_two_processes_share_a_room;
use sse_test_support::postgres::Postgres;
use sse_test_support::{Example, PATIENCE};

async fn hub(postgres: &Postgres, config: HubConfig) -> Hub {
    let pool = PgPool::connect(&postgres.url()).await.expect("connected");
    Hub::postgres(pool, config)
        .await
        .expect("the hub's tables made")
}

/// The next message's id and data lines (joined by `\n`).
async fn next(subscription: &mut Subscription) -> Option<(u64, String)> {
    let message = tokio::time::timeout(PATIENCE, subscription.next())
        .await
        .expect("a message in time")?;
    let text = String::from_utf8_lossy(message.as_bytes()).into_owned();
    let data: Vec<&str> = text
        .lines()
        .filter_map(|line| line.strip_prefix("data: "))
        .collect();
    Some((message.id(), data.join("\n")))
}

async fn publish(hub: &Hub, topic: &str, data: &str) -> u64 {
    hub.publish(topic, &Event::data(data.to_owned()))
        .await
        .expect("published")
}

#[tokio::test]
async fn two_processes_on_one_database_share_topics() {
    let Some(postgres) = Postgres::start().await else {
        return;
    };
    // Two hubs, each with its own pool and listener: two processes.
    let (a, b) = (
        hub(&postgres, HubConfig::default()).await,
        hub(&postgres, HubConfig::default()).await,
    );
    let mut on_b = b.subscribe("room", None).await.unwrap();
    let first = publish(&a, "room", "from a").await;
    assert_eq!(next(&mut on_b).await, Some((first, "from a".into())));
    let second = publish(&b, "room", "from b").await;
    assert_eq!(next(&mut on_b).await, Some((second, "from b".into())));

    // A client that read the first on B resumes on A.
    let mut on_a = a.subscribe("room", Some(first)).await.unwrap();
    assert_eq!(on_a.resume(), Resume::Complete);
    assert_eq!(next(&mut on_a).await, Some((second, "from b".into())));
}

#[tokio::test]
async fn events_too_large_for_a_notification_arrive_in_order_among_small_ones() {
    let Some(postgres) = Postgres::start().await else {
        return;
    };
    let hub = hub(&postgres, HubConfig::default()).await;
    let mut subscriber = hub.subscribe("mixed", None).await.unwrap();
    // NOTIFY carries at most 8,000 bytes, and no NUL: these travel through
    // the table.
    let large = "x".repeat(20_000);
    let sent = [
        "small 1".to_owned(),
        large.clone(),
        "small 2".into(),
        "nul \0 inside".into(),
        large.clone() + "y",
        "small 3".into(),
    ];
    let mut ids = Vec::new();
    for data in &sent {
        ids.push(publish(&hub, "mixed", data).await);
    }
    for (id, data) in ids.iter().zip(&sent) {
        assert_eq!(next(&mut subscriber).await, Some((*id, data.clone())));
    }
    // And replayed from the table alike.
    let mut resumed = hub.subscribe("mixed", Some(ids[0])).await.unwrap();
    for (id, data) in ids.iter().zip(&sent).skip(1) {
        assert_eq!(next(&mut resumed).await, Some((*id, data.clone())));
    }
}

#[tokio::test]
async fn publish_in_delivers_when_the_transaction_commits_and_never_after_a_rollback() {
    let Some(postgres) = Postgres::start().await else {
        return;
    };
    let pool = PgPool::connect(&postgres.url()).await.unwrap();
    let hub = Hub::postgres(pool.clone(), HubConfig::default())
        .await
        .unwrap();
    let mut subscriber = hub.subscribe("orders", None).await.unwrap();
    let opened = publish(&hub, "orders", "open").await;
    assert_eq!(next(&mut subscriber).await, Some((opened, "open".into())));
    sqlx::query("CREATE TABLE orders (id bigint PRIMARY KEY, state text NOT NULL)")
        .execute(&pool)
        .await
        .unwrap();

    // Rolled back: neither the row nor the event.
    let mut transaction = pool.begin().await.unwrap();
    sqlx::query("INSERT INTO orders VALUES (1, 'paid')")
        .execute(&mut *transaction)
        .await
        .unwrap();
    let rolled_back = hub
        .publish_in(&mut transaction, "orders", &Event::data("1 paid"))
        .await
        .unwrap();
    transaction.rollback().await.unwrap();

    // Committed: the event arrives, and a publish to the same topic meanwhile
    // waits for the commit, so ids stay in commit order.
    let mut transaction = pool.begin().await.unwrap();
    sqlx::query("INSERT INTO orders VALUES (2, 'paid')")
        .execute(&mut *transaction)
        .await
        .unwrap();
    let committed = hub
        .publish_in(&mut transaction, "orders", &Event::data("2 paid"))
        .await
        .unwrap();
    let racing = tokio::spawn({
        let hub = hub.clone();
        async move { publish(&hub, "orders", "after 2").await }
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        !racing.is_finished(),
        "a publish to the topic waits for the open transaction"
    );
    transaction.commit().await.unwrap();
    let after = racing.await.unwrap();
    assert!(after > committed);

    assert_eq!(
        rolled_back, committed,
        "the rolled-back number is taken again: it was never seen"
    );
    assert_eq!(
        next(&mut subscriber).await,
        Some((committed, "2 paid".into()))
    );
    assert_eq!(next(&mut subscriber).await, Some((after, "after 2".into())));
    let rows: Vec<(i64,)> = sqlx::query_as("SELECT id FROM orders")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(rows, [(2,)]);

    // On a hub that is not on PostgreSQL it says so instead.
    let mut connection = PgConnection::connect(&postgres.url()).await.unwrap();
    let refused = Hub::new()
        .publish_in(&mut connection, "orders", &Event::data("x"))
        .await
        .unwrap_err();
    assert!(refused.to_string().contains("`Hub::postgres`"), "{refused}");
}

/// The hub's listener cut off: the database refuses new connections and
/// its listening connection is ended, until [`CutOff::end`].
struct CutOff {
    /// Opened before: to publish meanwhile.
    publisher: PgConnection,
    /// On another database, which can let connections in again.
    admin: PgConnection,
}

impl CutOff {
    async fn start(postgres: &Postgres) -> Self {
        let publisher = PgConnection::connect(&postgres.url()).await.unwrap();
        let mut admin = PgConnection::connect(&postgres.url_of("template1"))
            .await
            .unwrap();
        sqlx::query("ALTER DATABASE postgres WITH ALLOW_CONNECTIONS false")
            .execute(&mut admin)
            .await
            .unwrap();
        let ended: Vec<(bool,)> = sqlx::query_as(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE query LIKE 'LISTEN %'",
        )
        .fetch_all(&mut admin)
        .await
        .unwrap();
        assert_eq!(ended, [(true,)], "one listener, ended");
        CutOff { publisher, admin }
    }

    async fn end(mut self) {
        sqlx::query("ALTER DATABASE postgres WITH ALLOW_CONNECTIONS true")
            .execute(&mut self.admin)
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn a_listener_cut_off_reads_back_what_it_missed() {
    let Some(postgres) = Postgres::start().await else {
        return;
    };
    let hub = hub(&postgres, HubConfig::default()).await;
    let mut subscriber = hub.subscribe("news", None).await.unwrap();
    let first = publish(&hub, "news", "before").await;
    assert_eq!(next(&mut subscriber).await, Some((first, "before".into())));

    let mut cut_off = CutOff::start(&postgres).await;
    // Notified while nobody of this hub listens: only the table has them.
    let mut missed = Vec::new();
    for n in 0..20 {
        let event = Event::data(format!("missed {n}"));
        let id = hub.publish_in(&mut cut_off.publisher, "news", &event);
        missed.push(id.await.unwrap());
    }
    cut_off.end().await;
    for (n, id) in missed.iter().enumerate() {
        assert_eq!(
            next(&mut subscriber).await,
            Some((*id, format!("missed {n}")))
        );
    }
    let live = publish(&hub, "news", "live again").await;
    assert_eq!(
        next(&mut subscriber).await,
        Some((live, "live again".into()))
    );
}

#[tokio::test]
async fn what_the_table_trimmed_while_the_listener_was_away_is_a_gap() {
    let Some(postgres) = Postgres::start().await else {
        return;
    };
    let config = HubConfig {
        replay: 5,
        ..HubConfig::default()
    };
    let hub = hub(&postgres, config).await;
    let mut subscriber = hub.subscribe("ticks", None).await.unwrap();
    let first = publish(&hub, "ticks", "seen").await;
    assert_eq!(next(&mut subscriber).await, Some((first, "seen".into())));

    let mut cut_off = CutOff::start(&postgres).await;
    for n in 0..20 {
        let event = Event::data(format!("tick {n}"));
        let published = hub.publish_in(&mut cut_off.publisher, "ticks", &event);
        published.await.unwrap();
    }
    cut_off.end().await;
    // The default lag policy ends the stream, so that the client resumes
    // and learns of the gap.
    while let Some((id, _)) = next(&mut subscriber).await {
        assert!(id > first);
    }
    // 21 published, the newest 5 kept: numbers 2 to 16 are gone.
    let resumed = hub.subscribe("ticks", Some(first)).await.unwrap();
    assert!(
        matches!(resumed.resume(), Resume::Gap { missed: Some(15) }),
        "{:?}",
        resumed.resume()
    );
}

#[tokio::test]
async fn two_chat_processes_share_a_room_through_postgresql() {
    let Some(postgres) = Postgres::start().await else {
        return;
    };
    let env = [("DATABASE_URL", postgres.url())];
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let a = Example::start_with("chat", &env).await;
    let b = Example::start_with("chat", &env).await;

    check_two_processes_share_a_room(a.addr, b.addr).await;
}

#[tokio::test]
async fn a_topic_that_used_all_its_numbers_starts_a_new_incarnation_after_a_gap() {
    let Some(postgres) = Postgres::start().await else {
        return;
    };
    let pool = PgPool::connect(&postgres.url()).await.unwrap();
    let config = HubConfig {
        lag: sse_runtime::hub::LagPolicy::Skip,
        ..HubConfig::default()
    };
    let hub = Hub::postgres(pool.clone(), config).await.unwrap();
    let mut subscriber = hub.subscribe("long", None).await.unwrap();
    let first = publish(&hub, "long", "first").await;
    assert_eq!(next(&mut subscriber).await, Some((first, "first".into())));
    // As if 2^32 - 2 more had been published.
    sqlx::query("UPDATE sse_hub_topics SET newest = 4294967295 - 1 WHERE topic = 'long'")
        .execute(&pool)
        .await
        .unwrap();
    let last_number = publish(&hub, "long", "the last number").await;
    assert_eq!(last_number & 0xFFFF_FFFF, 0xFFFF_FFFF);
    let renewed = publish(&hub, "long", "renewed").await;
    assert_eq!(renewed & 0xFFFF_FFFF, 1, "numbered from 1 again");
    assert_ne!(renewed >> 32, first >> 32, "under a new tag");

    assert_eq!(
        next(&mut subscriber).await,
        Some((last_number, "the last number".into()))
    );
    let notice = tokio::time::timeout(PATIENCE, subscriber.next())
        .await
        .unwrap();
    assert_eq!(
        notice.map(|message| message.as_bytes().to_vec()),
        Some(b"event: lagged\ndata: unknown\n\n".to_vec()),
        "told of the gap between incarnations"
    );
    assert_eq!(
        next(&mut subscriber).await,
        Some((renewed, "renewed".into()))
    );
    let resumed = hub.subscribe("long", Some(last_number)).await.unwrap();
    assert_eq!(resumed.resume(), Resume::Gap { missed: None });
}

#[tokio::test]
async fn topics_and_keys_past_their_age_are_swept_away() {
    let Some(postgres) = Postgres::start().await else {
        return;
    };
    let pool = PgPool::connect(&postgres.url()).await.unwrap();
    let config = HubConfig {
        replay_for: Some(Duration::from_millis(200)),
        idempotency_window: Duration::from_millis(200),
        ..HubConfig::default()
    };
    let hub = Hub::postgres(pool.clone(), config).await.unwrap();
    let mut old = Vec::new();
    for n in 0..50 {
        let topic = format!("request-{n}");
        let event = Event::data("done");
        old.push(hub.publish_once(&topic, "once", &event).await.unwrap());
    }
    let count = |table: &'static str| {
        let pool = pool.clone();
        async move {
            let sql = format!("SELECT count(*) FROM {table}");
            let (n,): (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .fetch_one(&pool)
                .await
                .unwrap();
            n
        }
    };
    assert_eq!(count("sse_hub_topics").await, 50);
    // Swept every second (the age, raised to a second), at any one of them.
    let swept = tokio::time::timeout(PATIENCE, async {
        loop {
            let left = count("sse_hub_topics").await
                + count("sse_hub_events").await
                + count("sse_hub_keys").await;
            if left == 0 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await;
    assert!(swept.is_ok(), "the hub's tables still hold rows");
    // A client resuming from before is told of a gap; the topic starts anew.
    let resumed = hub.subscribe("request-0", Some(old[0])).await.unwrap();
    assert_eq!(resumed.resume(), Resume::Gap { missed: None });
    let again = publish(&hub, "request-0", "again").await;
    assert_ne!(again >> 32, old[0] >> 32, "a new history");
}
