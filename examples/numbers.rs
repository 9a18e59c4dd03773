//! Run with: cargo run --example numbers
//!
//! The classic sse-starlette example: `GET /` streams `data: 1` … `data: 5`,
//! 0.9 s apart, then ends. Try it with `curl -N http://127.0.0.1:8000/`.
//!
//! Set `PORT` to serve elsewhere; `RUST_LOG=debug` for more detail.

use std::time::Duration;

use axum::Router;
use axum::routing::get;
use futures_util::Stream;
use sse_runtime::{Event, Shutdown, SseResponse};

async fn numbers(shutdown: Shutdown) -> SseResponse<impl Stream<Item = Event>> {
    let events = async_stream::stream! {
        for n in 1..=5 {
            tokio::time::sleep(Duration::from_millis(900)).await;
            yield Event::data(n.to_string());
        }
    };
    SseResponse::new(events).shutdown(shutdown)
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();

    let port = std::env::var("PORT").unwrap_or_else(|_| "8000".into());
    let listener = tokio::net::TcpListener::bind(format!("127.0.0.1:{port}")).await?;
    println!("serving numbers on http://{}/", listener.local_addr()?);

    let shutdown = Shutdown::new();
    tokio::spawn(shutdown.clone().trigger_on(sse_runtime::shutdown_signal()));
    let app = Router::new().route("/", get(numbers));
    sse_runtime::serve(listener, app)
        .with_shutdown(shutdown)
        .await
}
