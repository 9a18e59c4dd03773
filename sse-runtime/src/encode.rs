//! The wire encoder: writes fields straight into a response's reusable output
//! buffer, and the [`WriteEvent`] trait for anything that can be written as
//! one event.
//!
//! ```
//! use sse_runtime::{EventError, EventWriter, WriteEvent};
//!
//! /// A price tick written without building an `Event` first.
//! struct Tick { symbol: &'static str, cents: u64 }
//!
//! impl WriteEvent for Tick {
//!     fn write_event(&self, w: &mut EventWriter<'_>) -> Result<(), EventError> {
//!         w.event(self.symbol)?;
//!         w.json_data(&self.cents)?;
//!         Ok(())
//!     }
//! }
//! # let mut buf = bytes::BytesMut::new();
//! # let mut w = EventWriter::new(&mut buf, sse_runtime::LineEnding::Lf);
//! # w.write(&Tick { symbol: "ACME", cents: 1234 }).unwrap();
//! # assert_eq!(&buf[..], b"event: ACME\ndata: 1234\n\n");
//! ```

use std::borrow::Cow;
use std::ops::Range;
use std::sync::Arc;
use std::time::Duration;

use bytes::{BufMut, Bytes, BytesMut};
use serde::Serialize;

use crate::error::EventError;
use crate::event::{Event, check_id, has_line_break};
use crate::line_ending::LineEnding;

/// Something that can be written as one server-sent event.
///
/// Implemented for [`Event`], [`Json`], `String`, `&str` and `Cow<str>` (sent
/// as `data`), and by `#[derive(SseEvent)]` types. A response streams any
/// `Stream` whose items implement it (or are `Result`s of such items).
pub trait WriteEvent {
    /// Writes the fields of this event. [`EventWriter::write`] adds the
    /// terminating blank line and undoes a partial write if this fails.
    fn write_event(&self, writer: &mut EventWriter<'_>) -> Result<(), EventError>;

    /// The event already encoded, blank line included, with where its `id`
    /// value lies: a response sends these bytes as a frame of their own,
    /// shared rather than copied (hub messages). `None` for everything else.
    #[doc(hidden)]
    fn complete_frame(&self) -> Option<(Bytes, Option<Range<usize>>)> {
        None
    }
}

/// Writes event fields into an output buffer, one line per field, each line
/// ended by the response's [`LineEnding`].
///
/// The methods that take untrusted text check it, so an implementation of
/// [`WriteEvent`] cannot inject a field.
#[derive(Debug)]
pub struct EventWriter<'a> {
    buf: &'a mut BytesMut,
    sep: LineEnding,
    /// Where the value of the last `id` field written lies in `buf`.
    last_id: Option<Range<usize>>,
    wrote_id: bool,
    wrote_event: bool,
    /// A complete, shared event to send as its own frame (see
    /// [`WriteEvent::complete_frame`]); only ever set while `buf` is empty.
    shared: Option<Bytes>,
    /// `last_id` indexes `shared`, not `buf`.
    last_id_in_shared: bool,
}

impl<'a> EventWriter<'a> {
    /// A writer appending to `buf`.
    pub fn new(buf: &'a mut BytesMut, sep: LineEnding) -> Self {
        Self {
            buf,
            sep,
            last_id: None,
            wrote_id: false,
            wrote_event: false,
            shared: None,
            last_id_in_shared: false,
        }
    }

    /// Writes `event` as one complete event, blank line included. If writing
    /// fails, the buffer is restored to what it held before, so a failed
    /// event never leaves half a field on the wire.
    pub fn write<E: WriteEvent + ?Sized>(&mut self, event: &E) -> Result<(), EventError> {
        if self.buf.is_empty()
            && self.shared.is_none()
            && let Some((frame, id)) = event.complete_frame()
        {
            self.set_shared(frame, id);
            return Ok(());
        }
        let start = self.buf.len();
        match event.write_event(self) {
            Ok(()) => {
                self.end();
                Ok(())
            }
            Err(error) => {
                self.buf.truncate(start);
                if self.last_id.as_ref().is_some_and(|id| id.end > start) {
                    self.last_id = None;
                }
                Err(error)
            }
        }
    }

    /// Writes `data` as one `data: ` line per line (CR, LF and CRLF each end
    /// a line; a trailing line break gives a final empty `data: ` line).
    pub fn data(&mut self, data: &str) {
        let bytes = data.as_bytes();
        let mut rest = bytes;
        loop {
            match memchr::memchr2(b'\n', b'\r', rest) {
                None => {
                    self.line(b"data: ", rest);
                    return;
                }
                Some(at) => {
                    self.line(b"data: ", &rest[..at]);
                    let skip = if rest[at] == b'\r' && rest.get(at + 1) == Some(&b'\n') {
                        2
                    } else {
                        1
                    };
                    rest = &rest[at + skip..];
                }
            }
        }
    }

