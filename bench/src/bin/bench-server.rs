//! The server side of the benchmark: the same scenarios, written three ways.
//!
//! `bench-server RESPONSES SERVER` serves, on a free loopback port, the
//! RESPONSES (`axum`, `runtime`, `macro`, or `one-event-per-frame`: the
//! runtime's with a stream that is pending after every event) with the
//! SERVER (`axum-serve`, `our-serve`, `our-serve-lean` with lean streams,
//! or `our-serve-h2` with cleartext HTTP/2):
//! - `GET /firehose?n=N`: N small JSON events as fast as possible, then the end;
//! - `GET /idle`: one event, then only keep-alive;
//! - `GET /fanout`: every message published with `GET /publish`;
//! - `GET /slow`: an event every `sse_bench::SLOW_EVERY`, forever;
//! - `GET /stats`: how many streams are open (for disconnect timing).
//!
//! It prints `READY <port>` once listening, and on SIGTERM shuts down as a
//! user of each would write it: `with_graceful_shutdown` for axum `Sse` under
//! `axum::serve`; our `Shutdown` (`sse_bench::GRACE_PERIOD`) everywhere else, under
//! `axum::serve` with the set-up our docs give for it.

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::extract::{Query, State};
use axum::response::sse::{Event as AxumEvent, KeepAlive as AxumKeepAlive, Sse};
use axum::routing::get;
use futures_util::Stream;
use serde::Deserialize;
use sse_bench::{SLOW_EVERY, Tick};
use sse_runtime::hub::{Hub, HubConfig, HubError};
use sse_runtime::{Event, Json, KeepAlive, Shutdown, SseResponse, sse_endpoint};
use tokio::sync::broadcast;

#[derive(Deserialize)]
struct Count {
    n: u64,
}

/// Shared by every implementation.
#[derive(Clone)]
struct Bench {
    fanout: broadcast::Sender<Arc<str>>,
    open: Arc<AtomicUsize>,
    /// In memory, or in Redis when `REDIS_URL` is set.
    hub: Hub,
}

/// Counts an open stream while alive (dropped with the generator).
struct Open(Arc<AtomicUsize>);

impl Open {
    fn new(open: &Arc<AtomicUsize>) -> Self {
        open.fetch_add(1, Ordering::SeqCst);
        Self(open.clone())
    }
}

impl Drop for Open {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

fn now_micros() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_micros() as u64
}

async fn publish(State(bench): State<Bench>) -> String {
    // The payload is the send time, so clients measure delivery latency.
    let message: Arc<str> = now_micros().to_string().into();
    bench.fanout.send(message).unwrap_or(0).to_string()
}

/// Publishes the send time to the hub topic `bench`.
async fn hub_publish(State(bench): State<Bench>) -> String {
    let event = Event::data(now_micros().to_string());
    match bench.hub.publish("bench", &event).await {
        Ok(id) => id.to_string(),
        Err(error) => format!("error: {error}"),
    }
}

/// Follows the hub topic `bench`.
#[sse_endpoint]
async fn hub_fanout(State(bench): State<Bench>) -> Result<(), HubError> {
    let mut messages = bench.hub.subscribe("bench", None).await?;
    let _open = Open::new(&bench.open);
    yield_!(Event::new().comment("subscribed"));
    while let Some(message) = messages.next().await {
        yield_!(message);
    }
    Ok(())
}

/// Follows the hub topic the client names: a topic per request, as a room
/// server does.
#[sse_endpoint]
async fn hub_room(
    State(bench): State<Bench>,
    axum::extract::Path(room): axum::extract::Path<String>,
) -> Result<(), HubError> {
    let mut messages = bench.hub.subscribe(&room, None).await?;
    yield_!(Event::new().comment("subscribed"));
    while let Some(message) = messages.next().await {
        yield_!(message);
    }
    Ok(())
}

/// How many topics the hub holds.
async fn hub_topics(State(bench): State<Bench>) -> String {
    bench.hub.topic_count().to_string()
}

