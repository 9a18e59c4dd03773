//! The hub's contract, written once and run against every backend: fan-out
//! exactly once and in order, resume (`Fresh`, `Complete`, `Gap`,
//! `Unknown`) by one rule, history trimmed and reported as a gap, a slow
//! subscriber bounded by the buffer (skipping ahead, told, or ended to resume),
//! `publish_once` stored once, `publish_last` ending live and resumed
//! subscriptions, resumes racing publishes without gap or duplicate, topics
//! reclaimed once nothing needs them, and, for a backend on a server, an
//! outage: refused within the timeout, then recovered, with a gap told only
//! where the server lost data. A backend is a constructor below plus one
//! line at the bottom (`contract!(name, constructor)`, with `outage` when it
//! has a server to lose); what only one backend does (Redis under load
//! through an outage, its incarnations; PostgreSQL's transactions, events
//! too large for a notification) stays in its own file (`tests/redis_hub.rs`, `tests/postgres_hub.rs`,
//! `tests/hub.rs`).

use std::time::Duration;

use sse_runtime::Event;
use sse_runtime::hub::{Hub, HubConfig, LagPolicy, Resume, Subscription};
use sse_test_support::PATIENCE;
use sse_test_support::outage::{RedisServer, Server};
use sse_test_support::postgres::Postgres;
use sse_test_support::redis::Redis;
use sse_test_support::redis_cluster::RedisCluster;
use sse_test_support::redis_sentinel::{NAME, RedisSentinel};

/// A hub on one backend, with whatever keeps that backend running.
struct Backend {
    hub: Hub,
    /// An id the hub has not issued and will not for a long while, after
    /// `newest`: ids are the backend's own (a count in memory, Redis' clock
    /// and sequence), so how far ahead that is is too.
    ahead: fn(newest: u64) -> u64,
    /// The server the hub is on, stopped when the case ends.
    server: Option<Box<dyn Server>>,
    /// A Redis Sentinel set-up the hub is on, stopped when the case ends
    /// (its failover is `tests/redis_sentinel_hub.rs`).
    _watched: Option<RedisSentinel>,
}

async fn memory(config: HubConfig) -> Option<Backend> {
    Some(Backend {
        hub: Hub::with_config(config),
        // Within the topic's incarnation (its low 32 bits count events).
        ahead: |newest| newest + 1_000_000,
        server: None,
        _watched: None,
    })
}

/// A `redis-server` of its own; `None` when the run skips Redis on purpose.
async fn redis(config: HubConfig) -> Option<Backend> {
    let redis = Redis::start_on_a_free_port().await?;
    let hub = Hub::redis(&redis.url(), config).await.expect("connected");
    Some(Backend {
        hub,
        // An hour on: Redis ids pack milliseconds above 20 bits of sequence.
        ahead: |newest| newest + (3_600_000 << 20),
        server: Some(Box::new(RedisServer::from(redis))),
        _watched: None,
    })
}

/// A Redis Cluster of its own (three primaries, three replicas); `None`
/// when the run skips Redis on purpose.
async fn redis_cluster(config: HubConfig) -> Option<Backend> {
    let cluster = RedisCluster::start().await?;
    let urls = cluster.urls();
    let nodes: Vec<&str> = urls.iter().map(String::as_str).collect();
    let hub = Hub::redis_cluster(&nodes, config).await.expect("connected");
    Some(Backend {
        hub,
        // As on one server: ids are the shard's clock and sequence.
        ahead: |newest| newest + (3_600_000 << 20),
        server: Some(Box::new(cluster)),
        _watched: None,
    })
}

/// A primary, its replica and three sentinels of its own; `None` when the
/// run skips Redis on purpose.
async fn redis_sentinel(config: HubConfig) -> Option<Backend> {
    let sentinel = RedisSentinel::start().await?;
    let urls = sentinel.urls();
    let sentinels: Vec<&str> = urls.iter().map(String::as_str).collect();
    let hub = Hub::redis_sentinel(&sentinels, NAME, config)
        .await
        .expect("connected");
    Some(Backend {
        hub,
        // As on one server: ids are the primary's clock and sequence.
        ahead: |newest| newest + (3_600_000 << 20),
        server: None,
        _watched: Some(sentinel),
    })
}

