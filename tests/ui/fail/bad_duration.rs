use sse_runtime::sse_endpoint;

#[sse_endpoint(retry = "15")]
async fn a() {
    yield_!(1);
}

#[sse_endpoint(ping = "1.5s")]
async fn b() {
    yield_!(1);
}

#[sse_endpoint(send_timeout = "0s")]
async fn c() {
    yield_!(1);
}

fn main() {}
