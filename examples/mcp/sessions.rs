//! Handshake-era sessions: the id `initialize` hands out, the revision it
//! settled on, the streams opened under it, and the tool calls it runs.
//!
//! Every SSE stream of a session is a hub topic `<session>/<n>` (`0` is the
//! standalone `GET` stream); with the hub's `topic_in_ids`, each event id
//! is `<session>/<n>:<position>`, so a `GET` with `Last-Event-ID` names the
//! one stream it resumes, and nothing of another session's (nor a stream
//! of its own it never opened).
//!
//! Ending a session (`DELETE`, idle expiry, or evicted to make room) stops
//! its tool calls and ends every stream of it cleanly: a call's stream gets
//! a JSON-RPC error answering the call, the standalone stream just ends. A
//! call or `GET` that races the ending is refused (404), never left open.
//! One session cannot take the hub for itself: it may open at most
//! [`MAX_STREAMS_PER_WINDOW`] streams per resumption window (each stream's
//! topic is kept that long for resuming), and one standalone stream at a
//! time (409 for a second).

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use serde_json::{Value, json};
use sse_runtime::Event;
use sse_runtime::hub::Hub;
use tokio::task::AbortHandle;

use crate::protocol::{INVALID_REQUEST, RpcError};

/// Sessions at once, unless `MCP_MAX_SESSIONS` says otherwise: a new one
/// past this ends an idle session (see [`Sessions::create`]).
pub(crate) const MAX_SESSIONS: usize = 10_000;
/// A session nobody used for this long ends, its tool calls with it.
const IDLE: Duration = Duration::from_secs(30 * 60);
/// How often expired sessions are looked for.
const SWEEP_EVERY: Duration = Duration::from_secs(60);
/// Streams one session may open per [`STREAM_WINDOW`]: past it, 429.
pub(crate) const MAX_STREAMS_PER_WINDOW: usize = 1_000;
/// How long a stream's topic is kept for resuming (the hub's `replay_for`).
pub(crate) const STREAM_WINDOW: Duration = Duration::from_secs(300);
/// The JSON-RPC error code of a call whose session ended before it
/// answered (implementation-defined server error range).
const SESSION_ENDED: i64 = -32000;

pub(crate) struct Sessions {
    map: Mutex<HashMap<String, Arc<Session>>>,
    /// Where the streams of a session that ends get their last event.
    hub: Hub,
    max_sessions: usize,
}

pub(crate) struct Session {
    pub(crate) id: String,
    /// The revision `initialize` settled on.
    pub(crate) version: &'static str,
    streams: AtomicU64,
    /// When each stream of the last [`STREAM_WINDOW`] was opened.
    opened: Mutex<VecDeque<Instant>>,
    state: Mutex<State>,
    last_used: Mutex<Instant>,
}

/// What ending a session must see whole, under one lock: a call or a
/// standalone stream registers under it, or finds the session ended.
#[derive(Default)]
struct State {
    ended: bool,
    /// Running tool calls by request id (as JSON text), for
    /// `notifications/cancelled` and for ending the session.
    calls: HashMap<String, RunningCall>,
    /// Whether the standalone stream's topic exists (a `GET` opened it).
    standalone_topic: bool,
    /// Whether a standalone `GET` stream is open now.
    standalone_open: bool,
}

struct RunningCall {
    task: AbortHandle,
    request: Value,
    topic: String,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn session_ended() -> RpcError {
    RpcError::transport(
        StatusCode::NOT_FOUND,
        "session not found (it ended or expired): start a new one with `initialize`",
    )
}

impl Sessions {
    pub(crate) fn new(hub: Hub, max_sessions: usize) -> Self {
        Self {
            map: Mutex::default(),
            hub,
            max_sessions: max_sessions.max(1),
        }
    }

    /// Ends expired sessions every minute, for as long as `sessions` lives.
    pub(crate) fn sweep(sessions: &Arc<Self>) {
        let sessions = Arc::downgrade(sessions);
        tokio::spawn(async move {
            let mut every = tokio::time::interval(SWEEP_EVERY);
            loop {
                every.tick().await;
                let Some(sessions) = sessions.upgrade() else {
                    return;
                };
                sessions.end_expired(&mut lock(&sessions.map));
            }
        });
    }