/// A PostgreSQL cluster of its own; `None` when the run skips PostgreSQL on
/// purpose.
async fn postgres(config: HubConfig) -> Option<Backend> {
    let postgres = Postgres::start().await?;
    let pool = sqlx::PgPool::connect(&postgres.url())
        .await
        .expect("connected");
    let hub = Hub::postgres(pool, config)
        .await
        .expect("the hub's tables made");
    Some(Backend {
        hub,
        // Within the topic's incarnation (its low 32 bits number events).
        ahead: |newest| newest + 1_000_000,
        server: Some(Box::new(postgres)),
        _watched: None,
    })
}

async fn publish(hub: &Hub, topic: &str, n: usize) -> u64 {
    hub.publish(topic, &Event::data(n.to_string()))
        .await
        .expect("published")
}

/// The next `count` messages' ids and data.
async fn take(subscription: &mut Subscription, count: usize) -> Vec<(u64, String)> {
    let mut taken = Vec::new();
    for _ in 0..count {
        let message = tokio::time::timeout(PATIENCE, subscription.next())
            .await
            .expect("a message in time")
            .expect("the subscription goes on");
        let text = String::from_utf8_lossy(message.as_bytes()).into_owned();
        let data = text
            .lines()
            .find_map(|line| line.strip_prefix("data: "))
            .unwrap_or_default()
            .to_owned();
        taken.push((message.id(), data));
    }
    taken
}

fn numbers(range: std::ops::Range<usize>) -> Vec<String> {
    range.map(|n| n.to_string()).collect()
}

fn data(taken: &[(u64, String)]) -> Vec<String> {
    taken.iter().map(|(_, data)| data.clone()).collect()
}

async fn every_subscriber_gets_every_event_once_in_order(hub: &Hub) {
    let mut subscribers = Vec::new();
    for _ in 0..3 {
        subscribers.push(hub.subscribe("fan", None).await.unwrap());
    }
    let mut ids = Vec::new();
    for n in 0..300 {
        ids.push(publish(hub, "fan", n).await);
    }
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "ids grow: {ids:?}");
    for subscriber in &mut subscribers {
        assert_eq!(subscriber.resume(), Resume::Fresh);
        let taken = take(subscriber, 300).await;
        assert_eq!(data(&taken), numbers(0..300));
        let got: Vec<u64> = taken.iter().map(|(id, _)| *id).collect();
        assert_eq!(got, ids);
    }
}

async fn a_resume_is_complete_fresh_or_unknown_by_one_rule(backend: &Backend) {
    let hub = &backend.hub;
    let mut ids = Vec::new();
    for n in 0..5 {
        ids.push(publish(hub, "resume", n).await);
    }
    let mut resumed = hub.subscribe("resume", Some(ids[1])).await.unwrap();
    assert_eq!(resumed.resume(), Resume::Complete);
    assert_eq!(data(&take(&mut resumed, 3).await), numbers(2..5));
    publish(hub, "resume", 5).await;
    assert_eq!(data(&take(&mut resumed, 1).await), ["5"], "then live");

    let ahead = (backend.ahead)(*ids.last().unwrap());
    let mut resumed = hub.subscribe("resume", Some(ahead)).await.unwrap();
    assert_eq!(
        resumed.resume(),
        Resume::Unknown {
            last_event_id: ahead
        },
        "an id newer than anything published"
    );
    publish(hub, "resume", 6).await;
    assert_eq!(
        data(&take(&mut resumed, 1).await),
        ["6"],
        "live events only, from now: none held back until the id comes round"
    );
    let fresh = hub.subscribe("resume", None).await.unwrap();
    assert_eq!(fresh.resume(), Resume::Fresh);
}

