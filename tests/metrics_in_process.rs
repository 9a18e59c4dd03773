//! What sse-runtime counts, read from a Prometheus recorder installed in
//! this test process: the cases the example's run under a real Prometheus
//! (tests/observability.rs) cannot reach from outside (a shutdown, a Redis
//! that goes away, a lagging subscriber, a hub dropped) or must not (a
//! replay timed as hub delay). The recorder is the process's, so each test
//! takes the lock and reads changes, not totals. Needs the `observability`
//! feature (`tests/run` turns it on).

use std::sync::OnceLock;
use std::time::Duration;

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use sse_runtime::Event;
use sse_runtime::hub::{Hub, HubConfig, HubError, LagPolicy};
use sse_test_support::outage::{RedisServer, Server};
use sse_test_support::request;
use tokio::sync::{Mutex, MutexGuard};

/// The process's recorder, installed on first use.
fn recorder() -> &'static PrometheusHandle {
    static RECORDER: OnceLock<PrometheusHandle> = OnceLock::new();
    RECORDER.get_or_init(|| {
        PrometheusBuilder::new()
            .install_recorder()
            .expect("the only recorder of this test process")
    })
}

/// One test at a time, the recorder installed: they share its series.
async fn one_at_a_time() -> MutexGuard<'static, ()> {
    recorder();
    static LOCK: Mutex<()> = Mutex::const_new(());
    LOCK.lock().await
}

/// The value of `series` (as Prometheus' text format names it), 0 if absent.
fn value(series: &str) -> f64 {
    let text = recorder().render();
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or(0.0)
}

