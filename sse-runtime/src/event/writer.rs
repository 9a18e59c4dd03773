//! The wire writer: fields written straight into an output buffer, one line
//! each, every value checked by the field rules on its way in.

use std::ops::Range;
use std::time::Duration;

use bytes::{BufMut, Bytes, BytesMut};
use serde::Serialize;

use crate::event::error::EventError;
use crate::event::fields::{check_event_name, check_id, has_line_break, lines};
use crate::event::line_ending::LineEnding;

/// Writes event fields into an output buffer, one line per field, each line
/// ended by its [`LineEnding`].
///
/// A response writes every event into one such buffer, which becomes the
/// frame sent to the socket; an implementation of
/// [`SseEvent`](crate::SseEvent) receives it to write its fields. The methods
/// that take text check it, so no implementation can inject a field.
///
/// ```
/// use sse_runtime::{EventWriter, LineEnding};
///
/// # fn main() -> Result<(), sse_runtime::EventError> {
/// let mut writer = EventWriter::new(LineEnding::Lf);
/// writer.write(&sse_runtime::Event::data("two\nlines").event("note")?)?;
/// assert_eq!(writer.as_bytes(), b"event: note\ndata: two\ndata: lines\n\n");
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct EventWriter {
    buf: BytesMut,
    sep: LineEnding,
    /// Where the value of the last `id` field written lies.
    last_id: Option<IdAt>,
    /// Which fields the event being written has set so far.
    set: FieldsSet,
    /// A complete event encoded elsewhere, to go out as a frame of its own
    /// before anything in `buf` (see [`share`](Self::share)).
    shared: Option<Bytes>,
    /// Whether encoded events may be passed on as shared frames (responses)
    /// or are copied (everywhere else, so `as_bytes` shows them).
    shares: bool,
}

/// The fields an event has set while it was being written.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct FieldsSet {
    pub(crate) id: bool,
    pub(crate) event: bool,
}

#[derive(Debug)]
enum IdAt {
    Buf(Range<usize>),
    Shared(Range<usize>),
}

impl EventWriter {
    /// An empty writer ending lines with `sep`.
    pub fn new(sep: LineEnding) -> Self {
        Self {
            buf: BytesMut::new(),
            sep,
            last_id: None,
            set: FieldsSet::default(),
            shared: None,
            shares: false,
        }
    }

    /// A response's writer over its frame buffer `buf`: encoded events
    /// written while it is empty become frames of their own, shared rather
    /// than copied.
    pub(crate) fn for_frames(buf: BytesMut, sep: LineEnding) -> Self {
        Self {
            buf,
            shares: true,
            ..Self::new(sep)
        }
    }

    /// The frame buffer back, with what is written and not yet taken. A
    /// shared frame must have been taken first.
    pub(crate) fn into_buf(self) -> BytesMut {
        debug_assert!(self.shared.is_none(), "a shared frame was not sent");
        self.buf
    }

    /// The line ending written after every line.
    pub fn line_ending(&self) -> LineEnding {
        self.sep
    }

