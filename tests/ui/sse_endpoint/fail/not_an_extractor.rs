//! An argument that is not an extractor is named at its own span.
use sse_runtime::sse_endpoint;

struct Settings;

#[sse_endpoint(get "/events")]
async fn events(_settings: Settings) {
    yield_!(1);
}

fn main() {}
