//! The server every interop client is checked against (`interop/run`, and
//! `tests/interop.rs` for the Rust clients).
//!
//! `GET /cases.json` lists each case: the path to stream and the events a
//! spec-following client must dispatch, so that every client checks the same
//! expectations. Behaviour cases (reconnection, `retry`, `Last-Event-ID`,
//! `204`, `close()`, CORS) have routes of their own, used by the clients that
//! expose that behaviour.
//!
//! Prints `READY <port> <cors port>`; the second port serves the same routes
//! behind a `CorsLayer` that allows the first as origin.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::response::{Html, IntoResponse, Json as JsonResponse, Response};
use axum::routing::get;
use futures_util::{StreamExt, stream};
use serde::Serialize;
use serde_json::{Value, json};
use sse_runtime::{
    Disconnect, Event, KeepAlive, LastEventId, LineEnding, Shutdown, SseResponse, sse_endpoint,
};
use tower_http::compression::CompressionLayer;
use tower_http::compression::predicate::SizeAbove;
use tower_http::cors::CorsLayer;

/// One event as a client should dispatch it.
#[derive(Serialize, Clone)]
struct Expected {
    r#type: &'static str,
    data: String,
    #[serde(rename = "lastEventId")]
    last_event_id: String,
}

fn expect(r#type: &'static str, data: &str, last_event_id: &str) -> Expected {
    Expected {
        r#type,
        data: data.to_owned(),
        last_event_id: last_event_id.to_owned(),
    }
}

/// A data case: what is sent, and what must be received.
struct Case {
    name: &'static str,
    what: &'static str,
    events: Vec<Event>,
    line_ending: LineEnding,
    expected: Vec<Expected>,
}

fn big_payload() -> String {
    (0..64 * 1024)
        .map(|i| (b'a' + (i % 26) as u8) as char)
        .collect()
}

fn cases() -> Vec<Case> {
    let ev = |data: &str| Event::data(data.to_owned());
    let lf = LineEnding::Lf;
    vec![
        Case {
            name: "unnamed",
            what: "an unnamed event is a `message`",
            events: vec![ev("hello")],
            line_ending: lf,
            expected: vec![expect("message", "hello", "")],
        },
        Case {
            name: "named",
            what: "`event:` sets the type",
            events: vec![ev("hi").event("greeting").unwrap()],
            line_ending: lf,
            expected: vec![expect("greeting", "hi", "")],
        },
        Case {
            name: "line-breaks",
            what: "LF, CR and CRLF in data each become one LF",
            events: vec![ev("a\nb"), ev("a\rb"), ev("a\r\nb")],
            line_ending: lf,
            expected: vec![
                expect("message", "a\nb", ""),
                expect("message", "a\nb", ""),
                expect("message", "a\nb", ""),
            ],
        },
        Case {
            name: "trailing-newline",
            what: "a trailing line break survives",
            events: vec![ev("x\n")],
            line_ending: lf,
            expected: vec![expect("message", "x\n", "")],
        },
        Case {
            name: "empty-data",
            what: "empty data still dispatches",
            events: vec![ev(""), ev("after")],
            line_ending: lf,
            expected: vec![expect("message", "", ""), expect("message", "after", "")],
        },
        Case {
            name: "leading-spaces",
            what: "only the one space after the colon is removed",
            events: vec![ev("  two spaces")],
            line_ending: lf,
            expected: vec![expect("message", "  two spaces", "")],
        },
        Case {
            name: "non-ascii",
            what: "UTF-8 text arrives intact",
            events: vec![ev("Zürich, São Paulo, 東京 🎉")],
            line_ending: lf,
            expected: vec![expect("message", "Zürich, São Paulo, 東京 🎉", "")],
        },
        Case {
            name: "64kib",
            what: "a 64 KiB payload arrives whole",
            events: vec![Event::data(big_payload())],
            line_ending: lf,
            expected: vec![expect("message", &big_payload(), "")],
        },
        Case {
            name: "json",
            what: "typed JSON equals what was sent",
            events: vec![Event::json(&json!({"n": 1, "city": "Zürich", "text": "a\nb"})).unwrap()],
            line_ending: lf,
            expected: vec![expect(
                "message",
                r#"{"city":"Zürich","n":1,"text":"a\nb"}"#,
                "",
            )],
        },
        Case {
            name: "id-persists",
            what: "an id stays the last event id until changed",
            events: vec![ev("a").id("1").unwrap(), ev("b")],
            line_ending: lf,
            expected: vec![expect("message", "a", "1"), expect("message", "b", "1")],
        },
        Case {
            name: "id-reset",
            what: "an empty id resets the last event id",
            events: vec![ev("a").id("7").unwrap(), ev("b").id("").unwrap()],
            line_ending: lf,
            expected: vec![expect("message", "a", "7"), expect("message", "b", "")],
        },
        Case {
            name: "comments",
            what: "comments are ignored",
            events: vec![Event::new().comment("just a comment"), ev("after comment")],
            line_ending: lf,
            expected: vec![expect("message", "after comment", "")],
        },
        Case {
            name: "crlf-separator",
            what: "lines ended by CRLF",
            events: vec![ev("one\ntwo"), ev("three").event("x").unwrap()],
            line_ending: LineEnding::CrLf,
            expected: vec![expect("message", "one\ntwo", ""), expect("x", "three", "")],
        },
        Case {
            name: "cr-separator",
            what: "lines ended by a lone CR",
            events: vec![ev("one\ntwo"), ev("three").event("x").unwrap()],
            line_ending: LineEnding::Cr,
            expected: vec![expect("message", "one\ntwo", ""), expect("x", "three", "")],
        },
    ]
}

