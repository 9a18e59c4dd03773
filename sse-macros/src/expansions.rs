//! The expansions of representative inputs, checked for what they name.
//! Generated code reaches the runtime only through the hidden
//! `::sse_runtime::__private::…`, the one module the macros and the runtime
//! agree on, so that the runtime's public modules can change without
//! breaking expanded code. Each macro is expanded here (every key of the
//! attribute, the stubs beside errors, the derive and its fallback) and any
//! path through `sse_runtime` that is not `::sse_runtime::__private::…` fails.

use proc_macro2::{Spacing, TokenStream, TokenTree};
use quote::quote;

/// Every path through `sse_runtime` that is not `::sse_runtime::__private::…`,
/// as written.
fn paths_outside_private(tokens: TokenStream) -> Vec<String> {
    let mut found = Vec::new();
    walk(tokens, &mut found);
    found
}

fn walk(tokens: TokenStream, found: &mut Vec<String>) {
    let trees: Vec<TokenTree> = tokens.into_iter().collect();
    for (at, tree) in trees.iter().enumerate() {
        match tree {
            TokenTree::Group(group) => walk(group.stream(), found),
            TokenTree::Ident(ident) if ident == "sse_runtime" => {
                let is_colons = |index: Option<usize>, joint: bool| {
                    index
                        .and_then(|index| trees.get(index))
                        .is_some_and(|tree| {
                            matches!(tree, TokenTree::Punct(punct)
                            if punct.as_char() == ':'
                                && (!joint || punct.spacing() == Spacing::Joint))
                        })
                };
                let absolute =
                    is_colons(at.checked_sub(2), true) && is_colons(at.checked_sub(1), false);
                let private = is_colons(Some(at + 1), true)
                    && is_colons(Some(at + 2), false)
                    && matches!(trees.get(at + 3), Some(TokenTree::Ident(next)) if next == "__private");
                if !(absolute && private) {
                    // The path as written: from its leading `::` to its last
                    // segment.
                    let start = if absolute { at - 2 } else { at };
                    let written: TokenStream = trees[start..]
                        .iter()
                        .take_while(|tree| match tree {
                            TokenTree::Ident(_) => true,
                            TokenTree::Punct(punct) => punct.as_char() == ':',
                            _ => false,
                        })
                        .cloned()
                        .collect();
                    found.push(written.to_string());
                }
            }
            _ => {}
        }
    }
}

/// `#[sse_endpoint(attr)] item`, expanded.
fn endpoint(attr: TokenStream, item: TokenStream) -> TokenStream {
    crate::endpoint::expand(attr, item)
}

/// `#[derive(SseEvent)] input`, expanded.
fn derive(input: TokenStream) -> TokenStream {
    crate::derive::expand(input)
}

fn assert_only_private(what: &str, expansion: TokenStream) {
    let text = expansion.to_string();
    assert!(
        text.contains("__private"),
        "{what}: the expansion reaches nothing of the runtime, so this case checks nothing:\n{text}"
    );
    let outside = paths_outside_private(expansion);
    assert!(
        outside.is_empty(),
        "{what}: generated code must name only `::sse_runtime::__private::…`, but names:\n  {}",
        outside.join("\n  ")
    );
}

#[test]
fn the_check_finds_a_path_outside_private() {
    let outside = paths_outside_private(quote! {
        fn f() -> ::sse_runtime::schema::Operation { ::sse_runtime::__private::x() }
        const _: () = { sse_runtime::__private::y(); };
        ::sse_runtime::__if_schema! {}
    });
    assert_eq!(outside.len(), 3, "{outside:?}");
    assert!(paths_outside_private(quote!(::sse_runtime::__private::Router)).is_empty());
}

#[test]
fn an_endpoint_with_every_key_names_only_private() {
    let expansion = endpoint(
        quote! {
            get "/rooms/{room}",
            retry = "3s",
            ping = "15s",
            ping_text = "still here",
            sep = "\r\n",
            send_timeout = "10s",
            max_duration = "10m",
            max_duration_jitter = "1m",
            max_streams = 100,
            error_event = "error",
            event = "tick",
            id = sequential,
            on_disconnect = gone,
            on_shutdown = farewell,
            yields = Room,
        },
        quote! {
            /// A room.
            pub async fn room(
                Path(room): Path<String>,
                State(hub): State<Hub>,
                LastEventId(last): LastEventId<u64>,
            ) -> Result<(), Error> {
                yield_!(Room::Joined { room });
                Ok(())
            }
        },
    );
    assert_only_private("an endpoint with every key", expansion);
}

#[test]
fn endpoints_without_a_route_or_generic_name_only_private() {
    let expansion = endpoint(
        quote!(state = AppState),
        quote! {
            async fn plain() { yield_!(1); }
        },
    );
    assert_only_private("an endpoint without a route", expansion);
    let expansion = endpoint(
        quote!(get "/generic"),
        quote! {
            async fn generic<G: Clone + Send + Sync + 'static>(State(g): State<G>) { yield_!(1); }
        },
    );
    assert_only_private("a generic endpoint", expansion);
}

#[test]
fn what_is_emitted_beside_errors_names_only_private() {
    let expansion = endpoint(
        quote!(get "/broken", no_such_key = 1),
        quote! {
            async fn broken() { yield_!(1); }
        },
    );
    assert_only_private("the stub beside an attribute error", expansion);
    let expansion = endpoint(
        quote!(get "/method"),
        quote! {
            async fn method(&self) { yield_!(1); }
        },
    );
    assert_only_private("the stub of a method", expansion);
}

#[test]
fn derives_name_only_private() {
    let expansion = derive(quote! {
        #[sse(event = "tick")]
        struct Tick { #[sse(id)] n: u64, note: String }
    });
    assert_only_private("a derived struct", expansion);
    let expansion = derive(quote! {
        #[serde(rename_all = "camelCase")]
        enum Room<T> { Joined { #[sse(id)] seq: u64, who: T }, Said(String), Left }
    });
    assert_only_private("a derived generic enum", expansion);
    let expansion = derive(quote! {
        struct Broken { #[sse(id)] a: u64, #[sse(id)] b: u64 }
    });
    assert_only_private("the fallback impl beside a derive's errors", expansion);
}
