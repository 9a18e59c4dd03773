//! What `#[sse_endpoint(event = "..", id = sequential)]` adds to the events
//! an endpoint yields that do not set those fields themselves.

use crate::event::{EventError, EventWriter, FieldsSet, SseEvent};

/// Defaults an endpoint applies to events that do not set the field.
#[derive(Debug, Clone, Copy, Default)]
pub struct Defaults {
    /// `event:` for events without a type.
    pub event: Option<&'static str>,
    /// Number events without an id: `Some(first)` starts the counter there.
    pub sequential_from: Option<u64>,
}

impl Defaults {
    /// Writes `event` with the defaults it lacks in front of its own fields,
    /// where a reader of the stream expects `id` and `event`. An encoded
    /// event (a hub message) goes out exactly as it was encoded.
    pub(crate) fn write<E: SseEvent + ?Sized>(
        &mut self,
        writer: &mut EventWriter,
        event: &E,
    ) -> Result<(), EventError> {
        let nothing_to_add = self.event.is_none() && self.sequential_from.is_none();
        if nothing_to_add || event.encoded().is_some() {
            return writer.write(event);
        }
        writer.write_then_prepend(event, |writer, set: FieldsSet| {
            if let (false, Some(next)) = (set.id, self.sequential_from.as_mut()) {
                writer.id_u64(*next);
                *next += 1;
            }
            if let (false, Some(name)) = (set.event, self.event) {
                // Checked by the macro at compile time.
                writer.event_field(name);
            }
            Ok(())
        })
    }
}
