//! Parsing of `#[sse_endpoint(...)]`'s arguments, driven by the key table.
//!
//! ```text
//! #[sse_endpoint]
//! #[sse_endpoint(get "/numbers")]
//! #[sse_endpoint(get "/ticks", retry = "3s", ping = "15s", id = sequential, event = "tick")]
//! ```
//!
//! Syntax is checked here, what the values mean (a duration that parses, a
//! path that starts with `/`) in `check.rs`. A malformed argument is reported
//! and skipped up to the next comma, so every mistake of one attribute shows
//! in one build.

use proc_macro2::{TokenStream, TokenTree};
use syn::parse::{ParseStream, Parser};
use syn::{Ident, LitInt, LitStr, Path, Token, Type};

use crate::ctxt::Ctxt;
use crate::endpoint::keys::{Key, Kind};

/// The HTTP methods a route may name.
const METHODS: &[&str] = &["get", "post", "put", "patch", "delete"];

/// The HTTP method and path a route is mounted at.
pub(crate) struct Route {
    pub(crate) method: Ident,
    pub(crate) path: LitStr,
}

/// A key's value, as written.
pub(crate) enum Value {
    Str(LitStr),
    Int(LitInt),
    Ident(Ident),
    Path(Path),
    Type(Type),
    Strs(Vec<LitStr>),
}

/// One `key = value`.
pub(crate) struct Entry {
    pub(crate) key: Key,
    pub(crate) value: Value,
}

/// The arguments, each key at most once.
#[derive(Default)]
pub(crate) struct Attr {
    pub(crate) route: Option<Route>,
    pub(crate) entries: Vec<Entry>,
}

impl Attr {
    /// Parses `tokens`, reporting every malformed argument to `cx`.
    pub(crate) fn parse(cx: &Ctxt, tokens: TokenStream) -> Attr {
        let parser = |input: ParseStream<'_>| {
            let mut attr = Attr::default();
            let mut first = true;
            while !input.is_empty() {
                let parsed = if first && input.peek2(LitStr) {
                    parse_route(input).map(|route| attr.route = Some(route))
                } else {
                    parse_entry(input, &attr).map(|entry| attr.entries.push(entry))
                };
                first = false;
                if let Err(error) = parsed {
                    cx.syn_error(error);
                    skip_past_comma(input)?;
                    continue;
                }
                if input.is_empty() {
                    break;
                }
                if let Err(error) = input.parse::<Token![,]>() {
                    cx.syn_error(syn::Error::new(
                        error.span(),
                        "expected `,` between arguments",
                    ));
                    skip_past_comma(input)?;
                }
            }
            Ok(attr)
        };
        parser.parse2(tokens).unwrap_or_else(|error| {
            cx.syn_error(error);
            Attr::default()
        })
    }

    /// The value of `key`, if it was given.
    pub(crate) fn value(&self, key: Key) -> Option<&Value> {
        self.entries
            .iter()
            .find(|entry| entry.key == key)
            .map(|entry| &entry.value)
    }
}

/// `get "/path"`: the first argument, when a string follows it.
fn parse_route(input: ParseStream<'_>) -> syn::Result<Route> {
    let method: Ident = input.call(syn::ext::IdentExt::parse_any)?;
    if !METHODS.iter().any(|known| method == known) {
        return Err(syn::Error::new(
            method.span(),
            format!(
                "unknown HTTP method `{method}`; expected one of `get`, `post`, `put`, `patch`, \
                 `delete`"
            ),
        ));
    }
    let path = input.parse::<LitStr>()?;
    Ok(Route { method, path })
}

/// `key = value`, the value read as the key's kind.
fn parse_entry(input: ParseStream<'_>, attr: &Attr) -> syn::Result<Entry> {
    if input.peek(LitStr) {
        return Err(input.error("a route needs its method first, as in `get \"/events\"`"));
    }
    let Ok(name) = input.call::<Ident>(syn::ext::IdentExt::parse_any) else {
        return Err(input.error(format!(
            "expected an argument such as `retry = \"3s\"`: one of {}",
            Key::list()
        )));
    };
    if input.peek(LitStr) {
        return Err(syn::Error::new(
            name.span(),
            format!("the route comes first: `#[sse_endpoint({name} \"/path\", ...)]`"),
        ));
    }
    let Some(key) = Key::named(&name.to_string()) else {
        return Err(syn::Error::new(
            name.span(),
            format!("unknown argument `{name}`; expected one of {}", Key::list()),
        ));
    };
    if attr.value(key).is_some() {
        return Err(syn::Error::new(
            name.span(),
            format!("`{name}` specified more than once"),
        ));
    }
    input
        .parse::<Token![=]>()
        .map_err(|_| syn::Error::new(name.span(), format!("expected `{name} = ...`")))?;
    let value = match key.kind() {
        Kind::Duration | Kind::Text | Kind::LineEnding | Kind::EventName | Kind::Identifier => {
            input.parse().map(Value::Str)
        }
        Kind::Strings => parse_strings(input).map(Value::Strs),
        Kind::SchemaPolicy => input.call(syn::ext::IdentExt::parse_any).map(Value::Ident),
        Kind::Count => input.parse().map(Value::Int),
        Kind::IdPolicy => input.call(syn::ext::IdentExt::parse_any).map(Value::Ident),
        Kind::FnPath => input.parse().map(Value::Path),
        Kind::EventNameOrFn if input.peek(syn::LitStr) => input.parse().map(Value::Str),
        Kind::EventNameOrFn => input.parse().map(Value::Path),
        Kind::Type => input.parse().map(Value::Type),
    };
    let value = value.map_err(|error| {
        syn::Error::new(
            error.span(),
            format!("`{name}` takes {}", key.kind().expected()),
        )
    })?;
    Ok(Entry { key, value })
}

/// `["a", "b"]`.
fn parse_strings(input: ParseStream<'_>) -> syn::Result<Vec<LitStr>> {
    let content;
    syn::bracketed!(content in input);
    let strings = content.parse_terminated(|input| input.parse::<LitStr>(), Token![,])?;
    Ok(strings.into_iter().collect())
}

/// Skips the rest of a malformed argument, up to and including its comma.
fn skip_past_comma(input: ParseStream<'_>) -> syn::Result<()> {
    input.step(|cursor| {
        let mut rest = *cursor;
        while let Some((token, next)) = rest.token_tree() {
            rest = next;
            if matches!(&token, TokenTree::Punct(punct) if punct.as_char() == ',') {
                break;
            }
        }
        Ok(((), rest))
    })
}
