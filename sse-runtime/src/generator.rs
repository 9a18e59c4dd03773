//! The engine behind `#[sse_endpoint]`: an `async` body whose `yield`s write
//! events, run as a `Stream`.
//!
//! The macro rewrites `yield value` into a write through a [`Yielder`]
//! followed by `yielder.suspend().await`. The write encodes the event at once
//! into a buffer shared with the [`Generator`]; the suspension returns
//! `Pending` once, which hands control back to the generator, and the
//! generator passes the encoded bytes to the response. The value is never
//! boxed or stored: one allocation per stream, none per event.

use std::future::Future;
use std::ops::Range;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};

use bytes::BytesMut;
use futures_core::Stream;
use pin_project_lite::pin_project;
use serde::Serialize;

use crate::encode::{EventWriter, WriteEvent};
use crate::error::EventError;
use crate::item::BoxError;
use crate::line_ending::LineEnding;

/// Defaults an endpoint applies to events that do not set the field.
#[derive(Debug, Clone, Copy, Default)]
pub struct Defaults {
    /// `event:` for events without a type.
    pub event: Option<&'static str>,
    /// Number events without an id: `Some(first)` starts the counter there.
    pub sequential_from: Option<u64>,
}

struct Shared {
    buf: BytesMut,
    line_ending: LineEnding,
    default_event: Option<&'static str>,
    next_id: Option<u64>,
    /// Where the `id` value of the buffered event lies in `buf`.
    id: Option<Range<usize>>,
    error: Option<EventError>,
}

/// Writes the events an endpoint body yields. Created by the generated code.
pub struct Yielder {
    shared: Arc<Mutex<Shared>>,
}

/// The generator's end of a [`Yielder`], passed to [`Generator::new`].
pub struct Link {
    shared: Arc<Mutex<Shared>>,
}

impl std::fmt::Debug for Link {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Link").finish_non_exhaustive()
    }
}

impl Yielder {
    /// A yielder writing lines ended by `line_ending`, applying `defaults`,
    /// and the link a [`Generator`] reads its events through.
    pub fn new(line_ending: LineEnding, defaults: Defaults) -> (Self, Link) {
        let shared = Arc::new(Mutex::new(Shared {
            buf: BytesMut::new(),
            line_ending,
            default_event: defaults.event,
            next_id: defaults.sequential_from,
            id: None,
            error: None,
        }));
        (
            Self {
                shared: shared.clone(),
            },
            Link { shared },
        )
    }

    fn lock(&self) -> MutexGuard<'_, Shared> {
        // A panic while encoding ends the stream anyway; the data is plain.
        self.shared
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Encodes `event` as the next event.
    pub fn write<E: WriteEvent + ?Sized>(&self, event: &E) {
        self.encode(|writer| event.write_event(writer));
    }

    /// Encodes `value` as the next event's JSON data.
    pub fn write_json<T: Serialize + ?Sized>(&self, value: &T) {
        self.encode(|writer| writer.json_data(value));
    }

    fn encode(&self, write: impl FnOnce(&mut EventWriter<'_>) -> Result<(), EventError>) {
        let mut guard = self.lock();
        let shared = &mut *guard;
        if shared.error.is_some() {
            return;
        }
        let start = shared.buf.len();
        let mut writer = EventWriter::new(&mut shared.buf, shared.line_ending);
        if let Err(error) = write(&mut writer) {
            shared.buf.truncate(start);
            shared.error = Some(error);
            return;
        }
        let (wrote_id, wrote_event) = (writer.wrote_id(), writer.wrote_event());
        let mut id = writer.last_id_range();
        // Defaults go first, where a reader of the stream expects `id` and
        // `event`: written after the fields, then rotated to the front.
        let fields_end = shared.buf.len();
        let mut writer = EventWriter::new(&mut shared.buf, shared.line_ending);
        if let (false, Some(next)) = (wrote_id, shared.next_id.as_mut()) {
            writer.id_u64(*next);
            *next += 1;
            id = writer.last_id_range();
        }
        if let (false, Some(event)) = (wrote_event, shared.default_event) {
            writer.raw_field("event", event);
        }
        let added = shared.buf.len() - fields_end;
        if added > 0 {
            shared.buf[start..].rotate_right(added);
            id = id.map(|range| {
                if range.start >= fields_end {
                    // The default id, now at the front.
                    range.start - fields_end + start..range.end - fields_end + start
                } else {
                    range.start + added..range.end + added
                }
            });
        }
        shared.id = id;
    }

    /// Returns `Pending` once, so that the [`Generator`] can pass on what was
    /// just written.
    pub fn suspend(&self) -> Suspend {
        Suspend { suspended: false }
    }
}

impl std::fmt::Debug for Yielder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Yielder").finish_non_exhaustive()
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
            // the yielded event and returns it, and whoever polls the
            // generator next resumes the body.
            self.suspended = true;
            Poll::Pending
        }
    }
}

/// One event encoded by a [`Yielder`], without its terminating blank line.
#[derive(Debug)]
pub struct Encoded {
    bytes: BytesMut,
    id: Option<Range<usize>>,
}

impl WriteEvent for Encoded {
    fn write_event(&self, writer: &mut EventWriter<'_>) -> Result<(), EventError> {
        writer.encoded_fields(&self.bytes, self.id.clone());
        Ok(())
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
    /// An endpoint body run as a `Stream` of encoded events.
    #[must_use = "streams do nothing unless polled"]
    pub struct Generator<F> {
        shared: Arc<Mutex<Shared>>,
        #[pin]
        body: F,
        done: bool,
        // The body's result, when it finished in the same poll as its last
        // write (a hand-written body that did not suspend after writing).
        ended: Option<Result<(), BoxError>>,
    }
}

impl<F> Generator<F> {
    /// Runs `body`, whose yields write through the yielder of `link`.
    pub fn new(link: Link, body: F) -> Self {
        Self {
            shared: link.shared,
            body,
            done: false,
            ended: None,
        }
    }
}

impl<F> Stream for Generator<F>
where
    F: Future,
    F::Output: BodyOutput,
{
    type Item = Result<Encoded, BoxError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.project();
        if *this.done {
            return Poll::Ready(this.ended.take().and_then(Result::err).map(Err));
        }
        if let Poll::Ready(output) = this.body.poll(cx) {
            *this.done = true;
            *this.ended = Some(output.into_result());
        }
        let mut shared = this
            .shared
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(error) = shared.error.take() {
            *this.done = true;
            *this.ended = None;
            return Poll::Ready(Some(Err(error.into())));
        }
        if !shared.buf.is_empty() {
            let bytes = shared.buf.split();
            let id = shared.id.take();
            return Poll::Ready(Some(Ok(Encoded { bytes, id })));
        }
        if *this.done {
            return Poll::Ready(this.ended.take().and_then(Result::err).map(Err));
        }
        Poll::Pending
    }
}