async fn stats(State(bench): State<Bench>) -> String {
    bench.open.load(Ordering::SeqCst).to_string()
}

// ---- hand-written axum `Sse` + async-stream: the baseline ----

mod axum_sse {
    use super::*;

    use axum::response::{IntoResponse, Response};

    type Events = Response;

    fn sse(stream: impl Stream<Item = Result<AxumEvent, Infallible>> + Send + 'static) -> Events {
        Sse::new(stream)
            .keep_alive(AxumKeepAlive::default())
            .into_response()
    }

    pub(super) async fn firehose(Query(Count { n }): Query<Count>) -> Events {
        sse(async_stream::stream! {
            for n in 0..n {
                yield Ok(AxumEvent::default().json_data(Tick { n, name: "tick" }).unwrap());
            }
        })
    }

    pub(super) async fn idle(State(bench): State<Bench>) -> Events {
        sse(async_stream::stream! {
            let _open = Open::new(&bench.open);
            yield Ok(AxumEvent::default().data("hello"));
            std::future::pending::<()>().await;
        })
    }

    pub(super) async fn fanout(State(bench): State<Bench>) -> Events {
        let mut messages = bench.fanout.subscribe();
        sse(async_stream::stream! {
            let _open = Open::new(&bench.open);
            yield Ok(AxumEvent::default().comment("subscribed"));
            while let Ok(message) = messages.recv().await {
                yield Ok(AxumEvent::default().data(&*message));
            }
        })
    }

    pub(super) async fn slow(State(bench): State<Bench>) -> Events {
        sse(async_stream::stream! {
            let _open = Open::new(&bench.open);
            for n in 0u64.. {
                yield Ok(AxumEvent::default().json_data(Tick { n, name: "tick" }).unwrap());
                tokio::time::sleep(SLOW_EVERY).await;
            }
        })
    }
}

// ---- sse-runtime used by hand ----

mod runtime {
    use super::*;

    pub(super) async fn firehose(
        Query(Count { n }): Query<Count>,
    ) -> SseResponse<impl Stream<Item = Json<Tick>>> {
        SseResponse::new(futures_util::stream::iter(
            (0..n).map(|n| Json(Tick { n, name: "tick" })),
        ))
    }

    pub(super) async fn idle(
        State(bench): State<Bench>,
        shutdown: Shutdown,
    ) -> SseResponse<impl Stream<Item = Event>> {
        SseResponse::new(async_stream::stream! {
            let _open = Open::new(&bench.open);
            yield Event::data("hello");
            std::future::pending::<()>().await;
        })
        .keep_alive(KeepAlive::default())
        .shutdown(shutdown)
    }

    pub(super) async fn fanout(
        State(bench): State<Bench>,
        shutdown: Shutdown,
    ) -> SseResponse<impl Stream<Item = Event>> {
        let mut messages = bench.fanout.subscribe();
        SseResponse::new(async_stream::stream! {
            let _open = Open::new(&bench.open);
            yield Event::new().comment("subscribed");
            while let Ok(message) = messages.recv().await {
                yield Event::data(message.to_string());
            }
        })
        .shutdown(shutdown)
    }

    pub(super) async fn slow(
        State(bench): State<Bench>,
        shutdown: Shutdown,
    ) -> SseResponse<impl Stream<Item = Json<Tick>>> {
        SseResponse::new(async_stream::stream! {
            let _open = Open::new(&bench.open);
            for n in 0u64.. {
                yield Json(Tick { n, name: "tick" });
                tokio::time::sleep(SLOW_EVERY).await;
            }
        })
        .shutdown(shutdown)
    }
}

// ---- sse-runtime, one event per frame ----

mod one_event_per_frame {
    use super::*;

    use std::pin::Pin;
    use std::task::{Context, Poll};

    /// A stream that is pending (and wakes itself at once) after each item,
    /// so the response never finds two events ready in one poll.
    pub(super) struct OnePerPoll<S> {
        inner: S,
        pause: bool,
    }

