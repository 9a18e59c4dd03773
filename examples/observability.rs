//! Run with: cargo run --example observability --features observability
//!
//! A server as the people who run it see it: Prometheus metrics, probes for
//! a load balancer, and a shutdown that drains.
//!
//! - `GET /`: an event a second, forever (each stream ends after
//!   `MAX_STREAM_SECONDS`, default 3600, for its client to reconnect).
//! - `GET /jobs/{steps}`: a job's progress, one event per step, then it
//!   ends; `?fail_at=N` makes step N fail.
//! - `GET /rooms/{room}` and `POST /rooms/{room}` (the body is the
//!   message): a hub topic, at most `MAX_ROOM_STREAMS` (default 1000) open,
//!   a client that stops reading dropped after `SEND_TIMEOUT_MS` (default
//!   10000), at most `MAX_TOPICS` rooms (default 10000).
//! - `GET /metrics` (Prometheus' text format), `GET /ready`, `GET /live`.
//!
//! On SIGTERM `/ready` answers 503 at once; the server goes on for
//! `DRAIN_SECONDS` (default 0) as before, then tells every stream (an
//! `event: shutdown`), stops accepting and ends what is left after 2 s.
//! `PING_SECONDS` (default 15) is the keep-alive interval. With
//! `OTEL_TRACES=stdout`, every span also goes to OpenTelemetry, whose stdout
//! exporter prints each one as it ends (a stream's `sse.stream` span with
//! its route, client, `Last-Event-ID` and how it closed).
//!
//! `curl -N localhost:8000/`, then `curl localhost:8000/metrics`.

mod common;

use std::time::Duration;

use axum::Router;
use axum::extract::{ConnectInfo, MatchedPath, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::get;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use sse_runtime::hub::{Hub, HubConfig, Subscription};
use sse_runtime::response::MaxDuration;
use sse_runtime::{
    Event, KeepAlive, LastEventId, Shutdown, SseResponse, StreamLimit, routes, sse_endpoint,
};

/// What the handlers share, read once from the environment.
#[derive(Clone)]
struct App {
    hub: Hub,
    rooms: StreamLimit,
    metrics: PrometheusHandle,
    max_stream: Duration,
    send_timeout: Duration,
    ping: Duration,
}

/// `$name` as a number, or `default`.
fn number(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(default)
}

fn seconds(name: &str, default: u64) -> Duration {
    millis(name, default * 1000, 1000)
}

/// `$name` in `unit` milliseconds, or `default` milliseconds.
fn millis(name: &str, default: u64, unit: u64) -> Duration {
    let value = std::env::var(name)
        .ok()
        .and_then(|value| value.parse::<u64>().ok());
    Duration::from_millis(value.map_or(default, |value| value * unit))
}

async fn farewell() -> Vec<Event> {
    let bye = Event::data("server is restarting; reconnect in a moment").event("shutdown");
    vec![bye.expect("a valid literal name")]
}

/// An event a second, forever: built by hand, so it names its route itself.
async fn ticks(
    State(app): State<App>,
    shutdown: Shutdown,
    route: MatchedPath,
    ConnectInfo(peer): ConnectInfo<std::net::SocketAddr>,
    headers: HeaderMap,
    LastEventId(last): LastEventId<u64>,
) -> SseResponse<impl sse_runtime::EventStream> {
    let first = last.map_or(1, |id| id + 1);
    let events = async_stream::stream! {
        let mut every_second = tokio::time::interval(Duration::from_secs(1));
        for n in first.. {
            every_second.tick().await;
            yield Event::data(n.to_string()).id(n.to_string()).expect("a number is a valid id");
        }
    };
    let response = SseResponse::new(events);
    // For the stream's span: where the client resumed.
    let response = match headers.get("last-event-id") {
        Some(id) => response.trace_last_event_id(id.clone()),
        None => response,
    };
    response
        .route(route)
        .peer(peer)
        .shutdown(shutdown)
        .on_shutdown(farewell)
        .max_duration(MaxDuration::new(app.max_stream))
        .keep_alive(KeepAlive::every(app.ping))
}

#[derive(serde::Deserialize)]
struct JobOptions {
    fail_at: Option<u32>,
}

#[derive(Debug)]
struct StepFailed(u32);

impl std::fmt::Display for StepFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "step {} failed", self.0)
    }
}

impl std::error::Error for StepFailed {}

/// A job's steps; the macro names the route (`/jobs/{steps}`) for the
/// metrics and the span.
#[sse_endpoint(get "/jobs/{steps}", on_shutdown = farewell)]
async fn job(
    Path(steps): Path<u32>,
    axum::extract::Query(options): axum::extract::Query<JobOptions>,
) -> Result<(), StepFailed> {
    for step in 1..=steps {
        tokio::time::sleep(Duration::from_millis(20)).await;
        if options.fail_at == Some(step) {
            return Err(StepFailed(step));
        }
        yield_!(step);
    }
    Ok(())
}

