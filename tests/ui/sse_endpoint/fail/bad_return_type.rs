use sse_runtime::sse_endpoint;

#[sse_endpoint]
async fn numbers() -> u32 {
    yield_!(1);
    2
}

fn main() {}
