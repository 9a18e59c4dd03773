//! How a yielded value is written, picked at compile time: as an event if it
//! is one, else as JSON data if it is `Serialize`, else a compile error that
//! says what may be yielded.
//!
//! The choice is made by method resolution on `&&Yielded(&value)`
//! (autoref specialisation): the `SseEvent` impl is found first, through one
//! reference; the `Serialize` impl second; the inherent method, whose bound
//! nothing satisfies, last, reporting the value's type.

use serde::Serialize;

use crate::endpoint::yielder::Yielder;
use crate::event::SseEvent;

/// The wrapper whose method resolution picks how a yielded value is written:
/// as an event if it implements [`SseEvent`], else as JSON if it implements
/// `Serialize`, else a compile error that says so.
pub struct Yielded<'a, T: ?Sized>(pub &'a T);

impl<T: ?Sized> Clone for Yielded<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T: ?Sized> Copy for Yielded<'_, T> {}

/// First choice: the value is an event.
pub trait ViaSseEvent {
    /// Writes the yielded value.
    fn __sse_write(&self, yielder: &Yielder);
}

impl<T: SseEvent + ?Sized> ViaSseEvent for &Yielded<'_, T> {
    fn __sse_write(&self, yielder: &Yielder) {
        yielder.write(self.0);
    }
}

/// Second choice: the value is data, sent as JSON.
pub trait ViaSerialize {
    /// Writes the yielded value.
    fn __sse_write(&self, yielder: &Yielder);
}

impl<T: Serialize + ?Sized> ViaSerialize for Yielded<'_, T> {
    fn __sse_write(&self, yielder: &Yielder) {
        yielder.write_json(self.0);
    }
}

/// Last resort, reached only when neither applies: its bound fails with a
/// message that says what to yield.
impl<T: ?Sized> Yielded<'_, T> {
    /// Never callable: exists to report a value that cannot be yielded.
    pub fn __sse_write(self, _yielder: &Yielder)
    where
        T: Yieldable,
    {
    }
}

/// Implemented by nothing: names the requirement in the error a user sees.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be yielded from an `#[sse_endpoint]`",
    label = "this value is neither an event nor serialisable data",
    note = "yield a type that implements `serde::Serialize` (sent as JSON `data:`), \
            an `sse_runtime::Event`, a `String`/`&str` (sent as text), \
            or a type with `#[derive(SseEvent)]`"
)]
pub trait Yieldable {}
