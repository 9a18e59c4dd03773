use sse_runtime::sse_endpoint;

#[sse_endpoint(retry = "3s", retry = "4s")]
async fn a() {
    yield_!(1);
}

fn main() {}
