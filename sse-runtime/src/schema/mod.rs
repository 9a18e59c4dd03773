//! What an endpoint sends, described (feature `schema`): JSON Schema
//! 2020-12 for each event of a `#[derive(SseEvent)]` type, and OpenAPI 3.2
//! for endpoints, from schemars.
//!
//! Derive `schemars::JsonSchema` beside `Serialize` and `SseEvent`; serde's
//! attributes shape the schema as they shape the data. Each event gets its
//! own entry: its name, the schema of its data (what serde writes, less the
//! id field), and its id's schema. Declare what an endpoint sends with
//! `yields = T`, and `name::operation()` describes it for [`OpenApi`]:
//!
//! ```
//! use schemars::JsonSchema;
//! use serde::Serialize;
//! use sse_runtime::schema::{OpenApi, events_schema};
//! use sse_runtime::{SseEvent, sse_endpoint};
//!
//! #[derive(Serialize, JsonSchema, SseEvent)]
//! enum Room {
//!     UserJoined { #[sse(id)] seq: u64, name: String },
//!     Left,
//! }
//!
//! #[sse_endpoint(get "/rooms/{room}", yields = Room, retry = "2s")]
//! async fn room(axum::extract::Path(room): axum::extract::Path<String>) {
//!     yield_!(Room::UserJoined { seq: 1, name: room });
//!     yield_!(Room::Left);
//! }
//!
//! // The events, as a test client parses them.
//! let schema = events_schema::<Room>();
//! assert_eq!(schema["oneOf"][0]["properties"]["event"]["enum"][0], "user_joined");
//! assert_eq!(schema["oneOf"][0]["properties"]["data"]["required"], serde_json::json!(["name"]));
//! assert_eq!(schema["oneOf"][1]["properties"]["data"]["type"], "null");
//!
//! // The endpoint, as OpenAPI 3.2 describes a `text/event-stream`.
//! let document = OpenApi::new("chat", "1.0").operation(room::operation()).to_json();
//! let get = &document["paths"]["/rooms/{room}"]["get"];
//! let stream = &get["responses"]["200"]["content"]["text/event-stream"];
//! assert_eq!(stream["itemSchema"]["oneOf"][0]["properties"]["data"]["contentMediaType"], "application/json");
//! ```
//!
//! Serve the document from a route (`examples/typed_events` serves
//! `/openapi.json`), or write it from a test. `tests/openapi.rs` checks the
//! document's shape and that utoipa reads it back; `interop/contract.py`
//! validates it with Redocly as OpenAPI 3.2 and checks the example's real
//! events against its schemas (INTEROP.md, "Typed contract").

mod describable;
mod document;
mod items;
mod operation;
mod parameters;
pub(crate) mod probe;
mod split;
mod typescript;

use schemars::JsonSchema;
use serde_json::{Value, json};

pub use self::describable::Describable;
pub use self::document::OpenApi;
pub use self::operation::Operation;
pub use self::parameters::HeaderParameter;
pub use self::split::EventSchema;
use crate::endpoint::DerivedEvents;

/// The events of `E` as JSON Schema 2020-12: one alternative per event,
/// `{"event": <name>, "data": <the data, parsed>, "id": <as on the wire>}`,
/// with shared definitions under `$defs`. The data is described parsed, as
/// `sse_runtime::test`'s `next_json`/`next_as` and JavaScript's
/// `JSON.parse(e.data)` see it.
pub fn events_schema<E: DerivedEvents + JsonSchema>() -> Value {
    let mut generator = document::generator("/$defs");
    let events = split::event_schemas::<E>(&mut generator);
    let alternatives: Vec<Value> = events
        .iter()
        .map(|event| items::event_item(event, event.data.clone(), None))
        .collect();
    let mut schema = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": format!("events of {}", E::schema_name()),
        "oneOf": alternatives,
    });
    let definitions = generator.take_definitions(true);
    if !definitions.is_empty() {
        schema["$defs"] = Value::Object(definitions);
    }
    schema
}

/// The schema of each event of `E`, with definitions inlined under `$defs`
/// of each: for tools that want one schema per event name.
pub fn event_schemas<E: DerivedEvents + JsonSchema>() -> Vec<EventSchema> {
    let mut generator = document::generator("/$defs");
    let mut events = split::event_schemas::<E>(&mut generator);
    let definitions = generator.take_definitions(true);
    if !definitions.is_empty() {
        for event in &mut events {
            if let Some(data) = event.data.as_object_mut() {
                data.insert("$defs".into(), Value::Object(definitions.clone()));
            }
        }
    }
    events
}
