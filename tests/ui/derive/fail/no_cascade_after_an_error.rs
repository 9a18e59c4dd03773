//! A derive that fails still implements the trait (with a body that never
//! runs), so the places that send the type report nothing more: the one
//! error is the derive's.
use sse_runtime::{SseEvent, sse_endpoint};

#[derive(serde::Serialize, SseEvent)]
#[sse(event = "a\nb")]
struct Tick {
    n: u32,
}

#[sse_endpoint]
async fn ticks() {
    yield_!(Tick { n: 1 });
}

fn main() {
    let mut writer = sse_runtime::EventWriter::new(sse_runtime::LineEnding::Lf);
    let _ = writer.write(&Tick { n: 2 });
    let _: axum::routing::MethodRouter = axum::routing::get(ticks);
}
