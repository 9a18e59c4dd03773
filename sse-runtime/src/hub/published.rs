//! What a typed topic's subscriber yields: [`Published<T>`], a `T` as it
//! was published (encoded once, sent as those bytes), or a [`Reset`] when
//! the stream cannot be continuous.

use std::marker::PhantomData;

use crate::event::{EncodedEvent, EventError, EventWriter, Sends, SseEvent};
use crate::hub::message::Message;
use crate::hub::resume::Resume;

/// `event: reset`: the client must reload its state, because events it
/// has not seen are gone. A [`TopicSubscription`](super::TopicSubscription)
/// sends it first when it resumes from a `Last-Event-ID` the topic no
/// longer reaches ([`Resume::Gap`]) or does not know ([`Resume::Unknown`]),
/// and in place of a lag notice when a slow subscriber was skipped ahead
/// ([`LagPolicy::Skip`](super::LagPolicy::Skip)). It has no id: the
/// client's `Last-Event-ID` stays the last event it really received.
///
/// The data is JSON: `{"resume":"gap","missed":3}`, `{"resume":"unknown"}`,
/// or `{"resume":"lagged","missed":12}`; `missed` is `null` when it cannot
/// be counted (a gap Redis trimmed, or messages the hub itself lost while
/// its Redis connection was down, which a typed stream reports as
/// `lagged`). OpenAPI documents describe it beside the declared events of
/// an endpoint that resumes from a `LastEventId`; under
/// [`LagPolicy::Skip`](super::LagPolicy::Skip) a stream that does not
/// resume may send it too: describe that with `Operation::resets()`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reset {
    reason: ResetReason,
    missed: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ResetReason {
    Gap,
    Unknown,
    Lagged,
}

impl Reset {
    /// The `event:` name.
    pub const NAME: &'static str = "reset";

    /// The reset a subscription that resumed as `resume` opens with, if any.
    pub(crate) fn on_resume(resume: Resume) -> Option<Self> {
        match resume {
            Resume::Gap { missed } => Some(Self {
                reason: ResetReason::Gap,
                missed,
            }),
            Resume::Unknown { .. } => Some(Self {
                reason: ResetReason::Unknown,
                missed: None,
            }),
            _ => None,
        }
    }

    /// The reset for a subscriber skipped ahead past `missed` messages
    /// (`None`: the hub itself lost an unknown number).
    pub(crate) fn lagged(missed: Option<u64>) -> Self {
        Self {
            reason: ResetReason::Lagged,
            missed,
        }
    }

    /// The JSON Schema of its data, as `write_event` below writes it.
    #[cfg(feature = "schema")]
    pub(crate) fn data_schema() -> serde_json::Value {
        serde_json::json!({
            "type": "object",
            "required": ["resume"],
            "properties": {
                "resume": { "type": "string", "enum": ["gap", "unknown", "lagged"] },
                "missed": { "type": ["integer", "null"], "minimum": 0 },
            },
            "additionalProperties": false,
        })
    }

    /// Why the stream reset: `gap`, `unknown` or `lagged`.
    pub fn reason(&self) -> &'static str {
        match self.reason {
            ResetReason::Gap => "gap",
            ResetReason::Unknown => "unknown",
            ResetReason::Lagged => "lagged",
        }
    }

    /// How many events were missed, when it is known.
    pub fn missed(&self) -> Option<u64> {
        self.missed
    }
}

impl SseEvent for Reset {
    fn write_event(&self, writer: &mut EventWriter) -> Result<(), EventError> {
        writer.event_field(Self::NAME);
        let mut data = String::with_capacity(40);
        data.push_str(r#"{"resume":""#);
        data.push_str(self.reason());
        data.push('"');
        if self.reason != ResetReason::Unknown {
            data.push_str(r#","missed":"#);
            match self.missed {
                Some(missed) => data.push_str(itoa::Buffer::new().format(missed)),
                None => data.push_str("null"),
            }
        }
        data.push('}');
        writer.data_line(&data);
        Ok(())
    }
}

/// One item of a typed topic's stream: a `T` as published, or a
/// [`Reset`]. Yield it from an endpoint that declares `yields = T`; as an
/// event it is the published bytes themselves.
pub struct Published<T> {
    item: Item,
    carries: PhantomData<fn() -> T>,
}

enum Item {
    Message(Message),
    Reset(Reset),
}

impl<T> Published<T> {
    pub(crate) fn message(message: Message) -> Self {
        Self {
            item: Item::Message(message),
            carries: PhantomData,
        }
    }

    pub(crate) fn reset(reset: Reset) -> Self {
        Self {
            item: Item::Reset(reset),
            carries: PhantomData,
        }
    }

    /// The reset, when this is one.
    pub fn as_reset(&self) -> Option<&Reset> {
        match &self.item {
            Item::Reset(reset) => Some(reset),
            Item::Message(_) => None,
        }
    }

    /// The hub's id of the published `T` (`None` for a reset).
    pub fn id(&self) -> Option<u64> {
        match &self.item {
            Item::Message(message) => Some(message.id()),
            Item::Reset(_) => None,
        }
    }
}

impl<T> SseEvent for Published<T> {
    fn write_event(&self, writer: &mut EventWriter) -> Result<(), EventError> {
        match &self.item {
            Item::Message(message) => message.write_event(writer),
            Item::Reset(reset) => reset.write_event(writer),
        }
    }

    fn encoded(&self) -> Option<&EncodedEvent> {
        match &self.item {
            Item::Message(message) => message.encoded(),
            Item::Reset(_) => None,
        }
    }
}

impl<T> std::fmt::Debug for Published<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.item {
            Item::Message(message) => f.debug_tuple("Published").field(&message.id()).finish(),
            Item::Reset(reset) => f.debug_tuple("Published").field(reset).finish(),
        }
    }
}

/// A typed topic's items carry the topic's type (or a `reset`): they are
/// what `yields = T` allows.
#[diagnostic::do_not_recommend]
impl<T> Sends<T> for Published<T> {}
