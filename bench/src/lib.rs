//! What the benchmark binaries and the criterion benches share.

use serde::Serialize;

pub mod encoding;

/// The small JSON event of the firehose, slow and encoding scenarios:
/// `{"n":1,"name":"tick"}`.
#[derive(Serialize)]
pub struct Tick {
    pub n: u64,
    pub name: &'static str,
}
