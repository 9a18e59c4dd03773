//! What is emitted beside the errors of a broken endpoint: a handler and route
//! module of the same names, so that the router and the IDE do not add a
//! cascade of "cannot find" errors to the real ones; beside an attribute on
//! something other than a function, that item as it was written.

use proc_macro2::TokenStream;
use quote::quote;
use syn::ItemFn;

use crate::endpoint::attr::Route;
use crate::endpoint::route::{Mounting, route_module};

pub(crate) fn stub(item: &ItemFn, route: Option<&Route>, errors: syn::Error) -> TokenStream {
    let attrs = &item.attrs;
    let vis = &item.vis;
    let name = &item.sig.ident;
    let errors = errors.to_compile_error();
    // A method (`&self`) sits in an `impl`, which cannot hold the route's
    // type: its error would only repeat the one already given.
    let is_method = matches!(item.sig.inputs.first(), Some(syn::FnArg::Receiver(_)));
    let route = if is_method {
        TokenStream::new()
    } else {
        {
            let mounting = Mounting {
                generics: &syn::Generics::default(),
                extracted_states: &[],
                declared_state: None,
                arguments: &[],
                described: TokenStream::new(),
                operation_id: None,
            };
            route_module(route, vis, name, &mounting, &[])
        }
    };
    quote! {
        #errors
        #(#attrs)*
        #vis async fn #name() -> ::sse_runtime::__private::Response {
            ::core::unreachable!("this endpoint did not compile")
        }
        #route
    }
}

/// The attribute went on an item that is not a function: the item, as the
/// user wrote it, so that its uses resolve and the misplaced attribute is the
/// only error.
pub(crate) fn item_beside_errors(item: TokenStream, errors: syn::Error) -> TokenStream {
    let errors = errors.to_compile_error();
    quote! {
        #errors
        #item
    }
}
