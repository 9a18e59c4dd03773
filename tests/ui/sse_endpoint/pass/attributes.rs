//! Every endpoint setting at once.
use sse_runtime::{Disconnect, Event, sse_endpoint};

async fn gone(end: Disconnect) {
    let _ = end.reason;
}

async fn farewell() -> Vec<Event> {
    vec![Event::data("bye").event("shutdown").unwrap()]
}

#[sse_endpoint(
    get "/all",
    retry = "3s",
    ping = "15s",
    ping_text = "still here",
    sep = "\r\n",
    send_timeout = "10s",
    max_duration = "10m",
    max_duration_jitter = "1m",
    max_streams = 100,
    error_event = "error",
    event = "tick",
    id = sequential,
    on_disconnect = gone,
    on_shutdown = farewell,
)]
async fn all() {
    yield_!(1);
}

#[sse_endpoint(ping = "0s")]
async fn no_ping() {
    yield_!(1);
}

fn main() {
    let _: axum::Router = all::route();
    let _: axum::routing::MethodRouter = axum::routing::get(no_ping);
}
