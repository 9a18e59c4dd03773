//! Why an event could not be built or written.

use std::fmt;

/// Why an event could not be built or written.
///
/// Each variant names the value that was refused, so the message says what to
/// change. Nothing is ever stripped or replaced: a value that would change the
/// meaning of the stream is refused as a whole.
///
/// ```
/// use sse_runtime::{Event, EventError};
///
/// // An id from request data that tries to start a field of its own.
/// let refused = Event::data("hello").id("7\nevent: admin");
/// assert!(matches!(refused, Err(EventError::LineBreakInId)));
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum EventError {
    /// The event type contained CR or LF, which would inject a field.
    LineBreakInEvent,
    /// The event type contained NUL.
    NulInEvent,
    /// The event type was empty, which clients read as `message`: leave the
    /// field out instead.
    EmptyEvent,
    /// The id contained CR or LF, which would inject a field.
    LineBreakInId,
    /// The id contained NUL; clients ignore such an id, so resuming from it
    /// would silently fail.
    NulInId,
    /// The data could not be serialised as JSON.
    Json(serde_json::Error),
    /// An event published to a [`Hub`](crate::hub::Hub) set its own id; the
    /// hub numbers a topic's events itself.
    IdSetByHub,
    /// `id = sequential` has numbered an event `u64::MAX`, the last id it
    /// has: the stream ends rather than wrap around to ids a client would
    /// resume from backwards.
    SequentialIdsExhausted,
}

impl fmt::Display for EventError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EventError::LineBreakInEvent => f.write_str(
                "event type contains a line break (CR or LF), which would inject a field; \
                 use a single-line name",
            ),
            EventError::NulInEvent => {
                f.write_str("event type contains NUL; use a name without control characters")
            }
            EventError::EmptyEvent => f.write_str(
                "event type is empty, which clients read as `message`; \
                 leave the event type out instead",
            ),
            EventError::LineBreakInId => f.write_str(
                "event id contains a line break (CR or LF), which would inject a field; \
                 use a single-line id",
            ),
            EventError::NulInId => f.write_str(
                "event id contains NUL, which EventSource clients ignore; remove the NUL",
            ),
            EventError::Json(error) => {
                write!(f, "event data could not be serialised as JSON: {error}")
            }
            EventError::IdSetByHub => f.write_str(
                "an event published to a hub cannot set its own id: the hub numbers the \
                 topic's events so that Last-Event-ID can resume; leave the id out",
            ),
            EventError::SequentialIdsExhausted => f.write_str(
                "`id = sequential` has used its last id (u64::MAX); the stream ends rather \
                 than number events backwards",
            ),
        }
    }
}

impl std::error::Error for EventError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            EventError::Json(error) => Some(error),
            _ => None,
        }
    }
}
