use sse_runtime::sse_endpoint;

struct Secret {
    key: u64,
}

#[sse_endpoint]
async fn leak() {
    yield_!(Secret { key: 1 });
}

fn main() {}
