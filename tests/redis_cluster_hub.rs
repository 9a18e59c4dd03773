//! The hub on a real Redis Cluster (three primaries, a replica each, started
//! by `tests/support`): what only a cluster does. Topics spread over every
//! shard while each process holds one connection per shard, and a topic's
//! entries reach only the shard that owns it; a primary killed under load is
//! failed over to its replica, publishes are refused meanwhile for no longer
//! than the failover takes, and no subscriber misses an acknowledged
//! publish without being told. The contract every backend keeps is
//! `tests/hub_contract.rs`. Without `redis-server` these tests fail, unless
//! `SSE_SKIP_REDIS_TESTS=1` skips them on purpose.

use std::time::Duration;

use sse_runtime::Event;
use sse_runtime::hub::{Hub, HubConfig};
use sse_test_support::redis_cluster::{RedisCluster, cli};
use sse_test_support::{PATIENCE, failover};

async fn hub(cluster: &RedisCluster, config: HubConfig) -> Hub {
    let urls = cluster.urls();
    let nodes: Vec<&str> = urls.iter().map(String::as_str).collect();
    Hub::redis_cluster(&nodes, config).await.expect("connected")
}

/// The stream (and channel) of `topic` on a cluster.
fn key(topic: &str) -> String {
    format!("sse:{{{topic}}}")
}

/// The connections of clients other than replicas and `redis-cli` itself.
async fn client_connections(port: u16) -> usize {
    cli(port, &["client", "list"])
        .await
        .lines()
        .filter(|line| !line.contains("flags=S") && !line.contains("cmd=client|list"))
        .count()
}

#[tokio::test]
async fn topics_spread_over_every_shard_with_one_connection_to_each() {
    let Some(cluster) = RedisCluster::start().await else {
        return;
    };
    let hub = hub(&cluster, HubConfig::default()).await;
    let topics: Vec<String> = (0..30).map(|n| format!("room-{n}")).collect();
    let mut subscriptions = Vec::new();
    for topic in &topics {
        // Two local subscribers: still one subscription on the shard.
        subscriptions.push(hub.subscribe(topic, None).await.unwrap());
        subscriptions.push(hub.subscribe(topic, None).await.unwrap());
    }
    for topic in &topics {
        hub.publish(topic, &Event::data(topic.clone()))
            .await
            .unwrap();
    }
    for subscription in &mut subscriptions {
        let message = tokio::time::timeout(PATIENCE, subscription.next())
            .await
            .unwrap()
            .unwrap();
        assert!(String::from_utf8_lossy(message.as_bytes()).contains("data: room-"));
    }

    let primaries = cluster.primaries().await;
    assert_eq!(primaries.len(), 3);
    for &port in &primaries {
        let streams: usize = cli(port, &["dbsize"]).await.trim().parse().unwrap();
        assert!(
            streams > 0,
            "the primary on {port} holds some of the topics"
        );
        assert_eq!(
            client_connections(port).await,
            1,
            "one connection from the hub to the primary on {port}, however many topics"
        );
    }
    for topic in &topics {
        let owner = cluster.primary_of(&key(topic)).await;
        let counts = cli(owner, &["pubsub", "shardnumsub", &key(topic)]).await;
        assert_eq!(
            counts.lines().nth(1).map(str::trim),
            Some("1"),
            "one sharded subscription per process on the owning shard: {counts}"
        );
        for &other in primaries.iter().filter(|&&port| port != owner) {
            let elsewhere = cli(other, &["pubsub", "shardchannels"]).await;
            assert!(
                !elsewhere.lines().any(|line| line.trim() == key(topic)),
                "{topic} is subscribed only where it lives"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_primary_killed_under_load_fails_over_and_no_acknowledged_publish_is_silently_lost() {
    let Some(mut cluster) = RedisCluster::start().await else {
        return;
    };
    // Two processes: one publishes, one serves the subscribers.
    let (publisher, server) = (
        hub(&cluster, failover::config()).await,
        hub(&cluster, failover::config()).await,
    );
    let victim = cluster.primary_of(&key("ticker")).await;
    let run = failover::under_load(&publisher, &server, "ticker", cluster.kill(victim)).await;
    let promoted = cluster.primary_of(&key("ticker")).await;
    assert_ne!(promoted, victim, "the replica took over");
    // Each refusal takes at most the timeout; failing over takes the node
    // timeout (1 s) and an election: a few seconds of slack for a loaded box.
    let bound = Duration::from_secs(1) + failover::TIMEOUT + Duration::from_secs(4);
    assert!(
        run.back <= bound,
        "accepted again {:?} after the kill",
        run.back
    );

    let held = cli(promoted, &["xrange", &key("ticker"), "-", "+"]).await;
    run.verify(&server, "ticker", &held, "Redis Cluster").await;
}
