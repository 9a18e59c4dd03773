//! The hub on a real Redis Cluster (three primaries, a replica each, started
//! by `tests/support`): what only a cluster does. Topics spread over every
//! shard while each process holds one connection per shard, and a topic's
//! entries reach only the shard that owns it; a primary killed under load is
//! failed over to its replica, publishes are refused meanwhile for no longer
//! than the failover takes, and no subscriber misses an acknowledged
//! publish without being told. The contract every backend keeps is
//! `tests/hub_contract.rs`. Without `redis-server` these tests fail, unless
//! `SSE_SKIP_REDIS_TESTS=1` skips them on purpose.

use std::collections::BTreeSet;
use std::time::Duration;

use sse_runtime::Event;
use sse_runtime::hub::{Hub, HubConfig, LagPolicy, Resume, Subscription};
use sse_test_support::PATIENCE;
use sse_test_support::redis_cluster::{RedisCluster, cli};
use tokio::time::Instant;

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

/// What one subscriber saw: the ids of the events, and whether it was told
/// of a gap (`event: lagged`, `data: unknown`, under `LagPolicy::Skip`).
#[derive(Default)]
struct Seen {
    ids: Vec<u64>,
    told_of_a_gap: bool,
}

async fn watch(mut subscription: Subscription, until: Instant) -> Seen {
    let mut seen = Seen::default();
    while let Ok(Some(message)) = tokio::time::timeout_at(until, subscription.next()).await {
        if message.as_bytes() == b"event: lagged\ndata: unknown\n\n" {
            seen.told_of_a_gap = true;
        } else {
            seen.ids.push(message.id());
        }
    }
    seen
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_primary_killed_under_load_fails_over_and_no_acknowledged_publish_is_silently_lost() {
    const SUBSCRIBERS: usize = 200;
    let Some(mut cluster) = RedisCluster::start().await else {
        return;
    };
    let timeout = Duration::from_millis(500);
    let config = HubConfig {
        backend_timeout: timeout,
        lag: LagPolicy::Skip,
        buffer: 20_000,
        replay: 20_000,
        ..HubConfig::default()
    };
    // Two processes: one publishes, one serves the subscribers.
    let (publisher, server) = (
        hub(&cluster, config.clone()).await,
        hub(&cluster, config).await,
    );
    let mut subscribers = Vec::new();
    for _ in 0..SUBSCRIBERS {
        subscribers.push(server.subscribe("ticker", None).await.unwrap());
    }
    // A bound, in case a subscription never ends; the last publish ends them.
    let end = Instant::now() + Duration::from_secs(60);
    let watchers: Vec<_> = subscribers
        .into_iter()
        .map(|subscription| tokio::spawn(watch(subscription, end)))
        .collect();

    // 1,000 publishes a second, each awaited; the primary that owns the
    // topic is killed after a second, and the run goes on until publishes
    // have been accepted again for two seconds.
    let victim = cluster.primary_of(&key("ticker")).await;
    let started = Instant::now();
    let mut tick = tokio::time::interval(Duration::from_millis(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let (mut acknowledged, mut refused) = (Vec::new(), Vec::new());
    let mut killed_at = None;
    let mut n = 0_u64;
    loop {
        tick.tick().await;
        if killed_at.is_none() && started.elapsed() >= Duration::from_secs(1) {
            cluster.kill(victim).await;
            killed_at = Some(Instant::now());
        }
        let at = Instant::now();
        match publisher
            .publish("ticker", &Event::data(n.to_string()))
            .await
        {
            Ok(id) => acknowledged.push((at, id)),
            Err(_) => refused.push(at),
        }
        n += 1;
        if let (Some(killed), Some(&(last, _))) = (killed_at, acknowledged.last())
            && last > killed
            && refused
                .last()
                .is_some_and(|&r| last.duration_since(r) >= Duration::from_secs(2))
        {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(25),
            "no failover in 25 s"
        );
    }
    let killed = killed_at.expect("killed");
    let promoted = cluster.primary_of(&key("ticker")).await;
    assert_ne!(promoted, victim, "the replica took over");

    // Refused from the kill until the replica took over, and no longer.
    let first_refused = refused
        .first()
        .copied()
        .expect("refused while failing over");
    let last_refused = *refused.last().unwrap();
    let refusing = last_refused.duration_since(first_refused);
    let back = acknowledged
        .iter()
        .find(|(at, _)| *at > last_refused)
        .map(|(at, _)| at.duration_since(killed))
        .expect("accepted again");
    // Each refusal takes at most the timeout; failing over takes the node
    // timeout (1 s) and an election: a few seconds of slack for a loaded box.
    assert!(
        back <= Duration::from_secs(1) + timeout + Duration::from_secs(4),
        "publishes accepted again {back:?} after the kill"
    );

    // What the new primary holds: an acknowledged publish it lacks was lost
    // with the old one (replication is asynchronous).
    let held: BTreeSet<u64> = {
        let stream = cli(promoted, &["xrange", &key("ticker"), "-", "+"]).await;
        stream
            .lines()
            .filter_map(|line| {
                let (ms, seq) = line.trim().split_once('-')?;
                Some(ms.parse::<u64>().ok()? << 20 | seq.parse::<u64>().ok()?)
            })
            .collect()
    };
    let lost: Vec<u64> = acknowledged
        .iter()
        .map(|(_, id)| *id)
        .filter(|id| !held.contains(id))
        .collect();

    // A client resuming from an acknowledged id the new primary lacks is
    // told of a gap, never resumed as if nothing were missing.
    for &id in lost.iter().take(10) {
        let resumed = server.subscribe("ticker", Some(id)).await.unwrap();
        assert!(
            matches!(resumed.resume(), Resume::Gap { .. }),
            "{id} was lost: {:?}",
            resumed.resume()
        );
    }

    // The last publish ends every subscription after it; then every
    // subscriber got each id once, in order, and every acknowledged publish
    // it did not get is one it was told it may have missed.
    let last = publisher
        .publish_last("ticker", &Event::data("end"))
        .await
        .expect("published on the new primary");
    acknowledged.push((Instant::now(), last));
    let (mut told, mut complete) = (0, 0);
    for watcher in watchers {
        let seen = watcher.await.unwrap();
        assert!(seen.ids.windows(2).all(|w| w[0] < w[1]), "in order, once");
        assert_eq!(seen.ids.last(), Some(&last), "ended by the last publish");
        let got: BTreeSet<u64> = seen.ids.iter().copied().collect();
        let missed = acknowledged
            .iter()
            .filter(|(_, id)| !got.contains(id))
            .count();
        if missed == 0 {
            complete += 1;
        } else {
            assert!(
                seen.told_of_a_gap,
                "{missed} acknowledged publishes missed without being told"
            );
            told += 1;
        }
    }
    eprintln!(
        "failover under 1,000 publishes/s, {SUBSCRIBERS} subscribers: {} acknowledged, {} \
         refused over {refusing:?}, accepted again {back:?} after the kill; {} acknowledged \
         publishes lost with the old primary; {complete} subscribers got every acknowledged \
         publish, {told} were told of a gap",
        acknowledged.len(),
        refused.len(),
        lost.len()
    );
    assert_eq!(complete + told, SUBSCRIBERS);
}
