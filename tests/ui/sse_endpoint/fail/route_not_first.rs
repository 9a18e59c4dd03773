use sse_runtime::sse_endpoint;

#[sse_endpoint(retry = "3s", get "/a")]
async fn a() {
    yield_!(1);
}

fn main() {}
