//! axum 0.7's capture syntax, which axum 0.8 refuses with a panic at
//! start-up: refused here, with the 0.8 spelling.
use sse_runtime::sse_endpoint;

#[sse_endpoint(get "/rooms/:id/files/*rest")]
async fn files() {
    yield_!(1);
}

fn main() {}
