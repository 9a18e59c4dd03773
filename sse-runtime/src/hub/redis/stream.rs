//! A topic as a Redis stream: its key, its ids as ordered numbers, its
//! entries as messages, and what Redis says it holds.

use std::collections::HashMap;

use ::redis::Value;

use crate::event::LineEnding;
use crate::hub::error::HubError;
use crate::hub::message::Message;
use crate::hub::redis::backend;
use crate::hub::redis::connection::Commands;
use crate::hub::topic_ids::WireId;

/// `<ms>-<seq>` as one ordered number (`ms << 20 | seq`), so ids stay
/// numbers for `LastEventId<u64>`.
pub(super) fn pack(id: &str) -> Option<u64> {
    let (ms, seq) = id.split_once('-')?;
    let (ms, seq) = (ms.parse::<u64>().ok()?, seq.parse::<u64>().ok()?);
    (seq < 1 << 20 && ms < 1 << 44).then_some(ms << 20 | seq)
}

/// The inverse of [`pack`].
pub(super) fn unpack(id: u64) -> String {
    format!("{}-{}", id >> 20, id & ((1 << 20) - 1))
}

/// A stream entry as a message: the `id:` line, then the stored fields.
/// `topic` is written into the id when the hub names topics in ids.
pub(super) fn message(
    id: &str,
    map: &HashMap<String, Value>,
    topic: Option<&str>,
    line_ending: LineEnding,
) -> Option<Message> {
    let n = pack(id)?;
    let Some(Value::BulkString(fields)) = map.get("e") else {
        return None;
    };
    let last = map.contains_key("l");
    Some(Message::stored(
        WireId { n, topic },
        fields,
        last,
        line_ending,
    ))
}

/// What `XINFO STREAM` says of a stream.
#[derive(Debug, Default)]
pub(super) struct StreamInfo {
    /// The id of the newest entry ever added (`last-generated-id`).
    pub(super) newest: Option<String>,
    /// The newest id trimmed away (`max-deleted-entry-id`), packed.
    pub(super) dropped_through: Option<u64>,
    /// Whether entries were trimmed away (`entries-added` exceeds `length`;
    /// Redis 7.0 leaves `max-deleted-entry-id` alone when it trims).
    pub(super) trimmed: bool,
}

/// What Redis holds of `stream`; nothing if it does not exist.
pub(super) async fn stream_info(
    connection: &mut Commands,
    stream: &str,
) -> Result<StreamInfo, HubError> {
    let info: Value = match ::redis::cmd("XINFO")
        .arg("STREAM")
        .arg(stream)
        .query_async(connection)
        .await
    {
        Ok(info) => info,
        // No such stream: nothing was ever added.
        Err(error)
            if error.kind()
                == ::redis::ErrorKind::Server(::redis::ServerErrorKind::ResponseError) =>
        {
            return Ok(StreamInfo::default());
        }
        Err(error) => return Err(backend(error)),
    };
    let pairs: Vec<(Value, Value)> = match info {
        Value::Map(pairs) => pairs,
        Value::Array(items) => {
            let mut items = items.into_iter();
            let mut pairs = Vec::new();
            while let (Some(k), Some(v)) = (items.next(), items.next()) {
                pairs.push((k, v));
            }
            pairs
        }
        _ => return Ok(StreamInfo::default()),
    };
    let text = |value: &Value| match value {
        Value::BulkString(bytes) => String::from_utf8(bytes.clone()).ok(),
        Value::SimpleString(text) => Some(text.clone()),
        _ => None,
    };
    let field = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| text(k).as_deref() == Some(name))
            .and_then(|(_, v)| text(v))
    };
    let number = |name: &str| -> Option<u64> {
        pairs
            .iter()
            .find(|(k, _)| text(k).as_deref() == Some(name))
            .and_then(|(_, v)| match v {
                Value::Int(n) => u64::try_from(*n).ok(),
                other => text(other).and_then(|t| t.parse().ok()),
            })
    };
    let trimmed = match (number("entries-added"), number("length")) {
        (Some(added), Some(length)) => added > length,
        _ => false,
    };
    Ok(StreamInfo {
        trimmed,
        newest: field("last-generated-id").filter(|id| pack(id).is_some_and(|id| id > 0)),
        dropped_through: field("max-deleted-entry-id")
            .and_then(|id| pack(&id))
            .filter(|&id| id > 0),
    })
}
