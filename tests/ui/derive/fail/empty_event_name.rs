use sse_runtime::SseEvent;

#[derive(SseEvent)]
#[sse(event = "")]
struct Tick {
    n: u32,
}

fn main() {}
