//! Ids that name their topic ([`HubConfig::topic_in_ids`](super::HubConfig::topic_in_ids)):
//! `id: <topic>:<n>`, so that a `Last-Event-ID` alone says which topic to
//! resume, as MCP's Streamable HTTP asks of its per-request streams.
//!
//! ```
//! use sse_runtime::Event;
//! use sse_runtime::hub::{Hub, HubConfig, TopicEventId};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let hub = Hub::with_config(HubConfig { topic_in_ids: true, ..HubConfig::default() });
//! let n = hub.publish("session-7/call-2", &Event::data("50%")).await?;
//! let wire = format!("session-7/call-2:{n}");
//!
//! // A client comes back with that id: the id alone names the topic.
//! let last: TopicEventId = wire.parse()?;
//! assert_eq!(last.topic, "session-7/call-2");
//! let resumed = hub.subscribe(&last.topic, Some(last.id)).await?;
//! # drop(resumed);
//! # Ok(())
//! # }
//! ```

use std::fmt;
use std::str::FromStr;

use crate::event::{EventError, EventWriter, check_id};

/// A `Last-Event-ID` written by a hub with
/// [`HubConfig::topic_in_ids`](super::HubConfig::topic_in_ids):
/// `<topic>:<id>`, split at the last `:` (a topic may hold `:` itself).
/// Parse it with `str::parse`, or take it with
/// [`LastEventId<TopicEventId>`](crate::LastEventId).
///
/// The topic comes from the client: check that it may read it (that it
/// belongs to its session, say) before subscribing.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TopicEventId {
    /// The topic the event was published to.
    pub topic: String,
    /// The hub's id for it within the topic.
    pub id: u64,
}

impl fmt::Display for TopicEventId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.topic, self.id)
    }
}

/// Why a string is not a [`TopicEventId`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidTopicEventId;

impl fmt::Display for InvalidTopicEventId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("expected `<topic>:<id>` with a non-empty topic and an integer id")
    }
}

impl std::error::Error for InvalidTopicEventId {}

impl FromStr for TopicEventId {
    type Err = InvalidTopicEventId;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (topic, id) = s.rsplit_once(':').ok_or(InvalidTopicEventId)?;
        // Digits only: `u64::from_str` would also take a leading `+`, and
        // then two spellings would name one event.
        if topic.is_empty() || id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(InvalidTopicEventId);
        }
        let id = id.parse().map_err(|_| InvalidTopicEventId)?;
        Ok(Self {
            topic: topic.to_owned(),
            id,
        })
    }
}

/// How a hub writes one message's `id:` field: its number, with the topic
/// in front when the hub names topics in ids.
#[derive(Debug, Clone, Copy)]
pub(crate) struct WireId<'a> {
    pub(crate) n: u64,
    pub(crate) topic: Option<&'a str>,
}

impl WireId<'_> {
    pub(crate) fn write(self, writer: &mut EventWriter) {
        match self.topic {
            None => writer.id_u64(self.n),
            Some(topic) => writer.id_in_topic(topic, self.n),
        }
    }
}

/// Refuses a topic that cannot be part of an id (CR, LF or NUL), before
/// anything is stored under it.
pub(crate) fn check_topic_for_ids(topic: &str) -> Result<(), EventError> {
    check_id(topic)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_at_the_last_colon() {
        let id: TopicEventId = "a:b:42".parse().unwrap();
        assert_eq!(
            id,
            TopicEventId {
                topic: "a:b".into(),
                id: 42
            }
        );
        assert_eq!(id.to_string(), "a:b:42");
    }

    #[test]
    fn refuses_what_no_hub_wrote() {
        for bad in [
            "",
            "42",
            ":42",
            "a:",
            "a:+4",
            "a:-4",
            "a:4x",
            "a:99999999999999999999",
        ] {
            assert!(bad.parse::<TopicEventId>().is_err(), "{bad:?}");
        }
    }
}
