//! What `#[derive(SseEvent)]` records of a type's events so that a reader
//! can turn an event back into a value (`test::EventReader::next_as`).

use crate::endpoint::IdField;

/// The events of a `#[derive(SseEvent)]` type, in declaration order.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a `#[derive(SseEvent)]` type",
    label = "derive `SseEvent` (with `Deserialize` to read it back, `schemars::JsonSchema` to describe it)"
)]
pub trait DerivedEvents {
    /// One per struct, one per enum variant.
    const EVENTS: &'static [DerivedEvent];
    /// An enum that serde writes wrapped in its variant's name (the
    /// default): the data is the variant's content alone.
    const EXTERNALLY_TAGGED: bool;
}

/// One event of a derived type.
#[derive(Debug, Clone, Copy)]
pub struct DerivedEvent {
    /// The `event:` name.
    pub name: &'static str,
    /// The variant's name as serde reads it back (an enum's variants only).
    pub serde_name: &'static str,
    /// The variant's name as serde writes it (an enum's variants only).
    pub wire_name: &'static str,
    /// Where the id field goes back into the data.
    pub id: IdField,
}
