//! `sse_runtime::test`: an endpoint's events read in process, typed, with
//! failure messages that say what was expected and what came.

use std::time::Duration;

use axum::Router;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use sse_runtime::test::{EventReader, Received};
use sse_runtime::{Event, SseEvent, SseResponse, sse_endpoint};

#[derive(Debug, PartialEq, Serialize, Deserialize, SseEvent)]
#[serde(rename_all = "camelCase", rename_all_fields = "camelCase")]
enum Room {
    UserJoined {
        #[sse(id)]
        seq: u64,
        display_name: String,
    },
    #[serde(rename = "said")]
    Message(#[sse(id)] String, String),
    #[sse(event = "bye")]
    Left,
}

#[derive(Debug, PartialEq, Serialize, Deserialize, SseEvent)]
#[serde(tag = "type")]
enum Tagged {
    Price { cents: u64 },
    Closed,
}

#[sse_endpoint(get "/room")]
async fn room() {
    yield_!(Room::UserJoined {
        seq: 1,
        display_name: "Ada".into()
    });
    yield_!(Room::Message("m-2".into(), "hello".into()));
    yield_!(Room::Left);
    yield_!(Tagged::Price { cents: 250 });
    yield_!(Tagged::Closed);
}

#[tokio::test]
async fn events_read_back_as_the_types_that_wrote_them() {
    let mut events = sse_runtime::test::get(room::route(), "/room").await;
    assert_eq!(events.status(), 200);
    assert_eq!(
        events.headers()["content-type"],
        "text/event-stream",
        "the response as axum sends it"
    );
    let joined = Room::UserJoined {
        seq: 1,
        display_name: "Ada".into(),
    };
    assert_eq!(events.next_as::<Room>().await, joined);
    // A string id at a tuple position, a renamed variant.
    assert_eq!(
        events.next_as::<Room>().await,
        Room::Message("m-2".into(), "hello".into())
    );
    assert_eq!(events.last_event_id(), "m-2");
    assert_eq!(events.next_as::<Room>().await, Room::Left);
    // Internally tagged: the data carries the tag itself.
    assert_eq!(
        events.next_as::<Tagged>().await,
        Tagged::Price { cents: 250 }
    );
    assert_eq!(events.next_as::<Tagged>().await, Tagged::Closed);
    events.expect_end().await;
}

#[tokio::test]
#[should_panic(expected = "expected an event of test_client::Tagged, got event \"user_joined\"")]
async fn an_event_of_another_type_fails_naming_both() {
    let mut events = sse_runtime::test::get(room::route(), "/room").await;
    events.next_as::<Tagged>().await;
}

#[tokio::test]
#[should_panic(expected = "expected the end of the stream, got event \"user_joined\"")]
async fn expect_end_fails_on_an_event() {
    sse_runtime::test::get(room::route(), "/room")
        .await
        .expect_end()
        .await;
}

#[tokio::test]
#[should_panic(expected = "expected an event of type \"bye\", got event \"user_joined\"")]
async fn expect_event_fails_on_another_name() {
    let mut events = sse_runtime::test::get(room::route(), "/room").await;
    events.expect_event("bye").await;
}

#[tokio::test]
#[should_panic(expected = "expected an event, got the end of the stream")]
async fn expect_next_fails_at_the_end() {
    let mut events = sse_runtime::test::get(room::route(), "/room").await;
    for _ in 0..5 {
        events.expect_next().await;
    }
    events.expect_next().await;
}

#[derive(Clone)]
struct Greeting(&'static str);

#[sse_endpoint(get "/greet", ping = "10s", retry = "1500ms")]
async fn greet(State(Greeting(text)): State<Greeting>) {
    yield_!(Event::data(text).event("greeting").unwrap());
    tokio::time::sleep(Duration::from_secs(25)).await;
    yield_!("bye");
}

#[tokio::test(start_paused = true)]
async fn keep_alive_and_sleeps_take_no_time_under_pause() {
    let app: Router = greet::route().with_state(Greeting("hi"));
    let start = tokio::time::Instant::now();
    let mut events = sse_runtime::test::get(app, "/greet").await;
    assert_eq!(events.retry(), None, "not read yet");
    let greeting = events.expect_event("greeting").await;
    assert_eq!(greeting.data, "hi");
    assert_eq!(events.retry(), Some(Duration::from_millis(1500)));
    let mut pings = 0;
    loop {
        match events.next_received().await.expect("open") {
            Received::Comment(text) if text == "ping" => pings += 1,
            Received::Event(event) => {
                assert_eq!(event.data, "bye");
                break;
            }
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(pings, 2, "at 10 s and 20 s of the 25 s sleep");
    assert!(start.elapsed() >= Duration::from_secs(25));
    events.expect_end().await;
}

#[tokio::test]
async fn any_response_reads_the_same() {
    let stream = futures_util::stream::iter([Event::data("a\r\nb"), Event::data("c")]);
    let response = axum::response::IntoResponse::into_response(
        SseResponse::new(stream).line_ending(sse_runtime::LineEnding::Cr),
    );
    let events = EventReader::new(response).collect().await;
    let data: Vec<&str> = events.iter().map(|event| event.data.as_str()).collect();
    assert_eq!(
        data,
        ["a\nb", "c"],
        "CR line endings, CRLF in data: one line break"
    );
}
