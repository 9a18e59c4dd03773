//! `name::operation()`: an endpoint as an OpenAPI operation, emitted only
//! where the runtime has its `schema` feature (through `if_schema!`).

use proc_macro2::{Ident, TokenStream};
use quote::quote;
use syn::{LitStr, Type};

use crate::endpoint::check::{Checked, Settings};
use crate::endpoint::keys::Key;

/// The builder calls that describe the endpoint beyond its route, for
/// `name::operation()` (feature `schema` of the runtime).
pub(crate) fn describe(settings: &Settings, arguments: &[Type]) -> TokenStream {
    let private = quote!(::sse_runtime::__private);
    let mut calls = TokenStream::new();
    // Described where `T` can be (`SseEvent` and `JsonSchema` derived); an
    // endpoint whose type cannot keeps undeclared events, and compiles.
    if let Some(ty) = settings.ty(Key::Yields) {
        calls.extend(quote! {
            .pipe(|operation| {
                #[allow(unused_imports)]
                use #private::{Described as _, Undescribed as _};
                (&&#private::Probe::<#ty>::new()).describe(operation)
            })
        });
    }
    if let Some(ms) = settings.millis(Key::Retry) {
        calls.extend(quote!(.retry(::core::time::Duration::from_millis(#ms))));
    }
    if matches!(settings.get(Key::Id), Some(Checked::Sequential)) {
        calls.extend(quote!(.sequential_ids()));
    }
    // Whether an argument reads `Last-Event-ID` is asked of its type (a trait
    // the runtime implements for `LastEventId<T>`), not read from its tokens:
    // an alias (`type Resume = LastEventId<u64>`) or a renamed import hides
    // the name, and a type of the user's own that happens to bear it is not
    // the extractor.
    if !arguments.is_empty() {
        calls.extend(quote! {
            .pipe(|operation| {
                #[allow(unused_imports)]
                use #private::{LastEventIdArgument as _, OtherArgument as _};
                #(let operation = (&&#private::Probe::<#arguments>::new()).describe_argument(operation);)*
                operation
            })
        });
    }
    calls
}

/// The `impl` holding `name::operation()`.
pub(crate) fn operation(
    name: &Ident,
    method_upper: &str,
    path: &LitStr,
    described: &TokenStream,
) -> TokenStream {
    let operation_id = name.to_string();
    let private = quote!(::sse_runtime::__private);
    quote! {
        #private::if_schema! {
            #[allow(dead_code)]
            impl #name {
                /// This endpoint as an OpenAPI 3.2 operation, for
                /// `sse_runtime::schema::OpenApi`.
                pub fn operation() -> #private::Operation {
                    #private::Operation::new(#method_upper, #path)
                        .operation_id(#operation_id)
                        #described
                }
            }
        }
    }
}
