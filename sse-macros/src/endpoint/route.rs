//! The route beside an endpoint: a struct of the handler's name holding
//! `PATH`, `route()` (generic over the router's state, each argument checked
//! as an extractor of it), `Routed` for `routes![..]`, and `operation()`.

use proc_macro2::{Ident, Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Generics, Type, Visibility};

use crate::endpoint::attr::Route;
use crate::endpoint::describe::operation;

/// What the route needs to know of the handler's signature.
pub(crate) struct Mounting<'a> {
    pub(crate) generics: &'a Generics,
    /// The `T` of every `State<T>` argument.
    pub(crate) extracted_states: &'a [Type],
    /// `state = T` from the attribute.
    pub(crate) declared_state: Option<&'a Type>,
    /// Every argument's type, in order.
    pub(crate) arguments: &'a [Type],
    /// What `operation()` adds to the method and path: `yields = T`'s
    /// events, `.retry(..)`, `.sequential_ids()`, and `Last-Event-ID` for an
    /// argument that reads it.
    pub(crate) described: TokenStream,
    /// `operation_id = "..."`, else the handler's name.
    pub(crate) operation_id: Option<&'a str>,
}

/// The `NAME::PATH` and `NAME::route()` that mount the endpoint declaratively,
/// when the attribute names a method and path.
pub(crate) fn route_module(
    route: Option<&Route>,
    vis: &Visibility,
    name: &Ident,
    mounting: &Mounting,
    yield_paths: &[TokenStream],
) -> TokenStream {
    let Mounting {
        generics,
        extracted_states,
        declared_state,
        arguments,
        ref described,
        operation_id,
    } = *mounting;
    let private = quote!(::sse_runtime::__private);
    // Every endpoint's module-level items ride on a struct named after it,
    // through `with_items`: inside an `impl` (endpoints are free functions)
    // the struct is refused and they vanish with it, one error in all.
    //
    // The body's yields were rewritten, so nothing would resolve the
    // `yield_` the user may have imported, and the import would warn as
    // unused: each path the yields were written with is resolved here once,
    // from the user's own tokens. Where nothing is imported the glob
    // fallback answers (and an explicit import shadows it); it also makes a
    // `yield_!` in a helper beside the endpoint explain itself.
    let fallback = quote! {
        #[allow(unused_imports, clippy::wildcard_imports)]
        use ::sse_runtime::__private::yield_fallback::*;
        const _: () = { #(#yield_paths!(@__sse_used);)* };
    };
    let Some(route) = route else {
        // Without a route there is nothing to mount, but `routes![name]`
        // should say so: the type it names lacks `Routed`, whose diagnostic
        // explains.
        return quote! {
            #[#private::with_items { #fallback }]
            #[doc(hidden)]
            #[allow(non_camel_case_types, dead_code)]
            #vis struct #name {}
        };
    };
    let method = Ident::new(&route.method.to_string(), route.method.span());
    let path = &route.path;
    let method_upper = route.method.to_string().to_uppercase();
    let doc = format!(
        "Routing of the [`{name}`](fn@{name}) endpoint: `{method_upper} {}`.",
        path.value()
    );
    let params: Vec<_> = generics.params.iter().collect();
    let (_, type_generics, where_clause) = generics.split_for_impl();
    let turbofish = type_generics.as_turbofish();
    // Generic over the router's state, as a hand-written
    // `.route(path, get(handler))` is: any state each `State<T>` can be
    // taken from (`T: FromRef<S>`, which `T` itself satisfies), so an
    // endpoint taking `State<Hub>` mounts on a `Router<AppState>`. Only a
    // declared `state = T` fixes it.
    // An endpoint generic over its state (`State<G>`) stays so: `route::<G>()`.
    let generic_state = extracted_states
        .iter()
        .find(|ty| mentions_param(ty, generics));
    let (state, state_param) = match declared_state.or(generic_state) {
        Some(state) => (quote!(#state), None),
        None => {
            let param = Ident::new("__S", Span::call_site());
            (quote!(#param), Some(param))
        }
    };
    let state_bound = state_param.as_ref().map(|param| {
        quote! {
            #param: ::core::clone::Clone + ::core::marker::Send + ::core::marker::Sync + 'static,
            #(#extracted_states: #private::FromRef<#param>,)*
        }
    });
    // Each argument checked on its own, spanned at its type, so that one that
    // is not an extractor for this router state is named (as axum-macros'
    // `debug_handler` does) instead of only failing `get(handler)`.
    let checks = arguments.iter().enumerate().map(|(index, ty)| {
        if index + 1 == arguments.len() {
            quote_spanned!(ty.span()=> #private::check_last_argument::<#state, _, #ty>();)
        } else {
            quote_spanned!(ty.span()=> #private::check_argument::<#state, #ty>();)
        }
    });
    let where_predicates = where_clause.map(|clause| {
        let predicates = &clause.predicates;
        quote!(#predicates,)
    });
    // What `routes![..]` mounts through; an endpoint generic over its own
    // parameters has no single router, and mounts with `route::<..>()`.
    let routed = params.is_empty().then(|| match &state_param {
        Some(param) => quote! {
            impl<#param> #private::Routed<#param> for #name
            where
                #state_bound
            {
                fn router() -> #private::Router<#param> {
                    Self::route()
                }
            }
        },
        None => quote! {
            impl #private::Routed<#state> for #name {
                fn router() -> #private::Router<#state> {
                    Self::route()
                }
            }
        },
    });
    // A braced struct lives in the type namespace only, so it can share the
    // handler's name: `get(numbers)` is the function, `numbers::route()` the
    // router. Unlike a module, it also works for endpoints declared inside a
    // function body.
    let inherent = quote! {
        #[allow(dead_code)]
        impl #name {
            /// The path this endpoint is mounted at.
            pub const PATH: &'static str = #path;

            /// A router serving this endpoint at its path; merge it into yours.
            pub fn route<#(#params,)* #state_param>() -> #private::Router<#state>
            where
                #state_bound
                #where_predicates
            {
                #(#checks)*
                #private::Router::new().route(Self::PATH, #private::routing::#method(#name #turbofish))
            }
        }
    };
    // Described for OpenAPI only where the runtime has schemas, and for a
    // non-generic endpoint (a generic one has no single event type).
    let operation = params
        .is_empty()
        .then(|| operation(name, operation_id, &method_upper, path, described));
    quote! {
        #[#private::with_items {
            #inherent
            #operation
            #routed
            #fallback
        }]
        #[doc = #doc]
        #[allow(non_camel_case_types)]
        #vis struct #name {}
    }
}

/// Whether `ty` names one of the function's type parameters.
fn mentions_param(ty: &Type, generics: &Generics) -> bool {
    let params: Vec<&Ident> = generics.type_params().map(|param| &param.ident).collect();
    fn walk(tokens: TokenStream, params: &[&Ident]) -> bool {
        tokens.into_iter().any(|token| match token {
            proc_macro2::TokenTree::Ident(ident) => params.iter().any(|param| **param == ident),
            proc_macro2::TokenTree::Group(group) => walk(group.stream(), params),
            _ => false,
        })
    }
    !params.is_empty() && walk(quote!(#ty), &params)
}