    fn end_expired(&self, map: &mut HashMap<String, Arc<Session>>) {
        map.retain(|_, session| {
            let expired = session.idle_for() > IDLE;
            if expired {
                session.end(&self.hub);
            }
            !expired
        });
    }

    /// A new session. When there are `max_sessions`, the expired ones end,
    /// or else one idle session: of those running no call and holding no
    /// stream, the one idle longest (then of all, if every one is busy). A
    /// burst of `initialize` cannot lock every client out, and takes the
    /// sessions nobody is using first.
    pub(crate) fn create(&self, version: &'static str) -> Arc<Session> {
        let mut map = lock(&self.map);
        if map.len() >= self.max_sessions {
            self.end_expired(&mut map);
        }
        if map.len() >= self.max_sessions {
            let evicted = map
                .values()
                .max_by_key(|session| (!session.is_busy(), session.idle_for()))
                .map(|session| session.id.clone());
            if let Some(session) = evicted.and_then(|id| map.remove(&id)) {
                tracing::info!(session = %session.id, "MCP session evicted: the session table is full");
                session.end(&self.hub);
            }
        }
        let session = Arc::new(Session {
            id: crate::common::random_token(),
            version,
            streams: AtomicU64::new(1),
            opened: Mutex::default(),
            state: Mutex::default(),
            last_used: Mutex::new(Instant::now()),
        });
        map.insert(session.id.clone(), session.clone());
        session
    }

    /// The session `id` names: 404 once it ended (the client then starts a
    /// new one), 400 when the request names none.
    pub(crate) fn get(&self, id: Option<&str>) -> Result<Arc<Session>, RpcError> {
        let Some(id) = id else {
            return Err(RpcError::transport(
                StatusCode::BAD_REQUEST,
                "missing Mcp-Session-Id header: send `initialize` first",
            ));
        };
        let session = lock(&self.map).get(id).cloned();
        let session = session.filter(|session| session.idle_for() <= IDLE);
        let session = session.ok_or_else(session_ended)?;
        *lock(&session.last_used) = Instant::now();
        Ok(session)
    }

    /// Ends session `id`: `false` if there was none.
    pub(crate) fn remove(&self, id: &str) -> bool {
        let removed = lock(&self.map).remove(id);
        removed.map(|session| session.end(&self.hub)).is_some()
    }

    /// Stops the call `request` names and ends its stream (an empty event:
    /// a cancelled request gets no answer); `false` if none runs.
    pub(crate) fn cancel(&self, session: &Session, request: &Value) -> bool {
        let call = lock(&session.state).calls.remove(&request.to_string());
        let Some(call) = call else {
            return false;
        };
        call.task.abort();
        spawn_farewells(&self.hub, vec![(call.topic, Event::data(""))]);
        true
    }
}

impl Session {
    fn idle_for(&self) -> Duration {
        lock(&self.last_used).elapsed()
    }

    /// Whether it runs a call or holds a standalone stream.
    fn is_busy(&self) -> bool {
        let state = lock(&self.state);
        !state.calls.is_empty() || state.standalone_open
    }

    /// The topic of a new stream of this session; 429 past
    /// [`MAX_STREAMS_PER_WINDOW`] in the last [`STREAM_WINDOW`].
    pub(crate) fn new_stream(&self) -> Result<String, RpcError> {
        let now = Instant::now();
        let mut opened = lock(&self.opened);
        while opened
            .front()
            .is_some_and(|at| now.duration_since(*at) >= STREAM_WINDOW)
        {
            opened.pop_front();
        }
        if opened.len() >= MAX_STREAMS_PER_WINDOW {
            return Err(RpcError::transport(
                StatusCode::TOO_MANY_REQUESTS,
                format!(
                    "this session opened {MAX_STREAMS_PER_WINDOW} streams in the last {} s; \
                     wait for older ones to expire",
                    STREAM_WINDOW.as_secs()
                ),
            ));
        }
        opened.push_back(now);
        Ok(format!(
            "{}/{}",
            self.id,
            self.streams.fetch_add(1, Ordering::Relaxed)
        ))
    }

