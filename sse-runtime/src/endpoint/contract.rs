//! `yields = T`: the type an endpoint declares it sends, checked at each
//! `yield_!` by [`declared`], so that a value of another type is a compile
//! error on that `yield_!`, saying so.

/// Implemented by the declared type itself and by references to it.
#[diagnostic::on_unimplemented(
    message = "this endpoint declares `yields = {D}`, but this `yield_!` sends a `{Self}`",
    label = "not a `{D}`",
    note = "send a `{D}` (for an enum, any of its variants), or change the endpoint's `yields`"
)]
pub trait Declared<D> {}

impl<D> Declared<D> for D {}

impl<D> Declared<D> for &D {}

/// Compiles when `value` is the declared type `D` (or a `&D`).
pub fn declared<D, T: Declared<D>>(value: &T) {
    let _ = value;
}
