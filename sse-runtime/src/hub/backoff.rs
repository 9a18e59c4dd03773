//! How a shared backend's reader waits between reconnection attempts.

use std::time::Duration;

/// `backoff` ± 25 %, so that many processes do not reconnect in step.
pub(crate) fn jitter(backoff: Duration) -> Duration {
    use std::hash::{BuildHasher, RandomState};
    let random = RandomState::new().hash_one(std::time::Instant::now());
    let spread = backoff / 2;
    backoff - backoff / 4 + spread.mul_f64((random % 1_000) as f64 / 1_000.0)
}
