//! Parsing of `#[sse_endpoint(...)]`'s arguments into a typed view.
//!
//! ```text
//! #[sse_endpoint]
//! #[sse_endpoint(get "/numbers")]
//! #[sse_endpoint(get "/ticks", retry = "3s", ping = "15s", id = sequential, event = "tick")]
//! ```
//!
//! Syntax is checked here; what the values mean (a duration that parses, a
//! path that starts with `/`) is checked in `check.rs`.

use proc_macro2::Span;
use syn::parse::{Parse, ParseStream};
use syn::{Ident, LitInt, LitStr, Path, Token, Type};

mod kw {
    syn::custom_keyword!(get);
    syn::custom_keyword!(post);
    syn::custom_keyword!(put);
    syn::custom_keyword!(patch);
    syn::custom_keyword!(delete);

    syn::custom_keyword!(retry);
    syn::custom_keyword!(ping);
    syn::custom_keyword!(ping_text);
    syn::custom_keyword!(sep);
    syn::custom_keyword!(send_timeout);
    syn::custom_keyword!(max_streams);
    syn::custom_keyword!(error_event);
    syn::custom_keyword!(event);
    syn::custom_keyword!(id);
    syn::custom_keyword!(sequential);
    syn::custom_keyword!(on_disconnect);
    syn::custom_keyword!(on_shutdown);
    syn::custom_keyword!(state);
}

/// The HTTP method and path a route is mounted at.
pub(crate) struct Route {
    pub(crate) method: Ident,
    pub(crate) path: LitStr,
}

/// Every argument, each at most once.
#[derive(Default)]
pub(crate) struct Args {
    pub(crate) route: Option<Route>,
    pub(crate) retry: Option<LitStr>,
    pub(crate) ping: Option<LitStr>,
    pub(crate) ping_text: Option<LitStr>,
    pub(crate) sep: Option<LitStr>,
    pub(crate) send_timeout: Option<LitStr>,
    pub(crate) max_streams: Option<LitInt>,
    pub(crate) error_event: Option<LitStr>,
    pub(crate) event: Option<LitStr>,
    /// The `sequential` keyword of `id = sequential`.
    pub(crate) sequential_id: Option<Span>,
    pub(crate) on_disconnect: Option<Path>,
    pub(crate) on_shutdown: Option<Path>,
    pub(crate) state: Option<Type>,
}

impl Parse for Args {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let mut args = Args::default();
        if input.is_empty() {
            return Ok(args);
        }
        if let Some(method) = parse_method(input)? {
            let path = input.parse::<LitStr>().map_err(|error| {
                syn::Error::new(
                    error.span(),
                    format!(
                        "expected the route path after `{method}`, as in `{method} \"/events\"`"
                    ),
                )
            })?;
            args.route = Some(Route { method, path });
            if input.is_empty() {
                return Ok(args);
            }
            parse_comma(input)?;
        }
        while !input.is_empty() {
            parse_key_value(input, &mut args)?;
            if input.is_empty() {
                break;
            }
            parse_comma(input)?;
        }
        Ok(args)
    }
}

fn parse_comma(input: ParseStream<'_>) -> syn::Result<()> {
    input
        .parse::<Token![,]>()
        .map(drop)
        .map_err(|error| syn::Error::new(error.span(), "expected `,` between arguments"))
}

fn parse_method(input: ParseStream<'_>) -> syn::Result<Option<Ident>> {
    let lookahead = input.lookahead1();
    let is_method = lookahead.peek(kw::get)
        || lookahead.peek(kw::post)
        || lookahead.peek(kw::put)
        || lookahead.peek(kw::patch)
        || lookahead.peek(kw::delete);
    // `event`, `id`, ... are keys, not methods: only a method is followed by
    // a string literal.
    if is_method && input.peek2(LitStr) {
        return Ok(Some(input.parse::<Ident>()?));
    }
    if input.peek(Ident) && input.peek2(LitStr) {
        let unknown: Ident = input.parse()?;
        return Err(syn::Error::new(
            unknown.span(),
            format!(
                "unknown HTTP method `{unknown}`; expected one of `get`, `post`, `put`, `patch`, `delete`"
            ),
        ));
    }
    Ok(None)
}

