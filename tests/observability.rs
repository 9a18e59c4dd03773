//! The `observability` example as its operators see it: a real Prometheus
//! scrapes it while streams open and end by each reason a client can cause
//! and a hub fans out, and every figure is read back through Prometheus'
//! query API; the README's queries are run there too. Then the drain: `/ready`
//! fails within 100 ms of SIGTERM while a stream goes on, then gets its
//! farewell. Needs the `observability` feature (`tests/run` turns it on).

use std::time::{Duration, Instant};

use sse_test_support::prometheus::Prometheus;
use sse_test_support::{Client, Example, request, request_small_buffer, request_with_body};

const ROOT: &str = r#"route="/""#;
const JOBS: &str = r#"route="/jobs/{steps}""#;
const ROOMS: &str = r#"route="/rooms/{room}""#;

/// How many messages the test publishes to the room, each of `MESSAGE` bytes:
/// enough that a client reading nothing stalls the server's writes, and that
/// the 1-in-16 delivery sample cannot miss them all.
const PUBLISHES: usize = 300;
const MESSAGE: usize = 16 * 1024;

async fn status(example: &Example, path: &str) -> u16 {
    request(example.addr, "GET", path, &[("connection", "close")])
        .await
        .0
        .status
}

/// `PromQL` in README.md's "Metrics" section, one query a line.
fn readme_queries() -> Vec<String> {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let section = readme
        .split_once("\n```promql\n")
        .expect("README.md has a ```promql block")
        .1;
    let block = section.split_once("\n```").unwrap().0;
    block
        .lines()
        .filter(|line| !line.trim().is_empty() && !line.starts_with('#'))
        .map(str::to_owned)
        .collect()
}