    /// Writes `value` as compact JSON on one `data: ` line, serialised
    /// straight into the output buffer.
    ///
    /// On a serialisation error nothing is left in the buffer.
    pub fn json_data<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), EventError> {
        let start = self.buf.len();
        self.buf.put_slice(b"data: ");
        let json_start = self.buf.len();
        if let Err(error) = serde_json::to_writer((&mut *self.buf).writer(), value) {
            self.buf.truncate(start);
            return Err(EventError::Json(error));
        }
        // serde_json escapes control characters in strings, so only a
        // `RawValue` or a hand-written `Serialize` can produce a raw line
        // break. Re-split such output rather than let it end the event early.
        if has_line_break_bytes(&self.buf[json_start..]) {
            let json = self.buf.split_off(json_start);
            self.buf.truncate(start);
            // serde_json only writes UTF-8.
            let json = String::from_utf8_lossy(&json);
            self.data(&json);
        } else {
            self.buf.put_slice(self.sep.as_bytes());
        }
        Ok(())
    }

    /// Writes `event: name`.
    ///
    /// # Errors
    /// [`EventError::LineBreakInEvent`] if `name` contains CR or LF.
    pub fn event(&mut self, name: &str) -> Result<(), EventError> {
        if has_line_break(name) {
            return Err(EventError::LineBreakInEvent);
        }
        self.raw_field("event", name);
        Ok(())
    }

    /// Writes `id: value`.
    ///
    /// # Errors
    /// [`EventError::LineBreakInId`] or [`EventError::NulInId`].
    pub fn id(&mut self, id: &str) -> Result<(), EventError> {
        check_id(id)?;
        self.raw_field("id", id);
        Ok(())
    }

    /// Writes an integer id (`id: 42`) without allocating.
    pub fn id_u64(&mut self, id: u64) {
        let mut digits = itoa::Buffer::new();
        self.raw_field("id", digits.format(id));
    }

    /// Writes `retry: ` and the whole milliseconds of `retry`.
    pub fn retry(&mut self, retry: Duration) {
        let millis = u64::try_from(retry.as_millis()).unwrap_or(u64::MAX);
        let mut digits = itoa::Buffer::new();
        self.raw_field("retry", digits.format(millis));
    }

    /// Writes `text` as comment lines (`: text`), one per line of text.
    pub fn comment(&mut self, text: &str) {
        for line in lines(text) {
            self.line(b": ", line.as_bytes());
        }
    }

    /// Writes the blank line that dispatches the event.
    pub(crate) fn end(&mut self) {
        self.buf.put_slice(self.sep.as_bytes());
    }

    /// Writes `name: value` for a value already known to hold no line break.
    pub(crate) fn raw_field(&mut self, name: &str, value: &str) {
        self.buf
            .reserve(name.len() + 2 + value.len() + self.sep.as_bytes().len());
        self.buf.put_slice(name.as_bytes());
        self.buf.put_slice(b": ");
        let value_start = self.buf.len();
        self.buf.put_slice(value.as_bytes());
        match name {
            "id" => {
                self.last_id = Some(value_start..self.buf.len());
                self.wrote_id = true;
            }
            "event" => self.wrote_event = true,
            _ => {}
        }
        self.buf.put_slice(self.sep.as_bytes());
    }

    /// The value of the last `id` written since the previous call, if any.
    pub(crate) fn take_last_id(&mut self) -> Option<&str> {
        let range = self.last_id.take()?;
        let bytes = match (self.last_id_in_shared, &self.shared) {
            (true, Some(shared)) => &shared[range],
            _ => &self.buf[range],
        };
        self.last_id_in_shared = false;
        // Ids are written from `&str`, so the range holds UTF-8.
        std::str::from_utf8(bytes).ok()
    }

    /// Sets a complete shared event as the next frame; the writer must be
    /// empty, and nothing more is written before the frame is taken.
    pub(crate) fn set_shared(&mut self, frame: Bytes, id: Option<Range<usize>>) {
        debug_assert!(self.buf.is_empty() && self.shared.is_none());
        self.last_id_in_shared = id.is_some();
        if id.is_some() {
            self.last_id = id;
            self.wrote_id = true;
        }
        self.shared = Some(frame);
    }

    /// Whether a shared frame waits to be sent.
    pub(crate) fn has_shared(&self) -> bool {
        self.shared.is_some()
    }

    /// The shared frame, if one was set.
    pub(crate) fn take_shared(&mut self) -> Option<Bytes> {
        self.shared.take()
    }

    /// Whether an `id` field was written through this writer.
    pub(crate) fn wrote_id(&self) -> bool {
        self.wrote_id
    }

    /// Whether an `event` field was written through this writer.
    pub(crate) fn wrote_event(&self) -> bool {
        self.wrote_event
    }

    /// Where the last `id` value written lies in the buffer.
    pub(crate) fn last_id_range(&self) -> Option<Range<usize>> {
        self.last_id.clone()
    }

    /// Appends fields encoded elsewhere (a hub message), `id` locating their
    /// `id` value, if any.
    pub(crate) fn encoded_fields(&mut self, fields: &[u8], id: Option<Range<usize>>) {
        let start = self.buf.len();
        self.buf.put_slice(fields);
        if let Some(id) = id {
            self.last_id = Some(start + id.start..start + id.end);
            self.wrote_id = true;
        }
    }

    /// Forgets which fields were written so far (the hub writes its own `id`
    /// first, then checks that the event did not write one).
    pub(crate) fn forget_written_fields(&mut self) {
        self.wrote_id = false;
        self.wrote_event = false;
    }

    /// The output buffer and line ending, lent to a
    /// [`Yielder`](crate::generator::Yielder) while an endpoint body runs.
    pub(crate) fn buffer(&mut self) -> (&mut BytesMut, LineEnding) {
        (self.buf, self.sep)
    }

    /// Records where the `id` value of an event written through
    /// [`buffer`](Self::buffer) lies.
    pub(crate) fn set_last_id(&mut self, id: Range<usize>) {
        self.last_id = Some(id);
    }

    /// Bytes in the output buffer.
    pub(crate) fn len(&self) -> usize {
        self.buf.len()
    }

    fn line(&mut self, prefix: &[u8], value: &[u8]) {
        self.buf
            .reserve(prefix.len() + value.len() + self.sep.as_bytes().len());
        self.buf.put_slice(prefix);
        self.buf.put_slice(value);
        self.buf.put_slice(self.sep.as_bytes());
    }
}

