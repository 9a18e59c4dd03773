//! One JSON Schema per event of a `#[derive(SseEvent)]` type, cut from the
//! schema schemars generates for the whole type: the data of each event is
//! what serde writes for it, less the id field, which becomes the `id:`.

use schemars::{JsonSchema, SchemaGenerator};
use serde_json::{Map, Value, json};

use crate::endpoint::{DerivedEvent, DerivedEvents, IdField};

/// One event of a stream, described.
#[derive(Debug, Clone, PartialEq)]
pub struct EventSchema {
    /// The `event:` name.
    pub name: &'static str,
    /// The schema of its data, as JSON (2020-12).
    pub data: Value,
    /// The schema of the `#[sse(id)]` field, when the event has one.
    pub id: Option<Value>,
}

/// Describes each event of `E`, with the `$ref`ed definitions left in
/// `generator`.
pub(crate) fn event_schemas<E: DerivedEvents + JsonSchema + ?Sized>(
    generator: &mut SchemaGenerator,
) -> Vec<EventSchema> {
    let whole = E::json_schema(generator).to_value();
    E::EVENTS
        .iter()
        .map(|event| {
            let mut data = match event.wire_name {
                // A struct: its whole schema.
                "" => whole.clone(),
                name if E::EXTERNALLY_TAGGED => variant_content(&whole, name),
                name => tagged_variant(&whole, name),
            };
            let id = take_id(&mut data, event);
            EventSchema {
                name: event.name,
                data,
                id,
            }
        })
        .collect()
}

/// The alternatives of an enum's schema: `oneOf` (or `anyOf`), or the
/// schema itself when there is one form only.
fn alternatives(whole: &Value) -> Vec<&Value> {
    for key in ["oneOf", "anyOf"] {
        if let Some(Value::Array(items)) = whole.get(key) {
            return items.iter().collect();
        }
    }
    vec![whole]
}

/// An externally tagged variant: serde writes `{"Name": content}`, or
/// `"Name"` for a unit variant, whose data is then `null`.
fn variant_content(whole: &Value, name: &str) -> Value {
    for alternative in alternatives(whole) {
        if let Some(content) = alternative.pointer(&format!("/properties/{}", pointer_escape(name)))
        {
            return content.clone();
        }
        let names = alternative.get("enum").and_then(Value::as_array);
        let is_const = alternative.get("const").and_then(Value::as_str) == Some(name);
        if is_const || names.is_some_and(|names| names.iter().any(|n| n == name)) {
            return json!({ "type": "null" });
        }
    }
    // Not found where schemars puts it: the whole type, looser but true.
    whole.clone()
}

/// An internally or adjacently tagged variant: the alternative whose tag
/// property is the variant's name. Untagged enums have none: the whole type.
fn tagged_variant(whole: &Value, name: &str) -> Value {
    let tagged = alternatives(whole).into_iter().find(|alternative| {
        alternative
            .get("properties")
            .and_then(Value::as_object)
            .is_some_and(|properties| {
                properties.values().any(|property| {
                    property.get("const").and_then(Value::as_str) == Some(name)
                        || property
                            .get("enum")
                            .and_then(Value::as_array)
                            .is_some_and(|names| names.len() == 1 && names[0] == name)
                })
            })
    });
    tagged.unwrap_or(whole).clone()
}

/// Takes the id field out of `data`'s schema, as the derive takes it out of
/// the data, and returns its schema.
fn take_id(data: &mut Value, event: &DerivedEvent) -> Option<Value> {
    match event.id {
        IdField::None => None,
        IdField::Key(key) => {
            let id = data.get_mut("properties")?.as_object_mut()?.remove(key)?;
            if let Some(Value::Array(required)) = data.get_mut("required") {
                required.retain(|name| name != key);
            }
            Some(id)
        }
        IdField::Position(at) => {
            let object: &mut Map<String, Value> = data.as_object_mut()?;
            let Some(Value::Array(items)) = object.get_mut("prefixItems") else {
                return None;
            };
            if at >= items.len() {
                return None;
            }
            let id = items.remove(at);
            let len = items.len();
            for bound in ["minItems", "maxItems"] {
                if object.contains_key(bound) {
                    object.insert(bound.into(), len.into());
                }
            }
            Some(id)
        }
    }
}

/// `name` as one JSON Pointer token.
fn pointer_escape(name: &str) -> String {
    name.replace('~', "~0").replace('/', "~1")
}
