//! Run with: cargo run --example slow_client
//!
//! A send timeout: a client that stops reading is dropped after 2 s of a
//! blocked write, its memory freed and the disconnect hook told why. Try
//! `curl -N http://127.0.0.1:8000/firehose | sleep 60`: curl stops reading
//! once the pipe is full, and the server logs the timeout.

mod common;

use sse_runtime::{Disconnect, routes, sse_endpoint};

async fn dropped(end: Disconnect) {
    tracing::info!(
        reason = %end.reason,
        bytes = end.stats.bytes,
        "slow_client: stream ended ({}) after {} bytes",
        end.reason,
        end.stats.bytes
    );
}

#[sse_endpoint(get "/firehose", send_timeout = "2s", on_disconnect = dropped)]
async fn firehose() {
    let line = "x".repeat(1024);
    loop {
        yield_!(line.as_str());
        tokio::task::yield_now().await;
    }
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    common::run(routes![firehose], "/firehose").await
}
