use sse_runtime::sse_endpoint;

#[sse_endpoint(max_duration_jitter = "1m")]
async fn a() {
    yield_!(1);
}

fn main() {}
