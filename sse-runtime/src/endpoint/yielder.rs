//! The yield path: `yield_!(value)` writes the value through a [`Yielder`]
//! straight into the response's writer, then suspends the body.
//!
//! While the response polls the endpoint's [`Generator`](super::Generator),
//! the generator lends it the response's writer: the writer is moved into
//! this stream's [`YieldState`] and the state installed as the thread's
//! active one for the duration of that poll. The yields run synchronously
//! inside the poll, on this thread, so each writes into the frame that goes
//! to the socket: the value is never boxed, stored or copied, and no lock is
//! taken. A thread-local instead of a shared `Mutex` saves the atomic
//! operations on every event.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use serde::Serialize;

use crate::endpoint::defaults::Defaults;
use crate::event::{EventError, EventWriter, Json, LineEnding, SseEvent};
use crate::response::FRAME_BUDGET;

/// One stream's yield state: while lent, the response's writer; what the
/// yields of the current poll wrote.
pub(crate) struct YieldState {
    pub(crate) writer: EventWriter,
    defaults: Defaults,
    /// Events written during this poll.
    pub(crate) events: usize,
    /// Why the last yield could not be written; ends the stream.
    pub(crate) error: Option<EventError>,
}

thread_local! {
    /// The state of the stream being polled on this thread, if any; restored
    /// after each poll, also on unwind, so nested and concurrent streams
    /// never see each other's.
    static ACTIVE: RefCell<Option<Box<YieldState>>> = const { RefCell::new(None) };
}

/// Writes the events an endpoint body yields. Created by the generated code.
#[derive(Debug)]
pub struct Yielder {
    /// Whether the frame has room for more, so the next suspension can be
    /// skipped: the body then runs on to its next yield within the same
    /// poll, and a burst of ready events costs one poll, not one per event.
    room: Cell<bool>,
}

/// The generator's end of a [`Yielder`]: the stream's yield state, passed to
/// [`Generator::new`](super::Generator::new).
pub struct Yields {
    // Boxed so that installing it for a poll moves a pointer, not the state.
    pub(crate) state: Box<YieldState>,
}

impl std::fmt::Debug for Yields {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Yields").finish_non_exhaustive()
    }
}

impl Yielder {
    /// A yielder applying `defaults`, and its generator's end.
    pub fn new(defaults: Defaults) -> (Self, Yields) {
        let state = Box::new(YieldState {
            // A stand-in until the response's writer is lent; allocates
            // nothing.
            writer: EventWriter::new(LineEnding::default()),
            defaults,
            events: 0,
            error: None,
        });
        let yielder = Self {
            room: Cell::new(false),
        };
        (yielder, Yields { state })
    }

    /// Writes `event` as the next event.
    pub fn write<E: SseEvent + ?Sized>(&self, event: &E) {
        self.room.set(with_active(|state| {
            if state.error.is_some() {
                return false;
            }
            match state.defaults.write(&mut state.writer, event) {
                Ok(()) => state.events += 1,
                Err(error) => state.error = Some(error),
            }
            state.error.is_none() && state.writer.has_room(FRAME_BUDGET)
        }));
    }

    /// Writes `value` as the next event's JSON data.
    pub fn write_json<T: Serialize + ?Sized>(&self, value: &T) {
        self.write(&Json(value));
    }

    /// After a write: returns `Pending` once, handing the frame to the
    /// response, unless the frame has room for more events, in which case the
    /// body simply continues.
    pub fn suspend(&self) -> Suspend {
        Suspend {
            suspended: self.room.replace(false),
        }
    }
}

/// Runs `write` on the active state; `false` (no room) when there is none.
fn with_active(write: impl FnOnce(&mut YieldState) -> bool) -> bool {
    ACTIVE.with(|active| {
        let Ok(mut active) = active.try_borrow_mut() else {
            tracing::error!("an event was yielded while another was being written; dropped");
            return false;
        };
        match active.as_mut() {
            Some(state) => write(state),
            None => {
                tracing::error!("an event was yielded outside its endpoint's stream; dropped");
                false
            }
        }
    })
}

/// Lends the response's writer to a stream's yield state and installs it as
/// the thread's active one; puts everything back where it was when dropped,
/// even when the body panics.
pub(crate) struct Lent<'a> {
    slot: &'a mut Option<Box<YieldState>>,
    writer: &'a mut EventWriter,
    previous: Option<Box<YieldState>>,
}

impl<'a> Lent<'a> {
    pub(crate) fn new(slot: &'a mut Option<Box<YieldState>>, writer: &'a mut EventWriter) -> Self {
        let mut state = slot.take();
        if let Some(state) = state.as_mut() {
            std::mem::swap(&mut state.writer, writer);
        }
        let previous = ACTIVE.with(|active| active.replace(state));
        Self {
            slot,
            writer,
            previous,
        }
    }
}

impl Drop for Lent<'_> {
    fn drop(&mut self) {
        let mut state = ACTIVE.with(|active| active.replace(self.previous.take()));
        if let Some(state) = state.as_mut() {
            std::mem::swap(&mut state.writer, self.writer);
        }
        *self.slot = state;
    }
}

/// The future of [`Yielder::suspend`].
#[derive(Debug)]
#[must_use = "a yield must be awaited"]
pub struct Suspend {
    suspended: bool,
}

impl Future for Suspend {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<()> {
        if self.suspended {
            Poll::Ready(())
        } else {
            // No waker is registered: the generator polling this body sees
            // the written event and returns it, and the response polls the
            // generator again for the next one.
            self.suspended = true;
            Poll::Pending
        }
    }
}
