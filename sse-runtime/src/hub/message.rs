//! [`Message`]: one published event, encoded once with the hub's id and
//! shared by every subscriber.

use tokio::time::Instant;

use crate::event::{EncodedEvent, EventError, EventWriter, LineEnding, SseEvent};
use crate::hub::topic_ids::WireId;

/// One published event, encoded once and shared by every subscriber: each
/// subscriber's response sends the same bytes, uncopied when the message
/// starts a frame (see the [module docs](crate::hub)).
///
/// ```
/// use sse_runtime::Event;
/// use sse_runtime::hub::Hub;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), sse_runtime::hub::HubError> {
/// let hub = Hub::new();
/// let mut lobby = hub.subscribe("lobby", None).await?;
/// let id = hub.publish("lobby", &Event::data("hello").event("chat")?).await?;
/// let message = lobby.next().await.expect("published");
/// assert_eq!(message.id(), id);
/// assert_eq!(message.as_bytes(), format!("id: {id}\nevent: chat\ndata: hello\n\n").as_bytes());
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct Message {
    id: u64,
    at: Instant,
    /// Published with [`Hub::publish_last`](super::Hub::publish_last): a
    /// subscription ends after it.
    last: bool,
    /// The whole event, `id:` first, blank line included.
    event: EncodedEvent,
}

impl Message {
    /// `event` as published to a topic under `id`.
    pub(crate) fn published<E: SseEvent + ?Sized>(
        id: WireId<'_>,
        event: &E,
        last: bool,
        line_ending: LineEnding,
    ) -> Result<Self, EventError> {
        Ok(Self {
            id: id.n,
            at: Instant::now(),
            last,
            event: encode_for_topic(event, Some(id), line_ending)?,
        })
    }

    /// A message whose fields (without id) were encoded by
    /// [`encode_for_topic`] elsewhere, and stored.
    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    pub(crate) fn stored(
        id: WireId<'_>,
        fields: &[u8],
        last: bool,
        line_ending: LineEnding,
    ) -> Self {
        let mut writer = EventWriter::new(line_ending);
        id.write(&mut writer);
        writer.append_encoded(fields, None);
        writer.end();
        Self {
            id: id.n,
            at: Instant::now(),
            last,
            event: EncodedEvent::from_writer(writer),
        }
    }

    /// The notice a subscriber gets when it skipped `skipped` messages
    /// (under [`LagPolicy::Skip`](super::LagPolicy::Skip)): `event: lagged`,
    /// the count as data, no id.
    pub(crate) fn lagged(skipped: u64, line_ending: LineEnding) -> Self {
        Self::lagged_notice(itoa::Buffer::new().format(skipped), line_ending)
    }

    /// The notice a subscriber gets under [`LagPolicy::Skip`](super::LagPolicy::Skip)
    /// when the hub itself lost messages (its Redis connection was down
    /// longer than the stream's history covers): `event: lagged`, data
    /// `unknown`, no id.
    pub(crate) fn lost(line_ending: LineEnding) -> Self {
        Self::lagged_notice("unknown", line_ending)
    }

    /// `event: lagged` with `data`, no id.
    fn lagged_notice(data: &str, line_ending: LineEnding) -> Self {
        let mut writer = EventWriter::new(line_ending);
        writer.event_field("lagged");
        writer.data_line(data);
        writer.end();
        Self {
            id: 0,
            at: Instant::now(),
            last: false,
            event: EncodedEvent::from_writer(writer),
        }
    }

    /// The id the hub gave this event (0 for a `lagged` notice, which has
    /// none).
    pub fn id(&self) -> u64 {
        self.id
    }

    /// Whether it was published with [`Hub::publish_last`](super::Hub::publish_last):
    /// the last message of its topic, after which a subscription ends.
    pub fn is_last(&self) -> bool {
        self.last
    }

    /// When this process published or received it.
    pub(crate) fn at(&self) -> Instant {
        self.at
    }

    /// The encoded event, as it goes on the wire.
    pub fn as_bytes(&self) -> &[u8] {
        self.event.as_bytes()
    }
}

impl SseEvent for Message {
    fn write_event(&self, writer: &mut EventWriter) -> Result<(), EventError> {
        self.event.write_event(writer)
    }

    fn encoded(&self) -> Option<&EncodedEvent> {
        Some(&self.event)
    }
}

/// Encodes `event` for a topic: the hub's `id` first, when given. Ids are
/// the hub's, so that `Last-Event-ID` always means a position in the topic:
/// an event that sets its own is refused.
pub(crate) fn encode_for_topic<E: SseEvent + ?Sized>(
    event: &E,
    id: Option<WireId<'_>>,
    line_ending: LineEnding,
) -> Result<EncodedEvent, EventError> {
    EncodedEvent::encode(line_ending, |writer| {
        writer.write_then_prepend(event, |writer, set| {
            if set.id {
                return Err(EventError::IdSetByHub);
            }
            if let Some(id) = id {
                id.write(writer);
            }
            Ok(())
        })
    })
}
