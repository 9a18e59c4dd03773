//! How `name::operation()` learns from types what the macro cannot see in
//! tokens:
//!
//! - an argument adds the `Last-Event-ID` header parameter when its type
//!   reads that header ([`ReadsLastEventId`]), which an alias or a renamed
//!   import cannot hide as it hides the name. Method resolution picks the
//!   specific impl of a `(&&Probe::<A>)` call where its bounds hold, the
//!   plain one otherwise.

use std::marker::PhantomData;

use schemars::JsonSchema;

use super::operation::Operation;
use super::parameters::HeaderParameter;
use crate::last_event_id::{LastEventId, LastEventIdRejection};

/// A type to describe, maybe.
pub struct Probe<T: ?Sized>(PhantomData<T>);

impl<T: ?Sized> Probe<T> {
    /// The probe of `T`.
    #[allow(clippy::new_without_default)]
    pub fn new() -> Self {
        Self(PhantomData)
    }
}

/// The extractors that read `Last-Event-ID`: [`LastEventId`], and it in an
/// `Option` or a `Result`, as axum extracts those.
pub trait ReadsLastEventId {}

impl<T> ReadsLastEventId for LastEventId<T> {}

impl<T> ReadsLastEventId for Option<LastEventId<T>> {}

impl<T> ReadsLastEventId for Result<LastEventId<T>, LastEventIdRejection> {}

/// Chosen for `(&&Probe::<A>::new()).describe_argument(..)` when the argument
/// type `A` reads `Last-Event-ID`.
pub trait LastEventIdArgument {
    /// The header parameter added to the operation.
    fn describe_argument(&self, operation: Operation) -> Operation;
}

impl<A: ReadsLastEventId> LastEventIdArgument for &Probe<A> {
    fn describe_argument(&self, operation: Operation) -> Operation {
        operation.last_event_id()
    }
}

/// Chosen for `Query<T>` with `T: JsonSchema`: `T`'s fields are the query
/// parameters.
pub trait QueryArgument {
    /// The query parameters added to the operation.
    fn describe_argument(&self, operation: Operation) -> Operation;
}

impl<T: JsonSchema> QueryArgument for &Probe<axum::extract::Query<T>> {
    fn describe_argument(&self, operation: Operation) -> Operation {
        operation.query::<T>()
    }
}

/// Chosen for `Path<T>` with `T: JsonSchema`: `T` types the path's
/// parameters.
pub trait PathArgument {
    /// The path parameters typed.
    fn describe_argument(&self, operation: Operation) -> Operation;
}

impl<T: JsonSchema> PathArgument for &Probe<axum::extract::Path<T>> {
    fn describe_argument(&self, operation: Operation) -> Operation {
        operation.path_params::<T>()
    }
}

/// Chosen for an extractor that says which header it reads
/// ([`HeaderParameter`]).
pub trait HeaderArgument {
    /// The header parameter added to the operation.
    fn describe_argument(&self, operation: Operation) -> Operation;
}

impl<H: HeaderParameter> HeaderArgument for &Probe<H> {
    fn describe_argument(&self, operation: Operation) -> Operation {
        operation.header(H::NAME, H::REQUIRED, H::schema())
    }
}

/// Chosen for any other argument: it adds nothing.
pub trait OtherArgument {
    /// The operation as it was.
    fn describe_argument(&self, operation: Operation) -> Operation;
}

impl<A: ?Sized> OtherArgument for Probe<A> {
    fn describe_argument(&self, operation: Operation) -> Operation {
        operation
    }
}
