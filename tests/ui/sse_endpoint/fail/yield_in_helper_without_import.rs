//! A helper beside an endpoint that uses `yield_!` without importing it is
//! told where yields work, not only "cannot find macro".
use sse_runtime::sse_endpoint;

fn helper() {
    yield_!(1);
}

#[sse_endpoint(get "/numbers")]
async fn numbers() {
    helper();
    yield_!(2);
}

fn main() {}
