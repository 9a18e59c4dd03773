//! The hub's Redis backend with a real `redis-server` (started here on a free
//! port, no persistence) and two processes of the `chat` example: delivery
//! across processes, resume after moving between them and after one is
//! killed, and a Redis restart; and the resume race on Redis. Without
//! `redis-server` these tests fail, unless `SSE_SKIP_REDIS_TESTS=1` skips
//! them on purpose.

use std::net::SocketAddr;
use std::time::Duration;

use sse_runtime::hub::{Hub, HubConfig};
use sse_test_support::redis::Redis;
use sse_test_support::{Client, Example, PATIENCE, post_form, request};

/// Reads one chat message from `client`; returns its id and text.
async fn next_chat(client: &mut Client) -> (u64, String) {
    let block = client.read_until("\n\n").await;
    if !block.contains("event: chat") {
        // The opening `retry:` line, or a ping.
        return Box::pin(next_chat(client)).await;
    }
    let id = block
        .lines()
        .find_map(|line| line.strip_prefix("id: "))
        .expect("an id")
        .parse()
        .unwrap();
    let data = block
        .lines()
        .find_map(|line| line.strip_prefix("data: "))
        .unwrap();
    let chat: serde_json::Value = serde_json::from_str(data).unwrap();
    (id, chat["text"].as_str().unwrap().to_owned())
}

async fn say(server: SocketAddr, text: &str) -> u64 {
    let (status, body) = post_form(server, "/send", &format!("name=test&text={text}")).await;
    assert_eq!(status, 200, "{body}");
    body.trim().parse().unwrap()
}

#[tokio::test]
async fn two_processes_share_a_room_through_redis() {
    let Some(redis) = Redis::start_on_a_free_port().await else {
        return;
    };
    let env = [("REDIS_URL", redis.url())];
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let a = Example::start_with("chat", &env).await;
    let b = Example::start_with("chat", &env).await;

    // Posted to B, read on A.
    let (_, mut on_a) = request(a.addr, "GET", "/events", &[]).await;
    on_a.read_until("retry: 1000\n\n").await;
    let first = say(b.addr, "hello").await;
    assert_eq!(next_chat(&mut on_a).await, (first, "hello".into()));

    // The client moves from A to B, missing one message on the way.
    drop(on_a);
    let missed = say(a.addr, "while+moving").await;
    let last = first.to_string();
    let (_, mut on_b) = request(b.addr, "GET", "/events", &[("last-event-id", &last)]).await;
    assert_eq!(next_chat(&mut on_b).await, (missed, "while moving".into()));
    drop(on_b);

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

    // Redis goes away: publishing fails clearly, readers stay connected, and
    // once Redis is back they receive new messages without reconnecting.
    let port = redis.port();
    redis.stop().await;
    let (status, body) = post_form(b.addr, "/send", "name=test&text=lost").await;
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("unavailable"), "{body}");
    let redis = Redis::start(port).await.expect("redis-server restarts");
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resume_has_no_gap_and_no_duplicate_while_publishes_race_on_redis() {
    let Some(redis) = Redis::start_on_a_free_port().await else {
        return;
    };
    let config = HubConfig {
        replay: 20_000,
        buffer: 20_000,
        ..HubConfig::default()
    };
    let hub = Hub::redis(&redis.url(), config).await.expect("connected");
    let checked = sse_test_support::hub::check_resume_races(&hub, "race", 2_000).await;
    assert!(checked > 0);
    eprintln!("{checked} resumes crossed the replay/live join on Redis");
    redis.stop().await;
}
