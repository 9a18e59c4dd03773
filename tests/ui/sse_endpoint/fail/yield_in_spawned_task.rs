//! A spawned task cannot send the endpoint's events: the message points to
//! a channel.
use sse_runtime::sse_endpoint;

#[sse_endpoint]
async fn work() {
    tokio::spawn(async move {
        yield_!(1);
    });
}

fn main() {}
