use sse_runtime::sse_endpoint;

#[sse_endpoint]
async fn numbers() {
    (1..3).for_each(|n| {
        yield_!(n);
    });
}

fn main() {}
