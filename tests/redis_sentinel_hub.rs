//! The hub on a Redis watched by Redis Sentinel (a primary, its replica and
//! three sentinels, started by `tests/support`): the primary killed under
//! 1,000 publishes a second with 200 subscribers is failed over to its
//! replica, the hub follows it, publishes are refused meanwhile for no
//! longer than the failover takes, and no subscriber misses an acknowledged
//! publish without being told. Without `redis-server` these tests fail,
//! unless `SSE_SKIP_REDIS_TESTS=1` skips them on purpose.

use std::time::Duration;

use sse_runtime::Event;
use sse_runtime::hub::{Hub, HubConfig, Subscription};
use sse_test_support::redis_cluster::cli;
use sse_test_support::redis_sentinel::{NAME, RedisSentinel};
use sse_test_support::{PATIENCE, failover};

async fn hub(sentinel: &RedisSentinel, config: HubConfig) -> Hub {
    let urls = sentinel.urls();
    let sentinels: Vec<&str> = urls.iter().map(String::as_str).collect();
    Hub::redis_sentinel(&sentinels, NAME, config)
        .await
        .expect("connected")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_primary_killed_under_load_fails_over_and_the_hub_follows_its_replica() {
    let Some(mut sentinel) = RedisSentinel::start().await else {
        return;
    };
    let (publisher, server) = (
        hub(&sentinel, failover::config()).await,
        hub(&sentinel, failover::config()).await,
    );
    let (primary, replica) = (sentinel.first_primary(), sentinel.replica_port());
    let run = {
        let kill = sentinel.kill_primary();
        failover::under_load(&publisher, &server, "ticker", kill).await
    };
    assert_eq!(
        sentinel.primary_port().await,
        Some(replica),
        "the sentinels promoted the replica (the primary was {primary})"
    );
    // Each refusal takes at most the timeout; the sentinels see the primary
    // down after a second, agree, elect one of them and promote the replica:
    // seconds of slack for that and a loaded box.
    let bound = Duration::from_secs(1) + failover::TIMEOUT + Duration::from_secs(6);
    assert!(
        run.back <= bound,
        "accepted again {:?} after the kill",
        run.back
    );

    let held = cli(replica, &["xrange", "sse:ticker", "-", "+"]).await;
    run.verify(&server, "ticker", &held, "Redis Sentinel").await;
}

/// The next message's id.
async fn next(subscriber: &mut Subscription) -> u64 {
    let next = tokio::time::timeout(PATIENCE, subscriber.next()).await;
    next.expect("in time").expect("open").id()
}

/// A switch-over the operator asks for (`SENTINEL FAILOVER`): the old
/// primary lives on as a replica, and the hub moves to the new one, its
/// subscriptions with it.
#[tokio::test]
async fn a_planned_switchover_moves_publishes_and_subscriptions_to_the_new_primary() {
    let Some(sentinel) = RedisSentinel::start().await else {
        return;
    };
    let config = HubConfig {
        backend_timeout: failover::TIMEOUT,
        ..HubConfig::default()
    };
    let hub = hub(&sentinel, config).await;
    let mut subscriber = hub.subscribe("plans", None).await.unwrap();
    let before = hub.publish("plans", &Event::data("before")).await.unwrap();
    assert_eq!(next(&mut subscriber).await, before);

    let (old, new) = (sentinel.first_primary(), sentinel.replica_port());
    let asked = cli(sentinel.sentinel_port(), &["sentinel", "failover", NAME]).await;
    assert!(asked.starts_with("OK"), "{asked}");
    let moved = tokio::time::timeout(PATIENCE, async {
        while sentinel.primary_port().await != Some(new) {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
    assert!(moved.is_ok(), "the sentinels switched from {old} to {new}");
    let after = tokio::time::timeout(PATIENCE, async {
        loop {
            match hub.publish("plans", &Event::data("after")).await {
                Ok(id) => return id,
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
    })
    .await
    .expect("publishing on the new primary");
    assert_eq!(
        next(&mut subscriber).await,
        after,
        "the subscription moved too"
    );
}
