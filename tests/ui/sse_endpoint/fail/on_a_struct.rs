//! The struct is still there beside the error: its uses, here through a
//! path from another module, do not fail too.
use sse_runtime::sse_endpoint;

#[sse_endpoint(get "/ticks")]
struct Ticks {
    every_ms: u64,
}

mod config {
    pub fn ticks() -> crate::Ticks {
        crate::Ticks { every_ms: 1000 }
    }
}

fn main() {
    assert_eq!(config::ticks().every_ms, 1000);
}
