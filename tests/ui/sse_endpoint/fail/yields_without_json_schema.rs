//! Under the `schema` feature, `yields = T` is described in OpenAPI, so `T`
//! must derive `schemars::JsonSchema`: without it, an error on `T` says what
//! to derive or how to opt out, instead of an "undeclared" description.
use serde::Serialize;
use sse_runtime::{SseEvent, sse_endpoint};

#[derive(Serialize, SseEvent)]
struct Ticker {
    price: f64,
}

#[sse_endpoint(get "/ticker", yields = Ticker)]
async fn ticker() {
    yield_!(Ticker { price: 1.0 });
}

fn main() {}
