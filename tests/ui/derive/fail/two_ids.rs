use sse_runtime::SseEvent;

#[derive(serde::Serialize, SseEvent)]
struct Tick {
    #[sse(id)]
    a: u32,
    #[sse(id)]
    b: u32,
}

fn main() {}
