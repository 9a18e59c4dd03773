//! Run with: cargo run --example resume
//!
//! `GET /ticks` streams ticks with sequential ids. With `?batch=N` the stream
//! ends after N events and a short `retry`, so a browser reconnects at once
//! and sends `Last-Event-ID`; the next stream continues from the next id,
//! with no gap and no duplicate.
//! `curl -N 'http://127.0.0.1:8000/ticks?batch=3' -H 'Last-Event-ID: 41'`.

mod common;

use std::time::Duration;

use axum::extract::Query;
use serde::{Deserialize, Serialize};
use sse_runtime::{LastEventId, routes, sse_endpoint};

#[derive(Deserialize)]
struct Batch {
    batch: Option<u64>,
}

#[derive(Serialize)]
struct Tick {
    n: u64,
}

#[sse_endpoint(get "/ticks", id = sequential, event = "tick", retry = "200ms")]
async fn ticks(Query(Batch { batch }): Query<Batch>, LastEventId(last): LastEventId<u64>) {
    // The ids are assigned by `id = sequential`, continuing after `last`;
    // the payload counts the same way so a reader can check it.
    let first = last.map_or(1, |id| id + 1);
    let count = batch.unwrap_or(u64::MAX);
    for n in first..first.saturating_add(count) {
        yield_!(Tick { n });
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    common::run(routes![ticks], "/ticks?batch=5").await
}