#[derive(Clone, Default)]
struct Interop {
    /// Disconnect reasons by client tag, for the `close()` check.
    disconnects: Arc<Mutex<HashMap<String, String>>>,
    /// Connections per resume session, to count reconnects.
    connects: Arc<Mutex<HashMap<String, usize>>>,
    /// Bytes an idle stream sent, pings included, by client tag.
    idle_bytes: Arc<Mutex<HashMap<String, u64>>>,
    cors_origin: Arc<Mutex<String>>,
}

async fn case_list() -> JsonResponse<Value> {
    let list: Vec<Value> = cases()
        .into_iter()
        .map(|case| {
            json!({
                "name": case.name,
                "what": case.what,
                "path": format!("/cases/{}", case.name),
                "expected": case.expected,
            })
        })
        .collect();
    JsonResponse(json!({ "cases": list }))
}

/// Streams a case, then ends; a short `retry` so reconnecting clients do not
/// wait, and pings every 50 ms while it lasts, which every client must ignore.
async fn case(Path(name): Path<String>) -> Response {
    let Some(case) = cases().into_iter().find(|case| case.name == name) else {
        return (StatusCode::NOT_FOUND, "no such case").into_response();
    };
    let events = async_stream::stream! {
        for event in case.events {
            yield event;
            // Leave room for pings between events.
            tokio::time::sleep(Duration::from_millis(60)).await;
        }
    };
    SseResponse::new(events)
        .line_ending(case.line_ending)
        .keep_alive(KeepAlive::every(Duration::from_millis(50)).text("ping"))
        .retry(Duration::from_millis(100))
        .into_response()
}

/// `retry: 500`, one event, then the end: a browser reconnects 500 ms later.
async fn retry() -> impl IntoResponse {
    SseResponse::new(stream::iter([Event::data("before reconnect")]))
        .retry(Duration::from_millis(500))
}

/// Two events with sequential ids per connection, then the end; reconnecting
/// clients send `Last-Event-ID` and must continue without gap or duplicate.
#[sse_endpoint(id = sequential, retry = "100ms")]
async fn resume(
    Path(session): Path<String>,
    State(interop): State<Interop>,
    LastEventId(last): LastEventId<u64>,
) {
    *interop.connects.lock().unwrap().entry(session).or_default() += 1;
    let first = last.map_or(1, |id| id + 1);
    for n in first..first + 2 {
        yield_!(n);
    }
}

async fn connects(Path(session): Path<String>, State(interop): State<Interop>) -> String {
    interop
        .connects
        .lock()
        .unwrap()
        .get(&session)
        .copied()
        .unwrap_or(0)
        .to_string()
}

/// `204 No Content`: clients must stop reconnecting.
async fn no_content(Path(session): Path<String>, State(interop): State<Interop>) -> StatusCode {
    *interop.connects.lock().unwrap().entry(session).or_default() += 1;
    StatusCode::NO_CONTENT
}

