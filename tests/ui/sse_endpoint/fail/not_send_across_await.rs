//! A value that is not `Send` held across an `.await` is named where it is
//! held, not as axum's opaque `Handler` error on the whole attribute.
use sse_runtime::sse_endpoint;
use std::rc::Rc;

#[sse_endpoint(get "/counter")]
async fn counter() {
    let shared = Rc::new(1);
    tokio::task::yield_now().await;
    yield_!(*shared);
}

fn main() {}
