//! [`Operation`]: one endpoint described as OpenAPI 3.2 describes
//! Server-Sent Events, a `text/event-stream` whose `itemSchema` has an
//! alternative per event.

use std::borrow::Cow;
use std::time::Duration;

use schemars::{JsonSchema, SchemaGenerator};
use serde_json::{Map, Value, json};

use super::split::{EventSchema, event_schemas};
use crate::endpoint::DerivedEvents;

type Describe = fn(&mut SchemaGenerator) -> Vec<EventSchema>;

/// One endpoint as an OpenAPI operation. `#[sse_endpoint]` builds it for
/// every endpoint with a route (`name::operation()`), from its method, path,
/// `yields = T`, `retry`, `id = sequential` and a `LastEventId` argument;
/// build one by hand for a handler of your own.
///
/// ```
/// use schemars::JsonSchema;
/// use serde::Serialize;
/// use sse_runtime::SseEvent;
/// use sse_runtime::schema::{OpenApi, Operation};
///
/// #[derive(Serialize, JsonSchema, SseEvent)]
/// enum Room { UserJoined { name: String }, Left }
/// # let _ = (Room::UserJoined { name: String::new() }, Room::Left);
///
/// let operation = Operation::new("GET", "/rooms/{room}")
///     .events::<Room>()
///     .last_event_id();
/// let document = OpenApi::new("chat", "1.0").operation(operation).to_json();
/// let get = &document["paths"]["/rooms/{room}"]["get"];
/// assert_eq!(get["parameters"][0]["name"], "room");
/// assert_eq!(get["parameters"][1]["name"], "Last-Event-ID");
/// let item = &get["responses"]["200"]["content"]["text/event-stream"]["itemSchema"];
/// assert_eq!(item["oneOf"][0]["properties"]["event"]["enum"][0], "user_joined");
/// ```
#[derive(Debug, Clone)]
pub struct Operation {
    pub(crate) method: &'static str,
    pub(crate) path: &'static str,
    pub(crate) operation_id: Option<Cow<'static, str>>,
    events: Option<(Describe, &'static str)>,
    last_event_id: bool,
    sequential_ids: bool,
    retry: Option<u64>,
}

impl Operation {
    /// `method` (`GET`, `POST`, ..) at `path` (axum's syntax: `{param}`,
    /// `{*rest}`).
    pub fn new(method: &'static str, path: &'static str) -> Self {
        Self {
            method,
            path,
            operation_id: None,
            events: None,
            last_event_id: false,
            sequential_ids: false,
            retry: None,
        }
    }

    /// The `operationId` (the handler's name, from `#[sse_endpoint]`).
    pub fn operation_id(mut self, id: impl Into<Cow<'static, str>>) -> Self {
        self.operation_id = Some(id.into());
        self
    }

    /// The events the endpoint sends: `E`, a `#[derive(SseEvent)]` type that
    /// also derives `schemars::JsonSchema`. Without it, any event.
    pub fn events<E: DerivedEvents + JsonSchema + ?Sized>(mut self) -> Self {
        self.events = Some((event_schemas::<E>, std::any::type_name::<E>()));
        self
    }

    /// `f(self)`: for generated code that adds to a builder chain.
    #[doc(hidden)]
    pub fn pipe(self, f: impl FnOnce(Self) -> Self) -> Self {
        f(self)
    }

    /// The endpoint reads `Last-Event-ID` (an optional header parameter).
    pub fn last_event_id(mut self) -> Self {
        self.last_event_id = true;
        self
    }

    /// Every event has an integer id (`id = sequential`), and the endpoint
    /// resumes after `Last-Event-ID`.
    pub fn sequential_ids(mut self) -> Self {
        self.sequential_ids = true;
        self.last_event_id = true;
        self
    }

    /// The stream opens with `retry:` (whole milliseconds, as on the wire).
    pub fn retry(mut self, retry: Duration) -> Self {
        self.retry = Some(u64::try_from(retry.as_millis()).unwrap_or(u64::MAX));
        self
    }

    /// The method, lowercase, as OpenAPI keys operations.
    pub(crate) fn method_key(&self) -> String {
        self.method.to_ascii_lowercase()
    }

    /// The path's parameters: `{id}` and `{*rest}` (as `rest`).
    pub(crate) fn path_parameters(&self) -> Vec<&'static str> {
        let mut names = Vec::new();
        let mut rest = self.path;
        while let Some(open) = rest.find('{') {
            let Some(close) = rest[open..].find('}') else {
                break;
            };
            let name = &rest[open + 1..open + close];
            names.push(name.trim_start_matches('*'));
            rest = &rest[open + close + 1..];
        }
        names
    }

    /// The path as OpenAPI writes templates: `{*rest}` becomes `{rest}`.
    pub(crate) fn template(&self) -> String {
        self.path.replace("{*", "{")
    }

    /// The events this operation sends, described with `generator`.
    pub(crate) fn event_schemas(
        &self,
        generator: &mut SchemaGenerator,
    ) -> Option<Vec<EventSchema>> {
        self.events.map(|(describe, _)| describe(generator))
    }

    /// The schema of one item of the stream, as OpenAPI 3.2 describes
    /// `text/event-stream`: the fields of each event, its data a JSON
    /// string described by `contentSchema`.
    fn item_schema(&self, events: Option<&[EventSchema]>) -> Value {
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

    pub(crate) fn to_json(&self, events: Option<&[EventSchema]>) -> Value {
        let mut parameters: Vec<Value> = self
            .path_parameters()
            .into_iter()
            .map(|name| json!({ "name": name, "in": "path", "required": true, "schema": { "type": "string" } }))
            .collect();
        if self.last_event_id {
            parameters.push(json!({
                "name": "Last-Event-ID",
                "in": "header",
                "required": false,
                "description": "The id of the last event a reconnecting client received: the stream resumes after it.",
                "schema": { "type": "string" },
            }));
        }
        let description = match self.events {
            Some((_, type_name)) => format!("A stream of Server-Sent Events: `{type_name}`"),
            None => "A stream of Server-Sent Events".to_owned(),
        };
        let mut operation = Map::new();
        if let Some(id) = &self.operation_id {
            operation.insert("operationId".into(), json!(id));
        }
        if !parameters.is_empty() {
            operation.insert("parameters".into(), Value::Array(parameters));
        }
        operation.insert(
            "responses".into(),
            json!({
                "200": {
                    "description": description,
                    "content": { "text/event-stream": { "itemSchema": self.item_schema(events) } },
                }
            }),
        );
        Value::Object(operation)
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
