//! The event stream a connection carries now: noted by the connection's
//! service when a response is an event stream, read by its socket to enforce
//! that stream's send timeout.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use crate::response::{DisconnectReason, Enforcement};
use crate::sync::lock;

/// Shared by one connection's service, socket and guard.
#[derive(Clone, Debug, Default)]
pub(crate) struct CurrentStream(Arc<Slot>);

#[derive(Debug, Default)]
struct Slot {
    stream: Mutex<Option<Arc<Enforcement>>>,
    /// Set with every new response; the socket takes it to adjust itself.
    changed: AtomicBool,
}

impl CurrentStream {
    /// The connection now carries `stream` (or a response that is not an
    /// event stream).
    pub(crate) fn set(&self, stream: Option<Arc<Enforcement>>) {
        *self.lock() = stream;
        self.0.changed.store(true, Ordering::Release);
    }

    /// Whether a response was set since the last call: one atomic load on
    /// the socket's write path.
    pub(crate) fn take_changed(&self) -> bool {
        self.0.changed.load(Ordering::Acquire) && self.0.changed.swap(false, Ordering::AcqRel)
    }

    /// The stream the connection carries, if it is an event stream.
    pub(crate) fn get(&self) -> Option<Arc<Enforcement>> {
        self.lock().clone()
    }

    /// The connection ends its stream for `reason` (it will not be polled
    /// again), so that the stream's report gives that reason.
    pub(crate) fn end(&self, reason: DisconnectReason) {
        if let Some(stream) = self.get() {
            stream.end(reason);
        }
    }

    fn lock(&self) -> MutexGuard<'_, Option<Arc<Enforcement>>> {
        lock(&self.0.stream)
    }
}
