//! [`Describable`]: what `yields = T` needs under the `schema` feature.
//! Nothing falls back silently to "events not declared": a `T` the
//! document cannot describe is a compile error on `T`, saying what to
//! derive, or how to opt out (`schema = any`).

use schemars::JsonSchema;

use super::operation::Operation;
use crate::endpoint::DerivedEvents;

/// Events an OpenAPI document can describe: a `#[derive(SseEvent)]` type
/// that also derives `schemars::JsonSchema`. `#[sse_endpoint(.., yields =
/// T)]` requires it of `T` when the `schema` feature is on; there is
/// nothing to implement.
///
/// ```compile_fail,E0277
/// # use sse_runtime::{SseEvent, sse_endpoint};
/// #[derive(serde::Serialize, SseEvent)]
/// struct Ticker { price: f64 }
///
/// #[sse_endpoint(get "/ticker", yields = Ticker)] // `Ticker` needs `schemars::JsonSchema`
/// async fn ticker() {
///     yield_!(Ticker { price: 1.0 });
/// }
/// ```
#[diagnostic::on_unimplemented(
    message = "`yields = {Self}` is described in OpenAPI (the `schema` feature is on), but `{Self}` cannot be",
    label = "`{Self}` needs `#[derive(SseEvent, schemars::JsonSchema)]`",
    note = "derive `schemars::JsonSchema` beside `SseEvent` on `{Self}`, or leave this endpoint's events undescribed with `schema = any`"
)]
pub trait Describable {
    /// `Self`'s events added to `operation`.
    #[doc(hidden)]
    fn __describe_events(operation: Operation) -> Operation;
}

#[diagnostic::do_not_recommend]
impl<T: DerivedEvents + JsonSchema + ?Sized> Describable for T {
    fn __describe_events(operation: Operation) -> Operation {
        operation.events::<T>()
    }
}
