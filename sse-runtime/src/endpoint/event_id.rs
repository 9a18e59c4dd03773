//! What a `#[derive(SseEvent)]` field marked `#[sse(id)]` may be: an integer
//! or a string, written as the event's `id:`.

use crate::event::{EventError, EventWriter};

/// A field marked `#[sse(id)]`: written as the event's `id:`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be an event id",
    label = "the `#[sse(id)]` field must be an integer or a string",
    note = "ids are sent as text; use an integer type, `String` or `&str`"
)]
pub trait EventIdValue {
    /// Writes `id: <value>`.
    fn write_id(&self, writer: &mut EventWriter) -> Result<(), EventError>;
}

macro_rules! integer_ids {
    ($($ty:ty),*) => {$(
        impl EventIdValue for $ty {
            fn write_id(&self, writer: &mut EventWriter) -> Result<(), EventError> {
                writer.id_field(itoa::Buffer::new().format(*self));
                Ok(())
            }
        }
    )*};
}

integer_ids!(
    u8, u16, u32, u64, u128, usize, i8, i16, i32, i64, i128, isize
);

impl EventIdValue for str {
    fn write_id(&self, writer: &mut EventWriter) -> Result<(), EventError> {
        writer.id(self)
    }
}

impl EventIdValue for String {
    fn write_id(&self, writer: &mut EventWriter) -> Result<(), EventError> {
        writer.id(self)
    }
}

impl<T: EventIdValue + ?Sized> EventIdValue for &T {
    fn write_id(&self, writer: &mut EventWriter) -> Result<(), EventError> {
        (**self).write_id(writer)
    }
}
