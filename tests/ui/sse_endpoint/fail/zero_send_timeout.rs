use sse_runtime::sse_endpoint;

#[sse_endpoint(send_timeout = "0s")]
async fn a() {
    yield_!(1);
}

fn main() {}
