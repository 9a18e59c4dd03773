//! What the benchmark binaries and the criterion benches share.

use std::time::Duration;

use serde::Serialize;

pub mod encoding;

/// How long `bench-server`'s `Shutdown` gives streams after SIGTERM before
/// it ends them (the shutdown rows measure against it).
pub const GRACE_PERIOD: Duration = Duration::from_secs(2);

/// How often `bench-server`'s `/slow` stream sends an event (the disconnect
/// and shutdown rows hold such streams).
pub const SLOW_EVERY: Duration = Duration::from_millis(100);

/// The small JSON event of the firehose, slow and encoding scenarios:
/// `{"n":1,"name":"tick"}`.
#[derive(Serialize)]
pub struct Tick {
    pub n: u64,
    pub name: &'static str,
}
