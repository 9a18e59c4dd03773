use sse_runtime::SseEvent;

#[derive(serde::Serialize, SseEvent)]
#[sse(event = "room")]
enum Room {
    Joined { name: String },
    Left { name: String },
}

fn main() {}
