//! [`Decode`]: reading an event back into the `#[derive(SseEvent)]` type
//! that wrote it, with the derive's table of its events.

use serde::de::DeserializeOwned;
use serde_json::Value;

use super::received::TestEvent;
use crate::endpoint::{DerivedEvents, IdField};

/// A `#[derive(SseEvent)]` type that also derives `Deserialize`: what
/// [`EventReader::next_as`](super::EventReader::next_as) reads.
pub trait Decode: DeserializeOwned + DerivedEvents {}

impl<T: DeserializeOwned + DerivedEvents> Decode for T {}

/// `event` as a value of `E`: the event's type picks the variant, the data
/// gives the rest, the `id:` the `#[sse(id)]` field.
pub(crate) fn decode<E: Decode>(event: &TestEvent) -> Result<E, String> {
    let Some(derived) = E::EVENTS.iter().find(|derived| derived.name == event.event) else {
        let names: Vec<&str> = E::EVENTS.iter().map(|derived| derived.name).collect();
        return Err(format!(
            "no event of the type is named {:?}; its events are {names:?}",
            event.event
        ));
    };
    let data: Value = serde_json::from_str(&event.data)
        .map_err(|error| format!("the data is not JSON: {error}"))?;
    let build = |id: Option<Value>| -> Result<Value, String> {
        let mut data = data.clone();
        match (&derived.id, id) {
            (_, None) | (IdField::None, _) => {}
            (IdField::Key(key), Some(id)) => match &mut data {
                Value::Object(map) => {
                    map.insert((*key).to_owned(), id);
                }
                _ => {
                    return Err(format!(
                        "the data is not an object to put the id under {key:?}"
                    ));
                }
            },
            (IdField::Position(at), Some(id)) => match &mut data {
                Value::Array(items) if *at <= items.len() => items.insert(*at, id),
                _ => return Err(format!("the data is not an array to put the id at {at}")),
            },
        }
        Ok(match E::EXTERNALLY_TAGGED {
            true => serde_json::json!({ derived.serde_name: data }),
            false => data,
        })
    };
    // An id reads as a number or as a string, as the field's type wants.
    let ids = match (&derived.id, event.id.as_deref()) {
        (IdField::None, _) => vec![None],
        (_, None) => return Err("the event has no `id:`, which the type's id field needs".into()),
        (_, Some(id)) => {
            let number = serde_json::from_str::<serde_json::Number>(id).ok();
            let number = number.map(|number| Some(Value::Number(number)));
            number
                .into_iter()
                .chain([Some(Value::String(id.to_owned()))])
                .collect()
        }
    };
    let mut first_error = None;
    for id in ids {
        match serde_json::from_value::<E>(build(id)?) {
            Ok(value) => return Ok(value),
            Err(error) => {
                first_error.get_or_insert(error);
            }
        }
    }
    let error = first_error
        .map(|error| error.to_string())
        .unwrap_or_default();
    Err(format!("it does not read as the type: {error}"))
}
