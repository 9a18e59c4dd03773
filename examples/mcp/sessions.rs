//! Handshake-era sessions: the id `initialize` hands out, the revision it
//! settled on, the streams opened under it, and the tool calls it runs.
//!
//! Every SSE stream of a session is a hub topic `<session>/<n>` (`0` is the
//! standalone `GET` stream); with the hub's `topic_in_ids`, each event id
//! is `<session>/<n>:<position>`, so a `GET` with `Last-Event-ID` names the
//! one stream it resumes, and nothing of another session's.
//!
//! Ending a session (`DELETE`, or evicted to make room) stops its tool
//! calls and ends every stream of it cleanly: a call's stream gets a
//! JSON-RPC error answering the call, the standalone stream just ends.
//! One session cannot take the hub for itself: it may open at most
//! [`MAX_STREAMS_PER_WINDOW`] streams per resumption window (each stream's
//! topic is kept that long for resuming).

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use serde_json::{Value, json};
use sse_runtime::Event;
use sse_runtime::hub::Hub;
use tokio::task::AbortHandle;

use crate::protocol::RpcError;

/// Sessions at once, unless `MCP_MAX_SESSIONS` says otherwise: a new one
/// past this ends the one idle longest.
pub(crate) const MAX_SESSIONS: usize = 10_000;
/// A session nobody used for this long ends, its tool calls with it.
const IDLE: Duration = Duration::from_secs(30 * 60);
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
    /// Whether the standalone `GET` stream's topic exists.
    standalone_opened: AtomicBool,
    /// Running tool calls by request id (as JSON text), for
    /// `notifications/cancelled` and for `DELETE`.
    calls: Mutex<HashMap<String, RunningCall>>,
    last_used: Mutex<Instant>,
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

impl Sessions {
    pub(crate) fn new(hub: Hub, max_sessions: usize) -> Self {
        Self {
            map: Mutex::default(),
            hub,
            max_sessions: max_sessions.max(1),
        }
    }

    /// A new session. When there are `max_sessions`, the expired ones
    /// end, or else the one idle longest: a burst of `initialize` cannot
    /// lock every client out until idle sessions expire.
    pub(crate) fn create(&self, version: &'static str) -> Arc<Session> {
        let mut map = lock(&self.map);
        if map.len() >= self.max_sessions {
            map.retain(|_, session| {
                let idle = session.idle_for() > IDLE;
                if idle {
                    session.end(&self.hub);
                }
                !idle
            });
        }
        if map.len() >= self.max_sessions {
            let oldest = map
                .values()
                .max_by_key(|session| session.idle_for())
                .map(|session| session.id.clone());
            if let Some(session) = oldest.and_then(|id| map.remove(&id)) {
                tracing::info!(session = %session.id, "MCP session evicted: the session table is full");
                session.end(&self.hub);
            }
        }
        let session = Arc::new(Session {
            id: crate::common::random_token(),
            version,
            streams: AtomicU64::new(1),
            opened: Mutex::default(),
            standalone_opened: AtomicBool::new(false),
            calls: Mutex::default(),
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
        let Some(session) = session else {
            return Err(RpcError::transport(
                StatusCode::NOT_FOUND,
                "session not found (it ended or expired): start a new one with `initialize`",
            ));
        };
        *lock(&session.last_used) = Instant::now();
        Ok(session)
    }

    /// Ends session `id`: `false` if there was none.
    pub(crate) fn remove(&self, id: &str) -> bool {
        let removed = lock(&self.map).remove(id);
        removed.map(|session| session.end(&self.hub)).is_some()
    }
}

impl Session {
    fn idle_for(&self) -> Duration {
        lock(&self.last_used).elapsed()
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

    /// Notes that the standalone stream's topic exists (a `GET` opened it),
    /// so that ending the session ends it too.
    pub(crate) fn standalone_opened(&self) {
        self.standalone_opened.store(true, Ordering::Relaxed);
    }

    /// Whether `topic` is one of this session's streams.
    pub(crate) fn owns(&self, topic: &str) -> bool {
        topic
            .strip_prefix(self.id.as_str())
            .and_then(|rest| rest.strip_prefix('/'))
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
    }

    /// Runs the tool call `request` as a task of its own (it outlives the
    /// connection), tracked until it ends so that it can be cancelled.
    pub(crate) fn spawn_call(
        self: &Arc<Self>,
        request: &Value,
        topic: &str,
        call: impl Future<Output = ()> + Send + 'static,
    ) {
        let (key, session) = (request.to_string(), self.clone());
        // Held across the spawn: the task's own removal, when it ends,
        // waits for the insertion, however quickly it ends.
        let mut calls = lock(&self.calls);
        let task = tokio::spawn({
            let key = key.clone();
            async move {
                call.await;
                lock(&session.calls).remove(&key);
            }
        });
        let running = RunningCall {
            task: task.abort_handle(),
            request: request.clone(),
            topic: topic.to_owned(),
        };
        calls.insert(key, running);
    }

    /// Stops the call `request` names; `false` if none runs.
    pub(crate) fn cancel(&self, request: &Value) -> bool {
        let call = lock(&self.calls).remove(&request.to_string());
        call.map(|call| call.task.abort()).is_some()
    }

    /// Stops its calls and ends its streams: each running call's with an
    /// error answering it, the standalone one with an empty event (no
    /// message for the client; its id is one a resume gets 404 for).
    fn end(&self, hub: &Hub) {
        let mut farewells: Vec<(String, Event)> = Vec::new();
        for (_, call) in lock(&self.calls).drain() {
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
        if self.standalone_opened.load(Ordering::Relaxed) {
            farewells.push((self.standalone_stream(), Event::data("")));
        }
        if farewells.is_empty() {
            return;
        }
        let hub = hub.clone();
        tokio::spawn(async move {
            for (topic, event) in farewells {
                if let Err(error) = hub.publish_last(&topic, &event).await {
                    tracing::warn!(%error, topic, "a stream of an ended session could not be ended");
                }
            }
        });
    }
}
