use sse_runtime::SseEvent;

#[derive(SseEvent)]
union Bits {
    int: u32,
    float: f32,
}

fn main() {}
