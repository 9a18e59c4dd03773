use sse_runtime::SseEvent;

#[derive(serde::Serialize, SseEvent)]
struct Tick {
    #[sse(id)]
    at: Vec<u8>,
}

fn main() {}
