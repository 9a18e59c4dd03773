//! Code generation: the handler (the route beside it is `route.rs`).
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

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::Type;
use syn::spanned::Spanned;

use crate::endpoint::ast::Endpoint;
use crate::endpoint::attr::Route;
use crate::endpoint::check::{Checked, Settings};
use crate::endpoint::keys::Key;
use crate::endpoint::route::{Mounting, route_module};

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
    let described = crate::endpoint::describe::describe(settings, &arguments, attrs, name);
    let mounting = Mounting {
        generics,
        extracted_states: &states,
        declared_state: settings.ty(Key::State),
        arguments: &arguments,
        described,
        operation_id: settings.text(Key::OperationId),
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
    if let Some(ms) = settings.millis(Key::MaxDuration) {
        let limit = millis(ms);
        let jitter = settings.millis(Key::MaxDurationJitter).map(|ms| {
            let jitter = millis(ms);
            quote!(.jitter(#jitter))
        });
        calls.extend(quote!(.max_duration(#private::MaxDuration::new(#limit) #jitter)));
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
