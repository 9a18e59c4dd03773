use sse_runtime::sse_endpoint;

async fn farewell() -> String {
    "bye".into()
}

#[sse_endpoint(on_shutdown = farewell)]
async fn a() {
    yield_!(1);
}

fn main() {}
