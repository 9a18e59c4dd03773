//! Every semantic rule on the attribute's values, one small function per
//! kind of value that states the rule and why. Errors point at the offending
//! literal.

use std::collections::BTreeMap;

use syn::{Ident, LitInt, LitStr, Path, Type};

use crate::ctxt::Ctxt;
use crate::endpoint::attr::{Attr, Value};
use crate::endpoint::keys::{Key, Kind};
use crate::rules::{event_name, parse_duration_ms, route_path};

/// A value that passed its rule.
pub(crate) enum Checked {
    Millis(u64),
    Text(String),
    /// The `LineEnding` variant: `"Lf"`, `"CrLf"` or `"Cr"`.
    LineEnding(&'static str),
    Count(usize),
    Sequential,
    Path(Path),
    Type(Type),
    Texts(Vec<String>),
    /// `schema = any`.
    AnySchema,
}

/// The checked settings of one endpoint.
#[derive(Default)]
pub(crate) struct Settings {
    values: BTreeMap<Key, Checked>,
}

impl Settings {
    pub(crate) fn get(&self, key: Key) -> Option<&Checked> {
        self.values.get(&key)
    }

    pub(crate) fn millis(&self, key: Key) -> Option<u64> {
        match self.get(key)? {
            Checked::Millis(ms) => Some(*ms),
            _ => None,
        }
    }

    pub(crate) fn text(&self, key: Key) -> Option<&str> {
        match self.get(key)? {
            Checked::Text(text) => Some(text),
            _ => None,
        }
    }

    pub(crate) fn path(&self, key: Key) -> Option<&Path> {
        match self.get(key)? {
            Checked::Path(path) => Some(path),
            _ => None,
        }
    }

    pub(crate) fn texts(&self, key: Key) -> &[String] {
        match self.get(key) {
            Some(Checked::Texts(texts)) => texts,
            _ => &[],
        }
    }

