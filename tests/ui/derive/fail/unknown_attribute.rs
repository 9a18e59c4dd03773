use sse_runtime::SseEvent;

#[derive(serde::Serialize, SseEvent)]
struct Tick {
    #[sse(key)]
    n: u32,
}

fn main() {}