/// Waits, then sends one event: `open` must fire before it.
async fn late() -> impl IntoResponse {
    let events = async_stream::stream! {
        tokio::time::sleep(Duration::from_millis(300)).await;
        yield Event::data("late");
    };
    SseResponse::new(events)
}

/// Streams until the client closes; records why the stream ended.
async fn until_closed(
    Path(tag): Path<String>,
    State(interop): State<Interop>,
) -> impl IntoResponse {
    let disconnects = interop.disconnects.clone();
    SseResponse::new(stream::iter([Event::data("open")]).chain(stream::pending())).on_disconnect(
        move |end: Disconnect| {
            disconnects
                .lock()
                .unwrap()
                .insert(tag.clone(), end.reason.to_string());
            std::future::ready(())
        },
    )
}

async fn disconnect_reason(Path(tag): Path<String>, State(interop): State<Interop>) -> String {
    interop
        .disconnects
        .lock()
        .unwrap()
        .get(&tag)
        .cloned()
        .unwrap_or_default()
}

/// Nothing for 1.5 s but a ping every `ping_ms` (0: no pings), then one
/// event: keep-alive keeps an idle connection open past a proxy's read
/// timeout, and clients ignore it.
async fn idle(ping_ms: Option<Path<u64>>) -> SseResponse<impl futures_util::Stream<Item = Event>> {
    let ping_ms = ping_ms.map_or(100, |Path(ms)| ms);
    let events = async_stream::stream! {
        tokio::time::sleep(Duration::from_millis(1500)).await;
        yield Event::data("still connected");
    };
    SseResponse::new(events).keep_alive(KeepAlive::every(Duration::from_millis(ping_ms)))
}

/// [`idle`] with pings every 100 ms, recording the bytes it sent (pings
/// included) when the client leaves: the browser's keep-alive check sees
/// that pings were sent, not only that the stream stayed open.
async fn idle_tagged(Path(tag): Path<String>, State(interop): State<Interop>) -> impl IntoResponse {
    let idle_bytes = interop.idle_bytes.clone();
    idle(Some(Path(100)))
        .await
        .on_disconnect(move |end: Disconnect| {
            idle_bytes
                .lock()
                .unwrap()
                .insert(tag.clone(), end.stats.bytes);
            std::future::ready(())
        })
}

async fn idle_bytes(Path(tag): Path<String>, State(interop): State<Interop>) -> String {
    interop
        .idle_bytes
        .lock()
        .unwrap()
        .get(&tag)
        .map(u64::to_string)
        .unwrap_or_default()
}

/// web-platform-tests `request-status-error`: these statuses make a browser
/// fire `error` and give up (readyState CLOSED), with no reconnect.
async fn status(
    Path((code, session)): Path<(u16, String)>,
    State(interop): State<Interop>,
) -> Response {
    *interop.connects.lock().unwrap().entry(session).or_default() += 1;
    let status = StatusCode::from_u16(code).unwrap_or(StatusCode::BAD_REQUEST);
    (status, "not a stream").into_response()
}

/// web-platform-tests `format-mime-*`: a bogus type fails the connection; a
/// trailing `;` or a charset parameter is accepted.
async fn mime(Path(kind): Path<String>) -> Response {
    let content_type = match kind.as_str() {
        "bogus" => "text/plain",
        "trailing-semicolon" => "text/event-stream;",
        "charset" => "text/event-stream; charset=utf-8",
        _ => return (StatusCode::NOT_FOUND, "no such MIME case").into_response(),
    };
    let mut response = SseResponse::new(stream::iter([Event::data("mime")])).into_response();
    response.headers_mut().insert(
        axum::http::header::CONTENT_TYPE,
        HeaderValue::from_static(content_type),
    );
    response
}

/// web-platform-tests `format-field-retry*` and `format-field-id-null`, as
/// raw bytes another server might send: a client must apply `retry:03000`
/// (leading zero, no space), ignore a bogus retry, and ignore an id with NUL.
async fn raw_fields() -> Response {
    let body = "retry:03000\nretry: 1x\nid: 9\ndata: first\n\nid: a\u{0}b\ndata: second\n\n";
    (
        [(axum::http::header::CONTENT_TYPE, "text/event-stream")],
        body,
    )
        .into_response()
}

