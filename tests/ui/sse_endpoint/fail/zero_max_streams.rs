use sse_runtime::sse_endpoint;

#[sse_endpoint(max_streams = 0)]
async fn a() {
    yield_!(1);
}

fn main() {}
