use sse_runtime::sse_endpoint;

#[sse_endpoint]
fn numbers() {
    yield_!(1);
}

fn main() {}
