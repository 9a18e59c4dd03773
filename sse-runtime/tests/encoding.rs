//! Wire encoding: sse-starlette's event encoding cases, the refusals that keep
//! fields from being injected, and a property test against an independent
//! spec-following parser (`eventsource-stream`).

use std::time::Duration;

use futures_util::StreamExt;
use proptest::prelude::*;
use sse_runtime::{Event, EventError, EventWriter, Json, LineEnding};

fn wire(event: &Event, sep: LineEnding) -> String {
    let mut out = Vec::new();
    event.encode_to_vec(sep, &mut out);
    String::from_utf8(out).unwrap()
}

const SEPARATORS: [(LineEnding, &str); 3] = [
    (LineEnding::Lf, "\n"),
    (LineEnding::CrLf, "\r\n"),
    (LineEnding::Cr, "\r"),
];

#[test]
fn multi_line_data_under_each_separator() {
    for (sep, s) in SEPARATORS {
        for input in ["line1\nline2", "line1\r\nline2", "line1\rline2"] {
            assert_eq!(
                wire(&Event::data(input), sep),
                format!("data: line1{s}data: line2{s}{s}"),
                "data {input:?} with separator {s:?}"
            );
        }
    }
}

#[test]
fn mixed_line_breaks_each_count_once() {
    assert_eq!(
        wire(&Event::data("a\r\n\r\nb\n\rc\r\rd"), LineEnding::Lf),
        "data: a\ndata: \ndata: b\ndata: \ndata: c\ndata: \ndata: d\n\n"
    );
}

#[test]
fn trailing_line_break_survives() {
    assert_eq!(
        wire(&Event::data("x\n"), LineEnding::CrLf),
        "data: x\r\ndata: \r\n\r\n"
    );
}

#[test]
fn empty_data_still_dispatches() {
    assert_eq!(wire(&Event::data(""), LineEnding::CrLf), "data: \r\n\r\n");
}

#[test]
fn leading_space_in_data_survives() {
    // The parser removes exactly one space after the colon.
    assert_eq!(wire(&Event::data("  x"), LineEnding::Lf), "data:   x\n\n");
}

#[test]
fn all_fields_in_sse_starlette_order() {
    let event = Event::data("foo")
        .event("bar")
        .unwrap()
        .id("xyz")
        .unwrap()
        .retry(Duration::from_millis(15_000))
        .comment("a comment");
    assert_eq!(
        wire(&event, LineEnding::CrLf),
        ": a comment\r\nid: xyz\r\nevent: bar\r\ndata: foo\r\nretry: 15000\r\n\r\n"
    );
}

#[test]
fn comment_only_and_multi_line_comment() {
    assert_eq!(
        wire(&Event::new().comment("a comment"), LineEnding::CrLf),
        ": a comment\r\n\r\n"
    );
    assert_eq!(
        wire(
            &Event::new().comment("one\r\ntwo").comment("three"),
            LineEnding::Lf
        ),
        ": one\n: two\n: three\n\n"
    );
}

#[test]
fn retry_is_integer_milliseconds() {
    let event = Event::new().retry(Duration::from_micros(2_500_900));
    assert_eq!(wire(&event, LineEnding::Lf), "retry: 2500\n\n");
}

#[test]
fn empty_id_is_written_to_reset() {
    let event = Event::data("x").id("").unwrap();
    assert_eq!(wire(&event, LineEnding::Lf), "id: \ndata: x\n\n");
}

#[test]
fn json_is_compact_and_keeps_non_ascii() {
    let value = serde_json::json!({"city": "Zürich", "emoji": "🎉", "text": "a\nb"});
    let event = Event::json(&value).unwrap();
    assert_eq!(
        wire(&event, LineEnding::CrLf),
        "data: {\"city\":\"Zürich\",\"emoji\":\"🎉\",\"text\":\"a\\nb\"}\r\n\r\n"
    );
}

#[test]
fn json_errors_are_errors() {
    use std::collections::HashMap;
    let bad: HashMap<(u8, u8), u8> = HashMap::from([((1, 2), 3)]);
    assert!(matches!(Event::json(&bad), Err(EventError::Json(_))));
    assert!(
        Event::json(&f64::NAN).is_ok(),
        "serde_json writes NaN as null"
    );

    // Through the writer: nothing of the failed event is left behind.
    let mut writer = EventWriter::new(LineEnding::Lf);
    writer.write(&Json(1)).unwrap();
    assert!(writer.write(&Json(bad)).is_err());
    assert_eq!(writer.as_bytes(), b"data: 1\n\n");
}

#[test]
fn raw_json_with_line_breaks_stays_one_event() {
    let raw = serde_json::value::RawValue::from_string("{\n\"a\": 1\r\n}".to_owned()).unwrap();
    let mut writer = EventWriter::new(LineEnding::Lf);
    writer.write(&Json(&raw)).unwrap();
    assert_eq!(writer.as_bytes(), b"data: {\ndata: \"a\": 1\ndata: }\n\n");
    assert_eq!(
        wire(&Event::json(&raw).unwrap(), LineEnding::Lf),
        "data: {\ndata: \"a\": 1\ndata: }\n\n"
    );
}