/// Splits on CRLF, CR and LF, the way an event-stream parser does.
fn lines(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = Some(text);
    std::iter::from_fn(move || {
        let current = rest?;
        match current.find(['\r', '\n']) {
            None => {
                rest = None;
                Some(current)
            }
            Some(at) => {
                let skip = if current[at..].starts_with("\r\n") {
                    2
                } else {
                    1
                };
                rest = Some(&current[at + skip..]);
                Some(&current[..at])
            }
        }
    })
}

fn has_line_break_bytes(bytes: &[u8]) -> bool {
    memchr::memchr2(b'\n', b'\r', bytes).is_some()
}

/// Data to be sent as compact JSON, serialised straight into the response's
/// output buffer when it is written.
///
/// ```
/// use sse_runtime::{Json, SseResponse};
/// use futures_util::stream;
///
/// #[derive(serde::Serialize)]
/// struct Tick { n: u32 }
///
/// let response = SseResponse::new(stream::iter((1..=3).map(|n| Json(Tick { n }))));
/// ```
///
/// A serialisation error surfaces when the event is written; the response then
/// treats it like an error from the stream (see
/// [`SseResponse::error_event`](crate::SseResponse::error_event)).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Json<T>(pub T);

impl<T: Serialize> WriteEvent for Json<T> {
    fn write_event(&self, writer: &mut EventWriter<'_>) -> Result<(), EventError> {
        writer.json_data(&self.0)
    }
}

impl WriteEvent for Event {
    fn write_event(&self, writer: &mut EventWriter<'_>) -> Result<(), EventError> {
        self.write_fields(writer);
        Ok(())
    }
}

impl WriteEvent for str {
    fn write_event(&self, writer: &mut EventWriter<'_>) -> Result<(), EventError> {
        writer.data(self);
        Ok(())
    }
}

impl WriteEvent for String {
    fn write_event(&self, writer: &mut EventWriter<'_>) -> Result<(), EventError> {
        writer.data(self);
        Ok(())
    }
}

impl WriteEvent for Cow<'_, str> {
    fn write_event(&self, writer: &mut EventWriter<'_>) -> Result<(), EventError> {
        writer.data(self);
        Ok(())
    }
}

impl<T: WriteEvent + ?Sized> WriteEvent for &T {
    fn write_event(&self, writer: &mut EventWriter<'_>) -> Result<(), EventError> {
        (**self).write_event(writer)
    }
}

impl<T: WriteEvent + ?Sized> WriteEvent for Box<T> {
    fn write_event(&self, writer: &mut EventWriter<'_>) -> Result<(), EventError> {
        (**self).write_event(writer)
    }
}

impl<T: WriteEvent + ?Sized> WriteEvent for Arc<T> {
    fn write_event(&self, writer: &mut EventWriter<'_>) -> Result<(), EventError> {
        (**self).write_event(writer)
    }
}
