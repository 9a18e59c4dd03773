use sse_runtime::sse_endpoint;

#[sse_endpoint(fetch "/a")]
async fn a() {
    yield_!(1);
}

fn main() {}
