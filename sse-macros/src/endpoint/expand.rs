//! Code generation: the handler, and the route module beside it.
//!
//! ```text
//! #[sse_endpoint(get "/ticks", retry = "3s")]
//! async fn ticks(Query(q): Query<Q>) { ... yield_!(Tick { n }) ... }
//! ```
//! becomes, in outline:
//! ```text
//! async fn ticks(__sse_cx: EndpointContext, Query(q): Query<Q>) -> Response {
//!     let (__sse_yielder, link) = Yielder::new(Defaults { .. });
//!     let events = Generator::new(link, body::<(), _>(async move { ... }));
//!     __sse_cx.respond(events).retry(Duration::from_millis(3000)).into_response()
//! }
//! struct ticks {}
//! impl ticks {
//!     pub const PATH: &'static str = "/ticks";
//!     pub fn route<S>() -> Router<S> { Router::new().route(Self::PATH, get(ticks)) }
//! }
//! ```

use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Generics, Type, Visibility};

use crate::endpoint::ast::Endpoint;
use crate::endpoint::attr::Route;
use crate::endpoint::check::{Checked, Settings};
use crate::endpoint::keys::Key;

pub(crate) fn expand(
    endpoint: Endpoint,
    route: Option<&Route>,
    settings: &Settings,
    yield_paths: &[TokenStream],
) -> TokenStream {
    let Endpoint {
        item,
        output,
        states,
    } = endpoint;
    let attrs = &item.attrs;
    let vis = &item.vis;
    let sig = &item.sig;
    let name = &sig.ident;
    let inputs = &sig.inputs;
    let generics = &sig.generics;
    let (impl_generics, _, where_clause) = generics.split_for_impl();
    let block = &item.block;
    let private = quote!(::sse_runtime::__private);

    let output_ty = output.unwrap_or_else(|| syn::parse_quote!(()));
    let default_event = match settings.text(Key::Event) {
        Some(event) => quote!(::core::option::Option::Some(#event)),
        None => quote!(::core::option::Option::None),
    };
    let (first_id, sequential_from) = match settings.get(Key::Id) {
        Some(Checked::Sequential) => (
            quote! {
                let __sse_first_id = match __sse_cx.first_sequential_id() {
                    ::core::result::Result::Ok(id) => id,
                    ::core::result::Result::Err(refused) => {
                        return #private::IntoResponse::into_response(refused);
                    }
                };
            },
            quote!(::core::option::Option::Some(__sse_first_id)),
        ),
        _ => (TokenStream::new(), quote!(::core::option::Option::None)),
    };
    let configure = configure(settings);
    let hooks = hooks(settings);
    let arguments: Vec<Type> = inputs
        .iter()
        .filter_map(|input| match input {
            syn::FnArg::Typed(arg) => Some((*arg.ty).clone()),
            syn::FnArg::Receiver(_) => None,
        })
        .collect();
    let described = describe(settings, &arguments);
    let mounting = Mounting {
        generics,
        extracted_states: &states,
        declared_state: settings.ty(Key::State),
        arguments: &arguments,
        described,
    };
    let route = route_module(route, vis, name, &mounting, yield_paths);

    // The body must be `Send` to be served; spanned at the function's name,
    // the error says which function, and its notes which value and `.await`.
    let respond = quote_spanned!(name.span()=> __sse_cx.respond(__sse_events));

    quote! {
        #(#attrs)*
        #vis async fn #name #impl_generics (
            __sse_cx: #private::EndpointContext,
            #inputs
        ) -> #private::Response #where_clause {
            #first_id
            let (__sse_yielder, __sse_yields) = #private::Yielder::new(
                #private::Defaults::new(#default_event, #sequential_from),
            );
            let __sse_events = #private::Generator::new(
                __sse_yields,
                #private::body::<#output_ty, _>(async move {
                    let __sse_yielder = __sse_yielder;
                    #block
                }),
            );
            let __sse_response = #respond #configure;
            #hooks
            #private::IntoResponse::into_response(__sse_response)
        }
        #route
    }
}

