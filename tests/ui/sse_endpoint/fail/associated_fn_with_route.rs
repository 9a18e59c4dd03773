//! An associated function with a route gets one error that says what to do,
//! not the compiler's complaints about the items the route expands into.
use sse_runtime::sse_endpoint;

struct Feed;

impl Feed {
    #[sse_endpoint(get "/feed")]
    async fn events() {
        yield_!(1);
    }
}

fn main() {}
