//! Rules the macros apply to attribute values at compile time.
//!
//! The event-name rule is also the runtime's (`Event::event`,
//! `EventWriter::event` in `sse-runtime/src/event/fields.rs`): the two crates
//! cannot share code (the runtime depends on this one), so both are pinned to
//! the same verdicts by one table of cases, `tests/cases/event_names.rs` in this
//! crate, which the workspace's `tests/rules.rs` checks the runtime against.

/// Why an event name is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NameRefusal {
    LineBreak,
    Nul,
    Empty,
}

impl NameRefusal {
    /// The error message, `what` naming the value (`` `event` ``, "an event
    /// name").
    pub(crate) fn message(self, what: &str) -> String {
        match self {
            NameRefusal::LineBreak => format!(
                "{what} cannot contain a line break (CR or LF): it would inject a field into the stream"
            ),
            NameRefusal::Nul => format!("{what} cannot contain NUL"),
            NameRefusal::Empty => format!(
                "{what} cannot be empty: clients would read it as `message`, so leave it out"
            ),
        }
    }
}

/// An event name is one line, holds no NUL and is not empty: a line break
/// would inject a field into every event, and an empty name is what leaving
/// the field out already gives (`message`). The first CR, LF or NUL decides,
/// as in the runtime.
pub(crate) fn event_name(name: &str) -> Result<(), NameRefusal> {
    if name.is_empty() {
        return Err(NameRefusal::Empty);
    }
    match name.bytes().find(|b| matches!(b, b'\r' | b'\n' | b'\0')) {
        None => Ok(()),
        Some(b'\0') => Err(NameRefusal::Nul),
        Some(_) => Err(NameRefusal::LineBreak),
    }
}

/// Durations are written as a whole number and a unit (`ms`, `s`, `m`, `h`),
/// so that `"15"` cannot be misread as milliseconds or seconds.
pub(crate) fn parse_duration_ms(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let digits_end = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(digits_end);
    if number.is_empty() {
        return Err(format!("{text:?} does not start with a whole number"));
    }
    let number: u64 = number
        .parse()
        .map_err(|_| format!("{number} is too large"))?;
    if unit.starts_with(['.', ',']) {
        return Err(format!("{text:?} is not a whole number"));
    }
    let factor = match unit.trim() {
        "ms" => 1,
        "s" => 1_000,
        "m" | "min" => 60_000,
        "h" => 3_600_000,
        "" => return Err(format!("{text:?} has no unit")),
        other => return Err(format!("unknown unit {other:?}")),
    };
    number
        .checked_mul(factor)
        .ok_or_else(|| format!("{text:?} is too long"))
}

/// Why axum 0.8 would refuse a route path (it panics at start-up, far
/// from the attribute), with the fix; `Ok` for a path it accepts. Pinned to
/// axum's own verdicts by this crate's `tests/cases/route_paths.rs` (the workspace's
/// `tests/rules.rs` checks axum against it).
pub(crate) fn route_path(path: &str) -> Result<(), String> {
    if path.is_empty() {
        return Err("a route path cannot be empty: use \"/\" for the root".into());
    }
    if !path.starts_with('/') {
        return Err(format!(
            "a route path must start with `/`: write \"/{path}\""
        ));
    }
    // axum 0.7's syntax, refused by 0.8 (whose captures are `{id}`).
    if path
        .split('/')
        .any(|segment| segment.starts_with(':') || segment.starts_with('*'))
    {
        return Err(format!(
            "axum 0.8 writes captures in braces: write \"{}\" (a segment starting with `:` \
             or `*` is axum 0.7's syntax, refused at start-up)",
            braced(path)
        ));
    }
    let mut chars = path.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        match c {
            '{' if chars.peek().is_some_and(|&(_, next)| next == '{') => {
                chars.next();
            }
            '}' if chars.peek().is_some_and(|&(_, next)| next == '}') => {
                chars.next();
            }
            '}' => {
                return Err(format!(
                    "`}}` at byte {at} closes no capture: write a capture as `{{name}}`, or \
                     `}}}}` for a literal brace"
                ));
            }
            '{' => {
                let rest = &path[at + 1..];
                let Some(end) = rest.find('}') else {
                    return Err(
                        "a capture is opened with `{` and never closed: write `{name}`".into(),
                    );
                };
                let name = &rest[..end];
                let catch_all = name.strip_prefix('*');
                if name.trim_start_matches('*').is_empty() {
                    return Err("a capture needs a name: write `{id}` (or `{*rest}`)".into());
                }
                if catch_all.is_some() && at + 1 + end + 1 != path.len() {
                    return Err(format!(
                        "a catch-all capture `{{{name}}}` must end the path"
                    ));
                }
                for _ in 0..=end {
                    chars.next();
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// `path` with axum 0.7's `:id` and `*rest` segments written as `{id}` and
/// `{*rest}`.
fn braced(path: &str) -> String {
    let segments = path.split('/').map(|segment| {
        if let Some(name) = segment.strip_prefix(':') {
            format!("{{{name}}}")
        } else if segment.starts_with('*') {
            format!("{{{segment}}}")
        } else {
            segment.to_owned()
        }
    });
    segments.collect::<Vec<_>>().join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// axum's own verdicts (the workspace's `tests/rules.rs`).
    const ROUTE_PATHS: &[(&str, &str)] = include!("../tests/cases/route_paths.rs");

    #[test]
    fn route_paths_are_refused_where_axum_refuses_them() {
        for &(path, verdict) in ROUTE_PATHS {
            let ours = if route_path(path).is_ok() {
                "ok"
            } else {
                "refused"
            };
            assert_eq!(ours, verdict, "{path:?}: {:?}", route_path(path));
        }
        assert_eq!(
            route_path("/rooms/:id/files/*rest").unwrap_err(),
            "axum 0.8 writes captures in braces: write \"/rooms/{id}/files/{*rest}\" (a \
             segment starting with `:` or `*` is axum 0.7's syntax, refused at start-up)"
        );
    }

    /// The verdicts the runtime gives too (the workspace's `tests/rules.rs`).
    const EVENT_NAMES: &[(&str, &str)] = include!("../tests/cases/event_names.rs");

    #[test]
    fn event_names_get_the_runtime_verdicts() {
        for &(name, expected) in EVENT_NAMES {
            let verdict = match event_name(name) {
                Ok(()) => "ok",
                Err(NameRefusal::LineBreak) => "line break",
                Err(NameRefusal::Nul) => "NUL",
                Err(NameRefusal::Empty) => "empty",
            };
            assert_eq!(verdict, expected, "event name {name:?}");
        }
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration_ms("500ms"), Ok(500));
        assert_eq!(parse_duration_ms("15s"), Ok(15_000));
        assert_eq!(parse_duration_ms("2m"), Ok(120_000));
        assert_eq!(parse_duration_ms("1h"), Ok(3_600_000));
        assert_eq!(parse_duration_ms("0s"), Ok(0));
        assert!(parse_duration_ms("15").is_err());
        assert!(parse_duration_ms("1.5s").is_err());
        assert!(parse_duration_ms("s").is_err());
        assert!(parse_duration_ms("3 days").is_err());
        assert!(parse_duration_ms("99999999999999999999s").is_err());
    }
}
