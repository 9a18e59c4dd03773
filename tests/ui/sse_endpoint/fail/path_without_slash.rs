use sse_runtime::sse_endpoint;

#[sse_endpoint(get "events")]
async fn events() {
    yield_!(1);
}

fn main() {}
