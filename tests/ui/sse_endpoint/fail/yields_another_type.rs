//! A `yield_!` that sends something other than the declared `yields` type
//! is an error on that `yield_!`'s value, naming both types.
use serde::Serialize;
use sse_runtime::{SseEvent, sse_endpoint};

#[derive(Serialize, SseEvent)]
enum Room {
    Joined { name: String },
}

#[derive(Serialize)]
struct Tick {
    n: u64,
}

#[sse_endpoint(get "/room", yields = Room, schema = any)]
async fn room() {
    yield_!(Room::Joined { name: "ann".into() });
    yield_!(Tick { n: 1 });
}

fn main() {}
