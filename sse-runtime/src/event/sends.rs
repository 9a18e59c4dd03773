//! [`Sends`]: `yields = T`, the type an endpoint declares it sends, checked
//! at each `yield_!`, so that a value of another type is a compile error on
//! that `yield_!`, saying so in the user's types. Here, below the endpoint
//! and the hub, so that the hub's typed items can say they carry a `T`.

/// What an endpoint declaring `yields = D` may send (`T: Sends<D>`): a
/// `D`, a `&D`, or an item of a [`Topic<D>`](crate::hub::Topic)'s stream.
/// `#[sse_endpoint]` checks every `yield_!` against it; there is nothing
/// to implement.
///
/// ```compile_fail,E0277
/// # use sse_runtime::sse_endpoint;
/// #[derive(serde::Serialize)]
/// struct Tick { n: u64 }
///
/// #[sse_endpoint(get "/ticks", yields = Tick, schema = any)]
/// async fn ticks() {
///     yield_!("not a tick"); // this endpoint declares `yields = Tick`, but this `yield_!` sends a `&str`
/// }
/// ```
#[diagnostic::on_unimplemented(
    message = "this endpoint declares `yields = {D}`, but this `yield_!` sends a `{Self}`",
    label = "not a `{D}`",
    note = "send a `{D}` (for an enum, any of its variants), or change the endpoint's `yields`"
)]
pub trait Sends<D> {
    /// Compiles when `self` is one of `D`'s forms.
    #[doc(hidden)]
    fn __sse_check_sends(&self) {}
}

#[diagnostic::do_not_recommend]
impl<D> Sends<D> for D {}

#[diagnostic::do_not_recommend]
impl<D> Sends<D> for &D {}