/// Waits until `series` has changed by `change` since it was `before`.
async fn changed_by(series: &str, before: f64, change: f64) {
    let found = tokio::time::timeout(sse_test_support::PATIENCE, async {
        while value(series) - before != change {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    assert!(
        found.is_ok(),
        "{series} went from {before} to {}, not by {change}",
        value(series)
    );
}

const TOPICS: &str = r#"sse_hub_topics{backend="memory"}"#;
const PUBLISHES: &str = r#"sse_hub_publishes_total{backend="memory"}"#;
const DELAYS: &str = r#"sse_hub_delivery_delay_seconds_count{backend="memory"}"#;

#[tokio::test]
async fn a_hub_counts_its_lagging_subscribers_and_its_failures() {
    let _alone = one_at_a_time().await;
    let lagged = r#"sse_hub_lagged_total{backend="memory",policy="skip"}"#;
    let full = |operation: &str| {
        format!(
            r#"sse_hub_errors_total{{backend="memory",operation="{operation}",error="too_many_topics"}}"#
        )
    };
    let before = [
        value(lagged),
        value(&full("publish")),
        value(&full("subscribe")),
    ];
    let (topics, publishes) = (value(TOPICS), value(PUBLISHES));
    let hub = Hub::with_config(HubConfig {
        buffer: 4,
        replay: 0,
        lag: LagPolicy::Skip,
        max_topics: 1,
        ..HubConfig::default()
    });
    let mut slow = hub.subscribe("lobby", None).await.unwrap();
    for _ in 0..20 {
        hub.publish("lobby", &Event::data("x")).await.unwrap();
    }
    let notice = slow.next().await.expect("the lag notice");
    assert!(String::from_utf8_lossy(notice.as_bytes()).contains("lagged"));
    let refused = hub.publish("another", &Event::data("x")).await;
    assert!(
        matches!(refused, Err(HubError::TooManyTopics { .. })),
        "{refused:?}"
    );
    let refused = hub.subscribe("another", None).await;
    assert!(matches!(refused, Err(HubError::TooManyTopics { .. })));
    changed_by(lagged, before[0], 1.0).await;
    changed_by(&full("publish"), before[1], 1.0).await;
    changed_by(&full("subscribe"), before[2], 1.0).await;
    changed_by(PUBLISHES, publishes, 20.0).await;
    changed_by(TOPICS, topics, 1.0).await;
}

#[tokio::test]
async fn a_publish_once_answered_from_its_key_is_not_counted_again() {
    let _alone = one_at_a_time().await;
    let publishes = value(PUBLISHES);
    let hub = Hub::new();
    let event = Event::data("paid");
    let first = hub.publish_once("orders", "order-7", &event).await.unwrap();
    let retried = hub.publish_once("orders", "order-7", &event).await.unwrap();
    assert_eq!(first, retried);
    changed_by(PUBLISHES, publishes, 1.0).await;
}

#[tokio::test]
async fn the_topics_of_every_hub_add_up_and_leave_with_their_hub() {
    let _alone = one_at_a_time().await;
    let topics = value(TOPICS);
    let (one, two) = (Hub::new(), Hub::new());
    one.publish("a", &Event::data("x")).await.unwrap();
    two.publish("b", &Event::data("x")).await.unwrap();
    two.publish("c", &Event::data("x")).await.unwrap();
    changed_by(TOPICS, topics, 3.0).await;
    drop(two);
    changed_by(TOPICS, topics, 1.0).await;
    drop(one);
    changed_by(TOPICS, topics, 0.0).await;
}

#[tokio::test]
async fn a_replay_is_not_timed_as_hub_delay_and_live_messages_are() {
    let _alone = one_at_a_time().await;
    // 300 messages: the 1-in-16 sample cannot miss them all (the chance is
    // (15/16)^300, about 4e-9).
    let hub = Hub::new();
    let first = hub.publish("news", &Event::data("0")).await.unwrap();
    for n in 1..300 {
        hub.publish("news", &Event::data(n.to_string()))
            .await
            .unwrap();
    }
    let delays = value(DELAYS);
    let mut resumed = hub.subscribe("news", Some(first)).await.unwrap();
    for _ in 1..300 {
        resumed.next().await.expect("replayed");
    }
    assert_eq!(value(DELAYS), delays, "a replay is no hub delay");
    for n in 0..300 {
        hub.publish("news", &Event::data(n.to_string()))
            .await
            .unwrap();
        resumed.next().await.expect("live");
    }
    assert!(value(DELAYS) > delays, "live messages are sampled");
}

#[tokio::test]
async fn a_stream_ended_by_the_shutdown_is_counted_as_such() {
    use axum::routing::get;
    use sse_runtime::{Shutdown, SseResponse};
    let _alone = one_at_a_time().await;
    let (open, closed) = (
        r#"sse_streams_open{route="/farewell/{n}"}"#,
        r#"sse_streams_closed_total{route="/farewell/{n}",reason="shutdown"}"#,
    );
    let before = (value(open), value(closed));
    let app = axum::Router::new().route(
        "/farewell/{n}",
        get(
            |route: axum::extract::MatchedPath, shutdown: Shutdown| async move {
                SseResponse::new(futures_util::stream::pending::<Event>())
                    .route(route)
                    .shutdown(shutdown)
            },
        ),
    );
    let server = sse_test_support::serve(app, Shutdown::new()).await;
    let (_, mut client) = request(server.addr, "GET", "/farewell/1", &[]).await;
    client.read_until("\n\n").await;
    changed_by(open, before.0, 1.0).await;
    server.shutdown.trigger();
    client.read_to_end().await;
    changed_by(closed, before.1, 1.0).await;
    changed_by(open, before.0, 0.0).await;
}

/// What a hub on a server (`backend` its label) counts: the topic it
/// serves, a publish, a publish refused while the server is down, and the
/// reconnection once it is back; the topic leaves the gauge with the hub.
async fn a_hub_on_a_server_counts(backend: &str, hub: Hub, mut server: Box<dyn Server>) {
    let [topics, publishes, errors, reconnects] = [
        format!(r#"sse_hub_topics{{backend="{backend}"}}"#),
        format!(r#"sse_hub_publishes_total{{backend="{backend}"}}"#),
        format!(
            r#"sse_hub_errors_total{{backend="{backend}",operation="publish",error="backend"}}"#
        ),
        format!(r#"sse_hub_reconnects_total{{backend="{backend}"}}"#),
    ];
    let before = [&topics, &publishes, &errors, &reconnects].map(|name| value(name));
    let _subscribed = hub.subscribe("orders", None).await.unwrap();
    hub.publish("orders", &Event::data("one")).await.unwrap();
    changed_by(&topics, before[0], 1.0).await;
    changed_by(&publishes, before[1], 1.0).await;

    server.stop().await;
    let refused = hub.publish("orders", &Event::data("lost")).await;
    assert!(matches!(refused, Err(HubError::Backend(_))), "{refused:?}");
    changed_by(&errors, before[2], 1.0).await;
    server.restart().await;
    changed_by(&reconnects, before[3], 1.0).await;
    drop(hub);
    changed_by(&topics, before[0], 0.0).await;
}

fn outage_config() -> HubConfig {
    HubConfig {
        backend_timeout: Duration::from_millis(300),
        ..HubConfig::default()
    }
}

#[tokio::test]
async fn a_hub_on_redis_counts_its_failures_and_its_reconnects() {
    use sse_test_support::redis::Redis;
    let _alone = one_at_a_time().await;
    let Some(redis) = Redis::start_on_a_free_port().await else {
        return;
    };
    let hub = Hub::redis(&redis.url(), outage_config()).await.unwrap();
    a_hub_on_a_server_counts("redis", hub, Box::new(RedisServer::from(redis))).await;
}

#[tokio::test]
async fn a_hub_on_postgresql_counts_its_failures_and_its_reconnects() {
    use sse_test_support::postgres::Postgres;
    let _alone = one_at_a_time().await;
    let Some(postgres) = Postgres::start().await else {
        return;
    };
    let pool = sqlx::PgPool::connect(&postgres.url()).await.unwrap();
    let hub = Hub::postgres(pool, outage_config()).await.unwrap();
    a_hub_on_a_server_counts("postgres", hub, Box::new(postgres)).await;
}

#[tokio::test]
async fn a_response_without_a_route_is_labelled_unknown_and_its_pings_are_bytes_not_events() {
    use axum::routing::get;
    use sse_runtime::{KeepAlive, Shutdown, SseResponse};
    let _alone = one_at_a_time().await;
    let (events, bytes, pings) = (
        r#"sse_events_sent_total{route="unknown"}"#,
        r#"sse_sent_bytes_total{route="unknown"}"#,
        r#"sse_keep_alive_pings_total{route="unknown"}"#,
    );
    let before = [events, bytes, pings].map(value);
    // Built by hand, without `.route(..)`: a quiet stream that only pings.
    let app = axum::Router::new().route(
        "/quiet",
        get(|| async {
            SseResponse::new(futures_util::stream::pending::<Event>())
                .keep_alive(KeepAlive::every(Duration::from_millis(50)))
        }),
    );
    let server = sse_test_support::serve(app, Shutdown::new()).await;
    let (_, mut client) = request(server.addr, "GET", "/quiet", &[]).await;
    client.read_until(": ping\n\n").await;
    client.read_until(": ping\n\n").await;
    drop(client);
    // Two pings at least (each `: ping\n\n`, 8 bytes), after the opening
    // comment (`: \n\n`, 4 bytes); no event.
    let counted = tokio::time::timeout(sse_test_support::PATIENCE, async {
        while value(pings) - before[2] < 2.0 || value(bytes) - before[1] < 4.0 + 2.0 * 8.0 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    assert!(counted.is_ok(), "{}", recorder().render());
    assert_eq!(value(events), before[0], "pings are not events");
}

#[tokio::test]
async fn describe_gives_every_metric_its_help_text() {
    let _alone = one_at_a_time().await;
    sse_runtime::metrics::describe();
    // Prometheus' exporter prints help for the series it has.
    let hub = Hub::new();
    hub.publish("described", &Event::data("x")).await.unwrap();
    let text = recorder().render();
    for help in [
        "# HELP sse_hub_publishes_total Events stored by the hub (a publish_once answered from its key is not).",
        "# HELP sse_hub_topics Topics the hubs hold in this process.",
    ] {
        assert!(
            text.lines().any(|line| line == help),
            "no {help:?} in\n{text}"
        );
    }
}
