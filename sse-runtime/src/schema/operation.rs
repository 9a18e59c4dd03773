//! [`Operation`]: one endpoint described as OpenAPI 3.2 describes
//! Server-Sent Events, a `text/event-stream` whose `itemSchema` has an
//! alternative per event.

use std::borrow::Cow;
use std::time::Duration;

use schemars::{JsonSchema, SchemaGenerator};
use serde_json::{Map, Value, json};

use super::parameters::{self, Parameter, SchemaOf, schema_of};
use super::split::{EventSchema, event_schemas};
use crate::endpoint::DerivedEvents;

type Describe = fn(&mut SchemaGenerator) -> Vec<EventSchema>;

/// One endpoint as an OpenAPI operation. `#[sse_endpoint]` builds it for
/// every endpoint with a route (`name::operation()`), from its method and
/// path, its doc comment (summary, description), `operation_id`, `tags`,
/// `yields = T`, `retry`, `id = sequential`, `error_event`, `on_shutdown`,
/// and its arguments (`Path<T>`, `Query<T>`, a [`HeaderParameter`](super::HeaderParameter),
/// a `LastEventId`); build one by hand for a handler of your own.
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
    summary: Option<Cow<'static, str>>,
    description: Option<Cow<'static, str>>,
    pub(crate) tags: Vec<Cow<'static, str>>,
    events: Option<(Describe, &'static str)>,
    last_event_id: bool,
    pub(super) sequential_ids: bool,
    pub(super) retry: Option<u64>,
    /// `error_event = "name"`: `event: name`, `data: internal error`.
    pub(super) error_event: Option<Cow<'static, str>>,
    /// Events beyond the declared ones, of names and data not known here
    /// (an `on_shutdown` farewell, an `error_event` function).
    pub(super) other_events: bool,
    /// `Path<T>`'s `T`, typing the path's parameters.
    path_type: Option<SchemaOf>,
    /// `Query<T>`'s `T`, whose fields are the query parameters.
    query: Option<SchemaOf>,
    /// It resumes from the client's `Last-Event-ID`, and may send `reset`.
    resets: bool,
    /// Headers its extractors read (`Last-Event-ID` aside).
    headers: Vec<Parameter>,
}

impl Operation {
    /// `method` (`GET`, `POST`, ..) at `path` (axum's syntax: `{param}`,
    /// `{*rest}`).
    pub fn new(method: &'static str, path: &'static str) -> Self {
        Self {
            method,
            path,
            operation_id: None,
            summary: None,
            description: None,
            tags: Vec::new(),
            events: None,
            last_event_id: false,
            sequential_ids: false,
            retry: None,
            error_event: None,
            other_events: false,
            path_type: None,
            query: None,
            resets: false,
            headers: Vec::new(),
        }
    }

    /// The `operationId` (from `#[sse_endpoint]`: `operation_id = ".."`, else
    /// the handler's name); the generated TypeScript function's name too.
    pub fn operation_id(mut self, id: impl Into<Cow<'static, str>>) -> Self {
        self.operation_id = Some(id.into());
        self
    }

    /// The `summary`: one line (`#[sse_endpoint]` takes the first line of
    /// the handler's doc comment, or its name in words).
    pub fn summary(mut self, summary: impl Into<Cow<'static, str>>) -> Self {
        self.summary = Some(summary.into());
        self
    }

    /// The `description` (`#[sse_endpoint]` takes the rest of the handler's
    /// doc comment), CommonMark.
    pub fn description(mut self, description: impl Into<Cow<'static, str>>) -> Self {
        self.description = Some(description.into());
        self
    }