/// Stores `value` in `slot`, or reports that the key came twice.
fn set_once<T>(slot: &mut Option<T>, key: &Ident, value: T) -> syn::Result<()> {
    if slot.is_some() {
        return Err(syn::Error::new(
            key.span(),
            format!("`{key}` specified more than once"),
        ));
    }
    *slot = Some(value);
    Ok(())
}

fn parse_key_value(input: ParseStream<'_>, args: &mut Args) -> syn::Result<()> {
    let lookahead = input.lookahead1();
    let known = lookahead.peek(kw::retry)
        || lookahead.peek(kw::ping)
        || lookahead.peek(kw::ping_text)
        || lookahead.peek(kw::sep)
        || lookahead.peek(kw::send_timeout)
        || lookahead.peek(kw::max_streams)
        || lookahead.peek(kw::error_event)
        || lookahead.peek(kw::event)
        || lookahead.peek(kw::id)
        || lookahead.peek(kw::on_disconnect)
        || lookahead.peek(kw::on_shutdown)
        || lookahead.peek(kw::state);
    if !known {
        if input.peek(LitStr) {
            return Err(syn::Error::new(
                input.span(),
                "a route needs its method first, as in `get \"/events\"`",
            ));
        }
        if input.peek(Ident) {
            let unknown: Ident = input.parse()?;
            return Err(syn::Error::new(
                unknown.span(),
                format!(
                    "unknown argument `{unknown}`; expected one of `retry`, `ping`, `ping_text`, \
                     `sep`, `send_timeout`, `max_streams`, `error_event`, `event`, `id`, \
                     `on_disconnect`, `on_shutdown`, `state`"
                ),
            ));
        }
        return Err(lookahead.error());
    }
    let key: Ident = input.call(syn::ext::IdentExt::parse_any)?;
    input
        .parse::<Token![=]>()
        .map_err(|_| syn::Error::new(key.span(), format!("expected `{key} = ...`")))?;
    let expected = |error: syn::Error| with_expected_value(error, &key);
    match key.to_string().as_str() {
        "retry" => set_once(&mut args.retry, &key, input.parse().map_err(expected)?),
        "ping" => set_once(&mut args.ping, &key, input.parse().map_err(expected)?),
        "ping_text" => set_once(&mut args.ping_text, &key, input.parse().map_err(expected)?),
        "sep" => set_once(&mut args.sep, &key, input.parse().map_err(expected)?),
        "send_timeout" => set_once(
            &mut args.send_timeout,
            &key,
            input.parse().map_err(expected)?,
        ),
        "max_streams" => set_once(
            &mut args.max_streams,
            &key,
            input.parse().map_err(expected)?,
        ),
        "error_event" => set_once(
            &mut args.error_event,
            &key,
            input.parse().map_err(expected)?,
        ),
        "event" => set_once(&mut args.event, &key, input.parse().map_err(expected)?),
        "id" => {
            let value: Ident = input.call(syn::ext::IdentExt::parse_any)?;
            if value != "sequential" {
                return Err(syn::Error::new(
                    value.span(),
                    "the only id policy is `id = sequential` (a per-stream counter that \
                     continues from Last-Event-ID); set explicit ids on the events instead",
                ));
            }
            set_once(&mut args.sequential_id, &key, value.span())
        }
        "on_disconnect" => set_once(
            &mut args.on_disconnect,
            &key,
            input.parse().map_err(expected)?,
        ),
        "on_shutdown" => set_once(
            &mut args.on_shutdown,
            &key,
            input.parse().map_err(expected)?,
        ),
        "state" => set_once(&mut args.state, &key, input.parse().map_err(expected)?),
        _ => unreachable!("every key peeked above is matched"),
    }
}

/// Adds what value a key takes to a parse error of that value.
fn with_expected_value(error: syn::Error, key: &Ident) -> syn::Error {
    let expected = match key.to_string().as_str() {
        "retry" | "ping" | "send_timeout" => "a duration string such as \"3s\" or \"500ms\"",
        "ping_text" => "a string",
        "sep" => r#"one of "\n", "\r\n", "\r""#,
        "max_streams" => "an integer",
        "error_event" | "event" => "an event name string",
        "on_disconnect" | "on_shutdown" => "the path of an async fn",
        "state" => "a type",
        _ => return error,
    };
    syn::Error::new(error.span(), format!("`{key}` takes {expected}"))
}