/// `replay` is 5: after 500 publishes a client that saw the first has lost
/// some, and is told so; what the topic holds is replayed, contiguous and up
/// to the newest. (Redis trims approximately, so how many it keeps is at
/// least 5, not exactly 5.)
async fn history_past_the_replay_window_is_a_gap(hub: &Hub) {
    let mut ids = Vec::new();
    for n in 0..500 {
        ids.push(publish(hub, "trimmed", n).await);
    }
    let mut resumed = hub.subscribe("trimmed", Some(ids[0])).await.unwrap();
    assert!(
        matches!(resumed.resume(), Resume::Gap { .. }),
        "{:?}",
        resumed.resume()
    );
    let first = take(&mut resumed, 1).await[0].0;
    let kept = ids.iter().position(|id| *id == first).expect("one of ours");
    assert!(kept > 1, "some were lost");
    let rest = take(&mut resumed, ids.len() - kept - 1).await;
    let got: Vec<u64> = rest.iter().map(|(id, _)| *id).collect();
    assert_eq!(got, ids[kept + 1..], "contiguous, up to the newest");
}

async fn publish_once_stores_an_event_once_per_key(hub: &Hub) {
    let mut subscriber = hub.subscribe("once", None).await.unwrap();
    let event = Event::data("paid");
    let first = hub.publish_once("once", "order-7", &event).await.unwrap();
    let retried = hub.publish_once("once", "order-7", &event).await.unwrap();
    assert_eq!(first, retried, "the retry answers the stored id");
    let other = hub.publish_once("once", "order-8", &event).await.unwrap();
    assert_ne!(other, first, "another key is another event");
    let taken = take(&mut subscriber, 2).await;
    assert_eq!(
        taken.iter().map(|(id, _)| *id).collect::<Vec<_>>(),
        [first, other]
    );
}

/// `buffer` is 4 and `lag` skips: the publisher never waits for a subscriber
/// that does not read, which holds no more than the buffer and is told how
/// many it lost.
async fn a_slow_subscriber_skips_ahead_and_is_told(hub: &Hub) {
    let mut slow = hub.subscribe("lag", None).await.unwrap();
    let mut fast = hub.subscribe("lag", None).await.unwrap();
    for n in 0..10 {
        publish(hub, "lag", n).await;
        assert_eq!(data(&take(&mut fast, 1).await), [n.to_string()]);
    }
    let lagged = tokio::time::timeout(PATIENCE, slow.next()).await.unwrap();
    assert_eq!(
        lagged.expect("the notice").as_bytes(),
        b"event: lagged\ndata: 6\n\n"
    );
    assert_eq!(data(&take(&mut slow, 4).await), numbers(6..10));
}

/// `buffer` is 4 and `lag` disconnects (the default): the subscriber that
/// fell behind ends, and resumes from its last id with nothing lost.
async fn a_slow_subscriber_is_ended_to_resume(hub: &Hub) {
    let mut slow = hub.subscribe("behind", None).await.unwrap();
    let mut fast = hub.subscribe("behind", None).await.unwrap();
    let mut ids = Vec::new();
    for n in 0..10 {
        ids.push(publish(hub, "behind", n).await);
        take(&mut fast, 1).await;
    }
    let ended = tokio::time::timeout(PATIENCE, slow.next()).await.unwrap();
    assert!(ended.is_none(), "ended, so the client reconnects");
    let mut again = hub.subscribe("behind", Some(ids[0])).await.unwrap();
    assert_eq!(again.resume(), Resume::Complete);
    assert_eq!(data(&take(&mut again, 9).await), numbers(1..10));
}

async fn resumes_racing_publishes_have_no_gap_and_no_duplicate(hub: &Hub) {
    let checked = sse_test_support::hub::check_resume_races(hub, "race", 2_000).await;
    assert!(checked > 0);
    eprintln!("{checked} resumes crossed the replay/live join");
}

