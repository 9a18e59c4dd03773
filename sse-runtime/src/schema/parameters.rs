//! An operation's parameters, from the extractors that read them: the
//! path's (`{room}`, typed by `Path<T>`), the query's (each field of
//! `Query<T>`, required unless it may be absent), the headers extractors
//! name ([`HeaderParameter`]), and `Last-Event-ID`.

use schemars::generate::SchemaSettings;
use schemars::{JsonSchema, SchemaGenerator};
use serde_json::{Value, json};

/// Describes a type with a generator: `T`'s own schema, inline.
pub(crate) type SchemaOf = fn(&mut SchemaGenerator) -> Value;

/// `T`'s schema, inline (its own fields, not a `$ref` to it).
pub(crate) fn schema_of<T: JsonSchema + ?Sized>(generator: &mut SchemaGenerator) -> Value {
    T::json_schema(generator).to_value()
}

/// A generator for what a request's parts deserialize into: a field serde
/// may find absent (an `Option`, a `#[serde(default)]`) is not required,
/// and every schema is inline, since a parameter's has no home of its own.
pub(crate) fn generator() -> SchemaGenerator {
    SchemaSettings::draft2020_12()
        .for_deserialize()
        .with(|settings| {
            settings.inline_subschemas = true;
            settings.meta_schema = None;
        })
        .into_generator()
}

/// One parameter, as OpenAPI and the TypeScript function need it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Parameter {
    pub(crate) name: String,
    /// `path`, `query` or `header`.
    pub(crate) location: &'static str,
    pub(crate) required: bool,
    pub(crate) schema: Value,
    pub(crate) description: Option<&'static str>,
}

impl Parameter {
    pub(crate) fn to_json(&self) -> Value {
        let mut parameter = json!({
            "name": self.name,
            "in": self.location,
            "required": self.required,
            "schema": self.schema,
        });
        if let Some(description) = self.description {
            parameter["description"] = json!(description);
        }
        parameter
    }
}

/// The path's parameters, named by the template, typed by `Path<T>`'s
/// schema where there is one: a struct's fields by name, a tuple's items
/// in order, a single value for a single parameter; a string otherwise.
pub(crate) fn path(names: &[&str], typed: Option<Value>) -> Vec<Parameter> {
    let string = || json!({ "type": "string" });
    names
        .iter()
        .enumerate()
        .map(|(at, name)| {
            let schema = typed.as_ref().and_then(|typed| {
                if let Some(field) = typed.get("properties").and_then(|p| p.get(*name)) {
                    return Some(field.clone());
                }
                if let Some(Value::Array(items)) = typed.get("prefixItems") {
                    return items.get(at).cloned();
                }
                let scalar = typed.get("properties").is_none() && names.len() == 1;
                scalar.then(|| typed.clone())
            });
            Parameter {
                name: (*name).to_owned(),
                location: "path",
                required: true,
                schema: schema.unwrap_or_else(string),
                description: None,
            }
        })
        .collect()
}

/// One query parameter per field of `Query<T>`'s schema (an object):
/// required when serde requires it.
pub(crate) fn query(typed: &Value) -> Vec<Parameter> {
    let required: Vec<&str> = typed
        .get("required")
        .and_then(Value::as_array)
        .map(|names| names.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let Some(properties) = typed.get("properties").and_then(Value::as_object) else {
        return Vec::new();
    };
    properties
        .iter()
        .map(|(name, schema)| Parameter {
            name: name.clone(),
            location: "query",
            required: required.contains(&name.as_str()),
            // A field's doc comment stays in its schema's `description`.
            schema: schema.clone(),
            description: None,
        })
        .collect()
}

/// A request header an endpoint reads through an extractor, for its
/// description: implement it for the extractor (your own, or a newtype
/// over axum-extra's `TypedHeader<H>`), and `#[sse_endpoint]`'s
/// `name::operation()` lists the header as a parameter, and the operation
/// built by hand takes it with [`Operation::header`](super::Operation::header).
///
/// ```
/// use axum::extract::FromRequestParts;
/// use axum::http::{StatusCode, request::Parts};
/// use sse_runtime::schema::{HeaderParameter, OpenApi};
/// use sse_runtime::sse_endpoint;
///
/// /// The `X-Client-Version` a client sends.
/// struct ClientVersion(String);
///
/// impl<S: Sync> FromRequestParts<S> for ClientVersion {
///     type Rejection = StatusCode;
///     async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, StatusCode> {
///         let value = parts.headers.get("x-client-version").ok_or(StatusCode::BAD_REQUEST)?;
///         Ok(Self(value.to_str().map_err(|_| StatusCode::BAD_REQUEST)?.to_owned()))
///     }
/// }
///
/// impl HeaderParameter for ClientVersion {
///     const NAME: &'static str = "X-Client-Version";
/// }
///
/// #[sse_endpoint(get "/feed")]
/// async fn feed(ClientVersion(version): ClientVersion) {
///     yield_!(version);
/// }
///
/// let document = OpenApi::new("app", "1").operation(feed::operation()).to_json();
/// let header = &document["paths"]["/feed"]["get"]["parameters"][0];
/// assert_eq!((header["name"].as_str(), header["in"].as_str()), (Some("X-Client-Version"), Some("header")));
/// assert_eq!(header["required"], true);
/// ```
pub trait HeaderParameter {
    /// The header's name, as sent.
    const NAME: &'static str;
    /// Whether the extractor refuses a request without it.
    const REQUIRED: bool = true;

    /// The schema of its value: a string unless said otherwise.
    fn schema() -> Value {
        json!({ "type": "string" })
    }
}

/// A header parameter.
pub(crate) fn header(name: &str, required: bool, schema: Value) -> Parameter {
    Parameter {
        name: name.to_owned(),
        location: "header",
        required,
        schema,
        description: None,
    }
}

/// The `Last-Event-ID` header, which a reconnecting client sends.
pub(crate) fn last_event_id() -> Parameter {
    Parameter {
        name: "Last-Event-ID".into(),
        location: "header",
        required: false,
        schema: json!({ "type": "string" }),
        description: Some(
            "The id of the last event a reconnecting client received: the stream resumes after it.",
        ),
    }
}
