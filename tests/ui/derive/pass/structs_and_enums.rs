//! `#[derive(Serialize, SseEvent)]` on structs and enums, with ids and names.
use serde::Serialize;
use sse_runtime::{SseEvent, sse_endpoint};

#[derive(Serialize, SseEvent)]
struct Tick {
    #[sse(id)]
    seq: u64,
    n: u32,
}

#[derive(Serialize, SseEvent)]
#[sse(event = "price")]
struct Price<'a> {
    #[sse(id)]
    id: &'a str,
    cents: i64,
}

#[derive(Serialize, SseEvent)]
struct Wrapper<T>(T);

#[derive(Serialize, SseEvent)]
enum Room {
    Joined { #[sse(id)] at: u32, name: String },
    #[sse(event = "msg")]
    Message(String),
    Pair(u8, u8),
    Closed,
}

#[sse_endpoint]
async fn events() {
    yield_!(Tick { seq: 1, n: 2 });
    yield_!(Price { id: "a", cents: 3 });
    yield_!(Wrapper(vec!["x"]));
    yield_!(Room::Joined { at: 1, name: "ann".into() });
    yield_!(Room::Message("hi".into()));
    yield_!(Room::Pair(1, 2));
    yield_!(Room::Closed);
}

fn main() {
    let _: axum::routing::MethodRouter = axum::routing::get(events);
}
