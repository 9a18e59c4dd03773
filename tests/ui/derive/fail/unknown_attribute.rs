use sse_runtime::SseEvent;

#[derive(SseEvent)]
struct Tick {
    #[sse(key)]
    n: u32,
}

fn main() {}
