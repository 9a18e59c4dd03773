use sse_runtime::sse_endpoint;

#[sse_endpoint(retry = 3)]
async fn a() {
    yield_!(1);
}

fn main() {}
