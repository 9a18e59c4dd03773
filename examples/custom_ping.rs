//! Run with: cargo run --example custom_ping
//!
//! Keep-alive as a full event from a factory (sse-starlette's
//! `ping_message_factory`): after 1 s without events the client gets
//! `event: ping` with the server time, which browsers can listen for.
//! `curl -N http://127.0.0.1:8000/quiet`.

mod common;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::routing::get;
use futures_util::StreamExt;
use sse_runtime::{Event, KeepAlive, SseResponse};

fn ping() -> Event {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_millis();
    Event::data(now.to_string())
        .event("ping")
        .expect("literal event name")
}

/// One event, then nothing but pings.
async fn quiet() -> SseResponse<impl futures_util::Stream<Item = Event>> {
    let events =
        futures_util::stream::iter([Event::data("hello")]).chain(futures_util::stream::pending());
    SseResponse::new(events).keep_alive(KeepAlive::every(Duration::from_secs(1)).event(ping))
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    common::run(Router::new().route("/quiet", get(quiet)), "/quiet").await
}