    /// Adds a tag, which groups operations in documentation
    /// (`tags = ["market"]` in `#[sse_endpoint]`); the document lists each
    /// tag once at its top.
    pub fn tag(mut self, tag: impl Into<Cow<'static, str>>) -> Self {
        let tag = tag.into();
        if !self.tags.contains(&tag) {
            self.tags.push(tag);
        }
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

    /// The path's parameters are `T` (`Path<T>`): a struct's fields by
    /// name, a tuple's items in order, or one value for one parameter. A
    /// parameter `T` does not type is a string.
    pub fn path_params<T: JsonSchema + ?Sized>(mut self) -> Self {
        self.path_type = Some(schema_of::<T>);
        self
    }

    /// The endpoint reads the query as `T` (`Query<T>`): each field is a
    /// query parameter, required unless serde lets it be absent.
    pub fn query<T: JsonSchema + ?Sized>(mut self) -> Self {
        self.query = Some(schema_of::<T>);
        self
    }

    /// The endpoint reads header `name` (see [`HeaderParameter`](super::HeaderParameter)
    /// for extractors that say so themselves); `schema` describes its value.
    pub fn header(mut self, name: &'static str, required: bool, schema: Value) -> Self {
        if !self
            .headers
            .iter()
            .any(|header| header.name.eq_ignore_ascii_case(name))
        {
            self.headers
                .push(parameters::header(name, required, schema));
        }
        self
    }

    /// Every parameter: the path's, the query's, the headers, then
    /// `Last-Event-ID`.
    pub(crate) fn parameters(&self) -> Vec<Parameter> {
        let mut generator = parameters::generator();
        let path_type = self.path_type.map(|describe| describe(&mut generator));
        let mut all = parameters::path(&self.path_parameters(), path_type);
        if let Some(describe) = self.query {
            all.extend(parameters::query(&describe(&mut generator)));
        }
        all.extend(self.headers.iter().cloned());
        if self.last_event_id {
            all.push(parameters::last_event_id());
        }
        all
    }

    /// The endpoint reads `Last-Event-ID` (an optional header parameter).
    ///
    /// A stream that resumes may open with a `reset` event
    /// ([`Reset`](crate::hub::Reset): a typed hub topic sends it when the
    /// events after the client's id are gone), so it is described beside
    /// the declared events.
    pub fn last_event_id(mut self) -> Self {
        self.last_event_id = true;
        self.resets = true;
        self
    }

    /// The stream may send `reset` without resuming: a typed hub topic's
    /// stream under [`LagPolicy::Skip`](crate::hub::LagPolicy::Skip) sends
    /// it when the subscriber was skipped ahead. ([`last_event_id`](Self::last_event_id)
    /// implies it.)
    pub fn resets(mut self) -> Self {
        self.resets = true;
        self
    }

    /// Every event has an integer id (`id = sequential`), and the endpoint
    /// resumes after `Last-Event-ID`.
    pub fn sequential_ids(mut self) -> Self {
        self.sequential_ids = true;
        self.last_event_id = true;
        self
    }

    /// On an error the stream sends `event: <name>` with `data: internal
    /// error` (`error_event = "name"`), then ends.
    pub fn error_event(mut self, name: impl Into<Cow<'static, str>>) -> Self {
        self.error_event = Some(name.into());
        self
    }

    /// The stream may also send events this description cannot name: an
    /// `on_shutdown` farewell (its `Event`s are built at run time), an
    /// `error_event` function's, or a [`MaxDuration`](crate::MaxDuration)
    /// farewell of a response built by hand. They are described as any event whose
    /// name is none of the declared ones, so that a validator accepts
    /// them and still refuses a declared event that is wrong.
    pub fn other_events(mut self) -> Self {
        self.other_events = true;
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
        let mut events = self.events.map(|(describe, _)| describe(generator))?;
        let reset = crate::hub::Reset::NAME;
        if self.resets && events.iter().all(|event| event.name != reset) {
            events.push(EventSchema {
                name: reset,
                data: crate::hub::Reset::data_schema(),
                id: None,
            });
        }
        Some(events)
    }

    pub(crate) fn to_json(
        &self,
        events: Option<&[EventSchema]>,
        parameters: &[Parameter],
    ) -> Value {
        let parameters: Vec<Value> = parameters.iter().map(Parameter::to_json).collect();
        let description = match self.events {
            Some((_, type_name)) => format!("A stream of Server-Sent Events: `{type_name}`"),
            None => "A stream of Server-Sent Events".to_owned(),
        };
        let mut operation = Map::new();
        if !self.tags.is_empty() {
            operation.insert("tags".into(), json!(self.tags));
        }
        if let Some(summary) = &self.summary {
            operation.insert("summary".into(), json!(summary));
        }
        if let Some(text) = &self.description {
            operation.insert("description".into(), json!(text));
        }
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
