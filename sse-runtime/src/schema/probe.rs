//! How `name::operation()` adds `yields = T`'s events only when `T` can be
//! described (`#[derive(SseEvent)]` and `schemars::JsonSchema`): method
//! resolution picks the describing impl where its bounds hold, the plain
//! one otherwise, so that enabling the feature (in any crate of a
//! workspace) never breaks an endpoint whose type is not described.

use std::marker::PhantomData;

use schemars::JsonSchema;

use super::operation::Operation;
use crate::endpoint::DerivedEvents;

/// A type to describe, maybe.
pub struct Probe<T: ?Sized>(PhantomData<T>);

impl<T: ?Sized> Probe<T> {
    #[allow(clippy::new_without_default)]
    pub fn new() -> Self {
        Self(PhantomData)
    }
}

/// Chosen for `(&&Probe::<T>::new()).describe(..)` when `T` is described.
pub trait Described {
    fn describe(&self, operation: Operation) -> Operation;
}

impl<T: DerivedEvents + JsonSchema + ?Sized> Described for &Probe<T> {
    fn describe(&self, operation: Operation) -> Operation {
        operation.events::<T>()
    }
}

/// Chosen otherwise: the events stay undeclared in the description.
pub trait Undescribed {
    fn describe(&self, operation: Operation) -> Operation;
}

impl<T: ?Sized> Undescribed for Probe<T> {
    fn describe(&self, operation: Operation) -> Operation {
        operation
    }
}
