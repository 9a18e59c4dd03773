//! `routes![..]` mounts endpoints that declare a route; one without says so.
use sse_runtime::{routes, sse_endpoint};

#[sse_endpoint]
async fn no_route() {
    yield_!(1);
}

fn main() {
    let _: axum::Router = routes![no_route];
}