    /// What has been written and not yet taken as a frame.
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf
    }

    /// Writes `data` as one `data: ` line per line: CRLF, a lone CR and a
    /// lone LF each end a line, and a trailing line break gives a final empty
    /// `data: ` line, so the client reads back exactly `data`.
    pub fn data(&mut self, data: &str) {
        for line in lines(data.as_bytes()) {
            self.line(b"data: ", line);
        }
    }

    /// Writes `value` as compact JSON on one `data: ` line, serialised
    /// straight into the buffer. On a serialisation error nothing is left in
    /// the buffer.
    pub fn json_data<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), EventError> {
        let start = self.buf.len();
        self.buf.put_slice(b"data: ");
        let json_start = self.buf.len();
        if let Err(error) = serde_json::to_writer((&mut self.buf).writer(), value) {
            self.buf.truncate(start);
            return Err(EventError::Json(error));
        }
        // serde_json escapes control characters in strings, so only a
        // `RawValue` or a hand-written `Serialize` can produce a raw line
        // break. Re-split such output rather than let it end the event early.
        if has_line_break(&self.buf[json_start..]) {
            let json = self.buf.split_off(json_start);
            self.buf.truncate(start);
            for line in lines(&json) {
                self.line(b"data: ", line);
            }
        } else {
            self.buf.put_slice(self.sep.as_bytes());
        }
        Ok(())
    }

    /// Writes `event: name`.
    ///
    /// # Errors
    /// [`EventError::LineBreakInEvent`], [`EventError::NulInEvent`] or
    /// [`EventError::EmptyEvent`]: the same rule as
    /// [`Event::event`](crate::Event::event).
    pub fn event(&mut self, name: &str) -> Result<(), EventError> {
        check_event_name(name)?;
        self.event_field(name);
        Ok(())
    }

    /// Writes `id: value`.
    ///
    /// # Errors
    /// [`EventError::LineBreakInId`] or [`EventError::NulInId`].
    pub fn id(&mut self, id: &str) -> Result<(), EventError> {
        check_id(id)?;
        self.id_field(id);
        Ok(())
    }

    /// Writes an integer id (`id: 42`) without allocating.
    pub fn id_u64(&mut self, id: u64) {
        self.id_field(itoa::Buffer::new().format(id));
    }

    /// Writes `retry: ` and the whole milliseconds of `retry`.
    pub fn retry(&mut self, retry: Duration) {
        let millis = u64::try_from(retry.as_millis()).unwrap_or(u64::MAX);
        self.line(b"retry: ", itoa::Buffer::new().format(millis).as_bytes());
    }

    /// Writes `text` as comment lines (`: text`), one per line of text.
    pub fn comment(&mut self, text: &str) {
        for line in lines(text.as_bytes()) {
            self.line(b": ", line);
        }
    }

    /// Writes `id: value` for a value the field rules already accepted.
    pub(crate) fn id_field(&mut self, id: &str) {
        let value = self.line(b"id: ", id.as_bytes());
        self.last_id = Some(IdAt::Buf(value));
        self.set.id = true;
    }

    /// Writes `id: <topic>:<n>` for a topic the id rules already accepted
    /// (a hub with `topic_in_ids`), without building the id first.
    pub(crate) fn id_in_topic(&mut self, topic: &str, n: u64) {
        let mut digits = itoa::Buffer::new();
        let n = digits.format(n);
        let sep = self.sep.as_bytes();
        self.buf
            .reserve(b"id: ".len() + topic.len() + 1 + n.len() + sep.len());
        self.buf.put_slice(b"id: ");
        let start = self.buf.len();
        self.buf.put_slice(topic.as_bytes());
        self.buf.put_slice(b":");
        self.buf.put_slice(n.as_bytes());
        self.last_id = Some(IdAt::Buf(start..self.buf.len()));
        self.buf.put_slice(sep);
        self.set.id = true;
    }

    /// Writes `event: name` for a name the field rules already accepted.
    pub(crate) fn event_field(&mut self, name: &str) {
        self.line(b"event: ", name.as_bytes());
        self.set.event = true;
    }

    /// Writes `data: value` for a value known to hold no line break.
    pub(crate) fn data_line(&mut self, value: &str) {
        self.line(b"data: ", value.as_bytes());
    }

    /// Writes the blank line that dispatches the event.
    pub(crate) fn end(&mut self) {
        self.buf.put_slice(self.sep.as_bytes());
    }

    /// Starts an event: forgets which fields the previous one set, and
    /// returns where this one starts.
    pub(crate) fn start_event(&mut self) -> usize {
        self.set = FieldsSet::default();
        self.buf.len()
    }

    /// The fields the current event has set.
    pub(crate) fn fields_set(&self) -> FieldsSet {
        self.set
    }

    /// Undoes a failed event that started at `start`.
    pub(crate) fn rollback(&mut self, start: usize) {
        self.buf.truncate(start);
        if matches!(&self.last_id, Some(IdAt::Buf(id)) if id.end > start) {
            self.last_id = None;
        }
    }

    /// Moves the fields written after `fields_end` in front of those written
    /// since `start`: defaults such as an endpoint's sequential `id` go where
    /// a reader of the stream expects them, before the event's own fields.
    pub(crate) fn move_to_front(&mut self, start: usize, fields_end: usize) {
        let added = self.buf.len() - fields_end;
        if added == 0 {
            return;
        }
        self.buf[start..].rotate_right(added);
        if let Some(IdAt::Buf(id)) = &mut self.last_id {
            if id.start >= fields_end {
                *id = id.start - fields_end + start..id.end - fields_end + start;
            } else if id.start >= start {
                *id = id.start + added..id.end + added;
            }
        }
    }

    /// Appends fields encoded elsewhere, whose `id` value, if any, lies at
    /// `id` within them.
    pub(crate) fn append_encoded(&mut self, encoded: &[u8], id: Option<Range<usize>>) {
        let start = self.buf.len();
        self.buf.put_slice(encoded);
        if let Some(id) = id {
            self.last_id = Some(IdAt::Buf(start + id.start..start + id.end));
            self.set.id = true;
        }
    }

    /// Takes `frame`, a complete encoded event, as the next frame without
    /// copying it, if this writer shares and holds nothing yet; returns
    /// whether it did.
    pub(crate) fn share(&mut self, frame: &Bytes, id: Option<Range<usize>>) -> bool {
        if !self.shares || !self.buf.is_empty() || self.shared.is_some() {
            return false;
        }
        self.shared = Some(frame.clone());
        if let Some(id) = id {
            self.last_id = Some(IdAt::Shared(id));
        }
        true
    }

    /// Whether another event fits in the frame: below `budget` bytes, and no
    /// shared frame waiting (it must go out before anything written after it).
    pub(crate) fn has_room(&self, budget: usize) -> bool {
        self.shared.is_none() && self.buf.len() < budget
    }

    /// The value of the last `id` written since the last call, if any. Take
    /// it before the frame.
    pub(crate) fn take_last_id(&mut self) -> Option<&str> {
        let bytes = match self.last_id.take()? {
            IdAt::Buf(range) => &self.buf[range],
            IdAt::Shared(range) => &self.shared.as_ref()?[range],
        };
        // Ids are written from `&str`, so the range holds UTF-8.
        std::str::from_utf8(bytes).ok()
    }

    /// The next frame to send: a shared event, else everything written.
    pub(crate) fn take_frame(&mut self) -> Option<Bytes> {
        self.last_id = None;
        if let Some(shared) = self.shared.take() {
            return Some(shared);
        }
        (!self.buf.is_empty()).then(|| self.buf.split().freeze())
    }

    /// The buffer and where the last id lies in it, once writing is done.
    pub(crate) fn into_encoded(self) -> (BytesMut, Option<Range<usize>>) {
        debug_assert!(
            self.shared.is_none(),
            "a writer that encodes does not share"
        );
        let id = match self.last_id {
            Some(IdAt::Buf(range)) => Some(range),
            _ => None,
        };
        (self.buf, id)
    }

    /// Writes one line; returns where its value lies.
    fn line(&mut self, prefix: &[u8], value: &[u8]) -> Range<usize> {
        let sep = self.sep.as_bytes();
        self.buf.reserve(prefix.len() + value.len() + sep.len());
        self.buf.put_slice(prefix);
        let start = self.buf.len();
        self.buf.put_slice(value);
        let range = start..self.buf.len();
        self.buf.put_slice(sep);
        range
    }
}
