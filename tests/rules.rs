//! The rules decided in two places, pinned to one table each. The macros
//! refuse at compile time what the runtime or axum refuse at run time, so
//! both sides answer to the tables the macros' own tests use
//! (`sse-macros/tests/cases/`): the event-name rule against the runtime's
//! `Event::event` and `EventWriter::event`, and the route-path rule against
//! axum's own `Router::route`, which panics at start-up on a path it refuses.

use axum::Router;
use axum::routing::get;
use sse_runtime::{Event, EventError, EventWriter, LineEnding};

const EVENT_NAMES: &[(&str, &str)] = include!("../sse-macros/tests/cases/event_names.rs");
const ROUTE_PATHS: &[(&str, &str)] = include!("../sse-macros/tests/cases/route_paths.rs");

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

#[test]
fn axum_refuses_exactly_the_paths_the_table_says() {
    // axum's refusal is a panic; keep its message out of the test output.
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let verdicts: Vec<(&str, &str, &str)> = ROUTE_PATHS
        .iter()
        .map(|&(path, expected)| {
            let accepted = std::panic::catch_unwind(|| {
                let _: Router = Router::new().route(path, get(|| async {}));
            })
            .is_ok();
            (path, expected, if accepted { "ok" } else { "refused" })
        })
        .collect();
    std::panic::set_hook(hook);
    for (path, expected, axum) in verdicts {
        assert_eq!(axum, expected, "axum's verdict on {path:?}");
    }
}
