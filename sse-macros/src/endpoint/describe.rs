//! `name::operation()`: an endpoint as an OpenAPI operation, emitted only
//! where the runtime has its `schema` feature (through `__if_schema!`).

use proc_macro2::{Ident, TokenStream};
use quote::quote;
use syn::{LitStr, Type};

use crate::endpoint::check::{Checked, Settings};
use crate::endpoint::keys::Key;

/// The builder calls that describe the endpoint beyond its route, for
/// `name::operation()` (feature `schema` of the runtime).
pub(crate) fn describe(settings: &Settings, arguments: &[Type]) -> TokenStream {
    let mut calls = TokenStream::new();
    // Described where `T` can be (`SseEvent` and `JsonSchema` derived); an
    // endpoint whose type cannot keeps undeclared events, and compiles.
    if let Some(ty) = settings.ty(Key::Yields) {
        calls.extend(quote! {
            .pipe(|operation| {
                #[allow(unused_imports)]
                use ::sse_runtime::schema::probe::{Described as _, Undescribed as _};
                (&&::sse_runtime::schema::probe::Probe::<#ty>::new()).describe(operation)
            })
        });
    }
    if let Some(ms) = settings.millis(Key::Retry) {
        calls.extend(quote!(.retry(::core::time::Duration::from_millis(#ms))));
    }
    if matches!(settings.get(Key::Id), Some(Checked::Sequential)) {
        calls.extend(quote!(.sequential_ids()));
    }
    // A `LastEventId<T>` argument (or `Option<LastEventId<T>>`), by name.
    let reads_last_event_id = arguments.iter().any(|ty| {
        quote!(#ty)
            .to_string()
            .split(|c: char| !c.is_alphanumeric() && c != '_')
            .any(|word| word == "LastEventId")
    });
    if reads_last_event_id {
        calls.extend(quote!(.last_event_id()));
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
    quote! {
        ::sse_runtime::__if_schema! {
            #[allow(dead_code)]
            impl #name {
                /// This endpoint as an OpenAPI 3.2 operation, for
                /// `sse_runtime::schema::OpenApi`.
                pub fn operation() -> ::sse_runtime::schema::Operation {
                    ::sse_runtime::schema::Operation::new(#method_upper, #path)
                        .operation_id(#operation_id)
                        #described
                }
            }
        }
    }
}
