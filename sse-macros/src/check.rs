//! Every semantic rule on the attribute's values, each one small function that
//! states the rule and why. Errors point at the offending literal.

use syn::{LitInt, LitStr};

use crate::args::Args;
use crate::ctxt::Ctxt;

/// The validated settings of one endpoint.
#[derive(Default)]
pub(crate) struct Settings {
    pub(crate) retry_ms: Option<u64>,
    /// `Some(0)` disables keep-alive.
    pub(crate) ping_ms: Option<u64>,
    pub(crate) ping_text: Option<String>,
    /// `"Lf"`, `"CrLf"` or `"Cr"`: the `LineEnding` variant.
    pub(crate) sep: Option<&'static str>,
    pub(crate) send_timeout_ms: Option<u64>,
    pub(crate) max_streams: Option<usize>,
    pub(crate) error_event: Option<String>,
    pub(crate) event: Option<String>,
}

pub(crate) fn check(cx: &Ctxt, args: &Args) -> Settings {
    if let Some(route) = &args.route {
        check_path(cx, &route.path);
    }
    Settings {
        retry_ms: args
            .retry
            .as_ref()
            .and_then(|lit| duration(cx, lit, "retry")),
        ping_ms: args.ping.as_ref().and_then(|lit| duration(cx, lit, "ping")),
        ping_text: args.ping_text.as_ref().map(LitStr::value),
        sep: args.sep.as_ref().and_then(|lit| separator(cx, lit)),
        send_timeout_ms: args
            .send_timeout
            .as_ref()
            .and_then(|lit| nonzero_duration(cx, lit, "send_timeout")),
        max_streams: args
            .max_streams
            .as_ref()
            .and_then(|lit| max_streams(cx, lit)),
        error_event: args
            .error_event
            .as_ref()
            .and_then(|lit| event_name(cx, lit, "error_event")),
        event: args
            .event
            .as_ref()
            .and_then(|lit| event_name(cx, lit, "event")),
    }
}

/// A route path starts with `/`: axum panics at startup on one that does not,
/// far from the attribute that caused it.
fn check_path(cx: &Ctxt, path: &LitStr) {
    let value = path.value();
    if !value.starts_with('/') {
        cx.error_spanned_by(
            path,
            format!("a route path must start with `/`: write \"/{value}\""),
        );
    }
}

/// Durations are written as an integer and a unit (`ms`, `s`, `m`, `h`), so
/// that `"15"` cannot be misread as milliseconds or seconds.
fn duration(cx: &Ctxt, lit: &LitStr, key: &str) -> Option<u64> {
    match parse_duration_ms(&lit.value()) {
        Ok(ms) => Some(ms),
        Err(reason) => {
            cx.error_spanned_by(
                lit,
                format!("invalid `{key}` duration: {reason}; write it as \"500ms\", \"15s\", \"2m\" or \"1h\""),
            );
            None
        }
    }
}

/// A send timeout of zero would drop every client at its first slow write;
/// leave the key out to have none.
fn nonzero_duration(cx: &Ctxt, lit: &LitStr, key: &str) -> Option<u64> {
    let ms = duration(cx, lit, key)?;
    if ms == 0 {
        cx.error_spanned_by(
            lit,
            format!("`{key}` must be more than zero; leave it out for no timeout"),
        );
        return None;
    }
    Some(ms)
}

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

/// The separators the event-stream grammar allows, and nothing else: any other
/// would not end a line in a client.
fn separator(cx: &Ctxt, lit: &LitStr) -> Option<&'static str> {
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
fn max_streams(cx: &Ctxt, lit: &LitInt) -> Option<usize> {
    match lit.base10_parse::<usize>() {
        Ok(0) => {
            cx.error_spanned_by(lit, "`max_streams` must be at least 1");
            None
        }
        Ok(max) => Some(max),
        Err(error) => {
            cx.syn_error(error);
            None
        }
    }
}

/// An event name with CR or LF would inject a field into every event; an empty
/// one means `message`, which is what leaving it out already gives.
fn event_name(cx: &Ctxt, lit: &LitStr, key: &str) -> Option<String> {
    let name = lit.value();
    if name.contains(['\r', '\n']) {
        cx.error_spanned_by(
            lit,
            format!("`{key}` cannot contain a line break: it would inject a field into the stream"),
        );
        return None;
    }
    if name.contains('\0') {
        cx.error_spanned_by(lit, format!("`{key}` cannot contain NUL"));
        return None;
    }
    if name.is_empty() {
        cx.error_spanned_by(
            lit,
            format!("`{key}` cannot be empty; clients would see `message`, so leave it out"),
        );
        return None;
    }
    Some(name)
}

#[cfg(test)]
mod tests {
    use super::parse_duration_ms;

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
