use sse_runtime::sse_endpoint;

#[sse_endpoint(get "/a" retry = "3s")]
async fn a() {
    yield_!(1);
}

fn main() {}
