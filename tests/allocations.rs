//! "No allocation per event": events streamed through `SseResponse` and
//! through `#[sse_endpoint]`, polled in-process, with every allocation on
//! this thread counted. Allocations grow with the frames sent (the frame
//! buffer grows again after each frame leaves), not with the events.

use axum::body::Body;
use axum::response::IntoResponse;
use futures_util::stream;
use http_body_util::BodyExt;
use sse_runtime::{Json, KeepAlive, SseResponse, sse_endpoint};

#[derive(serde::Serialize)]
struct Tick {
    n: u64,
    name: &'static str,
}

#[sse_endpoint(ping = "0s")]
async fn ticks(axum::extract::RawQuery(count): axum::extract::RawQuery) {
    let count: u64 = count.and_then(|n| n.parse().ok()).unwrap_or(0);
    for n in 0..count {
        yield_!(Tick { n, name: "tick" });
    }
}

async fn by_hand(count: u64) -> Body {
    let events = stream::iter((0..count).map(|n| Json(Tick { n, name: "tick" })));
    SseResponse::new(events)
        .keep_alive(KeepAlive::disabled())
        .into_response()
        .into_body()
}

async fn through_the_macro(count: u64) -> Body {
    let mut router = axum::Router::new().route("/", axum::routing::get(ticks));
    let request = http::Request::get(format!("/?{count}"))
        .body(Body::empty())
        .unwrap();
    tower_service::Service::call(&mut router, request)
        .await
        .unwrap()
        .into_body()
}

/// Allocations on this thread while `body(count)` is built and drained, and
/// the bytes it sent.
fn allocations<F, Fut>(body: F, count: u64) -> (u64, usize)
where
    F: FnOnce(u64) -> Fut,
    Fut: Future<Output = Body>,
{
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let mut sent = 0;
    let counted = allocation_counter::measure(|| {
        runtime.block_on(async {
            let mut body = body(count).await;
            while let Some(frame) = body.frame().await {
                if let Ok(data) = frame.unwrap().into_data() {
                    sent += data.len();
                }
            }
        })
    });
    (counted.count_total, sent)
}

fn assert_no_allocation_per_event<F, Fut>(name: &str, body: F)
where
    F: Fn(u64) -> Fut,
    Fut: Future<Output = Body>,
{
    // Once first, so that one-time costs (a metrics recorder registering
    // the route's series) fall outside both measurements.
    allocations(&body, 10);
    let (few, few_bytes) = allocations(&body, 1_000);
    let (many, many_bytes) = allocations(&body, 10_000);
    assert!(many_bytes > 9 * few_bytes, "{name}: the events were sent");
    let per_event = (many - few) as f64 / 9_000.0;
    eprintln!("{name}: {few} allocations for 1,000 events, {many} for 10,000");
    assert!(
        per_event < 0.01,
        "{name}: {per_event:.3} allocations per event ({few} for 1,000 events, {many} for 10,000)"
    );
}

/// One test at a time: a metrics recorder, once one test installs it,
/// counts for every thread of the process.
fn one_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[test]
fn sse_response_allocates_nothing_per_event() {
    let _alone = one_at_a_time();
    assert_no_allocation_per_event("SseResponse", by_hand);
}

#[test]
fn sse_endpoint_allocates_nothing_per_event() {
    let _alone = one_at_a_time();
    assert_no_allocation_per_event("#[sse_endpoint]", through_the_macro);
}

/// With the `metrics` feature and a recorder that counts (Prometheus'),
/// still nothing per event: a stream takes its handles when it opens.
/// `tests/run` runs this with `--features observability`.
#[cfg(feature = "observability")]
#[test]
fn counted_streams_allocate_nothing_per_event() {
    let _alone = one_at_a_time();
    let metrics = metrics_exporter_prometheus::PrometheusBuilder::new()
        .install_recorder()
        .expect("the only recorder of this test process");
    async fn routed(count: u64) -> Body {
        let events = stream::iter((0..count).map(|n| Json(Tick { n, name: "tick" })));
        let app = axum::Router::new().route(
            "/ticks",
            axum::routing::get(move |route: axum::extract::MatchedPath| async move {
                SseResponse::new(events)
                    .route(route)
                    .keep_alive(KeepAlive::disabled())
            }),
        );
        let request = http::Request::get("/ticks").body(Body::empty()).unwrap();
        tower_service::Service::call(&mut app.into_service(), request)
            .await
            .unwrap()
            .into_body()
    }
    assert_no_allocation_per_event("SseResponse, counted", routed);
    assert_no_allocation_per_event("#[sse_endpoint], counted", through_the_macro);
    // The events were counted, not skipped: 10 + 1,000 + 10,000 on each route.
    let text = metrics.render();
    for line in [
        r#"sse_events_sent_total{route="/ticks"} 11010"#,
        r#"sse_events_sent_total{route="/"} 11010"#,
    ] {
        assert!(text.lines().any(|l| l == line), "no {line:?} in\n{text}");
    }
}