#[tokio::test]
async fn prometheus_scrapes_every_figure_of_streams_and_the_hub() {
    let example = Example::start_with(
        "observability",
        &[
            ("MAX_STREAM_SECONDS", "1"),
            ("SEND_TIMEOUT_MS", "500"),
            ("MAX_ROOM_STREAMS", "2"),
            ("PING_SECONDS", "1"),
        ],
    )
    .await;
    let Some(prometheus) = Prometheus::scraping(example.addr).await else {
        return;
    };
    let addr = example.addr;
    let value = |promql: String, holds: fn(f64) -> bool| {
        let prometheus = &prometheus;
        async move { prometheus.value_once(&promql, holds).await }
    };

    // Two streams on `/`: one leaves (client_gone); the other lives its
    // max_duration.
    let mut leaving = request(addr, "GET", "/", &[]).await.1;
    let mut staying = request(addr, "GET", "/", &[("last-event-id", "41")])
        .await
        .1;
    leaving.read_until("data: 1\n").await;
    staying.read_until("data: 42\n").await;
    drop(leaving);
    staying.read_to_end().await;

    // A job that completes (3 events), one that fails at its second step.
    let mut done = request(addr, "GET", "/jobs/3", &[]).await.1;
    assert!(done.read_to_end().await.ends_with("data: 3\n\n"));
    let mut failed = request(addr, "GET", "/jobs/3?fail_at=2", &[]).await.1;
    failed.read_to_end().await;

    // Each stream's span, with OpenTelemetry's names, and its outcome.
    for span in [
        r#"sse.stream{http.route="/" client.address=127.0.0.1 client.port="#,
        r#"sse.last_event_id="41" sse.close_reason="max_duration" sse.events=1 sse.bytes="#,
        r#"sse.close_reason="completed" sse.events=3 sse.bytes=31}"#,
        r#"sse.close_reason="error" sse.events=1 sse.bytes=13}"#,
    ] {
        example.wait_for_log(span).await;
    }

    // A room: one reader, one client that stops reading, one refused by the
    // limit of two; the reader idles past a ping first.
    let (_, mut reader) = request(addr, "GET", "/rooms/lobby", &[]).await;
    reader.read_until(": ping").await;
    let (_, mut stalled) = request_small_buffer(addr, "/rooms/lobby").await;
    stalled.read_until("\n\n").await;
    value(format!("sse_streams_open{{{ROOMS}}}"), |v| v == 2.0).await;
    assert_eq!(status(&example, "/rooms/lobby").await, 503);
    let text = "x".repeat(MESSAGE);
    for n in 0..PUBLISHES {
        let body = format!("{n} {text}");
        let (head, _) = request_with_body(addr, "POST", "/rooms/lobby", &[], &body).await;
        assert_eq!(head.status, 200);
    }
    read_messages(&mut reader, PUBLISHES).await;
    example
        .wait_for_log("sse.close_reason=\"send_timeout\"")
        .await;

    let closed = |route: &str, reason: &str| {
        format!("sse_streams_closed_total{{{route},reason=\"{reason}\"}}")
    };
    value(closed(ROOT, "client_gone"), |v| v == 1.0).await;
    value(closed(ROOT, "max_duration"), |v| v == 1.0).await;
    value(closed(JOBS, "completed"), |v| v == 1.0).await;
    value(closed(JOBS, "error"), |v| v == 1.0).await;
    value(closed(ROOMS, "send_timeout"), |v| v == 1.0).await;
    value(format!("sse_streams_opened_total{{{ROOT}}}"), |v| v == 2.0).await;
    value(format!("sse_streams_open{{{ROOT}}}"), |v| v == 0.0).await;
    value(format!("sse_streams_open{{{ROOMS}}}"), |v| v == 1.0).await;
    value(format!("sse_streams_refused_total{{{ROOMS}}}"), |v| {
        v == 1.0
    })
    .await;
    // 3 + 1 job events; the failed job's error is no event of its own.
    value(format!("sse_events_sent_total{{{JOBS}}}"), |v| v == 4.0).await;
    value(format!("sse_events_sent_total{{{ROOMS}}}"), |v| {
        v >= PUBLISHES as f64
    })
    .await;
    value(format!("sse_sent_bytes_total{{{ROOMS}}}"), |v| {
        v > (PUBLISHES * MESSAGE) as f64
    })
    .await;
    value(format!("sse_keep_alive_pings_total{{{ROOMS}}}"), |v| {
        v >= 1.0
    })
    .await;
    value(
        format!("sse_stream_duration_seconds_count{{{ROOT}}}"),
        |v| v == 2.0,
    )
    .await;
    value(r#"sse_hub_publishes_total{backend="memory"}"#.into(), |v| {
        v == PUBLISHES as f64
    })
    .await;
    value(
        r#"sse_hub_deliveries_total{backend="memory"}"#.into(),
        |v| v >= PUBLISHES as f64,
    )
    .await;
    value(r#"sse_hub_topics{backend="memory"}"#.into(), |v| v == 1.0).await;
    value(
        r#"sse_hub_delivery_delay_seconds_count{backend="memory"}"#.into(),
        |v| v >= 1.0,
    )
    .await;

    // The README's dashboard: every query valid, and each about something
    // this run produced.
    let queries = readme_queries();
    assert!(
        queries.len() >= 8,
        "the README lists its queries: {queries:?}"
    );
    for query in &queries {
        let answered = tokio::time::timeout(sse_test_support::PATIENCE, async {
            loop {
                match prometheus.query(query).await {
                    Ok(samples) if !samples.is_empty() => return samples,
                    Ok(_) => tokio::time::sleep(Duration::from_millis(200)).await,
                    Err(error) => panic!("README query {query} failed: {error}"),
                }
            }
        })
        .await;
        assert!(answered.is_ok(), "README query {query} returned no series");
    }
    drop(reader);
    drop(stalled);
    example.terminate().await;
}

/// Reads `count` room messages from `client`.
async fn read_messages(client: &mut Client, count: usize) {
    for n in 0..count {
        client.read_until(&format!("data: {n} x")).await;
    }
}