async fn room(
    State(app): State<App>,
    shutdown: Shutdown,
    route: MatchedPath,
    ConnectInfo(peer): ConnectInfo<std::net::SocketAddr>,
    Path(room): Path<String>,
    LastEventId(last): LastEventId<u64>,
) -> Result<SseResponse<Subscription>, (StatusCode, String)> {
    let messages = app.hub.subscribe(&room, last).await;
    let messages =
        messages.map_err(|error| (StatusCode::SERVICE_UNAVAILABLE, error.to_string()))?;
    Ok(SseResponse::new(messages)
        .route(route)
        .peer(peer)
        .shutdown(shutdown)
        .on_shutdown(farewell)
        .limit(&app.rooms)
        .send_timeout(app.send_timeout)
        .keep_alive(KeepAlive::every(app.ping)))
}

async fn say(
    State(app): State<App>,
    Path(room): Path<String>,
    message: String,
) -> Result<String, (StatusCode, String)> {
    let event = Event::data(message)
        .event("message")
        .expect("a valid literal name");
    match app.hub.publish(&room, &event).await {
        Ok(id) => Ok(format!("{id}\n")),
        Err(error) => Err((StatusCode::SERVICE_UNAVAILABLE, error.to_string())),
    }
}

async fn render_metrics(State(app): State<App>) -> ([(&'static str, &'static str); 1], String) {
    let text = "text/plain; version=0.0.4; charset=utf-8";
    ([("content-type", text)], app.metrics.render())
}

/// The recorder first: streams and hubs take their handles from it.
fn install_prometheus() -> PrometheusHandle {
    // Histograms with buckets (so `histogram_quantile` works across
    // processes), in seconds.
    let buckets = [
        0.000_1, 0.000_5, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 30.0, 60.0, 300.0, 1800.0,
        3600.0,
    ];
    let handle = PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), &buckets)
        .expect("non-empty buckets")
        .install_recorder()
        .expect("the only recorder of this process");
    sse_runtime::metrics::describe();
    handle
}

/// Logs to stderr, as every example does; with `OTEL_TRACES=stdout`, spans
/// also go to OpenTelemetry (here its stdout exporter; an OTLP exporter in
/// production). The provider is returned to be shut down at exit.
fn init_tracing() -> Option<opentelemetry_sdk::trace::SdkTracerProvider> {
    use opentelemetry::trace::TracerProvider as _;
    use tracing_subscriber::layer::SubscriberExt as _;
    use tracing_subscriber::util::SubscriberInitExt as _;
    if std::env::var("OTEL_TRACES").as_deref() != Ok("stdout") {
        common::log_to_stderr();
        return None;
    }
    let provider = opentelemetry_sdk::trace::SdkTracerProvider::builder()
        .with_simple_exporter(opentelemetry_stdout::SpanExporter::default())
        .build();
    let filter =
        tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into());
    tracing_subscriber::registry()
        .with(filter)
        .with(tracing_subscriber::fmt::layer().with_writer(std::io::stderr))
        .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("observability")))
        .init();
    Some(provider)
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let traces = init_tracing();
    let metrics = install_prometheus();
    let app = App {
        hub: Hub::with_config(HubConfig {
            max_topics: number("MAX_TOPICS", 10_000),
            ..HubConfig::default()
        }),
        rooms: StreamLimit::new(number("MAX_ROOM_STREAMS", 1000)),
        metrics,
        max_stream: seconds("MAX_STREAM_SECONDS", 3600),
        send_timeout: millis("SEND_TIMEOUT_MS", 10_000, 1),
        ping: seconds("PING_SECONDS", 15),
    };
    let router: Router = Router::new()
        .route("/", get(ticks))
        .route("/rooms/{room}", get(room).post(say))
        .route("/metrics", get(render_metrics))
        .route("/ready", get(sse_runtime::shutdown::ready))
        .route("/live", get(sse_runtime::shutdown::live))
        .with_state(app)
        .merge(routes![job]);

    let listener = sse_runtime::bind(common::address()?).await?;
    println!("listening on http://{}/", listener.local_addr()?);
    let shutdown = Shutdown::new()
        .with_drain_delay(seconds("DRAIN_SECONDS", 0))
        .with_grace_period(Duration::from_secs(2));
    tokio::spawn(shutdown.clone().trigger_on(sse_runtime::shutdown_signal()));
    let served = sse_runtime::serve(listener, router)
        .with_shutdown(shutdown)
        .await;
    if let Some(provider) = traces {
        let _ = provider.shutdown();
    }
    served
}
