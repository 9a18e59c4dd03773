//! The rows' names: one function each, shared by the code that measures a
//! row and the statements made from it (`findings`), so a renamed row cannot
//! leave a statement quietly looking for the old name.

use crate::scenarios::OPEN_AT_ONCE;

/// The firehose's events per second.
pub const FIREHOSE: &str = "firehose: small JSON events, one stream";

/// The firehose's bytes per second.
pub const FIREHOSE_BYTES: &str = "firehose: bytes";

/// A p50 or p99 row of a latency `metric`.
pub fn at(metric: &str, percentile: &str) -> String {
    format!("{metric}, {percentile}")
}

pub fn first_byte(connects: usize) -> String {
    format!("time to first byte, {connects} simultaneous connects")
}

/// Resident memory per idle stream at `streams` ("1000 streams", "100000
/// streams over 6 server processes").
pub fn idle_memory(streams: &str) -> String {
    format!("idle memory at {streams}")
}

/// The time to open `streams` idle streams in one process, [`OPEN_AT_ONCE`]
/// at a time.
pub fn idle_open(streams: usize) -> String {
    format!("idle: open {streams} streams, {OPEN_AT_ONCE} at a time, each to its first event")
}

/// The time to open `streams` idle streams, all shares at once.
pub fn idle_open_spread(streams: &str) -> String {
    format!("idle: open {streams}, each to its first event")
}

/// A fan-out's publish → last subscriber latency (`at` gives its p50 and
/// p99); `fan_out` is `fan-out to 1000`, `hub (Redis) fan-out to 1000`.
pub fn last_delivery(fan_out: &str) -> String {
    format!("{fan_out}: publish → last subscriber")
}

/// A fan-out's deliveries per second.
pub fn deliveries(fan_out: &str) -> String {
    format!("{fan_out}: deliveries")
}

pub fn fan_out(subscribers: usize) -> String {
    format!("fan-out to {subscribers}")
}

/// The hub's fan-out, `backend` "in memory" or "Redis", to `subscribers`
/// ("1000", "100000 streams over 6 server processes").
pub fn hub_fan_out(backend: &str, subscribers: &str) -> String {
    format!("hub ({backend}) fan-out to {subscribers}")
}

/// The many-streams rows' hub fan-out in one process.
pub fn many_hub_fan_out(subscribers: usize) -> String {
    format!("hub fan-out to {subscribers}")
}

pub fn disconnect(streams: usize) -> String {
    format!("disconnect: {streams} clients close → all generators dropped")
}

pub fn shutdown(streams: usize) -> String {
    format!("shutdown with {streams} open streams: SIGTERM → exit")
}
