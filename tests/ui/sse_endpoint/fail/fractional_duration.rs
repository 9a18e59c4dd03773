use sse_runtime::sse_endpoint;

#[sse_endpoint(ping = "1.5s")]
async fn a() {
    yield_!(1);
}

fn main() {}
