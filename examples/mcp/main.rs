//! Run with: cargo run --example mcp
//!
//! A Model Context Protocol server over Streamable HTTP at `/mcp`, with one
//! tool, `countdown`, that reports progress at each step and then answers.
//! The official SDK clients connect to `http://127.0.0.1:8000/mcp`
//! (`interop/mcp_client.py`, `.mjs`). Every revision they negotiate works:
//!
//! - **2025-03-26 to 2025-11-25** (and 2024-11-05 over this transport):
//!   `initialize` opens a session (`Mcp-Session-Id`; `400` without it, `404`
//!   after it ended, `DELETE` ends it); the `MCP-Protocol-Version` header is
//!   checked (`400` for one this server does not speak); notifications and
//!   responses get `202`. A `tools/call` answers with an SSE stream of its
//!   progress notifications and its result. Each stream is a hub topic of
//!   its own (`sessions.rs`), so its event ids name it, and a `GET` with
//!   `Last-Event-ID` replays that stream only, then ends it with the result.
//!   From 2025-11-25 each stream starts with a priming event (an id, empty
//!   data) and `retry`, so the client can resume even if the server closes
//!   it early. A `GET` without `Last-Event-ID` opens the session's stream for
//!   server-initiated messages (a log line at each tool call).
//! - **2026-07-28**: each POST carries one self-contained request (the
//!   revision in `params._meta` and in headers, checked as the revision
//!   asks); `server/discover` instead of `initialize`, no session, no `GET`
//!   (`405`); a tool call streams its progress and result on the POST's
//!   response (`modern.rs`), and closing it cancels the call.
//!
//! Requests whose `Origin` is another site, or whose `Host` is not a
//! loopback name, get `403` (DNS-rebinding protection); the server binds to
//! 127.0.0.1.
//!
//! Tools (`tools.rs`): `countdown` and `echo`; `prompts/list` has none,
//! `resources/list` one, the counters of `GET /stats` (`catalog.rs`).
//!
//! `MCP_STEP_MS` sets the time per countdown step (default 100);
//! `MCP_CLOSE_AFTER=n` closes each stream after `n` events (2025-11-25
//! only, where the client resumes it: the server-side polling of SEP-1699);
//! `MCP_MAX_SESSIONS` caps the sessions at once (default 10,000; past it,
//! `initialize` ends the session idle longest);
//! `MCP_CONFORMANCE=1` adds the tools the official conformance suite calls
//! (`diagnostics.rs`; `interop/run` runs the suite).

mod call;
mod catalog;
#[path = "../common/mod.rs"]
mod common;
mod countdown;
mod diagnostics;
mod modern;
mod param_headers;
mod protocol;
mod sessions;
mod tools;

use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use futures_util::{Stream, StreamExt};
use serde_json::{Value, json};
use sse_runtime::hub::{Hub, HubConfig, HubError, Message as HubMessage, Resume, TopicEventId};
use sse_runtime::origin::OriginCheck;
use sse_runtime::{Disconnect, Event, LAST_EVENT_ID, SseResponse};

use crate::call::{Call, Era, Output};
use crate::protocol::{
    METHOD_NOT_FOUND, MODERN_VERSIONS, Message, PRIMING_FROM, RpcError, negotiate, notification,
    result,
};
use crate::sessions::{Session, Sessions};
use crate::tools::Toolbox;

pub(crate) const MCP_SESSION_ID: HeaderName = HeaderName::from_static("mcp-session-id");
pub(crate) const MCP_PROTOCOL_VERSION: HeaderName = HeaderName::from_static("mcp-protocol-version");

#[derive(Clone)]
struct App {
    hub: Hub,
    sessions: Arc<Sessions>,
    toolbox: Toolbox,
    close_after: Option<usize>,
    /// The newest revision this server speaks (`MCP_NEWEST`; default the
    /// newest there is), to try the clients on older ones.
    newest: &'static str,
}

/// How long a client waits before resuming a stream the server closed.
const RETRY: Duration = Duration::from_millis(200);

