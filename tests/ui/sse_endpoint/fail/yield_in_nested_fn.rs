use sse_runtime::sse_endpoint;

#[sse_endpoint]
async fn numbers() {
    fn helper() {
        yield_!(1);
    }
    helper();
}

fn main() {}
