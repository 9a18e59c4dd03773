//! JSON Schema (2020-12, as schemars writes it) as TypeScript types, and
//! names as TypeScript identifiers.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

/// The TypeScript type of values `schema` accepts (JSON Schema 2020-12 as
/// schemars writes it); `unknown` where it says nothing TypeScript can.
pub(super) fn ts_type(schema: &Value, depth: usize) -> String {
    if depth > 64 {
        return "unknown".into();
    }
    let object = match schema {
        Value::Bool(true) => return "unknown".into(),
        Value::Bool(false) => return "never".into(),
        Value::Object(object) => object,
        _ => return "unknown".into(),
    };
    if let Some(Value::String(reference)) = object.get("$ref") {
        let name = reference.rsplit('/').next().unwrap_or(reference);
        return identifier(&name.replace("~1", "/").replace("~0", "~"));
    }
    if let Some(value) = object.get("const") {
        return literal(value);
    }
    if let Some(Value::Array(values)) = object.get("enum") {
        return union(values.iter().map(literal));
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(Value::Array(members)) = object.get(key) {
            return union(
                members
                    .iter()
                    .map(|member| ts_type(&merged(object, member, key), depth + 1)),
            );
        }
    }
    if let Some(Value::Array(parts)) = object.get("allOf") {
        let parts: Vec<String> = parts
            .iter()
            .map(|part| format!("({})", ts_type(part, depth + 1)))
            .collect();
        return parts.join(" & ");
    }
    match object.get("type") {
        Some(Value::String(kind)) => of_kind(kind, object, depth),
        Some(Value::Array(kinds)) => union(
            kinds
                .iter()
                .filter_map(Value::as_str)
                .map(|kind| of_kind(kind, object, depth)),
        ),
        _ => "unknown".into(),
    }
}

/// A member of `oneOf`/`anyOf` with the sibling keywords it is combined with
/// (schemars puts `type: object` beside some unions).
fn merged(parent: &Map<String, Value>, member: &Value, key: &str) -> Value {
    let Value::Object(member) = member else {
        return member.clone();
    };
    let mut out = member.clone();
    for (name, value) in parent {
        if name != key && !out.contains_key(name) && name != "title" && name != "description" {
            out.insert(name.clone(), value.clone());
        }
    }
    Value::Object(out)
}

fn of_kind(kind: &str, object: &Map<String, Value>, depth: usize) -> String {
    match kind {
        "string" => "string".into(),
        "integer" | "number" => "number".into(),
        "boolean" => "boolean".into(),
        "null" => "null".into(),
        "array" => array(object, depth),
        "object" => object_type(object, depth),
        _ => "unknown".into(),
    }
}

fn array(object: &Map<String, Value>, depth: usize) -> String {
    if let Some(Value::Array(items)) = object.get("prefixItems") {
        let items: Vec<String> = items.iter().map(|item| ts_type(item, depth + 1)).collect();
        return format!("[{}]", items.join(", "));
    }
    match object.get("items") {
        Some(items) => format!("Array<{}>", ts_type(items, depth + 1)),
        None => "Array<unknown>".into(),
    }
}

fn object_type(object: &Map<String, Value>, depth: usize) -> String {
    let required: BTreeSet<&str> = object
        .get("required")
        .and_then(Value::as_array)
        .map(|names| names.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let properties = object.get("properties").and_then(Value::as_object);
    let Some(properties) = properties.filter(|properties| !properties.is_empty()) else {
        return match object.get("additionalProperties") {
            Some(Value::Bool(false)) => "Record<string, never>".into(),
            None | Some(Value::Bool(true)) => "Record<string, unknown>".into(),
            Some(schema) => format!("Record<string, {}>", ts_type(schema, depth + 1)),
        };
    };
    // Declared properties only: TypeScript's object types allow more keys
    // anyway, and an index signature would have to admit every one of them.
    let fields: Vec<String> = properties
        .iter()
        .map(|(name, schema)| {
            let optional = if required.contains(name.as_str()) {
                ""
            } else {
                "?"
            };
            format!("{}{optional}: {}", quote(name), ts_type(schema, depth + 1))
        })
        .collect();
    format!("{{ {} }}", fields.join("; "))
}

fn union(members: impl Iterator<Item = String>) -> String {
    let members: Vec<String> = members.map(|member| format!("({member})")).collect();
    match members.len() {
        0 => "never".into(),
        1 => members[0]
            .trim_start_matches('(')
            .trim_end_matches(')')
            .to_owned(),
        _ => members.join(" | "),
    }
}

fn literal(value: &Value) -> String {
    match value {
        Value::Object(_) | Value::Array(_) => "unknown".into(),
        other => other.to_string(),
    }
}

/// A property name or string as a TypeScript string literal.
pub(super) fn quote(text: &str) -> String {
    Value::String(text.to_owned()).to_string()
}

/// `name` as a TypeScript identifier: letters, digits, `_` and `$`, not
/// starting with a digit.
pub(super) fn identifier(name: &str) -> String {
    let mut out: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '$' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
    out
}

/// `user_joined`, `user-joined`, `userJoined` → `UserJoined`.
pub(super) fn pascal(name: &str) -> String {
    let mut out = String::new();
    let mut upper = true;
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            if upper {
                out.extend(c.to_uppercase());
            } else {
                out.push(c);
            }
            upper = false;
        } else {
            upper = true;
        }
    }
    identifier(&out)
}

pub(super) fn camel(name: &str) -> String {
    let pascal = pascal(name);
    let mut chars = pascal.chars();
    match chars.next() {
        Some(first) => first.to_ascii_lowercase().to_string() + chars.as_str(),
        None => pascal,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn schemas_become_types() {
        let schema = json!({
            "type": "object",
            "properties": {
                "a": { "type": "integer" },
                "b": { "anyOf": [{ "$ref": "#/components/schemas/Inner" }, { "type": "null" }] },
                "c": { "type": "array", "prefixItems": [{ "type": "string" }, { "const": 3 }] },
                "d": { "type": ["string", "null"] },
                "e": { "enum": ["x", "y"] },
                "f-g": { "type": "object", "additionalProperties": { "type": "boolean" } },
            },
            "required": ["a", "c"],
        });
        assert_eq!(
            ts_type(&schema, 0),
            "{ \"a\": number; \"b\"?: (Inner) | (null); \"c\": [string, 3]; \"d\"?: (string) | (null); \"e\"?: (\"x\") | (\"y\"); \"f-g\"?: Record<string, boolean> }"
        );
    }

    #[test]
    fn names_become_identifiers() {
        assert_eq!(pascal("user_joined"), "UserJoined");
        assert_eq!(
            pascal("response.output_text.delta"),
            "ResponseOutputTextDelta"
        );
        assert_eq!(camel("station_closed"), "stationClosed");
        assert_eq!(identifier("9 lives"), "_9_lives");
    }
}
