//! The engine behind `#[sse_endpoint]`: an `async` body whose `yield`s write
//! events, run as a `Stream`.
//!
//! The macro rewrites `yield_!(value)` into a write through a [`Yielder`]
//! followed by `yielder.suspend().await`. While the response polls the
//! [`Generator`], it lends the generator its output buffer, so the write
//! encodes the event straight into the frame that goes to the socket; the
//! suspension returns `Pending` once, which hands control back to the
//! response. The value is never boxed, stored or copied, and no lock is taken:
//! one allocation per stream (the boxed yield state), none per event.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::ops::Range;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::{Bytes, BytesMut};
use pin_project_lite::pin_project;
use serde::Serialize;

use crate::body::FRAME_BUDGET;
use crate::encode::{EventWriter, WriteEvent};
use crate::error::EventError;
use crate::item::BoxError;
use crate::line_ending::LineEnding;
use crate::source::EventSource;

/// Defaults an endpoint applies to events that do not set the field.
#[derive(Debug, Clone, Copy, Default)]
pub struct Defaults {
    /// `event:` for events without a type.
    pub event: Option<&'static str>,
    /// Number events without an id: `Some(first)` starts the counter there.
    pub sequential_from: Option<u64>,
}

/// A stream's yield state: the response's output buffer while it is lent,
/// and what the yields wrote.
struct State {
    buf: BytesMut,
    line_ending: LineEnding,
    default_event: Option<&'static str>,
    next_id: Option<u64>,
    /// Events written during this poll.
    events: usize,
    /// Where the `id` value of that event lies in `buf`.
    id: Option<Range<usize>>,
    /// A complete shared event (a hub message) yielded while `buf` was
    /// empty: passed on as a frame of its own instead of copied.
    shared: Option<(Bytes, Option<Range<usize>>)>,
    error: Option<EventError>,
}

thread_local! {
    /// The state of the generator being polled on this thread, if any. It is
    /// installed for the duration of one poll of an endpoint body (the yields
    /// run synchronously inside that poll, on this thread) and restored
    /// afterwards, also on unwind, so nested and concurrent streams never
    /// see each other's. A thread-local instead of a shared `Mutex` saves the
    /// atomic operations on every event.
    static ACTIVE: RefCell<Option<Box<State>>> = const { RefCell::new(None) };
}

/// Writes the events an endpoint body yields. Created by the generated code.
#[derive(Debug)]
pub struct Yielder {
    /// Whether the frame has room for more, so the next suspension can be
    /// skipped: the body then runs on to its next yield within the same
    /// poll, and a burst of ready events costs one poll, not one per event.
    room: Cell<bool>,
}

/// The generator's part of a [`Yielder`], passed to [`Generator::new`].
pub struct Link {
    // Boxed so that installing it for a poll moves a pointer, not the state.
    state: Box<State>,
}

impl std::fmt::Debug for Link {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Link").finish_non_exhaustive()
    }
}

impl Yielder {
    /// A yielder applying `defaults`, and the link that carries them to the
    /// [`Generator`].
    pub fn new(defaults: Defaults) -> (Self, Link) {
        let state = Box::new(State {
            buf: BytesMut::new(),
            line_ending: LineEnding::default(),
            default_event: defaults.event,
            next_id: defaults.sequential_from,
            events: 0,
            id: None,
            shared: None,
            error: None,
        });
        (
            Self {
                room: Cell::new(false),
            },
            Link { state },
        )
    }

    /// Encodes `event` as the next event.
    pub fn write<E: WriteEvent + ?Sized>(&self, event: &E) {
        if let Some(frame) = event.complete_frame()
            && share(frame)
        {
            // The shared frame goes out on its own: hand it over now.
            self.room.set(false);
            return;
        }
        self.room.set(encode(|writer| event.write_event(writer)));
    }

