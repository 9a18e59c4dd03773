use sse_runtime::SseEvent;

#[derive(serde::Serialize, SseEvent)]
#[sse(event = "a\nb")]
struct Tick {
    n: u32,
}

fn main() {}
