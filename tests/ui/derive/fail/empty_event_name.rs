use sse_runtime::SseEvent;

#[derive(serde::Serialize, SseEvent)]
#[sse(event = "")]
struct Tick {
    n: u32,
}

fn main() {}
