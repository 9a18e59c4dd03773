//! Run with: cargo run --example axum_serve
//!
//! Plain `axum::serve`, with the same guarantees as `sse_runtime::serve`: an
//! [`SseListener`] and [`make_service`](sse_runtime::make_service) are the
//! whole set-up. A client that stops reading `/firehose` is dropped after 2 s
//! (`curl -N http://127.0.0.1:8000/firehose | sleep 60`), and on Ctrl-C or
//! SIGTERM every stream of `/` gets `event: shutdown` and the process exits
//! within the grace period (2 s), even when some clients stopped reading.

mod common;

use std::time::Duration;

use axum::Router;
use sse_runtime::{Disconnect, Event, Shutdown, SseListener, routes, sse_endpoint};

async fn farewell() -> Vec<Event> {
    vec![
        Event::data("server is restarting; reconnect in a moment")
            .event("shutdown")
            .expect("literal event name"),
    ]
}

/// The time, every second, until the server shuts down.
#[sse_endpoint(get "/", on_shutdown = farewell)]
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

async fn dropped(end: Disconnect) {
    tracing::info!(reason = %end.reason, bytes = end.stats.bytes, "firehose: stream ended ({})", end.reason);
}

/// As fast as the client reads, 1 KiB per event.
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
    common::log_to_stderr();
    let app: Router = routes![clock, firehose];

    // The set-up: a coordinator, and a listener that follows it.
    let shutdown = Shutdown::new().with_grace_period(Duration::from_secs(2));
    let listener = SseListener::bind(common::address()?, &shutdown).await?;
    println!("listening on http://{}/", listener.local_addr()?);

    axum::serve(listener, sse_runtime::make_service(app))
        .with_graceful_shutdown(sse_runtime::shutdown_signal())
        .await?;
    tracing::info!("server stopped");
    Ok(())
}
