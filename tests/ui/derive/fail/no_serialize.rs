//! The data is what the type's own `Serialize` writes; a type without one
//! is told to derive it.
use sse_runtime::SseEvent;

#[derive(SseEvent)]
struct Tick {
    n: u32,
}

fn main() {}
