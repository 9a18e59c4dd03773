//! One event, written as a whole: the [`SseEvent`] trait, and
//! [`EventWriter::write`], which frames what an implementation writes with the
//! blank line that dispatches it and undoes it if it fails.

use std::borrow::Cow;
use std::sync::Arc;

use crate::event::encoded::EncodedEvent;
use crate::event::error::EventError;
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
        match event.encoded() {
            Some(encoded) => {
                self.write_encoded(encoded);
                Ok(())
            }
            None => self.write_then_prepend(event, |_, _| Ok(())),
        }
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
        match written {
            Ok(()) => {
                self.end();
                Ok(())
            }
            Err(error) => {
                self.rollback(start);
                Err(error)
            }
        }
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
