//! An app whose event stream the test drives, one run of items at a time, so
//! that two servers given the same runs frame the same bytes whenever the
//! runs arrive.
//!
//! Each [`Commands::send`] is a run of items the stream has ready together:
//! events (or, in [`Mode::Raw`], body frames), then perhaps its failure, a
//! panic or its end. Between two runs the stream is pending once, even when
//! the next run is already there: what goes into one frame (one chunk) is
//! decided by the runs, not by when they reach the server. The stream's
//! first poll gives the `first` run, if any, beside the response's opening
//! comment, and is pending otherwise.
//!
//! Besides `/stream` (the driven stream, once), the app serves what a client
//! pipelines behind it: `/finite` (three ready events, then the end), `/json`
//! and `/bye` (plain bodies), and nothing else (`404`). Every stream reports
//! how it ended ([`Ended`]), an event stream from its `on_disconnect` hook,
//! a raw body when it is dropped.

use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use axum::Router;
use axum::response::IntoResponse;
use axum::routing::get;
use bytes::Bytes;
use http::{HeaderMap, HeaderValue, header};
use hyper::body::Frame;
use sse_runtime::{
    BoxError, Event, EventStream, EventWriter, KeepAlive, LineEnding, Shutdown, SseResponse,
};
use tokio::sync::{mpsc, watch};

use crate::PATIENCE;

/// What a planned panic says; [`quiet_planned_panics`] keeps it off stderr.
pub const PLANNED_PANIC: &str = "a panic the test planned";

/// One thing the driven stream gives.
#[derive(Debug, Clone)]
pub enum Item {
    /// An event (in [`Mode::Raw`], its encoding as one frame).
    Event(Event),
    /// A body frame of these bytes, empty ones included (in
    /// [`Mode::Sse`], an event with these bytes as its data).
    Frame(Bytes),
    /// A trailers frame (an event stream has none: skipped there).
    Trailers,
    /// The stream fails: an error event, if the response has
    /// `error_event`, and its end (a raw body: an error frame).
    Fail,
    /// The stream panics.
    Panic,
    /// The stream ends.
    End,
    /// Events (or frames) of this many bytes, ready without end: a client
    /// that stops reading is sure to fill its socket.
    Flood(usize),
}

/// The bytes of the `n`th event's data (or frame) of `len` bytes: its number
/// then letters that depend on it, so that a byte out of place shows.
pub fn payload(n: u64, len: usize) -> String {
    let head = format!("{n}:");
    let letters = (0..).map(|i: u64| char::from(b'a' + ((n + i) % 26) as u8));
    head.chars().chain(letters).take(len).collect()
}

/// How `/stream` answers.
#[derive(Debug, Clone)]
pub enum Mode {
    /// An [`SseResponse`] over the driven items.
    Sse(SseOptions),
    /// A `200` `text/event-stream` response whose body is the driven items as
    /// raw frames (not an `SseResponse`: what a handler may return as well).
    Raw,
}

/// The settings of the driven event stream.
#[derive(Debug, Clone)]
pub struct SseOptions {
    /// `retry:` first, instead of the opening comment.
    pub retry: Option<Duration>,
    /// The line ending of every line.
    pub line_ending: LineEnding,
    /// An `error` event last when the stream fails.
    pub error_event: bool,
    /// An `on_shutdown` farewell (two events).
    pub farewell: bool,
    /// The send timeout (`None`: off).
    pub send_timeout: Option<Duration>,
}

/// How one stream ended, as the server saw it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Ended {
    /// `/stream` or `/finite`.
    pub route: &'static str,
    /// The disconnect reason; for a raw body, `raw: ended` (it gave its
    /// end) or `raw: dropped` (dropped before).
    pub reason: String,
    /// Events written (`StreamStats::events`); frames given, for a raw body.
    pub events: u64,
    /// Bytes handed to the connection (`StreamStats::bytes`); for a raw
    /// body, bytes of the frames given.
    pub bytes: u64,
    /// The last id written.
    pub last_id: Option<String>,
}

