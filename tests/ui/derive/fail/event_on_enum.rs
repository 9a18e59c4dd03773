use sse_runtime::SseEvent;

#[derive(SseEvent)]
#[sse(event = "room")]
enum Room {
    Joined { name: String },
    Left { name: String },
}

fn main() {}