    impl<S: Stream + Unpin> Stream for OnePerPoll<S> {
        type Item = S::Item;

        fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<S::Item>> {
            if std::mem::take(&mut self.pause) {
                cx.waker().wake_by_ref();
                return Poll::Pending;
            }
            let next = Pin::new(&mut self.inner).poll_next(cx);
            self.pause = matches!(next, Poll::Ready(Some(_)));
            next
        }
    }

    pub(super) async fn firehose(
        Query(Count { n }): Query<Count>,
    ) -> SseResponse<impl Stream<Item = Json<Tick>>> {
        SseResponse::new(OnePerPoll {
            inner: futures_util::stream::iter((0..n).map(|n| Json(Tick { n, name: "tick" }))),
            pause: false,
        })
    }
}

// ---- #[sse_endpoint] ----

mod macros {
    use super::*;

    #[sse_endpoint]
    pub(super) async fn firehose(Query(Count { n }): Query<Count>) {
        for n in 0..n {
            yield_!(Tick { n, name: "tick" });
        }
    }

    #[sse_endpoint]
    pub(super) async fn idle(State(bench): State<Bench>) {
        let _open = Open::new(&bench.open);
        yield_!("hello");
        std::future::pending::<()>().await;
    }

    #[sse_endpoint]
    pub(super) async fn fanout(State(bench): State<Bench>) {
        let mut messages = bench.fanout.subscribe();
        let _open = Open::new(&bench.open);
        yield_!(Event::new().comment("subscribed"));
        while let Ok(message) = messages.recv().await {
            yield_!(&*message);
        }
    }

    #[sse_endpoint]
    pub(super) async fn slow(State(bench): State<Bench>) {
        let _open = Open::new(&bench.open);
        for n in 0u64.. {
            yield_!(Tick { n, name: "tick" });
            tokio::time::sleep(SLOW_EVERY).await;
        }
    }
}

/// Chat-shaped JSON events (the same keys every time, short text), for the
/// compression rows: `?n=` events, `?every_us=` apart (0: as fast as they
/// are taken), each stamped with the time it was made.
mod chat {
    use super::*;
    use serde::Serialize;

    #[derive(Deserialize)]
    pub(super) struct Chat {
        n: u64,
        #[serde(default)]
        every_us: u64,
    }

    #[derive(Serialize)]
    struct Author {
        name: &'static str,
        avatar: String,
    }

    #[derive(Serialize)]
    struct Message {
        r#type: &'static str,
        room: &'static str,
        id: String,
        author: Author,
        text: String,
        /// Microseconds since the epoch when the event was made.
        sent_at: u64,
    }

    fn message(n: u64) -> Event {
        const NAMES: [&str; 5] = ["ada", "grace", "linus", "barbara", "ken"];
        const TEXTS: [&str; 5] = ["hi", "how are you?", "fine", "see the PR", "lgtm"];
        let name = NAMES[n as usize % NAMES.len()];
        let message = Message {
            r#type: "message",
            room: "general",
            id: format!("msg-{n:05}"),
            author: Author {
                name,
                avatar: format!("/avatars/{name}.png"),
            },
            text: format!("message number {n}: {}", TEXTS[n as usize % TEXTS.len()]),
            sent_at: SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap_or_default()
                .as_micros() as u64,
        };
        Event::json(&message)
            .unwrap()
            .event("message")
            .unwrap()
            .id(n.to_string())
            .unwrap()
    }