impl App {
    fn from_env() -> Self {
        let number = |name: &str| std::env::var(name).ok().and_then(|v| v.parse::<u64>().ok());
        // A topic per stream, its id naming it; kept for clients to resume.
        let hub = Hub::with_config(HubConfig {
            topic_in_ids: true,
            replay_for: Some(sessions::STREAM_WINDOW),
            ..HubConfig::default()
        });
        let sessions = Arc::new(Sessions::new(
            hub.clone(),
            number("MCP_MAX_SESSIONS").map_or(sessions::MAX_SESSIONS, |n| n as usize),
        ));
        Sessions::sweep(&sessions);
        Self {
            hub,
            sessions,
            toolbox: Toolbox {
                step: Duration::from_millis(number("MCP_STEP_MS").unwrap_or(100)),
                conformance: std::env::var("MCP_CONFORMANCE").is_ok_and(|on| on == "1"),
            },
            close_after: number("MCP_CLOSE_AFTER").map(|n| n as usize),
            newest: match std::env::var("MCP_NEWEST") {
                Ok(newest) => protocol::known(&newest)
                    .unwrap_or_else(|| panic!("MCP_NEWEST={newest} is not a revision")),
                Err(_) => protocol::all_versions().last().expect("revisions"),
            },
        }
    }
}

/// `400`/`406`/`415` and the like, with a JSON-RPC error body.
fn refuse(status: StatusCode, message: &str) -> RpcError {
    RpcError::transport(status, message)
}

/// Whether `Accept` lists every one of `types` (or `*/*`).
fn accepts(headers: &HeaderMap, types: &[&str]) -> bool {
    let listed: Vec<String> = headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(|item| {
            item.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .collect();
    let any = listed.iter().any(|item| item == "*/*");
    types
        .iter()
        .all(|wanted| any || listed.iter().any(|item| item == wanted))
}

fn header_str<'a>(headers: &'a HeaderMap, name: &HeaderName) -> Option<&'a str> {
    headers.get(name).and_then(|value| value.to_str().ok())
}

/// The handshake era's `MCP-Protocol-Version` rule: absent means
/// 2025-03-26 (the revision before the header); present, it must be a
/// handshake revision this server speaks. Not necessarily the session's:
/// the official SDKs accept any they support, and a client may send an
/// older one on some requests (the conformance suite does).
fn check_version_header(app: &App, headers: &HeaderMap) -> Result<(), RpcError> {
    let mut values = headers.get_all(&MCP_PROTOCOL_VERSION).iter();
    let value = match (values.next(), values.next()) {
        (None, _) => return Ok(()),
        (Some(value), None) => value,
        (Some(_), Some(_)) => {
            return Err(refuse(
                StatusCode::BAD_REQUEST,
                "MCP-Protocol-Version is sent more than once",
            ));
        }
    };
    let spoken = protocol::handshake_versions_up_to(app.newest);
    if spoken
        .iter()
        .any(|version| value.as_bytes() == version.as_bytes())
    {
        return Ok(());
    }
    Err(refuse(
        StatusCode::BAD_REQUEST,
        &format!(
            "MCP-Protocol-Version is not a revision this server speaks after `initialize`: {}",
            spoken.join(", ")
        ),
    ))
}

fn primes(version: &str) -> bool {
    protocol::at_least(version, PRIMING_FROM)
}

fn hub_failure(error: HubError) -> RpcError {
    // A warning: the hub being full is load, not a fault of the server.
    tracing::warn!(%error, "the hub refused a stream");
    refuse(
        StatusCode::SERVICE_UNAVAILABLE,
        "the server is busy; try again",
    )
}

async fn log_end(end: Disconnect) {
    tracing::info!(reason = %end.reason.as_str(), events = end.stats.events, "MCP stream ended");
}

async fn post_mcp(State(app): State<App>, headers: HeaderMap, body: Bytes) -> Response {
    handle_post(app, headers, body)
        .await
        .unwrap_or_else(IntoResponse::into_response)
}

