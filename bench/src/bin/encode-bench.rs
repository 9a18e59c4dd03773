//! Encoding cost without the network: how fast each way of producing events
//! fills response frames, polled in-process. `bench/run` prints its table too.
//!
//! `encode-bench [events]` (default 2,000,000 per case, best of 5 runs).

use std::convert::Infallible;
use std::time::Instant;

use axum::body::Body;
use axum::response::IntoResponse;
use axum::response::sse::{Event as AxumEvent, KeepAlive as AxumKeepAlive, Sse};
use http_body_util::BodyExt;
use serde::Serialize;
use sse_runtime::{Event, Json, KeepAlive, SseResponse, sse_endpoint};

#[derive(Serialize)]
struct Tick {
    n: u64,
    name: &'static str,
}

const MULTI_LINE: &str = "first line\nsecond line\r\nthird line";

async fn drain(body: Body) -> (u64, u64) {
    let mut body = body;
    let (mut frames, mut bytes) = (0u64, 0u64);
    while let Some(frame) = body.frame().await {
        if let Ok(data) = frame.unwrap().into_data() {
            frames += 1;
            bytes += data.len() as u64;
        }
    }
    (frames, bytes)
}

#[sse_endpoint]
async fn macro_json(axum::extract::RawQuery(n): axum::extract::RawQuery) {
    let n: u64 = n.and_then(|n| n.parse().ok()).unwrap_or(0);
    for n in 0..n {
        yield_!(Tick { n, name: "tick" });
    }
}

fn axum_sse(
    events: impl futures_util::Stream<Item = Result<AxumEvent, Infallible>> + Send + 'static,
) -> Body {
    Sse::new(events)
        .keep_alive(AxumKeepAlive::default())
        .into_response()
        .into_body()
}

fn ours(events: impl sse_runtime::EventSource + Send + 'static) -> Body {
    SseResponse::new(events)
        .keep_alive(KeepAlive::disabled())
        .into_response()
        .into_body()
}

#[derive(Clone, Copy)]
enum Case {
    AxumJson,
    EventJson,
    JsonT,
    MacroJson,
    AxumText,
    OurText,
    AxumMultiLine,
    OurMultiLine,
}

impl Case {
    const ALL: [Case; 8] = [
        Case::AxumJson,
        Case::EventJson,
        Case::JsonT,
        Case::MacroJson,
        Case::AxumText,
        Case::OurText,
        Case::AxumMultiLine,
        Case::OurMultiLine,
    ];

    fn name(self) -> &'static str {
        match self {
            Case::AxumJson => "JSON: axum Event::json_data",
            Case::EventJson => "JSON: sse-runtime Event::json",
            Case::JsonT => "JSON: sse-runtime Json<T>",
            Case::MacroJson => "JSON: #[sse_endpoint] yield_!(T)",
            Case::AxumText => "text: axum Event::data",
            Case::OurText => "text: sse-runtime &'static str",
            Case::AxumMultiLine => "multi-line: axum Event::data",
            Case::OurMultiLine => "multi-line: sse-runtime Event::data",
        }
    }

    async fn body(self, n: u64) -> Body {
        let iter = 0..n;
        match self {
            Case::AxumJson => axum_sse(futures_util::stream::iter(iter.map(|n| {
                Ok(AxumEvent::default()
                    .json_data(Tick { n, name: "tick" })
                    .unwrap())
            }))),
            Case::EventJson => ours(futures_util::stream::iter(
                iter.map(|n| Event::json(&Tick { n, name: "tick" }).unwrap()),
            )),
            Case::JsonT => ours(futures_util::stream::iter(
                iter.map(|n| Json(Tick { n, name: "tick" })),
            )),
            Case::MacroJson => {
                // Through a router, as a server calls it; once per run.
                let mut router: axum::Router =
                    axum::Router::new().route("/", axum::routing::get(macro_json));
                let request = http::Request::get(format!("/?{n}"))
                    .body(Body::empty())
                    .unwrap();
                let response = tower_service::Service::call(&mut router, request)
                    .await
                    .unwrap();
                response.into_body()
            }
            Case::AxumText => axum_sse(futures_util::stream::iter(
                iter.map(|_| Ok(AxumEvent::default().data("hello world"))),
            )),
            Case::OurText => ours(futures_util::stream::iter(iter.map(|_| "hello world"))),
            Case::AxumMultiLine => axum_sse(futures_util::stream::iter(
                iter.map(|_| Ok(AxumEvent::default().data(MULTI_LINE))),
            )),
            Case::OurMultiLine => ours(futures_util::stream::iter(
                iter.map(|_| Event::data(MULTI_LINE)),
            )),
        }
    }
}

async fn measure(case: Case, n: u64) -> (f64, f64) {
    let mut best = f64::MAX;
    let mut bytes = 0;
    for _ in 0..5 {
        let body = case.body(n).await;
        let started = Instant::now();
        let (_, b) = drain(body).await;
        best = best.min(started.elapsed().as_secs_f64());
        bytes = b;
    }
    let rate = n as f64 / best;
    eprintln!(
        "[encode] {:<40} {:>7.2} M events/s  {:>6.1} bytes/event",
        case.name(),
        rate / 1e6,
        bytes as f64 / n as f64
    );
    (rate, bytes as f64 / n as f64)
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let n: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(2_000_000);
    println!(
        "| encoding (in-process, {n} events, best of 5) | M events/s | bytes/event |\n|---|---|---|"
    );
    for case in Case::ALL {
        let (rate, bytes) = measure(case, n).await;
        println!("| {} | {:.2} | {bytes:.1} |", case.name(), rate / 1e6);
    }
}
