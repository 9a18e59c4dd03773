//! [`OpenApi`]: a document of endpoints, their event types under
//! `components.schemas`; merged into another generator's document, or
//! turned into a TypeScript module.

use schemars::SchemaGenerator;
use schemars::generate::SchemaSettings;
use serde_json::{Map, Value, json};

use super::operation::Operation;
use super::parameters::Parameter;
use super::split::EventSchema;
use super::typescript::{self, Endpoint};

/// An OpenAPI 3.2 document of endpoints, their event types under
/// `components.schemas`.
///
/// ```
/// # use schemars::JsonSchema;
/// # use serde::Serialize;
/// use sse_runtime::schema::OpenApi;
/// use sse_runtime::{SseEvent, sse_endpoint};
///
/// #[derive(Serialize, JsonSchema, SseEvent)]
/// struct Tick { n: u64 }
///
/// #[sse_endpoint(get "/ticks", yields = Tick, id = sequential)]
/// async fn ticks() {
///     yield_!(Tick { n: 1 });
/// }
///
/// let document = OpenApi::new("ticker", "1.0").operation(ticks::operation()).to_json();
/// assert_eq!(document["openapi"], "3.2.0");
/// assert_eq!(document["paths"]["/ticks"]["get"]["operationId"], "ticks");
/// ```
///
/// With utoipa or aide, generate their document as usual, turn it into
/// JSON (`serde_json::to_value(&api)`), and [`merge_into`](Self::merge_into)
/// it to add these paths and schemas; serve the result. It declares OpenAPI
/// 3.2.0, which `itemSchema` needs (utoipa 6 has 3.2 as an opt-in and reads
/// the merged document back, `tests/openapi.rs`; its schema model drops
/// keywords it lacks, such as `const`, so serve the JSON rather than
/// round-tripping it; aide writes 3.1.0, which this raises to 3.2.0).
#[derive(Debug, Clone)]
pub struct OpenApi {
    title: String,
    version: String,
    operations: Vec<Operation>,
}

impl OpenApi {
    /// An empty document: `info.title` and `info.version`.
    pub fn new(title: impl Into<String>, version: impl Into<String>) -> Self {
        Self {
            title: title.into(),
            version: version.into(),
            operations: Vec::new(),
        }
    }

    /// Adds an endpoint.
    pub fn operation(mut self, operation: Operation) -> Self {
        self.operations.push(operation);
        self
    }

    /// The operations, in the order they were added.
    pub fn operations(&self) -> &[Operation] {
        &self.operations
    }

    /// The document, as JSON.
    pub fn to_json(&self) -> Value {
        let mut document = json!({
            "openapi": "3.2.0",
            "info": { "title": self.title, "version": self.version },
        });
        self.merge_into(&mut document);
        document
    }

    /// A TypeScript module for the frontend: a type per event payload and
    /// per shared definition, an interface of each endpoint's events by
    /// name, and for each `GET` endpoint a function opening a
    /// `TypedEventSource` whose `on(name, handler)` accepts only that
    /// endpoint's event names and types the handler's data. It compiles
    /// under `tsc --strict`; a handler of the wrong type, or an unknown
    /// event name, does not.
    ///
    /// ```
    /// # use schemars::JsonSchema;
    /// # use serde::Serialize;
    /// use sse_runtime::schema::OpenApi;
    /// use sse_runtime::{SseEvent, sse_endpoint};
    ///
    /// #[derive(Serialize, JsonSchema, SseEvent)]
    /// enum Room { UserJoined { name: String } }
    ///
    /// #[sse_endpoint(get "/rooms/{room}", yields = Room)]
    /// async fn room(axum::extract::Path(room): axum::extract::Path<String>) {
    ///     yield_!(Room::UserJoined { name: room });
    /// }
    ///
    /// let module = OpenApi::new("chat", "1").operation(room::operation()).typescript();
    /// assert!(module.contains("export type UserJoined = { \"name\": string };"));
    /// assert!(module.contains("export interface RoomEvents {\n  \"user_joined\": UserJoined;\n}"));
    /// assert!(module.contains("export function room(params: { \"room\": string }, base = \"\""));
    /// ```
    pub fn typescript(&self) -> String {
        let mut generator = generator("/components/schemas");
        let described: Vec<Option<Vec<EventSchema>>> = self
            .operations
            .iter()
            .map(|operation| operation.event_schemas(&mut generator))
            .collect();
        let parameters: Vec<Vec<Parameter>> = self
            .operations
            .iter()
            .map(|operation| operation.parameters())
            .collect();
        let definitions = generator.take_definitions(true);
        let endpoints: Vec<Endpoint<'_>> = self
            .operations
            .iter()
            .zip(&described)
            .zip(&parameters)
            .map(|((operation, events), parameters)| Endpoint {
                operation_id: operation.operation_id.as_deref().unwrap_or(operation.path),
                method: operation.method,
                path: operation.path,
                parameters,
                events: events.as_ref().map(|events| {
                    events
                        .iter()
                        .map(|event| (event.name, &event.data))
                        .collect()
                }),
            })
            .collect();
        typescript::module(&endpoints, &definitions)
    }

    /// Adds these paths and `components.schemas` to `document` (another
    /// generator's output, as JSON) and sets `openapi` to `3.2.0`.
    pub fn merge_into(&self, document: &mut Value) {
        let mut generator = generator("/components/schemas");
        let Some(object) = document.as_object_mut() else {
            return;
        };
        object.insert("openapi".into(), json!("3.2.0"));
        let mut paths = take_object(object, "paths");
        for operation in &self.operations {
            let events = operation.event_schemas(&mut generator);
            let parameters = operation.parameters();
            let item = paths
                .entry(operation.template())
                .or_insert_with(|| json!({}));
            if let Some(item) = item.as_object_mut() {
                item.insert(
                    operation.method_key(),
                    operation.to_json(events.as_deref(), &parameters),
                );
            }
        }
        object.insert("paths".into(), Value::Object(paths));
        // Every tag an operation uses, declared once at the top (in the
        // order first used), after the document's own.
        let mut tags = match object.remove("tags") {
            Some(Value::Array(tags)) => tags,
            _ => Vec::new(),
        };
        for tag in self.operations.iter().flat_map(|operation| &operation.tags) {
            if !tags.iter().any(|known| known["name"] == json!(tag)) {
                tags.push(json!({ "name": tag }));
            }
        }
        if !tags.is_empty() {
            object.insert("tags".into(), Value::Array(tags));
        }
        let definitions = generator.take_definitions(true);
        if !definitions.is_empty() {
            let mut components = take_object(object, "components");
            let mut schemas = take_object(&mut components, "schemas");
            schemas.extend(definitions);
            components.insert("schemas".into(), Value::Object(schemas));
            object.insert("components".into(), Value::Object(components));
        }
    }
}

fn take_object(object: &mut Map<String, Value>, key: &str) -> Map<String, Value> {
    match object.remove(key) {
        Some(Value::Object(map)) => map,
        _ => Map::new(),
    }
}

/// A generator for JSON Schema 2020-12 of what serde writes, with
/// definitions under `path`.
pub(crate) fn generator(path: &'static str) -> SchemaGenerator {
    SchemaSettings::draft2020_12()
        .for_serialize()
        .with(|settings| {
            settings.definitions_path = path.into();
            settings.meta_schema = None;
        })
        .into_generator()
}
