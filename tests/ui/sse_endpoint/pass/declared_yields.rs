//! `yields = T`: every variant of an enum, a value or a reference, in the
//! body and inside `tokio::select!`.
use serde::Serialize;
use sse_runtime::{SseEvent, sse_endpoint};

#[derive(Serialize, SseEvent)]
enum Room {
    Joined { name: String },
    Left { name: String },
}

#[sse_endpoint(get "/room", yields = Room, schema = any)]
async fn room() {
    yield_!(Room::Joined { name: "ann".into() });
    let left = Room::Left { name: "ann".into() };
    yield_!(&left);
    tokio::select! {
        _ = tokio::task::yield_now() => yield_!(Room::Left { name: "bob".into() }),
    }
}

fn main() {
    let _: axum::Router = room::route();
}
