use sse_runtime::sse_endpoint;

#[sse_endpoint(error_event = "")]
async fn a() {
    yield_!(1);
}

fn main() {}