async fn handle_post(app: App, headers: HeaderMap, body: Bytes) -> Result<Response, RpcError> {
    if !accepts(&headers, &["application/json", "text/event-stream"]) {
        return Err(refuse(
            StatusCode::NOT_ACCEPTABLE,
            "Accept must list both application/json and text/event-stream",
        ));
    }
    let json_body = header_str(&headers, &header::CONTENT_TYPE)
        .and_then(|value| value.split(';').next())
        .is_some_and(|media| media.trim().eq_ignore_ascii_case("application/json"));
    if !json_body {
        return Err(refuse(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Content-Type must be application/json",
        ));
    }
    let message = Message::parse(&body)?;
    if protocol::at_least(app.newest, MODERN_VERSIONS[0]) && modern::is_modern(&headers, &message) {
        return modern::handle(&app, &headers, message).await;
    }
    if let Message::Request { id, method, params } = &message
        && method == "initialize"
    {
        if headers.contains_key(&MCP_SESSION_ID) {
            return Err(RpcError::new(
                protocol::INVALID_REQUEST,
                "this session is initialized already",
            )
            .with_id(id));
        }
        return initialize(&app, id, params);
    }
    let session = app.sessions.get(header_str(&headers, &MCP_SESSION_ID))?;
    check_version_header(&app, &headers)?;
    let (id, method, params) = match message {
        Message::Notification { method, params } => {
            if method == "notifications/cancelled"
                && let Some(request) = params.get("requestId")
            {
                app.sessions.cancel(&session, request);
            }
            return Ok(StatusCode::ACCEPTED.into_response());
        }
        Message::Response => return Ok(StatusCode::ACCEPTED.into_response()),
        Message::Request { id, method, params } => (id, method, params),
    };
    let answer = match method.as_str() {
        "ping" => json!({}),
        "tools/call" => return call_tool(&app, session, &id, &params, &headers).await,
        other => match catalog::answer(&app.toolbox, Era::Handshake, other, &params, stats_json) {
            Some(answer) => answer.map_err(|error| error.with_id(&id).in_band())?,
            None => {
                return Err(
                    RpcError::new(METHOD_NOT_FOUND, format!("unknown method `{other}`"))
                        .with_id(&id)
                        .in_band(),
                );
            }
        },
    };
    Ok(Json(result(&id, answer)).into_response())
}

fn initialize(app: &App, id: &Value, params: &Value) -> Result<Response, RpcError> {
    let requested = params.get("protocolVersion").and_then(Value::as_str);
    let version = negotiate(requested, app.newest);
    let session = app.sessions.create(version);
    tracing::info!(session = %session.id, version, "MCP session opened");
    let answer = json!({
        "protocolVersion": version,
        "capabilities": catalog::capabilities(Era::Handshake),
        "serverInfo": { "name": "sse-runtime-mcp-example", "version": env!("CARGO_PKG_VERSION") },
    });
    let session_id = HeaderValue::from_str(&session.id).expect("hex is a header value");
    Ok(([(MCP_SESSION_ID, session_id)], Json(result(id, answer))).into_response())
}

/// A tool call: its progress and result are published to a topic of their
/// own by a task that outlives the connection, and the response streams
/// that topic; a client that was cut off resumes it with `GET`.
async fn call_tool(
    app: &App,
    session: Arc<Session>,
    id: &Value,
    params: &Value,
    headers: &HeaderMap,
) -> Result<Response, RpcError> {
    let call = app
        .toolbox
        .call(Era::Handshake, id, params, headers)
        .map_err(RpcError::in_band)?;
    let topic = session.new_stream().map_err(|error| error.with_id(id))?;
    // Subscribed before anything is published: the response misses nothing.
    let stream = app.hub.subscribe(&topic, None).await.map_err(hub_failure)?;
    let priming = primes(session.version);
    let close_after = match call.closes_early {
        // After the priming event, where there is one to resume from.
        true if priming => Some(1),
        _ => app.close_after,
    };
    let (hub, calls, call_topic) = (app.hub.clone(), session.clone(), topic.clone());
    session.spawn_call(id, &topic, async move {
        if let Err(error) = publish_call(&hub, &calls, &call_topic, call, priming).await {
            tracing::error!(%error, topic = call_topic, "a tool call could not publish");
        }
    })?;
    Ok(respond(stream, priming, close_after))
}

/// Publishes a call to its topic: the priming event, the progress
/// notifications, then the answer as the topic's last message, which ends
/// every stream of it, resumed ones included.
async fn publish_call(
    hub: &Hub,
    session: &Session,
    topic: &str,
    call: Call,
    priming: bool,
) -> Result<(), HubError> {
    if priming {
        hub.publish(topic, &Event::data("")).await?;
    }
    let log = json!({ "level": "info", "logger": "tools", "data": call.summary });
    let log = notification("notifications/message", log);
    hub.publish(&session.standalone_stream(), &Event::json(&log)?)
        .await?;
    let mut outputs = pin!(call.outputs);
    while let Some(output) = outputs.next().await {
        let event = Event::json(output.message())?;
        match output {
            Output::Progress(_) => hub.publish(topic, &event).await?,
            Output::Answer(_) => hub.publish_last(topic, &event).await?,
        };
    }
    Ok(())
}

