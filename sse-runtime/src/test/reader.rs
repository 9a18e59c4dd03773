//! [`EventReader`]: a response's body, read as a browser reads it.

use std::collections::VecDeque;
use std::time::Duration;

use axum::body::Body;
use axum::response::Response;
use http::{HeaderMap, StatusCode};
use http_body::Body as _;
use serde::de::DeserializeOwned;

use super::decode::{Decode, decode};
use super::parser::Parser;
use super::received::{Received, TestEvent};

/// The events of one response, read in process: a `Stream`-like reader with
/// assertions that say what was expected and what came.
///
/// Reading polls the response body, so the endpoint runs as the reader
/// waits: under `tokio::time::pause()`, a reader waiting for the next event
/// lets time jump to the endpoint's next timer (a keep-alive ping, a
/// `sleep`), and a 15-second ping arrives at once.
///
/// ```
/// use std::time::Duration;
/// use sse_runtime::{sse_endpoint, test::Received};
///
/// #[sse_endpoint(get "/quiet", ping = "15s")]
/// async fn quiet() {
///     tokio::time::sleep(Duration::from_secs(60)).await;
///     yield_!("late");
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// tokio::time::pause();
/// let mut events = sse_runtime::test::get(quiet::route(), "/quiet").await;
/// assert_eq!(events.next_received().await, Some(Received::Comment(String::new())), "the opening frame");
/// let start = tokio::time::Instant::now();
/// assert_eq!(events.next_received().await, Some(Received::Comment("ping".into())));
/// let waited = start.elapsed(); // paused time: the test did not wait
/// assert!(waited >= Duration::from_secs(15) && waited < Duration::from_secs(16), "{waited:?}");
/// assert_eq!(events.next().await.map(|e| e.data), Some("late".into()));
/// events.expect_end().await;
/// # }
/// ```
#[derive(Debug)]
pub struct EventReader {
    status: StatusCode,
    headers: HeaderMap,
    body: Body,
    parser: Parser,
    queue: VecDeque<Received>,
    ended: bool,
    error: Option<String>,
    /// The last few things read, for failure messages.
    recent: VecDeque<String>,
}

/// How many recent items a failure message shows.
const RECENT: usize = 5;

impl EventReader {
    /// Reads the events of `response`, whatever produced it.
    pub fn new(response: Response) -> Self {
        let (parts, body) = response.into_parts();
        Self {
            status: parts.status,
            headers: parts.headers,
            body,
            parser: Parser::default(),
            queue: VecDeque::new(),
            ended: false,
            error: None,
            recent: VecDeque::new(),
        }
    }

    /// The response's status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The response's headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The reconnection time the stream set last (`retry:`), as a browser
    /// would use it.
    pub fn retry(&self) -> Option<Duration> {
        self.parser.retry
    }

    /// The id a browser would send as `Last-Event-ID` if it reconnected now.
    pub fn last_event_id(&self) -> &str {
        &self.parser.last_event_id
    }

    /// Why the body ended with an error (a forced shutdown, a send timeout,
    /// a panic in the stream), if it did.
    pub fn body_error(&self) -> Option<&str> {
        self.error.as_deref()
    }

    /// The next event or comment; `None` once the body has ended.
    pub async fn next_received(&mut self) -> Option<Received> {
        loop {
            if let Some(received) = self.queue.pop_front() {
                self.remember(received.to_string());
                return Some(received);
            }
            if self.ended {
                return None;
            }
            self.read_frame().await;
        }
    }

    /// The next event, skipping comments; `None` once the body has ended.
    pub async fn next(&mut self) -> Option<TestEvent> {
        loop {
            match self.next_received().await? {
                Received::Event(event) => return Some(event),
                Received::Comment(_) => continue,
            }
        }
    }

    /// The next event, which must be there.
    ///
    /// # Panics
    /// If the stream ends first.
    pub async fn expect_next(&mut self) -> TestEvent {
        match self.next().await {
            Some(event) => event,
            None => self.fail("an event", "the end of the stream"),
        }
    }