    /// The topic of its standalone `GET` stream.
    pub(crate) fn standalone_stream(&self) -> String {
        format!("{}/0", self.id)
    }

    /// Opens the standalone stream: 409 while another is open, 404 once the
    /// session ended. It counts as open until the guard drops (with the
    /// response's stream).
    pub(crate) fn open_standalone(self: &Arc<Self>) -> Result<StandaloneOpen, RpcError> {
        let mut state = lock(&self.state);
        if state.ended {
            return Err(session_ended());
        }
        if state.standalone_open {
            return Err(RpcError::transport(
                StatusCode::CONFLICT,
                "this session's GET stream is open already: one at a time",
            ));
        }
        state.standalone_open = true;
        state.standalone_topic = true;
        Ok(StandaloneOpen(self.clone()))
    }

    /// Whether `topic` is a stream this session opened.
    pub(crate) fn owns(&self, topic: &str) -> bool {
        let Some(n) = topic
            .strip_prefix(self.id.as_str())
            .and_then(|rest| rest.strip_prefix('/'))
            .filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|n| n.parse::<u64>().ok())
        else {
            return false;
        };
        match n {
            0 => lock(&self.state).standalone_topic,
            n => n < self.streams.load(Ordering::Relaxed),
        }
    }

    /// Runs the tool call `request`, whose stream is `topic`, as a task of
    /// its own (it outlives the connection), tracked until it ends so that
    /// it can be cancelled. Refused when a call with the same id runs (its
    /// cancellation would be ambiguous) or the session ended.
    pub(crate) fn spawn_call(
        self: &Arc<Self>,
        request: &Value,
        topic: &str,
        call: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), RpcError> {
        let (key, session) = (request.to_string(), self.clone());
        // Held across the spawn: the task's own removal, when it ends,
        // waits for the insertion, however quickly it ends.
        let mut state = lock(&self.state);
        if state.ended {
            return Err(session_ended());
        }
        if state.calls.contains_key(&key) {
            return Err(RpcError::new(
                INVALID_REQUEST,
                "a call with this request id is running in this session",
            )
            .with_id(request)
            .in_band());
        }
        let task = tokio::spawn({
            let key = key.clone();
            async move {
                call.await;
                lock(&session.state).calls.remove(&key);
            }
        });
        let running = RunningCall {
            task: task.abort_handle(),
            request: request.clone(),
            topic: topic.to_owned(),
        };
        state.calls.insert(key, running);
        Ok(())
    }

    /// Stops its calls and ends its streams: each running call's with an
    /// error answering it, the standalone one with an empty event (no
    /// message for the client; its id is one a resume gets 404 for).
    fn end(&self, hub: &Hub) {
        let mut farewells: Vec<(String, Event)> = Vec::new();
        let mut state = lock(&self.state);
        state.ended = true;
        for (_, call) in state.calls.drain() {
            call.task.abort();
            let error = json!({
                "jsonrpc": "2.0",
                "id": call.request,
                "error": { "code": SESSION_ENDED, "message": "the session ended before this call answered" },
            });
            match Event::json(&error) {
                Ok(event) => farewells.push((call.topic, event)),
                Err(error) => tracing::error!(%error, "a farewell could not be encoded"),
            }
        }
        if state.standalone_topic {
            farewells.push((self.standalone_stream(), Event::data("")));
        }
        drop(state);
        spawn_farewells(hub, farewells);
    }
}

/// Publishes each stream's last event, which ends every stream of it.
fn spawn_farewells(hub: &Hub, farewells: Vec<(String, Event)>) {
    if farewells.is_empty() {
        return;
    }
    let hub = hub.clone();
    tokio::spawn(async move {
        for (topic, event) in farewells {
            if let Err(error) = hub.publish_last(&topic, &event).await {
                tracing::warn!(%error, topic, "a stream could not be ended");
            }
        }
    });
}

/// A standalone stream counted as open; dropped with the response's stream.
pub(crate) struct StandaloneOpen(Arc<Session>);

impl Drop for StandaloneOpen {
    fn drop(&mut self) {
        lock(&self.0.state).standalone_open = false;
    }
}
