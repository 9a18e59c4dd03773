//! The runtime's one way to take a lock.

use std::sync::{Mutex, MutexGuard};

/// Locks `mutex`, whether or not a panic poisoned it. Every mutex in the
/// runtime guards a short, await-free step that leaves its data consistent,
/// so a panic elsewhere (an endpoint's, which the response contains) never
/// leaves it half-written; refusing the lock would turn one contained panic
/// into many.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
