//! `name::operation()`: an endpoint as an OpenAPI operation, emitted only
//! where the runtime has its `schema` feature (through `if_schema!`).

use proc_macro2::{Ident, TokenStream};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Attribute, Expr, ExprLit, Lit, LitStr, Meta, Type};

use crate::endpoint::check::{Checked, Settings};
use crate::endpoint::keys::Key;

/// The builder calls that describe the endpoint beyond its route, for
/// `name::operation()` (feature `schema` of the runtime): its summary and
/// description from the doc comment (`attrs`), its tags, its events, and
/// what its settings and arguments add.
pub(crate) fn describe(
    settings: &Settings,
    arguments: &[Type],
    attrs: &[Attribute],
    name: &Ident,
) -> TokenStream {
    let private = quote!(::sse_runtime::__private);
    let mut calls = TokenStream::new();
    let (summary, description) = summary_and_description(attrs, name);
    calls.extend(quote!(.summary(#summary)));
    if let Some(description) = description {
        calls.extend(quote!(.description(#description)));
    }
    for tag in settings.texts(Key::Tags) {
        calls.extend(quote!(.tag(#tag)));
    }
    // `yields = T` is described, so `T` must be describable: a compile
    // error on `T` says what to derive, unless `schema = any` opts out.
    if let Some(ty) = settings.ty(Key::Yields)
        && !matches!(settings.get(Key::Schema), Some(Checked::AnySchema))
    {
        calls.extend(quote_spanned! {ty.span()=>
            .pipe(|operation| <#ty as #private::Describable>::__describe_events(operation))
        });
    }
    // What the stream sends besides `T`: the error event, and events only
    // known at run time (the farewell's, an error function's).
    match settings.get(Key::ErrorEvent) {
        Some(Checked::Text(name)) => calls.extend(quote!(.error_event(#name))),
        Some(Checked::Path(_)) => calls.extend(quote!(.other_events())),
        _ => {}
    }
    if settings.path(Key::OnShutdown).is_some() {
        calls.extend(quote!(.other_events()));
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
                use #private::{
                    HeaderArgument as _, LastEventIdArgument as _, OtherArgument as _,
                    PathArgument as _, QueryArgument as _,
                };
                #(let operation = (&&#private::Probe::<#arguments>::new()).describe_argument(operation);)*
                operation
            })
        });
    }
    calls
}

/// The summary (the doc comment's first line, else the handler's name in
/// words, as FastAPI does) and the description (the rest of the comment).
fn summary_and_description(attrs: &[Attribute], name: &Ident) -> (String, Option<String>) {
    let lines: Vec<String> = attrs
        .iter()
        .filter(|attr| attr.path().is_ident("doc"))
        .filter_map(|attr| match &attr.meta {
            Meta::NameValue(meta) => match &meta.value {
                Expr::Lit(ExprLit {
                    lit: Lit::Str(text),
                    ..
                }) => Some(text.value()),
                _ => None,
            },
            _ => None,
        })
        .flat_map(|text| {
            text.lines()
                .map(|line| line.strip_prefix(' ').unwrap_or(line).trim_end().to_owned())
                .collect::<Vec<_>>()
        })
        .collect();
    let mut lines = lines.iter().skip_while(|line| line.trim().is_empty());
    let Some(first) = lines.next() else {
        let words = name.to_string().trim_start_matches("r#").replace('_', " ");
        let mut chars = words.trim().chars();
        let summary = match chars.next() {
            Some(first) => first.to_uppercase().chain(chars).collect(),
            None => words,
        };
        return (summary, None);
    };
    let rest: Vec<&str> = lines.map(String::as_str).collect();
    let rest = rest.join("\n");
    let rest = rest.trim();
    (
        first.trim().to_owned(),
        (!rest.is_empty()).then(|| rest.to_owned()),
    )
}

/// The `impl` holding `name::operation()`.
pub(crate) fn operation(
    name: &Ident,
    operation_id: Option<&str>,
    method_upper: &str,
    path: &LitStr,
    described: &TokenStream,
) -> TokenStream {
    let operation_id = operation_id.map_or_else(|| name.to_string(), str::to_owned);
    let private = quote!(::sse_runtime::__private);
    quote! {
        #private::if_schema! {
            #[allow(dead_code)]
            impl #name {
                /// This endpoint as an OpenAPI 3.2 operation, for
                /// `sse_runtime::schema::OpenApi`.
                // `|operation| <T as Describable>::..(operation)`: a closure
                // rather than the function itself, so that a `T` without
                // a schema is one error, on `T`.
                #[allow(clippy::redundant_closure)]
                pub fn operation() -> #private::Operation {
                    #private::Operation::new(#method_upper, #path)
                        .operation_id(#operation_id)
                        #described
                }
            }
        }
    }
}
