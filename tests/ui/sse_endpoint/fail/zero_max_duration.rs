use sse_runtime::sse_endpoint;

#[sse_endpoint(max_duration = "0s")]
async fn a() {
    yield_!(1);
}

fn main() {}
