//! Run with: cargo run --example typed_events
//!
//! Typed events with `#[derive(SseEvent)]`: the event name from the type or
//! variant, an id from a field, and the rest as JSON, non-ASCII and embedded
//! newlines included. `curl -N http://127.0.0.1:8000/weather`.

mod common;

use std::time::Duration;

use serde::Serialize;
use sse_runtime::{SseEvent, routes, sse_endpoint};

/// `event: reading`, `id: <seq>`, data `{"station":..,"celsius":..}`.
#[derive(Serialize, SseEvent)]
#[sse(event = "reading")]
struct Reading {
    #[sse(id)]
    seq: u64,
    station: String,
    celsius: f32,
}

/// Each variant is its own event: `alert`, `note`, `station_closed`.
#[derive(Serialize, SseEvent)]
enum Bulletin {
    Alert { level: u8, text: String },
    Note(String),
    StationClosed,
}

#[sse_endpoint(get "/weather", retry = "2s")]
async fn weather() {
    yield_!(Reading {
        seq: 1,
        station: "Zürich".into(),
        celsius: 21.5
    });
    yield_!(Bulletin::Alert {
        level: 2,
        text: "Föhn storm\nsecure loose objects".into(),
    });
    yield_!(Reading {
        seq: 2,
        station: "São Paulo 🌦".into(),
        celsius: 28.0
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    yield_!(Bulletin::Note("line one\r\nline two".into()));
    yield_!(Bulletin::StationClosed);
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    common::run(routes![weather], "/weather").await
}