#[tokio::test]
async fn ready_fails_within_100_ms_of_sigterm_while_streams_go_on_to_their_farewell() {
    let drain = Duration::from_secs(1);
    let grace = Duration::from_secs(2);
    let example = Example::start_with("observability", &[("DRAIN_SECONDS", "1")]).await;
    assert_eq!(status(&example, "/ready").await, 200);
    assert_eq!(status(&example, "/live").await, 200);
    let (_, mut stream) = request(example.addr, "GET", "/", &[]).await;
    stream.read_until("data: 1\n").await;

    let signalled = Instant::now();
    example.sigterm();
    // A load balancer's probe opens a new connection each time.
    while status(&example, "/ready").await == 200 {
        assert!(
            signalled.elapsed() < sse_test_support::PATIENCE,
            "/ready never failed"
        );
    }
    let unready_after = signalled.elapsed();
    assert!(
        unready_after <= Duration::from_millis(100),
        "/ready answered 503 only {unready_after:?} after SIGTERM (the contract: 100 ms)"
    );
    // Draining: still alive, still accepting, the stream still streaming.
    assert_eq!(status(&example, "/live").await, 200);
    assert_eq!(status(&example, "/ready").await, 503);
    stream.read_until("data: 2\n").await;
    let rest = stream.read_to_end().await;
    let farewell_after = signalled.elapsed();
    assert!(
        rest.ends_with("event: shutdown\ndata: server is restarting; reconnect in a moment\n\n"),
        "{rest:?}"
    );
    assert!(
        farewell_after >= drain,
        "the farewell came {farewell_after:?} after SIGTERM, before the drain delay ({drain:?})"
    );
    example.wait_for_exit().await;
    let took = signalled.elapsed();
    assert!(
        took < drain + grace + Duration::from_secs(1),
        "exited {took:?} after SIGTERM (drain {drain:?} + grace {grace:?}, 1 s slack)"
    );
}

/// This process's Prometheus recorder, installed once for the in-process
/// tests below (the tests above count in the example's process).
fn recorder() -> &'static metrics_exporter_prometheus::PrometheusHandle {
    static RECORDER: std::sync::OnceLock<metrics_exporter_prometheus::PrometheusHandle> =
        std::sync::OnceLock::new();
    RECORDER.get_or_init(|| {
        metrics_exporter_prometheus::PrometheusBuilder::new()
            .install_recorder()
            .expect("the only recorder of this test process")
    })
}

#[tokio::test]
async fn a_hub_counts_its_lagging_subscribers_and_its_failures() {
    use sse_runtime::Event;
    use sse_runtime::hub::{Hub, HubConfig, HubError, LagPolicy};
    let metrics = recorder();
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
    assert!(
        String::from_utf8_lossy(notice.as_bytes()).contains("lagged"),
        "{notice:?}"
    );
    let refused = hub.publish("another", &Event::data("x")).await;
    assert!(
        matches!(refused, Err(HubError::TooManyTopics { .. })),
        "{refused:?}"
    );
    let refused = hub.subscribe("another", None).await;
    assert!(matches!(refused, Err(HubError::TooManyTopics { .. })));

    let text = metrics.render();
    for line in [
        r#"sse_hub_lagged_total{backend="memory",policy="skip"} 1"#,
        r#"sse_hub_errors_total{backend="memory",operation="publish",error="too_many_topics"} 1"#,
        r#"sse_hub_errors_total{backend="memory",operation="subscribe",error="too_many_topics"} 1"#,
        r#"sse_hub_publishes_total{backend="memory"} 20"#,
        r#"sse_hub_topics{backend="memory"} 1"#,
    ] {
        assert!(text.lines().any(|l| l == line), "no {line:?} in\n{text}");
    }
}

