//! What `#[sse_endpoint(event = "..", id = sequential)]` adds to the events
//! an endpoint yields that do not set those fields themselves.

use crate::event::{EventError, EventWriter, FieldsSet, SseEvent};

/// Defaults an endpoint applies to events that do not set the field.
#[derive(Debug, Clone, Copy, Default)]
pub struct Defaults {
    /// `event:` for events without a type.
    event: Option<&'static str>,
    /// Number events without an id: `Some(next)` is the next id.
    sequential: Option<u64>,
    /// The counter has written `u64::MAX`: no id is left.
    exhausted: bool,
}

impl Defaults {
    /// `event`: the type of events without one; `sequential_from`: number
    /// events without an id from there.
    pub fn new(event: Option<&'static str>, sequential_from: Option<u64>) -> Self {
        Self {
            event,
            sequential: sequential_from,
            exhausted: false,
        }
    }

    /// Writes `event` with the defaults it lacks in front of its own fields,
    /// where a reader of the stream expects `id` and `event`. An encoded
    /// event (a hub message) goes out exactly as it was encoded.
    pub(crate) fn write<E: SseEvent + ?Sized>(
        &mut self,
        writer: &mut EventWriter,
        event: &E,
    ) -> Result<(), EventError> {
        let nothing_to_add = self.event.is_none() && self.sequential.is_none();
        if nothing_to_add || event.encoded().is_some() {
            return writer.write(event);
        }
        writer.write_then_prepend(event, |writer, set: FieldsSet| {
            if let (false, Some(next)) = (set.id, self.sequential.as_mut()) {
                if self.exhausted {
                    return Err(EventError::SequentialIdsExhausted);
                }
                writer.id_u64(*next);
                // Never wrap: after u64::MAX the next numbered event fails.
                match next.checked_add(1) {
                    Some(after) => *next = after,
                    None => self.exhausted = true,
                }
            }
            if let (false, Some(name)) = (set.event, self.event) {
                // Checked by the macro at compile time.
                writer.event_field(name);
            }
            Ok(())
        })
    }
}
