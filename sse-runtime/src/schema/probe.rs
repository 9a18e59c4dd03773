//! How `name::operation()` learns from types what the macro cannot see in
//! tokens. Method resolution picks the specific impl of a `(&&Probe::<T>)`
//! call where its bounds hold, the plain one otherwise:
//!
//! - `yields = T`'s events are described only when `T` can be
//!   (`#[derive(SseEvent)]` and `schemars::JsonSchema`), so that enabling
//!   the feature (in any crate of a workspace) never breaks an endpoint whose
//!   type is not described;
//! - an argument adds the `Last-Event-ID` header parameter when its type
//!   reads that header ([`ReadsLastEventId`]), which an alias or a renamed
//!   import cannot hide as it hides the name.

use std::marker::PhantomData;

use schemars::JsonSchema;

use super::operation::Operation;
use crate::endpoint::DerivedEvents;
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

/// Chosen for `(&&Probe::<T>::new()).describe(..)` when `T` is described.
pub trait Described {
    /// `T`'s events added to the operation.
    fn describe(&self, operation: Operation) -> Operation;
}

impl<T: DerivedEvents + JsonSchema + ?Sized> Described for &Probe<T> {
    fn describe(&self, operation: Operation) -> Operation {
        operation.events::<T>()
    }
}

/// Chosen otherwise: the events stay undeclared in the description.
pub trait Undescribed {
    /// The operation as it was.
    fn describe(&self, operation: Operation) -> Operation;
}

impl<T: ?Sized> Undescribed for Probe<T> {
    fn describe(&self, operation: Operation) -> Operation {
        operation
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