    pub(crate) fn ty(&self, key: Key) -> Option<&Type> {
        match self.get(key)? {
            Checked::Type(ty) => Some(ty),
            _ => None,
        }
    }
}

pub(crate) fn check(cx: &Ctxt, attr: &Attr) -> Settings {
    if let Some(route) = &attr.route {
        check_path(cx, &route.path);
    }
    let mut settings = Settings::default();
    for entry in &attr.entries {
        let key = entry.key.name();
        let checked = match (entry.key.kind(), &entry.value) {
            (Kind::Duration, Value::Str(lit)) => duration(cx, lit, key).map(Checked::Millis),
            (Kind::Text, Value::Str(lit)) => Some(Checked::Text(lit.value())),
            (Kind::LineEnding, Value::Str(lit)) => line_ending(cx, lit).map(Checked::LineEnding),
            (Kind::Count, Value::Int(lit)) => count(cx, lit, key).map(Checked::Count),
            (Kind::EventName | Kind::EventNameOrFn, Value::Str(lit)) => {
                checked_event_name(cx, lit, key).map(Checked::Text)
            }
            (Kind::EventNameOrFn, Value::Path(path)) => Some(Checked::Path(path.clone())),
            (Kind::IdPolicy, Value::Ident(policy)) => keyword(
                cx,
                policy,
                "sequential",
                Checked::Sequential,
                "the only id policy is `id = sequential` (a per-stream counter that continues \
                 from Last-Event-ID); set explicit ids on the events instead",
            ),
            (Kind::FnPath, Value::Path(path)) => Some(Checked::Path(path.clone())),
            (Kind::Type, Value::Type(ty)) => Some(Checked::Type(ty.clone())),
            (Kind::Identifier, Value::Str(lit)) => identifier(cx, lit, key).map(Checked::Text),
            (Kind::Strings, Value::Strs(lits)) => strings(cx, lits, key).map(Checked::Texts),
            (Kind::SchemaPolicy, Value::Ident(policy)) => keyword(
                cx,
                policy,
                "any",
                Checked::AnySchema,
                "the only schema policy is `schema = any` (events left undescribed); without \
                 it, `yields = T` describes `T`'s events",
            ),
            // The parser reads each kind as its own kind of value.
            _ => None,
        };
        if let Some(checked) = checked {
            settings.values.insert(entry.key, checked);
        }
    }
    check_max_duration(cx, attr, &settings);
    settings
}

/// A stream that must end at once would reconnect in a loop; a jitter means
/// nothing without the duration it is taken from.
fn check_max_duration(cx: &Ctxt, attr: &Attr, settings: &Settings) {
    // Both are durations: their values are string literals.
    let literal = |key| {
        attr.entries.iter().find_map(|entry| match &entry.value {
            Value::Str(lit) if entry.key == key => Some(lit),
            _ => None,
        })
    };
    if settings.millis(Key::MaxDuration) == Some(0)
        && let Some(lit) = literal(Key::MaxDuration)
    {
        cx.error_spanned_by(
            lit,
            "`max_duration` must be more than zero: a stream that ends at once makes its \
             client reconnect in a loop; leave it out for streams without a limit",
        );
    }
    if settings.millis(Key::MaxDuration).is_none()
        && let Some(lit) = literal(Key::MaxDurationJitter)
    {
        cx.error_spanned_by(
            lit,
            "`max_duration_jitter` needs `max_duration`: the jitter is how much earlier than \
             the maximum duration a stream may end",
        );
    }
}

/// A route path axum accepts: it panics at start-up on one it does not, far
/// from the attribute that caused it.
fn check_path(cx: &Ctxt, path: &LitStr) {
    if let Err(message) = route_path(&path.value()) {
        cx.error_spanned_by(path, message);
    }
}

/// A duration in the form of `rules::parse_duration_ms`.
fn duration(cx: &Ctxt, lit: &LitStr, key: &str) -> Option<u64> {
    match parse_duration_ms(&lit.value()) {
        Ok(ms) => Some(ms),
        Err(reason) => {
            cx.error_spanned_by(
                lit,
                format!(
                    "invalid `{key}` duration: {reason}; write it as \"500ms\", \"15s\", \"2m\" or \"1h\""
                ),
            );
            None
        }
    }
}

/// The separators the event-stream grammar allows, and nothing else: any other
/// would not end a line in a client.
fn line_ending(cx: &Ctxt, lit: &LitStr) -> Option<&'static str> {
    match lit.value().as_str() {
        "\n" => Some("Lf"),
        "\r\n" => Some("CrLf"),
        "\r" => Some("Cr"),
        _ => {
            cx.error_spanned_by(lit, r#"`sep` must be one of "\n", "\r\n" or "\r""#);
            None
        }
    }
}

/// A stream limit of zero would refuse every client.
fn count(cx: &Ctxt, lit: &LitInt, key: &str) -> Option<usize> {
    match lit.base10_parse::<usize>() {
        Ok(0) => {
            cx.error_spanned_by(lit, format!("`{key}` must be at least 1"));
            None
        }
        Ok(count) => Some(count),
        Err(error) => {
            cx.syn_error(error);
            None
        }
    }
}

/// A value that is one keyword (`id = sequential`, `schema = any`):
/// `checked` for it, `refusal` on anything else.
fn keyword(
    cx: &Ctxt,
    given: &Ident,
    expected: &str,
    checked: Checked,
    refusal: &str,
) -> Option<Checked> {
    if given == expected {
        return Some(checked);
    }
    cx.error_spanned_by(given, refusal);
    None
}

/// An `operationId` that is also the generated TypeScript function's name:
/// a JavaScript identifier, so that the module compiles.
fn identifier(cx: &Ctxt, lit: &LitStr, key: &str) -> Option<String> {
    let id = lit.value();
    let mut chars = id.chars();
    let starts = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '$');
    if starts && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$') {
        return Some(id);
    }
    cx.error_spanned_by(
        lit,
        format!(
            "`{key}` must be an identifier (ASCII letters, digits, `_`, `$`, not starting with a \
             digit): it names the generated TypeScript function too"
        ),
    );
    None
}

/// Non-empty strings, each once.
fn strings(cx: &Ctxt, lits: &[LitStr], key: &str) -> Option<Vec<String>> {
    let mut texts: Vec<String> = Vec::new();
    let mut ok = true;
    for lit in lits {
        let text = lit.value();
        if text.trim().is_empty() {
            cx.error_spanned_by(lit, format!("`{key}` takes non-empty strings"));
            ok = false;
        } else if texts.contains(&text) {
            cx.error_spanned_by(lit, format!("`{text}` is in `{key}` twice"));
            ok = false;
        } else {
            texts.push(text);
        }
    }
    ok.then_some(texts)
}

/// The event-name rule of `rules::event_name`, the runtime's too.
fn checked_event_name(cx: &Ctxt, lit: &LitStr, key: &str) -> Option<String> {
    let name = lit.value();
    match event_name(&name) {
        Ok(()) => Some(name),
        Err(refusal) => {
            cx.error_spanned_by(lit, refusal.message(&format!("`{key}`")));
            None
        }
    }
}
