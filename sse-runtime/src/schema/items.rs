//! The items of an operation's `text/event-stream`, as OpenAPI 3.2
//! describes them (`itemSchema`): an alternative per declared event, the
//! error event, the events only known at run time, and the opening
//! `retry:` block.

use serde_json::{Map, Value, json};

use super::operation::Operation;
use super::split::EventSchema;

impl Operation {
    /// The schema of one item of the stream, as OpenAPI 3.2 describes
    /// `text/event-stream`: the fields of each event, its data a JSON
    /// string described by `contentSchema`.
    pub(super) fn item_schema(&self, events: Option<&[EventSchema]>) -> Value {
        let id = self
            .sequential_ids
            .then(|| json!({ "type": "string", "pattern": "^[0-9]+$" }));
        let mut items: Vec<Value> = match events {
            None => vec![json!({
                "type": "object",
                "required": ["data"],
                "properties": {
                    "event": { "type": "string" },
                    "data": { "type": "string" },
                    "id": { "type": "string" },
                    "retry": { "type": "integer", "minimum": 0 },
                },
            })],
            Some(events) => events
                .iter()
                .map(|event| {
                    let data = json!({
                        "type": "string",
                        "contentMediaType": "application/json",
                        "contentSchema": event.data,
                    });
                    event_item(event, data, id.clone())
                })
                .collect(),
        };
        if let (Some(name), Some(_)) = (&self.error_event, events) {
            // Sent as it is: no id, the text the runtime writes.
            items.push(json!({
                "type": "object",
                "required": ["event", "data"],
                "properties": {
                    "event": { "type": "string", "enum": [name] },
                    "data": { "type": "string", "enum": [crate::endpoint::GENERIC_ERROR_DATA] },
                    "id": { "type": "string" },
                },
                "additionalProperties": false,
            }));
        }
        if let (true, Some(events)) = (self.other_events, events) {
            let mut declared: Vec<&str> = events.iter().map(|event| event.name).collect();
            declared.extend(self.error_event.as_deref());
            items.push(json!({
                "type": "object",
                "required": ["data"],
                "properties": {
                    "event": { "type": "string", "not": { "enum": declared } },
                    "data": { "type": "string" },
                    "id": { "type": "string" },
                },
                "additionalProperties": false,
            }));
        }
        if let (Some(retry), Some(_)) = (self.retry, events) {
            // The opening block: `retry:` alone, no data.
            items.push(json!({
                "type": "object",
                "required": ["retry"],
                "properties": { "retry": { "type": "integer", "enum": [retry] } },
                "additionalProperties": false,
            }));
        }
        match items.len() {
            1 => items.remove(0),
            _ => json!({ "oneOf": items }),
        }
    }
}

/// One event as an item: `event` its name, `data` as given, `id` as the
/// wire carries it (a string; digits for an integer id), required when the
/// event has one.
pub(crate) fn event_item(event: &EventSchema, data: Value, sequential: Option<Value>) -> Value {
    let mut properties = Map::new();
    // `enum` of one rather than `const`: the same, and typed models such as
    // utoipa's read it back.
    properties.insert(
        "event".into(),
        json!({ "type": "string", "enum": [event.name] }),
    );
    properties.insert("data".into(), data);
    let mut required = vec![json!("event"), json!("data")];
    let id = event
        .id
        .as_ref()
        .map(|id| match id.get("type").and_then(Value::as_str) {
            Some("integer") => json!({ "type": "string", "pattern": "^-?[0-9]+$" }),
            _ => json!({ "type": "string" }),
        });
    match id.or(sequential) {
        Some(id) => {
            properties.insert("id".into(), id);
            required.push(json!("id"));
        }
        // An event without an id of its own: a client may still report the
        // last id it saw (EventSource's `lastEventId` persists).
        None => {
            properties.insert("id".into(), json!({ "type": "string" }));
        }
    }
    json!({
        "type": "object",
        "required": required,
        "properties": properties,
        "additionalProperties": false,
    })
}
