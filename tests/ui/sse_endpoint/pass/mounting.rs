//! An endpoint is an ordinary handler and also mounts itself.
use axum::{Router, routing::get};
use sse_runtime::{routes, sse_endpoint};

#[sse_endpoint(get "/a")]
async fn a() {
    yield_!("a");
}

#[sse_endpoint(post "/b")]
pub async fn b() {
    yield_!("b");
}

#[sse_endpoint]
async fn plain() {
    yield_!("plain");
}


fn main() {
    let _: Router = routes![a, b].route("/plain", get(plain));
    let _: Router = Router::new().merge(a::route()).route("/again", get(a));
    assert_eq!(a::PATH, "/a");
}