/// A stream of a session's topic, with `retry` and early closing where the
/// revision has resumption built on them.
fn respond(
    stream: impl Stream<Item = HubMessage> + Send + 'static,
    priming: bool,
    close_after: Option<usize>,
) -> Response {
    let close_after = close_after.filter(|_| priming).unwrap_or(usize::MAX);
    let response = SseResponse::new(stream.take(close_after)).on_disconnect(log_end);
    match priming {
        true => response.retry(RETRY).into_response(),
        false => response.into_response(),
    }
}

/// `GET /mcp`: with `Last-Event-ID`, the rest of the stream that id names;
/// without, the session's stream for server-initiated messages.
async fn get_mcp(State(app): State<App>, headers: HeaderMap) -> Response {
    handle_get(app, headers)
        .await
        .unwrap_or_else(IntoResponse::into_response)
}

async fn handle_get(app: App, headers: HeaderMap) -> Result<Response, RpcError> {
    if protocol::at_least(app.newest, MODERN_VERSIONS[0]) && modern::names_modern_version(&headers)
    {
        return Err(refuse(
            StatusCode::METHOD_NOT_ALLOWED,
            "revision 2026-07-28 has no GET stream",
        ));
    }
    if !accepts(&headers, &["text/event-stream"]) {
        return Err(refuse(
            StatusCode::NOT_ACCEPTABLE,
            "Accept must list text/event-stream",
        ));
    }
    let session = app.sessions.get(header_str(&headers, &MCP_SESSION_ID))?;
    check_version_header(&app, &headers)?;
    let priming = primes(session.version);
    let Some(last) = headers.get(LAST_EVENT_ID) else {
        let topic = session.standalone_stream();
        let open = session.open_standalone()?;
        let stream = app.hub.subscribe(&topic, None).await.map_err(hub_failure)?;
        // Open for as long as the response streams.
        let stream = stream.map(move |message| {
            let _open = &open;
            message
        });
        if priming {
            app.hub
                .publish(&topic, &Event::data(""))
                .await
                .map_err(hub_failure)?;
        }
        return Ok(respond(stream, priming, None));
    };
    let last: TopicEventId = last
        .to_str()
        .ok()
        .and_then(|last| last.parse().ok())
        .filter(|last: &TopicEventId| session.owns(&last.topic))
        .ok_or_else(|| {
            refuse(
                StatusCode::BAD_REQUEST,
                "Last-Event-ID is not an event id of this session",
            )
        })?;
    let stream = app
        .hub
        .subscribe(&last.topic, Some(last.id))
        .await
        .map_err(hub_failure)?;
    if stream.resume() != Resume::Complete {
        return Err(refuse(
            StatusCode::NOT_FOUND,
            "the events after this id are no longer kept: call again",
        ));
    }
    STREAMS_RESUMED.fetch_add(1, Ordering::Relaxed);
    tracing::info!(session = %session.id, stream = last.topic, "MCP stream resumed");
    Ok(respond(stream, priming, app.close_after))
}

/// Streams resumed with `Last-Event-ID` so far (`GET /stats`).
static STREAMS_RESUMED: AtomicU64 = AtomicU64::new(0);

/// `GET /stats`: `{"steps_counted": n, "streams_resumed": n}`, for the
/// client checks (`interop/mcp_client.*`).
async fn stats() -> Json<Value> {
    Json(stats_json())
}

/// The counters, as `GET /stats` and the `countdown://stats` resource
/// give them.
fn stats_json() -> Value {
    json!({
        "steps_counted": countdown::STEPS_COUNTED.load(Ordering::Relaxed),
        "streams_resumed": STREAMS_RESUMED.load(Ordering::Relaxed),
    })
}

/// `DELETE /mcp`: ends the session and its tool calls.
async fn delete_mcp(State(app): State<App>, headers: HeaderMap) -> Response {
    let Some(id) = header_str(&headers, &MCP_SESSION_ID) else {
        return refuse(StatusCode::BAD_REQUEST, "missing Mcp-Session-Id header").into_response();
    };
    if app.sessions.remove(id) {
        tracing::info!(session = id, "MCP session ended by the client");
        StatusCode::NO_CONTENT.into_response()
    } else {
        refuse(StatusCode::NOT_FOUND, "session not found").into_response()
    }
}

fn app(state: App) -> Router {
    Router::new()
        .route("/mcp", post(post_mcp).get(get_mcp).delete(delete_mcp))
        .route("/stats", get(stats))
        .layer(OriginCheck::localhost())
        .with_state(state)
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    common::run(app(App::from_env()), "/mcp").await
}
