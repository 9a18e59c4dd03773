use sse_runtime::sse_endpoint;

#[sse_endpoint(retry = "15")]
async fn a() {
    yield_!(1);
}

fn main() {}
