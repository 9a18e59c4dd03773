use sse_runtime::sse_endpoint;

struct Feed;

impl Feed {
    #[sse_endpoint]
    async fn events(&self) {
        yield_!(1);
    }
}

fn main() {}