    /// Encodes `value` as the next event's JSON data.
    pub fn write_json<T: Serialize + ?Sized>(&self, value: &T) {
        self.room.set(encode(|writer| writer.json_data(value)));
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

/// Passes a complete shared event on uncopied, if nothing is buffered yet;
/// returns whether it did.
fn share(frame: (Bytes, Option<Range<usize>>)) -> bool {
    ACTIVE.with(|active| {
        let Ok(mut active) = active.try_borrow_mut() else {
            return false;
        };
        match active.as_mut() {
            Some(state)
                if state.buf.is_empty() && state.shared.is_none() && state.error.is_none() =>
            {
                state.shared = Some(frame);
                state.events += 1;
                true
            }
            _ => false,
        }
    })
}

/// Encodes one event into the installed state; returns whether the frame has
/// room for more.
fn encode(write: impl FnOnce(&mut EventWriter<'_>) -> Result<(), EventError>) -> bool {
    ACTIVE.with(|active| {
        let Ok(mut active) = active.try_borrow_mut() else {
            tracing::error!("an event was yielded while another was being written; dropped");
            return false;
        };
        let Some(state) = active.as_mut() else {
            tracing::error!("an event was yielded outside its endpoint's stream; dropped");
            return false;
        };
        encode_into(state, write);
        state.error.is_none() && state.buf.len() < FRAME_BUDGET
    })
}

fn encode_into(
    state: &mut State,
    write: impl FnOnce(&mut EventWriter<'_>) -> Result<(), EventError>,
) {
    if state.error.is_some() {
        return;
    }
    let start = state.buf.len();
    let mut writer = EventWriter::new(&mut state.buf, state.line_ending);
    if let Err(error) = write(&mut writer) {
        state.buf.truncate(start);
        state.error = Some(error);
        return;
    }
    let (wrote_id, wrote_event) = (writer.wrote_id(), writer.wrote_event());
    let mut id = writer.last_id_range();
    // Defaults go first, where a reader of the stream expects `id` and
    // `event`: written after the fields, then rotated to the front.
    let fields_end = state.buf.len();
    let mut writer = EventWriter::new(&mut state.buf, state.line_ending);
    if let (false, Some(next)) = (wrote_id, state.next_id.as_mut()) {
        writer.id_u64(*next);
        *next += 1;
        id = writer.last_id_range();
    }
    if let (false, Some(event)) = (wrote_event, state.default_event) {
        writer.raw_field("event", event);
    }
    let added = state.buf.len() - fields_end;
    if added > 0 {
        state.buf[start..].rotate_right(added);
        id = id.map(|range| {
            if range.start >= fields_end {
                // The default id, now at the front.
                range.start - fields_end + start..range.end - fields_end + start
            } else {
                range.start + added..range.end + added
            }
        });
    }
    EventWriter::new(&mut state.buf, state.line_ending).end();
    state.id = id;
    state.events += 1;
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

/// What an endpoint body may return: `()` or `Result<(), E>`.
pub trait BodyOutput {
    /// The error that ends the stream, if any.
    fn into_result(self) -> Result<(), BoxError>;
}

impl BodyOutput for () {
    fn into_result(self) -> Result<(), BoxError> {
        Ok(())
    }
}

impl<E: Into<BoxError>> BodyOutput for Result<(), E> {
    fn into_result(self) -> Result<(), BoxError> {
        self.map_err(Into::into)
    }
}

pin_project! {
    /// An endpoint body run as an [`EventSource`].
    #[must_use = "an event source does nothing unless polled"]
    pub struct Generator<F> {
        // `None` only while installed as the thread's active state.
        state: Option<Box<State>>,
        #[pin]
        body: F,
        done: bool,
        // The body's result, when it finished in the same poll as its last
        // write (a hand-written body that did not suspend after writing).
        ended: Option<Result<(), BoxError>>,
    }
}

impl<F> Generator<F> {
    /// Runs `body`, whose yields write with the defaults carried by `link`.
    pub fn new(link: Link, body: F) -> Self {
        Self {
            state: Some(link.state),
            body,
            done: false,
            ended: None,
        }
    }
}

/// Installs a generator's state, holding the response's buffer, as the
/// thread's active one; puts everything back where it was when dropped, even
/// when the body panics.
struct Lend<'a> {
    slot: &'a mut Option<Box<State>>,
    buf: &'a mut BytesMut,
    previous: Option<Box<State>>,
}

impl<'a> Lend<'a> {
    fn new(
        slot: &'a mut Option<Box<State>>,
        buf: &'a mut BytesMut,
        line_ending: LineEnding,
    ) -> Self {
        let mut state = slot.take();
        if let Some(state) = state.as_mut() {
            std::mem::swap(&mut state.buf, buf);
            state.line_ending = line_ending;
        }
        let previous = ACTIVE.with(|active| active.replace(state));
        Self {
            slot,
            buf,
            previous,
        }
    }
}

impl Drop for Lend<'_> {
    fn drop(&mut self) {
        let mut state = ACTIVE.with(|active| active.replace(self.previous.take()));
        if let Some(state) = state.as_mut() {
            std::mem::swap(&mut state.buf, self.buf);
        }
        *self.slot = state;
    }
}

impl<F> EventSource for Generator<F>
where
    F: Future,
    F::Output: BodyOutput,
{
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        writer: &mut EventWriter<'_>,
    ) -> Poll<Option<Result<usize, BoxError>>> {
        let this = self.project();
        if *this.done {
            return Poll::Ready(this.ended.take().and_then(Result::err).map(Err));
        }
        // One poll runs the body through every yield that fits in the frame
        // (see `Yielder::suspend`).
        let output = {
            let (buf, line_ending) = writer.buffer();
            let _lent = Lend::new(this.state, buf, line_ending);
            this.body.poll(cx)
        };
        if let Poll::Ready(output) = output {
            *this.done = true;
            *this.ended = Some(output.into_result());
        }
        let Some(state) = this.state.as_mut() else {
            // The lend always puts the state back; without it, end cleanly.
            *this.done = true;
            return Poll::Ready(None);
        };
        let events = std::mem::take(&mut state.events);
        if let Some((frame, id)) = state.shared.take() {
            writer.set_shared(frame, id);
        }
        if let Some(error) = state.error.take() {
            *this.done = true;
            *this.ended = Some(Err(error.into()));
        }
        if let Some(id) = this.state.as_mut().and_then(|state| state.id.take()) {
            writer.set_last_id(id);
        }
        if events > 0 {
            // An error or the end is reported on the next call.
            return Poll::Ready(Some(Ok(events)));
        }
        if *this.done {
            return Poll::Ready(this.ended.take().and_then(Result::err).map(Err));
        }
        Poll::Pending
    }
}
