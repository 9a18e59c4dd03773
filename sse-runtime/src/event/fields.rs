//! The field rules: what may be in an event name, an id and data, decided in
//! one place so that every way of writing an event gives the same answer.
//!
//! A client ends a field at the first CR or LF, so a line break in a
//! one-line field (`event`, `id`) would start a field of the sender's
//! choosing. Data may span lines: the writer splits it into one `data:` line
//! per line, exactly where the client's parser will split it again.

use crate::event::error::EventError;

/// An event name is one line, holds no NUL and is not empty.
///
/// A line break would inject a field. An empty name is what a client assumes
/// when the field is left out (`message`), so sending one only hides a
/// mistake; NUL is refused as it is in ids. The macros apply the same rule at
/// compile time, and one table of cases pins both to the same verdicts
/// (`sse-macros/tests/cases/event_names.rs`, checked against this rule by
/// the workspace's `tests/rules.rs`).
pub(crate) fn check_event_name(name: &str) -> Result<(), EventError> {
    if name.is_empty() {
        return Err(EventError::EmptyEvent);
    }
    match find_break_or_nul(name.as_bytes()) {
        None => Ok(()),
        Some(b'\0') => Err(EventError::NulInEvent),
        Some(_) => Err(EventError::LineBreakInEvent),
    }
}

/// An id is one line and holds no NUL: clients ignore an id with NUL, so a
/// client resuming from it would silently start over. An empty id is
/// allowed: it resets the client's last event id.
pub(crate) fn check_id(id: &str) -> Result<(), EventError> {
    match find_break_or_nul(id.as_bytes()) {
        None => Ok(()),
        Some(b'\0') => Err(EventError::NulInId),
        Some(_) => Err(EventError::LineBreakInId),
    }
}

/// The first CR, LF or NUL in `bytes`, if any.
fn find_break_or_nul(bytes: &[u8]) -> Option<u8> {
    memchr::memchr3(b'\n', b'\r', 0, bytes).map(|at| bytes[at])
}

/// Whether `bytes` holds a CR or an LF.
pub(crate) fn has_line_break(bytes: &[u8]) -> bool {
    memchr::memchr2(b'\n', b'\r', bytes).is_some()
}

/// Splits on CRLF, a lone CR and a lone LF, each one break, the way a
/// client's parser does. A trailing break gives a final empty line, so that
/// `"a\n"` is sent as two `data:` lines and read back as `"a\n"`.
pub(crate) fn lines(text: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = Some(text);
    std::iter::from_fn(move || {
        let current = rest?;
        match memchr::memchr2(b'\n', b'\r', current) {
            None => {
                rest = None;
                Some(current)
            }
            Some(at) => {
                let crlf = current[at] == b'\r' && current.get(at + 1) == Some(&b'\n');
                rest = Some(&current[at + if crlf { 2 } else { 1 }..]);
                Some(&current[..at])
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_split_like_a_client_parser() {
        let split = |text: &str| -> Vec<String> {
            lines(text.as_bytes())
                .map(|line| String::from_utf8(line.to_vec()).unwrap())
                .collect()
        };
        assert_eq!(split("a"), ["a"]);
        assert_eq!(split("a\r\nb\rc\nd"), ["a", "b", "c", "d"]);
        assert_eq!(split("a\n"), ["a", ""]);
        assert_eq!(split("\r\n\r"), ["", "", ""]);
        assert_eq!(split(""), [""]);
    }

    #[test]
    fn ids_may_be_empty_but_names_may_not() {
        assert!(check_id("").is_ok());
        assert!(matches!(check_event_name(""), Err(EventError::EmptyEvent)));
        assert!(matches!(check_id("a\0"), Err(EventError::NulInId)));
        assert!(matches!(check_id("a\rb"), Err(EventError::LineBreakInId)));
    }
}