    pub(super) async fn chat(
        Query(Chat { n, every_us }): Query<Chat>,
    ) -> SseResponse<impl Stream<Item = Event>> {
        SseResponse::new(async_stream::stream! {
            let mut interval = (every_us > 0)
                .then(|| tokio::time::interval(Duration::from_micros(every_us)));
            for n in 0..n {
                if let Some(interval) = interval.as_mut() {
                    interval.tick().await;
                }
                yield message(n);
            }
        })
    }
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    // Warnings and errors (RUST_LOG=warn from the harness) to stderr, so a
    // failed stream says why in the run's output.
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .init();
    let mut args = std::env::args().skip(1);
    let responses = args.next().unwrap_or_else(|| "runtime".into());
    let server = args.next().unwrap_or_else(|| "our-serve".into());
    let (fanout, _) = broadcast::channel(1024);
    let hub = match std::env::var("REDIS_URL") {
        Ok(url) => Hub::redis(&url, HubConfig::default())
            .await
            .map_err(|error| std::io::Error::other(error.to_string()))?,
        Err(_) => Hub::new(),
    };
    let bench = Bench {
        fanout,
        open: Arc::default(),
        hub,
    };
    let common = Router::new()
        .route("/publish", get(publish))
        .route("/stats", get(stats))
        .route("/hub/publish", get(hub_publish))
        .route("/hub/fanout", get(hub_fanout))
        .route("/hub/rooms/{room}", get(hub_room))
        .route("/hub/topics", get(hub_topics))
        // Compressed when the client asks (tower-http's layer, forced on for
        // event streams, as README.md sets it up).
        .route(
            "/chat",
            get(chat::chat).layer(
                tower_http::compression::CompressionLayer::new()
                    .compress_when(tower_http::compression::predicate::SizeAbove::new(0)),
            ),
        );
    let app = match responses.as_str() {
        "axum" => common
            .route("/firehose", get(axum_sse::firehose))
            .route("/idle", get(axum_sse::idle))
            .route("/fanout", get(axum_sse::fanout))
            .route("/slow", get(axum_sse::slow)),
        "runtime" => common
            .route("/firehose", get(runtime::firehose))
            .route("/idle", get(runtime::idle))
            .route("/fanout", get(runtime::fanout))
            .route("/slow", get(runtime::slow)),
        // Only the firehose differs; the rest are the runtime's.
        "one-event-per-frame" => common
            .route("/firehose", get(one_event_per_frame::firehose))
            .route("/idle", get(runtime::idle))
            .route("/fanout", get(runtime::fanout))
            .route("/slow", get(runtime::slow)),
        "macro" => common
            .route("/firehose", get(macros::firehose))
            .route("/idle", get(macros::idle))
            .route("/fanout", get(macros::fanout))
            .route("/slow", get(macros::slow)),
        other => {
            eprintln!(
                "unknown responses {other:?}: use axum, runtime, one-event-per-frame or macro"
            );
            std::process::exit(2);
        }
    }
    .with_state(bench);

    // The same backlog for every implementation (uvicorn's is set alike).
    let listener = sse_runtime::bind(([127, 0, 0, 1], 0).into()).await?;
    println!("READY {}", listener.local_addr()?.port());
    let shutdown = Shutdown::new().with_grace_period(sse_bench::GRACE_PERIOD);
    match (server.as_str(), responses.as_str()) {
        ("axum-serve", "axum") => {
            axum::serve(listener, app)
                .with_graceful_shutdown(sse_runtime::shutdown_signal())
                .await
        }
        // Our responses under plain `axum::serve`, as the docs set it up.
        ("axum-serve", _) => {
            axum::serve(
                sse_runtime::SseListener::new(listener, &shutdown),
                sse_runtime::make_service(app),
            )
            .with_graceful_shutdown(sse_runtime::shutdown_signal())
            .await
        }
        // Our server with every stream in hyper's connection to its end
        // (lean streams off), with its default lean streams, or with
        // cleartext HTTP/2.
        ("our-serve" | "our-serve-lean" | "our-serve-h2", _) => {
            tokio::spawn(shutdown.clone().trigger_on(sse_runtime::shutdown_signal()));
            sse_runtime::serve(listener, app)
                .lean_streams(server == "our-serve-lean")
                .http2(server == "our-serve-h2")
                .with_shutdown(shutdown)
                .await
        }
        (other, _) => {
            eprintln!(
                "unknown server {other:?}: use axum-serve, our-serve, our-serve-lean or our-serve-h2"
            );
            std::process::exit(2);
        }
    }
}
