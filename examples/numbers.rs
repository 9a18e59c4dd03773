//! Run with: cargo run --example numbers
//!
//! The classic sse-starlette example: `GET /` streams `data: 1` … `data: 5`,
//! 0.9 s apart, then ends. Try it with `curl -N http://127.0.0.1:8000/`.

mod common;

use std::time::Duration;

use sse_runtime::{routes, sse_endpoint};

#[sse_endpoint(get "/")]
async fn numbers() {
    for n in 1..=5 {
        tokio::time::sleep(Duration::from_millis(900)).await;
        yield_!(n);
    }
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    common::run(routes![numbers], "/").await
}
