//! Run with: cargo run --example shutdown
//!
//! On Ctrl-C or SIGTERM every open stream gets a farewell event
//! (`event: shutdown`) and the process exits within the grace period (3 s).
//! Open `curl -N http://127.0.0.1:8000/clock` in two terminals, then stop the
//! server.

mod common;

use std::time::Duration;

use sse_runtime::{Event, routes, sse_endpoint};

async fn farewell() -> Vec<Event> {
    vec![
        Event::data("server is restarting; reconnect in a moment")
            .event("shutdown")
            .expect("literal event name")
            .retry(Duration::from_secs(5)),
    ]
}

#[sse_endpoint(get "/clock", on_shutdown = farewell)]
async fn clock() {
    let mut interval = tokio::time::interval(Duration::from_secs(1));
    loop {
        interval.tick().await;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        yield_!(now.as_secs());
    }
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    common::run(routes![clock], "/clock").await
}
