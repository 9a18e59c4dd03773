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
            ("MAX_TOPICS", "1"),
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
    // The reader reads as the messages come; the stalled client does not.
    let reading = tokio::spawn(async move {
        read_messages(&mut reader, PUBLISHES).await;
        reader
    });
    let text = "x".repeat(MESSAGE);
    for n in 0..PUBLISHES {
        let body = format!("{n} {text}");
        let (head, _) = request_with_body(addr, "POST", "/rooms/lobby", &[], &body).await;
        assert_eq!(head.status, 200);
    }
    let reader = reading.await.unwrap();
    example
        .wait_for_log("sse.close_reason=\"send_timeout\"")
        .await;
    // A second room is one topic too many (MAX_TOPICS=1).
    let (head, _) = request_with_body(addr, "POST", "/rooms/other", &[], "x").await;
    assert_eq!(head.status, 503);

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
    // this run produced, but for what only a lagging subscriber or a Redis
    // that went away produce (tests/metrics_in_process.rs counts those).
    let queries = readme_queries();
    assert!(
        queries.len() >= 8,
        "the README lists its queries: {queries:?}"
    );
    for query in &queries {
        let may_be_empty = ["sse_hub_lagged_total", "sse_hub_reconnects_total"]
            .iter()
            .any(|name| query.contains(name));
        let answered = tokio::time::timeout(sse_test_support::PATIENCE, async {
            loop {
                match prometheus.query(query).await {
                    Ok(samples) if !samples.is_empty() || may_be_empty => return samples,
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
    // The drain is longer than the tick, so that the stream's next event
    // comes well within it.
    let drain = Duration::from_secs(2);
    let grace = Duration::from_secs(2);
    let example = Example::start_with("observability", &[("DRAIN_SECONDS", "2")]).await;
    assert_eq!(status(&example, "/ready").await, 200);
    assert_eq!(status(&example, "/live").await, 200);
    let (_, mut stream) = request(example.addr, "GET", "/", &[]).await;
    stream.read_until("data: 1\n").await;

    // From when `kill` has sent it (not counting starting `kill`).
    example.sigterm();
    let signalled = Instant::now();
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