#[tokio::test]
async fn opentelemetry_receives_each_stream_as_one_span_with_its_outcome() {
    let example = Example::start_with("observability", &[("OTEL_TRACES", "stdout")]).await;
    let (_, mut client) = request(example.addr, "GET", "/jobs/2", &[("last-event-id", "7")]).await;
    client.read_to_end().await;
    // The simple exporter prints a span when it ends; the stream's ends when
    // its body is dropped, after the response finished.
    let printed = tokio::time::timeout(sse_test_support::PATIENCE, async {
        loop {
            let output = example.output.lock().unwrap().clone();
            if output.contains("sse.close_reason") {
                return output;
            }
            drop(output);
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("the stream's span was exported");
    let span = &printed[printed.find("Name         : sse.stream").expect(&printed)..];
    // The exporter prints `->  name: Type(value)`, a line each.
    for (name, value) in [
        ("http.route", r#"String(Owned("/jobs/{steps}"))"#),
        ("client.address", r#"String(Owned("127.0.0.1"))"#),
        ("client.port", "I64("),
        ("sse.last_event_id", r#"String(Owned("7"))"#),
        ("sse.close_reason", r#""completed""#),
        ("sse.events", "I64(2)"),
        ("sse.bytes", "I64(22)"),
    ] {
        let line = span
            .lines()
            .find(|line| line.contains(&format!("->  {name}: ")))
            .unwrap_or_else(|| panic!("no {name} in the span:\n{span}"));
        assert!(line.contains(value), "{name} is not {value}: {line}");
    }
    example.terminate().await;
}

/// Waits until `metrics` renders `line` (a series and its value).
async fn rendered(metrics: &metrics_exporter_prometheus::PrometheusHandle, line: &str) {
    let found = tokio::time::timeout(sse_test_support::PATIENCE, async {
        while !metrics.render().lines().any(|l| l == line) {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    assert!(found.is_ok(), "no {line:?} in\n{}", metrics.render());
}

#[tokio::test]
async fn a_stream_ended_by_the_shutdown_is_counted_as_such() {
    use axum::routing::get;
    use sse_runtime::{Event, Shutdown, SseResponse};
    let metrics = recorder();
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
    rendered(metrics, r#"sse_streams_open{route="/farewell/{n}"} 1"#).await;
    server.shutdown.trigger();
    client.read_to_end().await;
    rendered(
        metrics,
        r#"sse_streams_closed_total{route="/farewell/{n}",reason="shutdown"} 1"#,
    )
    .await;
    rendered(metrics, r#"sse_streams_open{route="/farewell/{n}"} 0"#).await;
}

#[tokio::test]
async fn a_hub_on_redis_counts_its_failures_and_its_reconnects() {
    use sse_runtime::Event;
    use sse_runtime::hub::{Hub, HubConfig, HubError};
    use sse_test_support::redis::Redis;
    let metrics = recorder();
    let Some(redis) = Redis::start_on_a_free_port().await else {
        return;
    };
    let config = HubConfig {
        backend_timeout: Duration::from_millis(300),
        ..HubConfig::default()
    };
    let hub = Hub::redis(&redis.url(), config).await.unwrap();
    let _subscribed = hub.subscribe("orders", None).await.unwrap();
    hub.publish("orders", &Event::data("one")).await.unwrap();
    rendered(metrics, r#"sse_hub_topics{backend="redis"} 1"#).await;
    rendered(metrics, r#"sse_hub_publishes_total{backend="redis"} 1"#).await;

    let port = redis.port();
    redis.stop().await;
    let refused = hub.publish("orders", &Event::data("lost")).await;
    assert!(matches!(refused, Err(HubError::Backend(_))), "{refused:?}");
    rendered(
        metrics,
        r#"sse_hub_errors_total{backend="redis",operation="publish",error="backend"} 1"#,
    )
    .await;
    let _redis = Redis::start(port).await.expect("redis-server restarts");
    rendered(metrics, "sse_hub_redis_reconnects_total 1").await;
}