/// The test's side of a driven app.
pub struct Driven {
    /// Where the stream's runs go.
    pub commands: Commands,
    /// How the streams ended.
    pub ends: Ends,
}

/// The runs sent to the driven stream, and what it has taken of them.
#[derive(Clone, Default)]
pub struct Commands(Arc<Mutex<Runs>>);

#[derive(Default)]
struct Runs {
    waiting: VecDeque<Vec<Item>>,
    waker: Option<Waker>,
    /// Items the stream has taken (a flood counts once).
    taken: u64,
    sent: u64,
}

impl Commands {
    /// Sends a run of items, ready together.
    pub fn send(&self, run: Vec<Item>) {
        let mut runs = self.lock();
        runs.sent += run.len() as u64;
        runs.waiting.push_back(run);
        if let Some(waker) = runs.waker.take() {
            waker.wake();
        }
    }

    /// Whether the stream has taken every item sent.
    pub fn all_taken(&self) -> bool {
        let runs = self.lock();
        runs.taken == runs.sent
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Runs> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The streams a server started (polled once at least) and how each ended.
pub struct Ends {
    started: watch::Receiver<usize>,
    reports: mpsc::UnboundedReceiver<Ended>,
    seen: Vec<Ended>,
}

impl Ends {
    /// Waits until `route`'s stream has ended (within `PATIENCE`); how.
    pub async fn of(&mut self, route: &str) -> Result<Ended, String> {
        loop {
            if let Some(ended) = self.seen.iter().find(|ended| ended.route == route) {
                return Ok(ended.clone());
            }
            self.next().await?;
        }
    }

    /// Waits until `/stream`'s stream has started: its body was polled.
    pub async fn started(&mut self) -> Result<(), String> {
        match tokio::time::timeout(PATIENCE, self.started.wait_for(|&n| n > 0)).await {
            Ok(Ok(_)) => Ok(()),
            _ => Err(format!("waited {PATIENCE:?} for the stream to start")),
        }
    }

    /// Waits until every stream started has ended (within `PATIENCE`); how
    /// each did, in order.
    pub async fn all(&mut self) -> Result<Vec<Ended>, String> {
        while self.seen.len() < *self.started.borrow() {
            self.next().await?;
        }
        let mut all = self.seen.clone();
        all.sort();
        Ok(all)
    }

    async fn next(&mut self) -> Result<(), String> {
        match tokio::time::timeout(PATIENCE, self.reports.recv()).await {
            Ok(Some(ended)) => {
                self.seen.push(ended);
                Ok(())
            }
            Ok(None) => Err("the app is gone".into()),
            Err(_) => Err(format!(
                "waited {PATIENCE:?} for a stream to end; {} started, ended: {:?}",
                *self.started.borrow(),
                self.seen
            )),
        }
    }
}

/// The app: `/stream` answers as `mode` says, its first poll giving `first`.
pub fn app(mode: Mode, first: Vec<Item>) -> (Router, Driven) {
    let commands = Commands::default();
    let (started, started_rx) = watch::channel(0);
    let (report, reports) = mpsc::unbounded_channel();
    let reporter = Reporter {
        started: Arc::new(started),
        report,
    };
    let source = Arc::new(Mutex::new(Some(Source::new(commands.clone(), first))));
    let stream = {
        let reporter = reporter.clone();
        move |shutdown: Shutdown| {
            let taken = source.lock().unwrap_or_else(|p| p.into_inner()).take();
            let Some(source) = taken else {
                return (http::StatusCode::CONFLICT, "one stream per app").into_response();
            };
            match &mode {
                Mode::Sse(options) => sse(source, options, shutdown, reporter.clone()),
                Mode::Raw => raw(source, reporter.clone()),
            }
        }
    };
    let finite = move |shutdown: Shutdown| {
        let events = (1..=3).map(|n| Item::Event(Event::data(format!("finite {n}"))));
        let mut source = Source::new(Commands::default(), events.chain([Item::End]).collect());
        source.pause_after_run = false;
        reporter
            .clone()
            .event_stream(source, "/finite")
            .shutdown(shutdown)
            .keep_alive(KeepAlive::disabled())
            .into_response()
    };
    let router = Router::new()
        .route(
            "/stream",
            get(move |shutdown| std::future::ready(stream(shutdown))),
        )
        .route(
            "/finite",
            get(move |shutdown| std::future::ready(finite(shutdown))),
        )
        .route("/json", get(|| async { axum::Json([1, 2, 3]) }))
        .route("/bye", get(|| async { "bye" }));
    let ends = Ends {
        started: started_rx,
        reports,
        seen: Vec::new(),
    };
    (router, Driven { commands, ends })
}

fn sse(
    source: Source,
    options: &SseOptions,
    shutdown: Shutdown,
    reporter: Reporter,
) -> axum::response::Response {
    let mut response = reporter
        .event_stream(source, "/stream")
        .keep_alive(KeepAlive::disabled())
        .line_ending(options.line_ending)
        .shutdown(shutdown)
        .send_timeout(options.send_timeout.unwrap_or(Duration::ZERO));
    if let Some(retry) = options.retry {
        response = response.retry(retry);
    }
    if options.error_event {
        response = response.error_event(|_| {
            Some(
                Event::data("internal error")
                    .event("error")
                    .expect("a valid name"),
            )
        });
    }
    if options.farewell {
        response = response.on_shutdown(|| async {
            vec![
                Event::data("restarting")
                    .event("shutdown")
                    .expect("a valid name"),
                Event::data("bye").id("farewell").expect("a valid id"),
            ]
        });
    }
    response.into_response()
}

fn raw(source: Source, reporter: Reporter) -> axum::response::Response {
    let body = RawFrames {
        source,
        started: Some(reporter.started.clone()),
        reporter,
        frames: 0,
        bytes: 0,
        ended: false,
    };
    (
        [(header::CONTENT_TYPE, "text/event-stream")],
        axum::body::Body::new(body),
    )
        .into_response()
}

/// Counts the streams started and reports how each ended.
#[derive(Clone)]
struct Reporter {
    started: Arc<watch::Sender<usize>>,
    report: mpsc::UnboundedSender<Ended>,
}

impl Reporter {
    /// `source` as an event stream that counts itself started at its first
    /// poll, its response reporting its end.
    fn event_stream(self, source: Source, route: &'static str) -> SseResponse<DrivenEvents> {
        let events = DrivenEvents {
            source,
            started: Some(self.started.clone()),
        };
        let report = self.report;
        SseResponse::new(events).on_disconnect(move |end| {
            let _ = report.send(Ended {
                route,
                reason: end.reason.to_string(),
                events: end.stats.events,
                bytes: end.stats.bytes,
                last_id: end.stats.last_id,
            });
            std::future::ready(())
        })
    }
}

/// The items as they come: the runs, one after another, the stream pending
/// once after each (and at the first poll, without a first run).
struct Source {
    commands: Commands,
    ready: VecDeque<Item>,
    /// Pending once when `ready` runs out, then the next run.
    pause: bool,
    /// Whether a run ends with a pause (not for `/finite`, all ready).
    pause_after_run: bool,
    /// A flood's size and its next event's number.
    flood: Option<(usize, u64)>,
}

impl Source {
    fn new(commands: Commands, first: Vec<Item>) -> Self {
        Self {
            commands,
            ready: first.into(),
            pause: true,
            pause_after_run: true,
            flood: None,
        }
    }

    fn poll_item(&mut self, cx: &mut Context<'_>) -> Poll<Item> {
        if let Some((len, n)) = &mut self.flood {
            *n += 1;
            return Poll::Ready(Item::Frame(Bytes::from(payload(*n, *len))));
        }
        loop {
            if let Some(item) = self.ready.pop_front() {
                self.commands.lock().taken += 1;
                if let Item::Flood(len) = item {
                    self.flood = Some((len, 0));
                    return self.poll_item(cx);
                }
                return Poll::Ready(item);
            }
            if std::mem::take(&mut self.pause) && self.pause_after_run {
                cx.waker().wake_by_ref();
                return Poll::Pending;
            }
            let mut runs = self.commands.lock();
            match runs.waiting.pop_front() {
                Some(run) => {
                    self.ready = run.into();
                    self.pause = true;
                }
                None => {
                    runs.waker = Some(cx.waker().clone());
                    return Poll::Pending;
                }
            }
        }
    }
}

/// The driven items as an event stream.
struct DrivenEvents {
    source: Source,
    /// Counted as started at the first poll, then `None`.
    started: Option<Arc<watch::Sender<usize>>>,
}

impl EventStream for DrivenEvents {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        writer: &mut EventWriter,
    ) -> Poll<Option<Result<usize, BoxError>>> {
        if let Some(started) = self.started.take() {
            started.send_modify(|n| *n += 1);
        }
        loop {
            let event = match std::task::ready!(self.source.poll_item(cx)) {
                Item::Event(event) => event,
                Item::Frame(bytes) => Event::data(String::from_utf8_lossy(&bytes).into_owned()),
                Item::Trailers => continue,
                Item::Fail => return Poll::Ready(Some(Err("a failure the test planned".into()))),
                Item::Panic => panic!("{PLANNED_PANIC}"),
                Item::End => return Poll::Ready(None),
                Item::Flood(_) => unreachable!("a flood gives frames"),
            };
            return Poll::Ready(Some(writer.write(&event).map(|()| 1).map_err(Into::into)));
        }
    }
}

/// The driven items as a raw body: frames as they are, reported when
/// dropped if it was polled.
struct RawFrames {
    source: Source,
    /// Counted as started at the first poll, then `None`.
    started: Option<Arc<watch::Sender<usize>>>,
    reporter: Reporter,
    frames: u64,
    bytes: u64,
    ended: bool,
}

impl hyper::body::Body for RawFrames {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        if let Some(started) = self.started.take() {
            started.send_modify(|n| *n += 1);
        }
        let bytes = match std::task::ready!(self.source.poll_item(cx)) {
            Item::Event(event) => {
                let mut bytes = Vec::new();
                event.encode_to_vec(LineEnding::Lf, &mut bytes);
                Bytes::from(bytes)
            }
            Item::Frame(bytes) => bytes,
            Item::Trailers => {
                let mut trailers = HeaderMap::new();
                trailers.insert("x-trailer", HeaderValue::from_static("1"));
                return Poll::Ready(Some(Ok(Frame::trailers(trailers))));
            }
            Item::Fail => {
                return Poll::Ready(Some(Err(std::io::Error::other(
                    "a failure the test planned",
                ))));
            }
            Item::Panic => panic!("{PLANNED_PANIC}"),
            Item::End => {
                self.ended = true;
                return Poll::Ready(None);
            }
            Item::Flood(_) => unreachable!("a flood gives frames"),
        };
        self.frames += 1;
        self.bytes += bytes.len() as u64;
        Poll::Ready(Some(Ok(Frame::data(bytes))))
    }

    fn is_end_stream(&self) -> bool {
        false
    }
}

impl Drop for RawFrames {
    fn drop(&mut self) {
        if self.started.is_some() {
            return;
        }
        let reason = if self.ended {
            "raw: ended"
        } else {
            "raw: dropped"
        };
        let _ = self.reporter.report.send(Ended {
            route: "/stream",
            reason: reason.into(),
            events: self.frames,
            bytes: self.bytes,
            last_id: None,
        });
    }
}

/// Keeps planned panics (a driven stream's [`Item::Panic`]) off stderr;
/// every other panic is reported as usual.
pub fn quiet_planned_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let planned = info
                .payload()
                .downcast_ref::<String>()
                .is_some_and(|message| message == PLANNED_PANIC);
            if !planned {
                default(info);
            }
        }));
    });
}