    /// The next event, which must be of type `name`.
    ///
    /// # Panics
    /// If another event comes, or the stream ends.
    pub async fn expect_event(&mut self, name: &str) -> TestEvent {
        let event = self.expect_next().await;
        if event.event != name {
            self.fail(&format!("an event of type {name:?}"), &event.to_string());
        }
        event
    }

    /// The next event's data as JSON of type `T`.
    ///
    /// # Panics
    /// If the stream ends, or the data is not a `T`.
    pub async fn next_json<T: DeserializeOwned>(&mut self) -> T {
        let event = self.expect_next().await;
        match serde_json::from_str(&event.data) {
            Ok(value) => value,
            Err(error) => self.fail(
                &format!("JSON data for {}", std::any::type_name::<T>()),
                &format!("{event}, which does not read as one: {error}"),
            ),
        }
    }

    /// The next event as a value of `E`, a `#[derive(SseEvent)]` type that
    /// also derives `Deserialize`: the event's type picks the variant of an
    /// enum, its data the fields, its `id:` the `#[sse(id)]` field.
    ///
    /// ```
    /// use serde::{Deserialize, Serialize};
    /// use sse_runtime::{SseEvent, sse_endpoint};
    ///
    /// #[derive(Debug, PartialEq, Serialize, Deserialize, SseEvent)]
    /// enum Room {
    ///     UserJoined { #[sse(id)] seq: u64, name: String },
    ///     Left,
    /// }
    ///
    /// #[sse_endpoint(get "/room")]
    /// async fn room() {
    ///     yield_!(Room::UserJoined { seq: 1, name: "ada".into() });
    ///     yield_!(Room::Left);
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let mut events = sse_runtime::test::get(room::route(), "/room").await;
    /// assert_eq!(events.next_as::<Room>().await, Room::UserJoined { seq: 1, name: "ada".into() });
    /// assert_eq!(events.next_as::<Room>().await, Room::Left);
    /// events.expect_end().await;
    /// # }
    /// ```
    ///
    /// # Panics
    /// If the stream ends, or the event is not one of `E`'s.
    pub async fn next_as<E: Decode>(&mut self) -> E {
        let event = self.expect_next().await;
        match decode::<E>(&event) {
            Ok(value) => value,
            Err(why) => self.fail(
                &format!("an event of {}", std::any::type_name::<E>()),
                &format!("{event}: {why}"),
            ),
        }
    }

    /// Reads to the end, and fails if an event comes first (comments are
    /// fine).
    ///
    /// # Panics
    /// If an event comes before the end.
    pub async fn expect_end(&mut self) {
        if let Some(event) = self.next().await {
            self.fail("the end of the stream", &event.to_string());
        }
    }

    /// Every remaining event, up to the end of the stream.
    pub async fn collect(mut self) -> Vec<TestEvent> {
        let mut events = Vec::new();
        while let Some(event) = self.next().await {
            events.push(event);
        }
        events
    }

    async fn read_frame(&mut self) {
        let frame = std::future::poll_fn(|cx| std::pin::Pin::new(&mut self.body).poll_frame(cx));
        match frame.await {
            Some(Ok(frame)) => {
                if let Ok(data) = frame.into_data() {
                    self.parser.feed(&data, &mut self.queue);
                }
            }
            Some(Err(error)) => {
                self.error = Some(error.to_string());
                self.end();
            }
            None => self.end(),
        }
    }

    fn end(&mut self) {
        self.parser.finish();
        self.ended = true;
    }

    fn remember(&mut self, item: String) {
        if self.recent.len() == RECENT {
            self.recent.pop_front();
        }
        self.recent.push_back(item);
    }

    fn fail(&self, expected: &str, came: &str) -> ! {
        let recent: Vec<&str> = self.recent.iter().map(String::as_str).collect();
        panic!(
            "expected {expected}, got {came}\n  status {}; last read: [{}]{}",
            self.status,
            recent.join(", "),
            self.error
                .as_ref()
                .map(|error| format!("; the body failed: {error}"))
                .unwrap_or_default()
        )
    }
}
