//! The runtime's event-name rule against the table the macros' compile-time
//! rule is pinned to (`tests/cases/event_names.rs` at the workspace root):
//! one answer, whichever way an event is named.

use sse_runtime::{Event, EventError, EventWriter, LineEnding};

const EVENT_NAMES: &[(&str, &str)] = include!("../../tests/cases/event_names.rs");

fn verdict(result: Result<(), EventError>) -> &'static str {
    match result {
        Ok(()) => "ok",
        Err(EventError::LineBreakInEvent) => "line break",
        Err(EventError::NulInEvent) => "NUL",
        Err(EventError::EmptyEvent) => "empty",
        Err(other) => panic!("unexpected error {other:?}"),
    }
}

#[test]
fn the_builder_gives_the_table_verdicts() {
    for &(name, expected) in EVENT_NAMES {
        let built = Event::data("x").event(name).map(drop);
        assert_eq!(verdict(built), expected, "Event::event({name:?})");
    }
}

#[test]
fn the_writer_gives_the_table_verdicts_and_writes_nothing_refused() {
    for &(name, expected) in EVENT_NAMES {
        let mut writer = EventWriter::new(LineEnding::Lf);
        assert_eq!(
            verdict(writer.event(name)),
            expected,
            "EventWriter::event({name:?})"
        );
        if expected == "ok" {
            assert_eq!(writer.as_bytes(), format!("event: {name}\n").as_bytes());
        } else {
            assert!(
                writer.as_bytes().is_empty(),
                "{name:?} left {:?}",
                writer.as_bytes()
            );
        }
    }
}
