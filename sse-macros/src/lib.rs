//! Procedural macros of [`sse-runtime`](https://docs.rs/sse-runtime); use them
//! through that crate, which re-exports them.
//!
//! - `#[sse_endpoint]` turns an `async fn` whose body sends events with
//!   `yield_!(value)` into an axum handler that streams them.
//! - `#[derive(SseEvent)]` writes a struct or enum as a named event with an
//!   optional id and JSON data.
//!
//! Each is a pipeline in the manner of thiserror: parse, check, expand, with
//! a fallback emitted beside the errors (`endpoint/`, `derive/`), every error
//! of one invocation collected in a `Ctxt`. Rules shared with the runtime
//! live in `rules`.

mod ctxt;
mod derive;
#[macro_use]
mod endpoint;
#[cfg(test)]
mod expansions;
mod rules;

use proc_macro::TokenStream;

// Documented where it is used, `sse_runtime::sse_endpoint`; the attribute's
// table is rendered from the key table and inlined there.
#[doc = attribute_docs!()]
#[proc_macro_attribute]
pub fn sse_endpoint(attr: TokenStream, item: TokenStream) -> TokenStream {
    endpoint::expand(attr.into(), item.into()).into()
}

/// Emits the item and then the items given as the attribute's argument.
///
/// `#[sse_endpoint]` puts the module-level items an endpoint needs (its route
/// struct's impls, the `yield_` fallback import) behind the route struct this
/// way: inside an `impl`, where the struct is refused, they then vanish with
/// it, and the user reads one error instead of one per item.
#[doc(hidden)]
#[proc_macro_attribute]
pub fn __with_items(items: TokenStream, item: TokenStream) -> TokenStream {
    let mut output = item;
    output.extend(items);
    output
}

/// Writes a struct or enum as one server-sent event: the event name from the
/// type or variant, an `id:` from a field marked `#[sse(id)]`, and the other
/// fields as JSON data. See `sse_runtime::SseEvent` for the guide.
#[proc_macro_derive(SseEvent, attributes(sse))]
pub fn derive_sse_event(input: TokenStream) -> TokenStream {
    derive::expand(input.into()).into()
}
