//! A method with a route gets the one error that says what to do, not the
//! compiler's complaint about the route's type inside an `impl` as well.
use sse_runtime::sse_endpoint;

struct Feed;

impl Feed {
    #[sse_endpoint(get "/feed")]
    async fn events(&self) {
        yield_!(1);
    }
}

fn main() {}