/// The builder calls for the endpoint's settings.
fn configure(settings: &Settings) -> TokenStream {
    let private = quote!(::sse_runtime::__private);
    let millis = |ms: u64| quote!(#private::Duration::from_millis(#ms));
    let mut calls = TokenStream::new();
    if let Some(Checked::LineEnding(variant)) = settings.get(Key::Sep) {
        let variant = format_ident!("{}", variant);
        calls.extend(quote!(.line_ending(#private::LineEnding::#variant)));
    }
    if let Some(ms) = settings.millis(Key::Retry) {
        let retry = millis(ms);
        calls.extend(quote!(.retry(#retry)));
    }
    let ping_text = settings.text(Key::PingText);
    let keep_alive = match settings.millis(Key::Ping) {
        Some(0) => Some(quote!(#private::KeepAlive::disabled())),
        Some(ms) => {
            let every = millis(ms);
            Some(quote!(#private::KeepAlive::every(#every)))
        }
        None => ping_text.map(|_| quote!(#private::KeepAlive::default())),
    };
    if let Some(keep_alive) = keep_alive {
        let text = ping_text.map(|text| quote!(.text(#text)));
        calls.extend(quote!(.keep_alive(#keep_alive #text)));
    }
    // `"0s"` turns it off, as `Duration::ZERO` does for the builder.
    if let Some(ms) = settings.millis(Key::SendTimeout) {
        let timeout = millis(ms);
        calls.extend(quote!(.send_timeout(#timeout)));
    }
    if let Some(Checked::Count(max)) = settings.get(Key::MaxStreams) {
        calls.extend(quote!(.limit({
            static __SSE_LIMIT: #private::LazyLock<#private::StreamLimit> =
                #private::LazyLock::new(|| #private::StreamLimit::new(#max));
            &__SSE_LIMIT
        })));
    }
    if let Some(name) = settings.text(Key::ErrorEvent) {
        calls.extend(quote!(.error_event(#private::error_event(#name))));
    }
    calls
}

/// The hooks, each set through one checked call spanned at the user's path,
/// so that a wrong signature is reported there, once.
fn hooks(settings: &Settings) -> TokenStream {
    let private = quote!(::sse_runtime::__private);
    let mut calls = TokenStream::new();
    if let Some(hook) = settings.path(Key::OnDisconnect) {
        calls.extend(quote_spanned! {hook.span()=>
            let __sse_response = #private::on_disconnect(__sse_response, #hook);
        });
    }
    if let Some(hook) = settings.path(Key::OnShutdown) {
        calls.extend(quote_spanned! {hook.span()=>
            let __sse_response = #private::on_shutdown(__sse_response, #hook);
        });
    }
    if let Some(to_event) = settings.path(Key::ErrorEvent) {
        calls.extend(quote_spanned! {to_event.span()=>
            let __sse_response = __sse_response.error_event(#private::error_event_with(#to_event));
        });
    }
    calls
}

/// What the route needs to know of the handler's signature.
pub(crate) struct Mounting<'a> {
    pub(crate) generics: &'a Generics,
    /// The `T` of every `State<T>` argument.
    pub(crate) extracted_states: &'a [Type],
    /// `state = T` from the attribute.
    pub(crate) declared_state: Option<&'a Type>,
    /// Every argument's type, in order.
    pub(crate) arguments: &'a [Type],
    /// What `operation()` adds to the method and path: `.events::<T>()`,
    /// `.retry(..)`, `.sequential_ids()`, `.last_event_id()`.
    pub(crate) described: TokenStream,
}

/// The builder calls that describe the endpoint beyond its route, for
/// `name::operation()` (feature `schema` of the runtime).
fn describe(settings: &Settings, arguments: &[Type]) -> TokenStream {
    let mut calls = TokenStream::new();
    if let Some(ty) = settings.ty(Key::Yields) {
        calls.extend(quote!(.events::<#ty>()));
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
    let method_name = method_upper.as_str();
    let operation_id = name.to_string();
    let operation = params.is_empty().then(|| {
        quote! {
            ::sse_runtime::__if_schema! {
                #[allow(dead_code)]
                impl #name {
                    /// This endpoint as an OpenAPI 3.2 operation, for
                    /// `sse_runtime::schema::OpenApi`.
                    pub fn operation() -> ::sse_runtime::schema::Operation {
                        ::sse_runtime::schema::Operation::new(#method_name, #path)
                            .operation_id(#operation_id)
                            #described
                    }
                }
            }
        }
    });
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