/// `replay` is 0: a topic nobody listens to and nothing to replay is freed.
async fn a_topic_nothing_needs_is_reclaimed(hub: &Hub) {
    let mut subscriber = hub.subscribe("passing", None).await.unwrap();
    publish(hub, "passing", 0).await;
    take(&mut subscriber, 1).await;
    assert_eq!(hub.topic_count(), 1);
    drop(subscriber);
    let freed = tokio::time::timeout(PATIENCE, async {
        while hub.topic_count() > 0 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
    assert!(freed.is_ok(), "{} topics held", hub.topic_count());
}

/// `backend_timeout` is 500 ms and `lag` skips: while the server is down,
/// publishes and subscribes fail within the timeout; once it is back,
/// publishing works again and an open subscription gets what is published,
/// after a notice of the gap when the server lost what it had stored.
async fn an_outage_refuses_within_the_timeout_then_recovers(mut backend: Backend) {
    let hub = &backend.hub;
    let mut subscriber = hub.subscribe("status", None).await.unwrap();
    let first = publish(hub, "status", 0).await;
    assert_eq!(take(&mut subscriber, 1).await, [(first, "0".into())]);

    let server = backend.server.as_mut().expect("a server to stop");
    let durable = server.durable();
    server.stop().await;
    for _ in 0..3 {
        let started = tokio::time::Instant::now();
        let refused = hub.publish("status", &Event::data("lost")).await;
        assert!(refused.is_err(), "{refused:?}");
        // The contract is the timeout; a second of slack for a loaded box.
        let took = started.elapsed();
        assert!(
            took <= OUTAGE_TIMEOUT + Duration::from_secs(1),
            "refused after {took:?}"
        );
    }
    assert!(hub.subscribe("elsewhere", None).await.is_err());

    server.restart().await;
    // Recovery has no promised bound: the client reconnects on its own
    // backoff, and a cluster's nodes find each other again first; a loaded
    // box (every case of this file at once) can take a while.
    let back = tokio::time::timeout(PATIENCE * 3, async {
        loop {
            match hub.publish("status", &Event::data("1")).await {
                Ok(id) => return id,
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
    })
    .await
    .expect("publishing again once the server is back");
    let mut message = tokio::time::timeout(PATIENCE, subscriber.next())
        .await
        .expect("a message in time")
        .expect("the subscription stayed open");
    if message.as_bytes() == b"event: lagged\ndata: unknown\n\n" {
        assert!(!durable, "a durable server lost nothing");
        message = tokio::time::timeout(PATIENCE, subscriber.next())
            .await
            .expect("a message in time")
            .expect("the subscription stayed open");
    } else {
        assert!(durable, "told of the gap: {message:?}");
    }
    assert_eq!(message.id(), back);
    assert!(message.as_bytes().ends_with(b"data: 1\n\n"));
}

const OUTAGE_TIMEOUT: Duration = Duration::from_millis(500);

/// A subscribe given up while its topic starts (its client went away, a
/// timeout) leaves the topic working for the next one.
async fn a_subscribe_given_up_while_its_topic_starts_leaves_it_working(hub: &Hub) {
    for round in 0..20 {
        let topic = format!("abandoned-{round}");
        // Polled once, then dropped: the start is under way.
        let given_up = tokio::time::timeout(Duration::ZERO, hub.subscribe(&topic, None)).await;
        drop(given_up);
        let mut subscriber = hub.subscribe(&topic, None).await.unwrap();
        publish(hub, &topic, round).await;
        assert_eq!(data(&take(&mut subscriber, 1).await), [round.to_string()]);
    }
}

/// Every case of the contract against the backend `$make` builds; with
/// `outage`, the outage case too (for backends with a server to lose).
macro_rules! contract {
    ($backend:ident, $make:expr, outage) => {
        contract!($backend, $make, {
            #[tokio::test]
            async fn an_outage_refuses_within_the_timeout_then_recovers() {
                let config = HubConfig {
                    backend_timeout: OUTAGE_TIMEOUT,
                    lag: LagPolicy::Skip,
                    ..HubConfig::default()
                };
                let Some(backend) = backend(config).await else {
                    return;
                };
                super::an_outage_refuses_within_the_timeout_then_recovers(backend).await;
            }
        });
    };
    ($backend:ident, $make:expr) => {
        contract!($backend, $make, {});
    };
    ($backend:ident, $make:expr, { $($more:item)* }) => {
        mod $backend {
            use super::*;

            $($more)*

            async fn backend(config: HubConfig) -> Option<Backend> {
                $make(config).await
            }

            #[tokio::test]
            async fn every_subscriber_gets_every_event_once_in_order() {
                let Some(backend) = backend(HubConfig::default()).await else {
                    return;
                };
                super::every_subscriber_gets_every_event_once_in_order(&backend.hub).await;
            }

            #[tokio::test]
            async fn a_resume_is_complete_fresh_or_unknown_by_one_rule() {
                let Some(backend) = backend(HubConfig::default()).await else {
                    return;
                };
                super::a_resume_is_complete_fresh_or_unknown_by_one_rule(&backend).await;
            }

            #[tokio::test]
            async fn history_past_the_replay_window_is_a_gap() {
                let config = HubConfig {
                    replay: 5,
                    ..HubConfig::default()
                };
                let Some(backend) = backend(config).await else {
                    return;
                };
                super::history_past_the_replay_window_is_a_gap(&backend.hub).await;
            }

            #[tokio::test]
            async fn publish_once_stores_an_event_once_per_key() {
                let Some(backend) = backend(HubConfig::default()).await else {
                    return;
                };
                super::publish_once_stores_an_event_once_per_key(&backend.hub).await;
            }

            #[tokio::test]
            async fn a_last_message_ends_live_and_resumed_subscriptions() {
                let Some(backend) = backend(HubConfig::default()).await else {
                    return;
                };
                sse_test_support::hub::check_last_message_ends_subscriptions(&backend.hub).await;
            }

            #[tokio::test]
            async fn a_slow_subscriber_skips_ahead_and_is_told() {
                let config = HubConfig {
                    buffer: 4,
                    lag: LagPolicy::Skip,
                    ..HubConfig::default()
                };
                let Some(backend) = backend(config).await else {
                    return;
                };
                super::a_slow_subscriber_skips_ahead_and_is_told(&backend.hub).await;
            }

            #[tokio::test]
            async fn a_slow_subscriber_is_ended_to_resume() {
                let config = HubConfig {
                    buffer: 4,
                    ..HubConfig::default()
                };
                let Some(backend) = backend(config).await else {
                    return;
                };
                super::a_slow_subscriber_is_ended_to_resume(&backend.hub).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn resumes_racing_publishes_have_no_gap_and_no_duplicate() {
                // The reference subscriber is read now and then: the buffer
                // holds every publish, so it never lags.
                let config = HubConfig {
                    replay: 20_000,
                    buffer: 20_000,
                    ..HubConfig::default()
                };
                let Some(backend) = backend(config).await else {
                    return;
                };
                super::resumes_racing_publishes_have_no_gap_and_no_duplicate(&backend.hub).await;
            }

            #[tokio::test]
            async fn a_subscribe_given_up_while_its_topic_starts_leaves_it_working() {
                let Some(backend) = backend(HubConfig::default()).await else {
                    return;
                };
                super::a_subscribe_given_up_while_its_topic_starts_leaves_it_working(&backend.hub)
                    .await;
            }

            #[tokio::test]
            async fn a_topic_nothing_needs_is_reclaimed() {
                let config = HubConfig {
                    replay: 0,
                    ..HubConfig::default()
                };
                let Some(backend) = backend(config).await else {
                    return;
                };
                super::a_topic_nothing_needs_is_reclaimed(&backend.hub).await;
            }
        }
    };
}

contract!(in_memory, memory);
contract!(on_redis, redis, outage);
// No outage case: a cluster restarted whole was not always taken up again by
// the client within 30 s under a cold CI's load (its failover is
// tests/redis_cluster_hub.rs).
contract!(on_redis_cluster, redis_cluster);
contract!(on_redis_sentinel, redis_sentinel);
contract!(on_postgres, postgres, outage);
