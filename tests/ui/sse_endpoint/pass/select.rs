//! `yield_!` inside `tokio::select!` and other macros, and a cooperative
//! shutdown argument.
use sse_runtime::{Shutdown, sse_endpoint};
use std::time::Duration;

#[sse_endpoint]
async fn ticks(shutdown: Shutdown) {
    let mut interval = tokio::time::interval(Duration::from_secs(1));
    loop {
        tokio::select! {
            _ = shutdown.requested() => {
                yield_!("bye");
                break;
            }
            _ = interval.tick() => yield_!("tick"),
        }
    }
    if true {
        yield_!(vec![1]);
    }
    match 3 {
        1 => yield_!(1),
        _ => {}
    }
}

fn main() {
    let _: axum::routing::MethodRouter = axum::routing::get(ticks);
}