async fn page() -> Html<&'static str> {
    Html("<!doctype html><meta charset=utf-8><title>interop</title><p>interop page</p>")
}

async fn cors_origin(State(interop): State<Interop>) -> String {
    interop.cors_origin.lock().unwrap().clone()
}

/// Three events, one held back 200 ms so that it leaves in a frame of its
/// own: compressed with one encoding only (`/compressed/gzip`, `br`, `zstd`),
/// the layer forced onto event streams.
async fn compressed() -> impl IntoResponse {
    let events = async_stream::stream! {
        yield Event::json(&json!({ "room": "general", "author": "ada", "text": "hi" })).unwrap();
        yield Event::data("line one\r\nline two").event("note").unwrap().id("2").unwrap();
        tokio::time::sleep(Duration::from_millis(200)).await;
        yield Event::json(&json!({ "room": "general", "author": "grace", "text": "hello" })).unwrap();
    };
    SseResponse::new(events)
}

/// The `Accept-Encoding` the client sent: which encodings a browser asks for.
async fn accept_encoding(headers: axum::http::HeaderMap) -> String {
    headers
        .get(axum::http::header::ACCEPT_ENCODING)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("")
        .to_owned()
}

fn compressed_with(encoding: &str) -> Router<Interop> {
    let layer = match encoding {
        "gzip" => CompressionLayer::new().no_br().no_zstd(),
        "br" => CompressionLayer::new().no_gzip().no_zstd(),
        _ => CompressionLayer::new().no_gzip().no_br(),
    };
    let layer = layer.compress_when(SizeAbove::new(0));
    Router::new().route(
        &format!("/compressed/{encoding}"),
        get(compressed).layer(layer),
    )
}

fn routes() -> Router<Interop> {
    Router::new()
        .route("/", get(page))
        .route("/cases.json", get(case_list))
        .route("/cases/{name}", get(case))
        .route("/retry", get(retry))
        .route("/resume/{session}", get(resume))
        .route("/connects/{session}", get(connects))
        .route("/no-content/{session}", get(no_content))
        .route("/late", get(late))
        .route("/until-closed/{tag}", get(until_closed))
        .route("/disconnect-reason/{tag}", get(disconnect_reason))
        .route("/idle/tagged/{tag}", get(idle_tagged))
        .route("/idle-bytes/{tag}", get(idle_bytes))
        .route("/idle", get(idle))
        .route("/idle/{ping_ms}", get(idle))
        .route("/cors-origin", get(cors_origin))
        .route("/wpt/status/{code}/{session}", get(status))
        .route("/wpt/mime/{kind}", get(mime))
        .route("/wpt/raw-fields", get(raw_fields))
        .route("/accept-encoding", get(accept_encoding))
        .merge(compressed_with("gzip"))
        .merge(compressed_with("br"))
        .merge(compressed_with("zstd"))
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .init();
    let port: u16 = std::env::var("PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    let interop = Interop::default();
    let main = sse_runtime::bind(([127, 0, 0, 1], port).into()).await?;
    let cors = sse_runtime::bind(([127, 0, 0, 1], 0).into()).await?;
    let origin = format!("http://127.0.0.1:{}", main.local_addr()?.port());
    *interop.cors_origin.lock().unwrap() = origin.clone();
    let cors_layer = CorsLayer::new()
        .allow_origin(HeaderValue::from_str(&origin).expect("an origin is a header value"))
        .allow_methods([Method::GET])
        .allow_credentials(true);
    println!(
        "READY {} {}",
        main.local_addr()?.port(),
        cors.local_addr()?.port()
    );

    let shutdown = Shutdown::new();
    tokio::spawn(shutdown.clone().trigger_on(sse_runtime::shutdown_signal()));
    let cors_app = routes().layer(cors_layer).with_state(interop.clone());
    // `serve`'s defaults: every client reads event streams that left hyper's
    // connection (lean streams; tests/lean_streams.rs shows hyper's path
    // sends the same bytes).
    let cors_server = sse_runtime::serve(cors, cors_app).with_shutdown(shutdown.clone());
    tokio::spawn(async move { cors_server.await });
    sse_runtime::serve(main, routes().with_state(interop))
        .with_shutdown(shutdown)
        .await
}
