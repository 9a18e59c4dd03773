//! Run with: cargo run --example browser
//!
//! Serves one HTML page at `/` whose `EventSource` follows `/ticks?batch=5`:
//! every five ticks the stream ends, the browser reconnects with
//! `Last-Event-ID`, and the count goes on with no gap. Open
//! http://127.0.0.1:8000/ and watch events arrive.

#[path = "../common/mod.rs"]
mod common;

use std::time::Duration;

use axum::response::Html;
use axum::routing::get;
use serde::Serialize;
use sse_runtime::{LastEventId, routes, sse_endpoint};

#[derive(Serialize)]
struct Tick {
    n: u64,
    at: String,
}

#[sse_endpoint(get "/ticks", id = sequential, event = "tick", retry = "500ms")]
async fn ticks(LastEventId(last): LastEventId<u64>) {
    let first = last.map_or(1, |id| id + 1);
    for n in first..first + 5 {
        tokio::time::sleep(Duration::from_millis(400)).await;
        yield_!(Tick {
            n,
            at: clock_time()
        });
    }
}

/// The time of day in UTC, as a person reads it: `14:05:09 UTC`.
fn clock_time() -> String {
    let seconds = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs()
        % 86_400;
    format!(
        "{:02}:{:02}:{:02} UTC",
        seconds / 3600,
        seconds / 60 % 60,
        seconds % 60
    )
}

async fn page() -> Html<&'static str> {
    Html(include_str!("index.html"))
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let app = routes![ticks].route("/", get(page));
    common::run(app, "/").await
}
