use sse_runtime::sse_endpoint;

#[sse_endpoint]
async fn numbers() {
    let later = async {
        yield_!(1);
    };
    later.await;
}

fn main() {}
