//! A transparent type is sent as its one field: that field cannot also be
//! the id.
use serde::Serialize;
use sse_runtime::SseEvent;

#[derive(Serialize, SseEvent)]
#[serde(transparent)]
struct Seq {
    #[sse(id)]
    seq: u64,
}

fn main() {}
