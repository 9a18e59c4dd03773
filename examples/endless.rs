//! Run with: cargo run --example endless
//!
//! A counter every 0.2 s, forever. When the client goes away, the disconnect
//! hook logs who left and how much it got; the body never checks for it.
//! `curl -N http://127.0.0.1:8000/endless`, then Ctrl-C the curl.

mod common;

use std::time::Duration;

use sse_runtime::{Disconnect, routes, sse_endpoint};

async fn client_left(end: Disconnect) {
    let peer = end
        .peer
        .map_or_else(|| "unknown".to_owned(), |peer| peer.to_string());
    tracing::info!(
        client = %peer,
        reason = %end.reason,
        events = end.stats.events,
        "endless: client {peer} left after {} events",
        end.stats.events
    );
}

#[sse_endpoint(get "/endless", on_disconnect = client_left)]
async fn endless() {
    let mut interval = tokio::time::interval(Duration::from_millis(200));
    for n in 0u64.. {
        interval.tick().await;
        yield_!(n);
    }
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    common::run(routes![endless], "/endless").await
}
