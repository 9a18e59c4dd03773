//! An adjacently tagged variant's fields are nested in its content, where
//! the id cannot be taken out.
use serde::Serialize;
use sse_runtime::SseEvent;

#[derive(Serialize, SseEvent)]
#[serde(tag = "t", content = "c")]
enum Room {
    Joined {
        #[sse(id)]
        seq: u64,
        name: String,
    },
}

fn main() {}
