use sse_runtime::sse_endpoint;

#[sse_endpoint(id = random)]
async fn a() {
    yield_!(1);
}

fn main() {}
