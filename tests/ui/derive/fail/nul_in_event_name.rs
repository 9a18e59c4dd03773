use sse_runtime::SseEvent;

#[derive(SseEvent)]
#[sse(event = "tick\0")]
struct Tick {
    n: u32,
}

fn main() {}
