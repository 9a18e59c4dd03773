use sse_runtime::sse_endpoint;

#[sse_endpoint(event = "tick\nid: 666")]
async fn a() {
    yield_!(1);
}

#[sse_endpoint(error_event = "")]
async fn b() {
    yield_!(1);
}

fn main() {}