#[test]
fn line_breaks_in_event_and_id_are_refused() {
    for bad in ["a\nevent: x", "a\r", "\r\nb"] {
        assert!(matches!(
            Event::data("x").event(bad),
            Err(EventError::LineBreakInEvent)
        ));
        assert!(matches!(
            Event::data("x").id(bad),
            Err(EventError::LineBreakInId)
        ));
    }
    assert!(matches!(
        Event::data("x").id("a\0b"),
        Err(EventError::NulInId)
    ));
    let mut writer = EventWriter::new(LineEnding::Lf);
    assert!(writer.id("1\n2").is_err());
    assert!(writer.event("a\rb").is_err());
    assert!(writer.as_bytes().is_empty());
}

#[test]
fn error_messages_say_what_to_do() {
    let message = Event::new().id("a\nb").unwrap_err().to_string();
    assert!(message.contains("line break"), "{message}");
    assert!(message.contains("single-line"), "{message}");
}

#[test]
fn line_ending_parses_like_sse_starlette_sep() {
    assert_eq!("\n".parse(), Ok(LineEnding::Lf));
    assert_eq!("\r\n".parse(), Ok(LineEnding::CrLf));
    assert_eq!("\r".parse(), Ok(LineEnding::Cr));
    assert!("\n\r".parse::<LineEnding>().is_err());
}

/// What a spec-following client would report for one event.
#[derive(Debug, PartialEq)]
struct Received {
    event: String,
    data: String,
    id: String,
    retry: Option<Duration>,
}

fn parse_with_eventsource_stream(mut bytes: Vec<u8>) -> Vec<Received> {
    // A streaming parser cannot tell a final lone CR from the start of a CRLF
    // until the next byte arrives; a trailing comment line settles it, as the
    // next ping or event does on a live stream.
    bytes.extend_from_slice(b":\n");
    let chunks = futures_util::stream::iter([Ok::<_, std::convert::Infallible>(bytes)]);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    runtime.block_on(
        eventsource_stream::EventStream::new(chunks)
            .map(|event| {
                let event = event.expect("the parser accepts our output");
                Received {
                    event: event.event,
                    data: event.data,
                    id: event.id,
                    retry: event.retry,
                }
            })
            .collect(),
    )
}

/// Data as a client sees it: every CRLF, CR and LF is one LF.
fn normalise_line_breaks(data: &str) -> String {
    data.replace("\r\n", "\n").replace('\r', "\n")
}

fn text() -> impl Strategy<Value = String> {
    // Mostly printable text with line breaks, NULs, colons and non-ASCII.
    proptest::string::string_regex("([ -~]|\r|\n|\r\n|\u{0}|:|é|🎉){0,40}").unwrap()
}

fn single_line() -> impl Strategy<Value = String> {
    // NUL included, so that the refusal of a NUL in an id or a name is
    // exercised, not only written down.
    proptest::string::string_regex("([ -~]|é|🎉|\u{0}){0,20}").unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn independent_parser_reads_back_what_was_written(
        events in proptest::collection::vec(
            (text(), proptest::option::of(single_line()), proptest::option::of(single_line()),
             proptest::option::of(0u64..100_000), proptest::option::of(text())),
            1..6,
        ),
        sep in prop_oneof![Just(LineEnding::Lf), Just(LineEnding::CrLf), Just(LineEnding::Cr)],
    ) {
        let mut bytes = Vec::new();
        let mut expected = Vec::new();
        let mut last_id = String::new();
        for (data, name, id, retry, comment) in &events {
            let mut event = Event::data(data.clone());
            let mut sent_name = None;
            if let Some(name) = name {
                // An empty name is refused (clients read it as `message`).
                match event.clone().event(name.clone()) {
                    Ok(named) => { event = named; sent_name = Some(name.clone()); }
                    Err(error) => prop_assert!(name.is_empty() || name.contains('\0'), "{error}"),
                }
            }
            if let Some(id) = id {
                // NUL is refused for ids; everything else single-line is kept.
                match event.clone().id(id.clone()) {
                    Ok(with_id) => { event = with_id; last_id = id.clone(); }
                    Err(error) => prop_assert!(id.contains('\0'), "{error}"),
                }
            }
            if let Some(retry) = retry {
                event = event.retry(Duration::from_millis(*retry));
            }
            if let Some(comment) = comment {
                event = event.comment(comment.clone());
            }
            event.encode_to_vec(sep, &mut bytes);
            expected.push(Received {
                event: sent_name.unwrap_or_else(|| "message".into()),
                data: normalise_line_breaks(data),
                id: last_id.clone(),
                retry: retry.map(Duration::from_millis),
            });
        }
        prop_assert_eq!(parse_with_eventsource_stream(bytes), expected);
    }
}
