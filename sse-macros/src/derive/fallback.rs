//! What is emitted beside the errors of a failed derive: an impl of the
//! trait that writes nothing, so that uses of the type elsewhere do not add
//! a cascade of "`SseEvent` is not implemented" errors to the real ones.

use proc_macro2::TokenStream;
use quote::quote;

use crate::derive::ast::Input;

pub(crate) fn impl_beside_errors(input: &Input<'_>, errors: syn::Error) -> TokenStream {
    let name = input.ident;
    let private = quote!(::sse_runtime::__private);
    let (impl_generics, type_generics, where_clause) = input.generics.split_for_impl();
    let errors = errors.to_compile_error();
    quote! {
        #errors
        #[automatically_derived]
        impl #impl_generics #private::SseEvent for #name #type_generics #where_clause {
            fn write_event(
                &self,
                _: &mut #private::EventWriter,
            ) -> ::core::result::Result<(), #private::EventError> {
                ::core::unreachable!("the derive of `SseEvent` did not compile")
            }
        }
    }
}
