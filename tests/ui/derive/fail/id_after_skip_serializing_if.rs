//! In a tuple the id is found by position, which `skip_serializing_if`
//! before it would move.
use serde::Serialize;
use sse_runtime::SseEvent;

#[derive(Serialize, SseEvent)]
struct Pair(
    #[serde(skip_serializing_if = "Option::is_none")] Option<u8>,
    #[sse(id)] u64,
);

fn main() {}
