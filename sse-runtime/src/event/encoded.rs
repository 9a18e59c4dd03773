//! An event encoded once and sent by many responses as the same bytes.

use std::ops::Range;

use bytes::Bytes;

use crate::event::error::EventError;
use crate::event::line_ending::LineEnding;
use crate::event::sse_event::SseEvent;
use crate::event::writer::EventWriter;

/// An event encoded once, blank line included, to be sent by many streams.
///
/// Cloning it shares the bytes. A response whose frame is empty sends it as a
/// frame of its own, so a broadcast to ten thousand streams writes one copy;
/// [`hub::Message`](crate::hub::Message)s are built on it. It goes out exactly
/// as encoded: an endpoint's `event = ".."` and `id = sequential` defaults are
/// not added to it, and its lines end with the [`LineEnding`] it was encoded
/// with (clients accept all three, so streams with another ending read it
/// fine).
///
/// ```
/// use sse_runtime::event::EncodedEvent;
/// use sse_runtime::{Event, LineEnding};
///
/// # fn main() -> Result<(), sse_runtime::EventError> {
/// let notice = Event::data("maintenance at 22:00").event("notice")?;
/// let notice = EncodedEvent::new(&notice, LineEnding::Lf)?;
/// assert_eq!(notice.as_bytes(), b"event: notice\ndata: maintenance at 22:00\n\n");
/// // Yield or stream `notice.clone()` in every subscriber's response.
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodedEvent {
    bytes: Bytes,
    /// Where the fields end and the blank line starts.
    fields_len: usize,
    /// Where the value of its `id` field lies, if it has one.
    id: Option<Range<usize>>,
}

impl EncodedEvent {
    /// Encodes `event`, each line ended with `line_ending`.
    ///
    /// # Errors
    /// Whatever writing `event` fails with.
    pub fn new<E: SseEvent + ?Sized>(
        event: &E,
        line_ending: LineEnding,
    ) -> Result<Self, EventError> {
        Self::encode(line_ending, |writer| writer.write(event))
    }

    /// Encodes what `write` writes, which must be exactly one complete event.
    pub(crate) fn encode(
        line_ending: LineEnding,
        write: impl FnOnce(&mut EventWriter) -> Result<(), EventError>,
    ) -> Result<Self, EventError> {
        let mut writer = EventWriter::new(line_ending);
        write(&mut writer)?;
        Ok(Self::from_writer(writer))
    }

    /// What `writer` holds, which must be exactly one complete event.
    pub(crate) fn from_writer(writer: EventWriter) -> Self {
        let sep_len = writer.line_ending().as_bytes().len();
        let (bytes, id) = writer.into_encoded();
        Self {
            fields_len: bytes.len().saturating_sub(sep_len),
            bytes: bytes.freeze(),
            id,
        }
    }

    /// The event as it goes on the wire.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The value of its `id` field, if it has one.
    pub fn id(&self) -> Option<&str> {
        let range = self.id.clone()?;
        std::str::from_utf8(&self.bytes[range]).ok()
    }

    /// Its fields, without the blank line that ends it.
    pub(crate) fn fields(&self) -> &[u8] {
        &self.bytes[..self.fields_len]
    }
}

impl SseEvent for EncodedEvent {
    fn write_event(&self, writer: &mut EventWriter) -> Result<(), EventError> {
        writer.append_encoded(self.fields(), self.id.clone());
        Ok(())
    }

    fn encoded(&self) -> Option<&EncodedEvent> {
        Some(self)
    }
}

impl EventWriter {
    /// Writes an encoded event: shared as a frame of its own if the writer
    /// allows it and is empty, copied otherwise.
    pub(crate) fn write_encoded(&mut self, event: &EncodedEvent) {
        if !self.share(&event.bytes, event.id.clone()) {
            self.append_encoded(&event.bytes, event.id.clone());
        }
    }
}
