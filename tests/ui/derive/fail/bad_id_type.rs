use sse_runtime::SseEvent;

#[derive(SseEvent)]
struct Tick {
    #[sse(id)]
    at: Vec<u8>,
}

fn main() {}
