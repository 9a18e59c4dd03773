//! The hub's Redis backend with a real `redis-server` (started here on a free
//! port, no persistence) and two processes of the `chat` example: delivery
//! across processes, resume after moving between them and after one is
//! killed, and a Redis restart (the contract every backend keeps, the resume
//! race among it, is `tests/hub_contract.rs`). Without
//! `redis-server` these tests fail, unless `SSE_SKIP_REDIS_TESTS=1` skips
//! them on purpose.

use std::net::SocketAddr;
use std::time::Duration;

use sse_runtime::Event;
use sse_runtime::hub::{Hub, HubConfig, Resume};
use sse_test_support::chat::{check_two_processes_share_a_room, next_chat, say};
use sse_test_support::redis::Redis;
use sse_test_support::{Example, PATIENCE, post_form, request};

#[tokio::test]
async fn two_processes_share_a_room_through_redis() {
    let Some(redis) = Redis::start_on_a_free_port().await else {
        return;
    };
    let env = [("REDIS_URL", redis.url())];
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let a = Example::start_with("chat", &env).await;
    let b = Example::start_with("chat", &env).await;

    let (_, missed) = check_two_processes_share_a_room(a.addr, b.addr).await;

    // A client on A when A is killed: it resumes on B with nothing lost.
    let (_, mut on_a) = request(
        a.addr,
        "GET",
        "/events",
        &[("last-event-id", &missed.to_string())],
    )
    .await;
    on_a.read_until("retry: 1000\n\n").await;
    let seen = say(b.addr, "before+crash").await;
    assert_eq!(next_chat(&mut on_a).await, (seen, "before crash".into()));
    let mut a = a;
    a.child.kill().await.unwrap();
    on_a.wait_closed().await;
    let after = say(b.addr, "after+crash").await;
    let (_, mut moved) = request(
        b.addr,
        "GET",
        "/events",
        &[("last-event-id", &seen.to_string())],
    )
    .await;
    assert_eq!(next_chat(&mut moved).await, (after, "after crash".into()));

    // Redis goes away and comes back empty (no persistence): publishing
    // fails clearly meanwhile. Once it is back, the hub cannot know what
    // Redis lost with its memory (what it had not passed on when it died),
    // so the reader's stream ends (the chat's hub disconnects on a gap) and
    // the client resumes with its `Last-Event-ID`, as a browser does: it is
    // told messages are gone, then receives new ones.
    let port = redis.port();
    redis.stop().await;
    let (status, body) = post_form(b.addr, "/send", "name=test&text=lost").await;
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("unavailable"), "{body}");
    let redis = Redis::start(port).await.expect("redis-server restarts");
    moved.read_to_end().await;
    let (_, mut moved) = request(
        b.addr,
        "GET",
        "/events",
        &[("last-event-id", &after.to_string())],
    )
    .await;
    moved.read_until("event: reset\n").await;
    let back = tokio::time::timeout(PATIENCE, async {
        loop {
            let (status, body) = post_form(b.addr, "/send", "name=test&text=back").await;
            if status == 200 {
                return body.trim().parse::<u64>().unwrap();
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await
    .expect("publishing works again once Redis is back");
    let (id, text) = next_chat(&mut moved).await;
    assert_eq!((id, text.as_str()), (back, "back"));
    b.terminate().await;
    redis.stop().await;
}

/// A plain connection to `redis`, for the test's own commands.
async fn connect(redis: &Redis) -> redis::aio::MultiplexedConnection {
    redis::Client::open(redis.url())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap()
}

/// Waits until Redis's clock is past the millisecond of the hub id `id`
/// (`ms << 20 | seq`), so that a new stream's ids come after it.
async fn redis_clock_passes(connection: &mut redis::aio::MultiplexedConnection, id: u64) {
    let ms = id >> 20;
    tokio::time::timeout(PATIENCE, async {
        loop {
            let (seconds, micros): (u64, u64) = redis::cmd("TIME")
                .query_async(&mut *connection)
                .await
                .unwrap();
            if seconds * 1_000 + micros / 1_000 > ms {
                return;
            }
            tokio::task::yield_now().await;
        }
    })
    .await
    .expect("Redis's clock moves on");
}

/// How many entries the stream of `topic` holds.
async fn stream_length(connection: &mut redis::aio::MultiplexedConnection, topic: &str) -> usize {
    redis::cmd("XLEN")
        .arg(format!("sse:{topic}"))
        .query_async(connection)
        .await
        .unwrap()
}

/// How many clients `redis` has connected.
async fn clients(connection: &mut redis::aio::MultiplexedConnection) -> usize {
    let list: String = redis::cmd("CLIENT")
        .arg("LIST")
        .query_async(connection)
        .await
        .unwrap();
    list.lines().count()
}

/// Waits until `check` holds, failing after `PATIENCE`.
async fn eventually<F: AsyncFnMut() -> bool>(what: &str, mut check: F) {
    let held = tokio::time::timeout(PATIENCE, async {
        while !check().await {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    assert!(held.is_ok(), "{what}");
}

#[tokio::test]
async fn many_topics_share_one_connection_and_are_released() {
    let Some(redis) = Redis::start_on_a_free_port().await else {
        return;
    };
    let mut admin = connect(&redis).await;
    let before = clients(&mut admin).await;
    let hub = Hub::redis(&redis.url(), HubConfig::default())
        .await
        .expect("connected");
    let mut subscriptions = Vec::new();
    for room in 0..500 {
        subscriptions.push(hub.subscribe(&format!("room-{room}"), None).await.unwrap());
    }
    assert_eq!(hub.topic_count(), 500);
    // The hub's publishing connection and its one Pub/Sub connection.
    assert_eq!(
        clients(&mut admin).await - before,
        2,
        "connections for 500 topics"
    );
    let publisher = Hub::redis(&redis.url(), HubConfig::default())
        .await
        .unwrap();
    let id = publisher
        .publish("room-250", &sse_runtime::Event::data("x"))
        .await
        .unwrap();
    let got = tokio::time::timeout(PATIENCE, subscriptions[250].next())
        .await
        .expect("in time")
        .expect("open");
    assert_eq!(got.id(), id);

    drop(subscriptions);
    eventually("every topic released", async || hub.topic_count() == 0).await;
    eventually("every channel unsubscribed", async || {
        let channels: Vec<String> = redis::cmd("PUBSUB")
            .arg("CHANNELS")
            .arg("sse:*")
            .query_async(&mut admin)
            .await
            .unwrap();
        channels.is_empty()
    })
    .await;
    redis.stop().await;
}

/// Publishes `count` events to `topic`; returns their ids.
async fn publish_many(hub: &Hub, topic: &str, count: usize) -> Vec<u64> {
    let mut ids = Vec::new();
    for n in 0..count {
        let event = sse_runtime::Event::data(n.to_string());
        ids.push(hub.publish(topic, &event).await.expect("published"));
    }
    ids
}

#[tokio::test]
async fn resume_after_redis_lost_its_data_is_a_gap() {
    use sse_runtime::hub::Resume;
    let Some(redis) = Redis::start_on_a_free_port().await else {
        return;
    };
    let hub = Hub::redis(&redis.url(), HubConfig::default())
        .await
        .unwrap();
    let seen = publish_many(&hub, "t", 3).await;
    let last = seen[1];

    // FLUSHALL: the history the id came from is gone. Redis numbers a new
    // stream's entries from its clock's millisecond, as the old ones were:
    // published in the same millisecond, the new history would reuse the old
    // one's ids and nothing could tell them apart. A restart or a failover
    // takes longer than that; here, Redis's own clock is waited for.
    let mut admin = connect(&redis).await;
    redis::cmd("FLUSHALL")
        .query_async::<()>(&mut admin)
        .await
        .unwrap();
    redis_clock_passes(&mut admin, seen[2]).await;
    let after = publish_many(&hub, "t", 250).await;
    let mut resumed = hub.subscribe("t", Some(last)).await.unwrap();
    assert_eq!(resumed.resume(), Resume::Gap { missed: None });
    let mut replayed = Vec::new();
    for _ in 0..250 {
        replayed.push(resumed.next().await.unwrap().id());
    }
    assert_eq!(replayed, after, "what Redis holds now, replayed");
    // An id of this history still resumes completely.
    assert_eq!(
        hub.subscribe("t", Some(after[100])).await.unwrap().resume(),
        Resume::Complete
    );

    // Killed (SIGKILL) and restarted empty, with no persistence.
    let last = after[249];
    let port = redis.port();
    redis.stop().await;
    let redis = Redis::start(port).await.expect("restarted");
    let hub = Hub::redis(&redis.url(), HubConfig::default())
        .await
        .unwrap();
    assert!(
        matches!(
            hub.subscribe("t", Some(last)).await.unwrap().resume(),
            Resume::Unknown { .. }
        ),
        "an empty stream cannot place the id"
    );
    publish_many(&hub, "t", 5).await;
    assert_eq!(
        hub.subscribe("t", Some(last)).await.unwrap().resume(),
        Resume::Gap { missed: None }
    );
    redis.stop().await;
}

/// What a typed topic carries in these tests.
#[derive(serde::Serialize, sse_runtime::SseEvent)]
struct Price {
    cents: u64,
}

/// A typed topic on Redis: its items are the published bytes, shared by
/// both hubs (two processes' worth), and a resume Redis cannot complete
/// opens with a `reset`, as in memory (`tests/typed_topics.rs`).
#[tokio::test]
async fn a_typed_topic_on_redis_carries_its_type_and_resets_after_lost_data() {
    use sse_runtime::hub::Topic;
    let Some(redis) = Redis::start_on_a_free_port().await else {
        return;
    };
    let publisher = Hub::redis(&redis.url(), HubConfig::default())
        .await
        .unwrap();
    let subscriber = Hub::redis(&redis.url(), HubConfig::default())
        .await
        .unwrap();
    let prices: Topic<Price> = publisher.topic("ACME");
    let mut live = subscriber
        .topic::<Price>("ACME")
        .subscribe(None)
        .await
        .unwrap();
    let first = prices.publish(&Price { cents: 1250 }).await.unwrap();
    let item = tokio::time::timeout(PATIENCE, live.next())
        .await
        .expect("in time")
        .expect("open");
    assert!(item.as_reset().is_none());
    assert_eq!(item.id(), Some(first));
    let mut bytes = Vec::new();
    let mut writer = sse_runtime::EventWriter::new(sse_runtime::LineEnding::Lf);
    writer.write(&item).unwrap();
    bytes.extend_from_slice(writer.as_bytes());
    assert!(
        String::from_utf8_lossy(&bytes).ends_with("data: {\"cents\":1250}\n\n"),
        "{:?}",
        String::from_utf8_lossy(&bytes)
    );

    let mut admin = connect(&redis).await;
    redis::cmd("FLUSHALL")
        .query_async::<()>(&mut admin)
        .await
        .unwrap();
    redis_clock_passes(&mut admin, first).await;
    prices.publish(&Price { cents: 1300 }).await.unwrap();
    let mut resumed = subscriber
        .topic::<Price>("ACME")
        .subscribe(Some(first))
        .await
        .unwrap();
    let reset = resumed.next().await.unwrap();
    assert_eq!(
        reset
            .as_reset()
            .map(|reset| (reset.reason(), reset.missed())),
        Some(("gap", None))
    );
    assert!(resumed.next().await.unwrap().as_reset().is_none());
    redis.stop().await;
}

/// A TCP proxy in front of Redis that, once armed, swallows the next reply
/// Redis sends on any connection and cuts that connection: the command was
/// carried out, its caller never learns.
struct ReplyCutter {
    addr: SocketAddr,
    armed: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl ReplyCutter {
    async fn start(redis: SocketAddr) -> ReplyCutter {
        use std::sync::atomic::Ordering;
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let armed = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let armed_ = armed.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let server = tokio::net::TcpStream::connect(redis).await.unwrap();
                let (mut client_read, mut client_write) = client.into_split();
                let (mut server_read, mut server_write) = server.into_split();
                tokio::spawn(async move {
                    let _ = tokio::io::copy(&mut client_read, &mut server_write).await;
                });
                let armed = armed_.clone();
                tokio::spawn(async move {
                    let mut buf = vec![0u8; 64 * 1024];
                    loop {
                        let Ok(read) = server_read.read(&mut buf).await else {
                            return;
                        };
                        if read == 0 {
                            return;
                        }
                        if armed.swap(false, Ordering::SeqCst) {
                            // Dropping both halves closes the client's side.
                            return;
                        }
                        if client_write.write_all(&buf[..read]).await.is_err() {
                            return;
                        }
                    }
                });
            }
        });
        ReplyCutter { addr, armed }
    }

    fn url(&self) -> String {
        format!("redis://{}", self.addr)
    }

    fn cut_next_reply(&self) {
        self.armed.store(true, std::sync::atomic::Ordering::SeqCst);
    }
}

#[tokio::test]
async fn a_publish_whose_reply_was_lost_is_stored_once_when_retried_with_its_key() {
    let Some(redis) = Redis::start_on_a_free_port().await else {
        return;
    };
    let cutter = ReplyCutter::start(SocketAddr::from(([127, 0, 0, 1], redis.port()))).await;
    let hub = Hub::redis(&cutter.url(), HubConfig::default())
        .await
        .unwrap();
    let event = sse_runtime::Event::data("pay 10 EUR");
    // Loads the script, so the cut publish is the one command.
    hub.publish_once("payments", "warm-up", &event)
        .await
        .unwrap();

    cutter.cut_next_reply();
    let lost = hub.publish_once("payments", "payment-42", &event).await;
    assert!(
        matches!(lost, Err(sse_runtime::hub::HubError::Backend(_))),
        "{lost:?}"
    );
    let message = lost.unwrap_err().to_string();
    assert!(message.contains("may or may not"), "{message}");
    let mut admin = connect(&redis).await;
    assert_eq!(
        stream_length(&mut admin, "payments").await,
        2,
        "Redis stored it although the publish failed"
    );

    // The retry finds the key: the same id, nothing stored again.
    let retried = hub
        .publish_once("payments", "payment-42", &event)
        .await
        .unwrap();
    let newest: Vec<redis::streams::StreamId> = redis::cmd("XREVRANGE")
        .arg("sse:payments")
        .arg("+")
        .arg("-")
        .arg("COUNT")
        .arg(1)
        .query_async::<redis::streams::StreamRangeReply>(&mut admin)
        .await
        .unwrap()
        .ids;
    let (ms, seq) = newest[0].id.split_once('-').unwrap();
    let newest_id = ms.parse::<u64>().unwrap() << 20 | seq.parse::<u64>().unwrap();
    assert_eq!(retried, newest_id, "the id it was stored under");
    assert_eq!(
        stream_length(&mut admin, "payments").await,
        2,
        "stored once"
    );
    // Another key is another message.
    hub.publish_once("payments", "payment-43", &event)
        .await
        .unwrap();
    assert_eq!(stream_length(&mut admin, "payments").await, 3);
    redis.stop().await;
}

/// What the outage test saw.
struct Outage {
    /// Ids whose publish was acknowledged, in order.
    acknowledged: Vec<u64>,
    /// Acknowledged publishes no subscriber got: Redis lost them (the last
    /// ones before it was killed, not yet passed on); each subscriber was
    /// told of the gap.
    lost: usize,
    /// Whether the subscribers were told of a gap.
    told_of_a_gap: bool,
    /// Publishes refused while Redis was away.
    refused: usize,
    /// Publishes acknowledged while it was away (none can be), and in the
    /// seconds after it came back.
    during: usize,
    after: usize,
    /// Connections the hub attempted per second while Redis was away.
    attempts_per_second: f64,
    /// Refused publishes that Redis stored all the same.
    stored_though_refused: usize,
}

/// 200 subscribers, publishes at about 1,000/s; Redis is killed (SIGKILL),
/// its port held by a listener counting the hub's connection attempts for
/// `away`, then Redis starts again (`restart`). Publishing goes on for
/// three seconds after; then every subscriber must have every acknowledged id
/// exactly once, in order, but for what Redis lost with its memory: a Redis
/// without persistence loses the entries it had acknowledged and not yet
/// passed on when it was killed (the last ones before the outage), and then
/// each subscriber must have been told of the gap, where they were.
async fn outage_under_load<F, Fut>(redis: Redis, away: Duration, restart: F) -> (Outage, Redis)
where
    F: FnOnce(u16) -> Fut,
    Fut: std::future::Future<Output = Redis>,
{
    // The subscribers are read at the end: the buffer holds every publish,
    // and the streams keep what is published while the hub reconnects. A
    // gap is an `event: lagged` notice (no id) in the stream, not its end.
    let config = HubConfig {
        buffer: 20_000,
        replay: 20_000,
        lag: sse_runtime::hub::LagPolicy::Skip,
        ..HubConfig::default()
    };
    let hub = Hub::redis(&redis.url(), config).await.unwrap();
    let mut subscribers = Vec::new();
    for _ in 0..200 {
        subscribers.push(hub.subscribe("load", None).await.unwrap());
    }
    let publishing = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let acknowledged = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let publisher = {
        let (hub, publishing) = (hub.clone(), publishing.clone());
        let acknowledged = acknowledged.clone();
        tokio::spawn(async move {
            let mut refused = 0;
            let mut tick = tokio::time::interval(Duration::from_millis(1));
            // At most 1,000/s: no burst to make up for ticks a refused
            // publish waited through.
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
            let mut n = 0u64;
            while publishing.load(std::sync::atomic::Ordering::SeqCst) {
                tick.tick().await;
                n += 1;
                let event = sse_runtime::Event::data(n.to_string());
                let started = std::time::Instant::now();
                match hub.publish("load", &event).await {
                    Ok(id) => acknowledged.lock().unwrap().push((id, started)),
                    Err(sse_runtime::hub::HubError::Backend(_)) => refused += 1,
                    Err(error) => panic!("{error}"),
                }
            }
            refused
        })
    };
    tokio::time::sleep(Duration::from_millis(500)).await;

    let port = redis.port();
    redis.stop().await;
    let killed = std::time::Instant::now();
    let holder = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .unwrap();
    let attempts = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let counting = {
        let attempts = attempts.clone();
        tokio::spawn(async move {
            while let Ok((socket, _)) = holder.accept().await {
                attempts.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                drop(socket);
            }
        })
    };
    tokio::time::sleep(away).await;
    counting.abort();
    let _ = counting.await;
    let attempts = attempts.load(std::sync::atomic::Ordering::SeqCst);
    // What was acknowledged before the outage: everything acknowledged
    // before Redis came back, since a dead Redis acknowledges nothing. (Not
    // what had been counted when the kill returned: a reply read just before
    // the kill may reach the publisher's list just after.)
    let before_outage = acknowledged.lock().unwrap().len();
    // Publishes started once Redis was dead and acknowledged all the same:
    // none can be.
    let during = acknowledged.lock().unwrap()[..before_outage]
        .iter()
        .filter(|(_, started)| *started > killed)
        .count();
    let redis = restart(port).await;
    let after_outage = acknowledged.lock().unwrap().len();
    tokio::time::sleep(Duration::from_secs(3)).await;
    publishing.store(false, std::sync::atomic::Ordering::SeqCst);
    let refused = publisher.await.unwrap();
    let acknowledged: Vec<u64> = std::mem::take(&mut *acknowledged.lock().unwrap())
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    let known: std::collections::HashSet<u64> = acknowledged.iter().copied().collect();
    let mut stored_though_refused = 0;
    let (mut lost, mut told_of_a_gap) = (0, false);
    let before: std::collections::HashSet<u64> =
        acknowledged[..before_outage].iter().copied().collect();
    for (index, subscriber) in subscribers.iter_mut().enumerate() {
        let mut got = Vec::new();
        // The id each gap notice came after.
        let mut gaps = Vec::new();
        while got.last() != acknowledged.last() {
            let message = tokio::time::timeout(PATIENCE, subscriber.next())
                .await
                .unwrap_or_else(|_| {
                    panic!(
                        "subscriber {index} got {} of {}",
                        got.len(),
                        acknowledged.len()
                    )
                })
                .expect("the stream stays open");
            if message.id() == 0 {
                assert_eq!(message.as_bytes(), b"event: lagged\ndata: unknown\n\n");
                gaps.push(got.last().copied());
                continue;
            }
            got.push(message.id());
        }
        // A refused publish may have been stored (its reply was what got
        // lost): such a message is delivered too, and is the only extra.
        assert!(
            got.is_sorted_by(|a, b| a < b),
            "subscriber {index}: in order, once"
        );
        let extra = got.iter().filter(|id| !known.contains(id)).count();
        assert!(
            extra <= refused,
            "subscriber {index}: {extra} unacknowledged"
        );
        stored_though_refused = extra;
        // The last message it had before the outage, acknowledged or one
        // whose reply the kill cut (stored, delivered, then lost with Redis).
        let after: std::collections::HashSet<u64> =
            acknowledged[before_outage..].iter().copied().collect();
        let last_had = got.iter().rev().find(|id| !after.contains(id)).copied();
        got.retain(|id| known.contains(id));
        // What is missing must be the tail of what was acknowledged before
        // the outage, and the gap notice where it would have been.
        let kept_before = got.iter().filter(|id| before.contains(id)).count();
        let missing = &acknowledged[kept_before..before_outage];
        let expected: Vec<u64> = acknowledged[..kept_before]
            .iter()
            .chain(&acknowledged[before_outage..])
            .copied()
            .collect();
        assert!(
            got == expected,
            "subscriber {index}: every acknowledged publish Redis kept, exactly once, in order; \
             {}",
            difference(&got, &expected, &acknowledged, before_outage)
        );
        if !gaps.is_empty() || !missing.is_empty() {
            assert!(
                gaps == [last_had] && last_had.is_some(),
                "subscriber {index}: {} acknowledged publishes lost, and one gap notice after \
                 the last id it got before the outage ({last_had:?}): notices after {gaps:?}",
                missing.len()
            );
        }
        (lost, told_of_a_gap) = (missing.len(), !gaps.is_empty());
    }
    let outage = Outage {
        during,
        after: acknowledged.len() - after_outage,
        acknowledged,
        lost,
        told_of_a_gap,
        refused,
        attempts_per_second: attempts as f64 / away.as_secs_f64(),
        stored_though_refused,
    };
    (outage, redis)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_stops_for_five_seconds_under_load_without_persistence() {
    let Some(redis) = Redis::start_on_a_free_port().await else {
        return;
    };
    let (outage, redis) = outage_under_load(redis, Duration::from_secs(5), async |port| {
        Redis::start(port).await.expect("restarted")
    })
    .await;
    report_and_check(&outage);
    // Redis came back without its history: the hub cannot know what it lost
    // (the last publishes before it was killed, if they had not yet been
    // passed on), so every subscriber is told.
    assert!(outage.told_of_a_gap, "the subscribers were told of the gap");
    redis.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_stops_for_five_seconds_under_load_with_persistence() {
    let dir = std::env::temp_dir().join(format!("sse-redis-aof-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let Some(redis) = Redis::start_persistent(sse_test_support::redis::free_port(), &dir).await
    else {
        return;
    };
    let (outage, redis) = outage_under_load(redis, Duration::from_secs(5), async |port| {
        Redis::start_persistent(port, &dir)
            .await
            .expect("restarted")
    })
    .await;
    report_and_check(&outage);
    // Every acknowledged write was on disk: nothing lost, no gap.
    assert_eq!(
        (outage.lost, outage.told_of_a_gap),
        (0, false),
        "with persistence, nothing lost"
    );
    redis.stop().await;
    let _ = std::fs::remove_dir_all(&dir);
}

/// Where `got` first differs from `expected`, with the ids around it and
/// their places among the acknowledged (a list of thousands of ids printed
/// whole is cut off before it shows anything).
fn difference(got: &[u64], expected: &[u64], acknowledged: &[u64], before_outage: usize) -> String {
    let at = got
        .iter()
        .zip(expected)
        .position(|(a, b)| a != b)
        .unwrap_or(got.len().min(expected.len()));
    let place = |id: Option<&u64>| {
        id.map(|id| match acknowledged.iter().position(|a| a == id) {
            Some(place) => format!("{id} (acknowledged #{place})"),
            None => format!("{id} (not acknowledged)"),
        })
    };
    format!(
        "got {} ids, expected {}; first difference at {at}: got {:?}, expected {:?}, after \
         {:?}; {before_outage} acknowledged before the outage",
        got.len(),
        expected.len(),
        place(got.get(at)),
        place(expected.get(at)),
        at.checked_sub(1).and_then(|before| place(got.get(before))),
    )
}

fn report_and_check(outage: &Outage) {
    eprintln!(
        "{} publishes acknowledged, {} of them lost with Redis's memory ({}), the rest delivered \
         once to each of 200 subscribers ({} in the 3 s after Redis came back); {} refused \
         during the outage ({} of them stored all the same); {:.1} connection attempts per \
         second while Redis was away",
        outage.acknowledged.len(),
        outage.lost,
        if outage.told_of_a_gap {
            "each subscriber told of the gap"
        } else {
            "no gap"
        },
        outage.after,
        outage.refused,
        outage.stored_though_refused,
        outage.attempts_per_second
    );
    assert_eq!(
        outage.during, 0,
        "nothing acknowledged while Redis was away"
    );
    // Refused promptly (within `backend_timeout`, 2 s): at least two in 5 s.
    assert!(outage.refused >= 2, "{} refused", outage.refused);
    assert!(outage.after > 500, "publishing resumed: {}", outage.after);
    assert!(outage.acknowledged.len() > 500, "publishing went on");
    // Backoff, not a storm: the reader's and the publisher's reconnects
    // only, however many publishes fail meanwhile.
    assert!(
        outage.attempts_per_second <= 10.0,
        "{:.1} connection attempts per second",
        outage.attempts_per_second
    );
}

#[tokio::test]
async fn subscribers_learn_of_entries_the_hub_could_not_read_back() {
    use sse_runtime::hub::LagPolicy;
    let Some(redis) = Redis::start_on_a_free_port().await else {
        return;
    };
    // The stream keeps about 10 entries; 300 are published while the hub's
    // Pub/Sub connection is down, so it cannot read them all back.
    let config = |lag| HubConfig {
        replay: 10,
        lag,
        ..HubConfig::default()
    };
    let hub = Hub::redis(&redis.url(), config(LagPolicy::Disconnect))
        .await
        .unwrap();
    let skipping = Hub::redis(&redis.url(), config(LagPolicy::Skip))
        .await
        .unwrap();
    let publisher = Hub::redis(&redis.url(), config(LagPolicy::Skip))
        .await
        .unwrap();
    let mut ending = hub.subscribe("t", None).await.unwrap();
    let mut told = skipping.subscribe("t", None).await.unwrap();
    let mut admin = connect(&redis).await;
    let killed: usize = redis::cmd("CLIENT")
        .arg("KILL")
        .arg("TYPE")
        .arg("pubsub")
        .query_async(&mut admin)
        .await
        .unwrap();
    assert_eq!(killed, 2, "both hubs' Pub/Sub connections");
    // All at once (one pipeline on the publisher's connection), so they are
    // stored and trimmed well within the reader's first reconnect delay.
    let published: Vec<u64> = futures_util::future::join_all((0..300).map(|n| {
        let event = sse_runtime::Event::data(n.to_string());
        let publisher = publisher.clone();
        async move { publisher.publish("t", &event).await.expect("published") }
    }))
    .await;
    // Under `Disconnect` the stream ends, so the client resumes and learns
    // of the gap from `resume()`.
    let ended =
        tokio::time::timeout(PATIENCE, async { while ending.next().await.is_some() {} }).await;
    assert!(ended.is_ok(), "the stream ended");
    // Under `Skip`: `event: lagged` with `unknown`, then what the stream
    // still held.
    let first = tokio::time::timeout(PATIENCE, told.next())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(first.as_bytes(), b"event: lagged\ndata: unknown\n\n");
    let next = told.next().await.unwrap();
    assert!(
        published.contains(&next.id()),
        "one of those the stream kept"
    );
    redis.stop().await;
}

#[tokio::test]
async fn ids_can_name_their_topic_on_redis() {
    let Some(redis) = Redis::start_on_a_free_port().await else {
        return;
    };
    let config = HubConfig {
        topic_in_ids: true,
        ..HubConfig::default()
    };
    let hub = Hub::redis(&redis.url(), config).await.unwrap();
    sse_test_support::hub::check_ids_name_their_topic(&hub).await;
    let mut connection = connect(&redis).await;
    assert_eq!(
        stream_length(&mut connection, "a\nid: 9").await,
        0,
        "nothing stored"
    );
    redis.stop().await;
}

/// An id within the stream's range that the stream does not hold, as after a
/// failover to a replica that had not received it: a resume from it is a
/// gap, never a position (the entries after it are replayed all the same).
#[tokio::test]
async fn an_id_the_stream_lost_resumes_as_a_gap() {
    let Some(redis) = Redis::start_on_a_free_port().await else {
        return;
    };
    let hub = Hub::redis(&redis.url(), HubConfig::default())
        .await
        .unwrap();
    let mut ids = Vec::new();
    for n in 0..3 {
        ids.push(
            hub.publish("lost", &Event::data(n.to_string()))
                .await
                .unwrap(),
        );
    }
    // The stream as a replica that missed the second entry holds it.
    let mut connection = connect(&redis).await;
    let _: () = redis::cmd("DEL")
        .arg("sse:lost")
        .query_async(&mut connection)
        .await
        .unwrap();
    for (n, id) in [(0, ids[0]), (2, ids[2])] {
        let _: String = redis::cmd("XADD")
            .arg("sse:lost")
            .arg(format!("{}-{}", id >> 20, id & ((1 << 20) - 1)))
            .arg("e")
            .arg(format!("data: {n}\n"))
            .query_async(&mut connection)
            .await
            .unwrap();
    }

    let mut resumed = hub.subscribe("lost", Some(ids[1])).await.unwrap();
    assert_eq!(resumed.resume(), Resume::Gap { missed: None });
    let replayed = resumed.next().await.expect("the rest replayed");
    assert_eq!(replayed.id(), ids[2]);
    // The ids the stream holds still resume completely.
    let complete = hub.subscribe("lost", Some(ids[0])).await.unwrap();
    assert_eq!(complete.resume(), Resume::Complete);
    redis.stop().await;
}
