//! A mistake in the attribute and one in the function: both are reported in
//! one build, not the first only.
use sse_runtime::sse_endpoint;

#[sse_endpoint(retry = 3)]
fn numbers() {
    yield_!(1);
}

fn main() {}
