use sse_runtime::sse_endpoint;

#[sse_endpoint]
async fn numbers() {
    yield_!();
}

fn main() {}
