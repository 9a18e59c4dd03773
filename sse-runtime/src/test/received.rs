//! What a test reads from a stream: events as a browser dispatches them,
//! and comments.

use std::fmt;
use std::time::Duration;

/// One event, as an `EventSource` dispatches it, with the `id` and `retry`
/// fields of its block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestEvent {
    /// The event type: `message` when the block set none.
    pub event: String,
    /// The data lines joined with `\n`.
    pub data: String,
    /// The `id:` field of this event's block, if it had one.
    pub id: Option<String>,
    /// The last event id a browser would hold after this event (ids persist
    /// across events until one changes it).
    pub last_event_id: String,
    /// The `retry:` field of this event's block, if it had one.
    pub retry: Option<Duration>,
}

impl fmt::Display for TestEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "event {:?} with data {:?}", self.event, self.data)?;
        if let Some(id) = &self.id {
            write!(f, " and id {id:?}")?;
        }
        Ok(())
    }
}

/// One thing read from a stream: an event, or a comment line (a keep-alive
/// ping, the opening frame's empty comment).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Received {
    /// A dispatched event.
    Event(TestEvent),
    /// A comment line's text, without the `:` and one following space.
    Comment(String),
}

impl fmt::Display for Received {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Received::Event(event) => event.fmt(f),
            Received::Comment(text) => write!(f, "comment {text:?}"),
        }
    }
}
