use sse_runtime::sse_endpoint;

#[sse_endpoint(event = "tick\0")]
async fn a() {
    yield_!(1);
}

fn main() {}
