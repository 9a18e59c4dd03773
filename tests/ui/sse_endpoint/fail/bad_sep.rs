use sse_runtime::sse_endpoint;

#[sse_endpoint(sep = "\n\n")]
async fn a() {
    yield_!(1);
}

fn main() {}
