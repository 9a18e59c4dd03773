use sse_runtime::sse_endpoint;

async fn gone(reason: String) {
    let _ = reason;
}

#[sse_endpoint(on_disconnect = gone)]
async fn a() {
    yield_!(1);
}

fn main() {}
