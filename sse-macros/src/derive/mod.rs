//! `#[derive(SseEvent)]`: read the attributes (`attr`) into a typed view of
//! the type's events (`ast`), check it (`check`), then generate the impl
//! (`expand`), or, on any error, a fallback impl beside every error at once
//! (`fallback`).
//!
//! ```text
//! #[derive(SseEvent)]
//! #[sse(event = "tick")]          // default: the type name in snake_case
//! struct Tick { #[sse(id)] seq: u64, n: u32 }
//!
//! id: 7
//! event: tick
//! data: {"n":3}
//! ```

mod ast;
mod attr;
mod check;
mod expand;
mod fallback;
mod rename;

use proc_macro2::TokenStream;
use syn::DeriveInput;

use crate::ctxt::Ctxt;
use crate::derive::ast::Input;

pub(crate) fn expand(input: TokenStream) -> TokenStream {
    let input = match syn::parse2::<DeriveInput>(input) {
        Ok(input) => input,
        Err(error) => return error.to_compile_error(),
    };
    let cx = Ctxt::new();
    let input = Input::from_syn(&cx, &input);
    check::check(&cx, &input);
    match cx.check() {
        Ok(()) => expand::expand(&input),
        Err(errors) => fallback::impl_beside_errors(&input, errors),
    }
}
