//! Procedural macros of [`sse-runtime`](https://docs.rs/sse-runtime); use them
//! through that crate, which re-exports them.
//!
//! - `#[sse_endpoint]` turns an `async fn` whose body sends events with
//!   `yield_!(value)` into an axum handler that streams them.
//! - `#[derive(SseEvent)]` writes a struct or enum as a named event with an
//!   optional id and JSON data.
//!
//! The pipeline follows thiserror's: parse (`args`, `ast`), check (`check`),
//! rewrite (`yields`), expand (`expand`), with `fallback` emitted beside
//! errors.

mod args;
mod ast;
mod check;
mod ctxt;
mod derive_event;
mod expand;
mod fallback;
mod yields;

use proc_macro::TokenStream;
use syn::{DeriveInput, ItemFn, parse_macro_input};

use crate::args::Args;
use crate::ast::Endpoint;
use crate::ctxt::Ctxt;

/// Turns an `async fn` that sends events with `yield_!(value)` into an axum
/// handler streaming them. See `sse_runtime::sse_endpoint` for the guide.
#[proc_macro_attribute]
pub fn sse_endpoint(attr: TokenStream, item: TokenStream) -> TokenStream {
    let mut item = parse_macro_input!(item as ItemFn);
    let args = match syn::parse::<Args>(attr) {
        Ok(args) => args,
        Err(error) => return fallback::stub(&item, &Args::default(), error).into(),
    };
    let cx = Ctxt::new();
    let settings = check::check(&cx, &args);
    yields::rewrite(&cx, &mut item.block);
    let endpoint = Endpoint::from_item(&cx, item.clone());
    match cx.check() {
        Ok(()) => expand::expand(endpoint, &args, &settings).into(),
        Err(errors) => fallback::stub(&item, &args, errors).into(),
    }
}

/// Writes a struct or enum as one server-sent event: the event name from the
/// type or variant, an `id:` from a field marked `#[sse(id)]`, and the other
/// fields as JSON data. See `sse_runtime::SseEvent` for the guide.
#[proc_macro_derive(SseEvent, attributes(sse))]
pub fn derive_sse_event(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    derive_event::expand(&input)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}
