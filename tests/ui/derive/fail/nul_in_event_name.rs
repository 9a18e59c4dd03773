use sse_runtime::SseEvent;

#[derive(serde::Serialize, SseEvent)]
#[sse(event = "tick\0")]
struct Tick {
    n: u32,
}

fn main() {}
