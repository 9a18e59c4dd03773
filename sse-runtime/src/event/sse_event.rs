//! One event, written as a whole: the [`SseEvent`] trait;
//! [`EventWriter::write`], which frames what an implementation writes with the
//! blank line that dispatches it and undoes it if it fails; and
//! [`EncodedEvent`], an event written once and then sent as its bytes.

use std::borrow::Cow;
use std::ops::Range;
use std::sync::Arc;

use bytes::Bytes;

use crate::event::error::EventError;
use crate::event::line_ending::LineEnding;
use crate::event::writer::{EventWriter, FieldsSet};

/// Something that writes itself as one server-sent event.
///
/// Implemented for [`Event`](crate::Event), [`Json`](crate::Json),
/// [`EncodedEvent`], `String`, `&str` and `Cow<str>` (sent as `data`), hub
/// [`Message`](crate::hub::Message)s, and by
/// [`#[derive(SseEvent)]`](macro@crate::SseEvent). A response streams any
/// `Stream` whose items implement it (or are `Result`s of such items), and an
/// [`#[sse_endpoint]`](crate::sse_endpoint) can yield it.
///
/// ```
/// use sse_runtime::{EventError, EventWriter, LineEnding, SseEvent};
///
/// /// A price tick written without building an `Event` first.
/// struct Tick { symbol: &'static str, cents: u64 }
///
/// impl SseEvent for Tick {
///     fn write_event(&self, w: &mut EventWriter) -> Result<(), EventError> {
///         w.event(self.symbol)?;
///         w.json_data(&self.cents)
///     }
/// }
///
/// # fn main() -> Result<(), EventError> {
/// let mut writer = EventWriter::new(LineEnding::Lf);
/// writer.write(&Tick { symbol: "ACME", cents: 1234 })?;
/// assert_eq!(writer.as_bytes(), b"event: ACME\ndata: 1234\n\n");
/// # Ok(())
/// # }
/// ```
pub trait SseEvent {
    /// Writes the fields of this event. [`EventWriter::write`] adds the
    /// blank line that ends it, and removes what was written if this fails.
    fn write_event(&self, writer: &mut EventWriter) -> Result<(), EventError>;

    /// This event already encoded, if it is: a response then sends those
    /// bytes as they are, shared rather than copied.
    #[doc(hidden)]
    fn encoded(&self) -> Option<&EncodedEvent> {
        None
    }
}

impl EventWriter {
    /// Writes `event` as one complete event, blank line included. If writing
    /// fails, the buffer is restored to what it held before, so a failed
    /// event never leaves half a field on the wire.
    pub fn write<E: SseEvent + ?Sized>(&mut self, event: &E) -> Result<(), EventError> {
        if let Some(encoded) = event.encoded() {
            self.write_encoded(encoded);
            return Ok(());
        }
        let start = self.start_event();
        let written = event.write_event(self);
        self.finish_event(start, written)
    }

    /// Writes `event`, then lets `prepend` write fields that go in front of
    /// the event's own, knowing which fields the event set (an endpoint's
    /// defaults, a hub's id): all one event, undone as a whole on an error.
    pub(crate) fn write_then_prepend<E, P>(
        &mut self,
        event: &E,
        prepend: P,
    ) -> Result<(), EventError>
    where
        E: SseEvent + ?Sized,
        P: FnOnce(&mut Self, FieldsSet) -> Result<(), EventError>,
    {
        let start = self.start_event();
        let written = event.write_event(self).and_then(|()| {
            let fields_end = self.as_bytes().len();
            let set = self.fields_set();
            prepend(self, set)?;
            self.move_to_front(start, fields_end);
            Ok(())
        });
        self.finish_event(start, written)
    }

    /// Ends the event that started at `start` with its blank line, or, if
    /// writing it failed, removes what it wrote.
    fn finish_event(
        &mut self,
        start: usize,
        written: Result<(), EventError>,
    ) -> Result<(), EventError> {
        match written {
            Ok(()) => self.end(),
            Err(_) => self.rollback(start),
        }
        written
    }
}

impl SseEvent for str {
    fn write_event(&self, writer: &mut EventWriter) -> Result<(), EventError> {
        writer.data(self);
        Ok(())
    }
}

impl SseEvent for String {
    fn write_event(&self, writer: &mut EventWriter) -> Result<(), EventError> {
        writer.data(self);
        Ok(())
    }
}

impl SseEvent for Cow<'_, str> {
    fn write_event(&self, writer: &mut EventWriter) -> Result<(), EventError> {
        writer.data(self);
        Ok(())
    }
}

/// Implements `SseEvent` for a pointer type by forwarding to its target,
/// `encoded` included, so a shared event stays shared behind a reference.
macro_rules! forward_sse_event {
    ($($pointer:ty),*) => {$(
        impl<T: SseEvent + ?Sized> SseEvent for $pointer {
            fn write_event(&self, writer: &mut EventWriter) -> Result<(), EventError> {
                (**self).write_event(writer)
            }

            fn encoded(&self) -> Option<&EncodedEvent> {
                (**self).encoded()
            }
        }
    )*};
}

forward_sse_event!(&T, Box<T>, Arc<T>);

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
