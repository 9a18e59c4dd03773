//! Handshake-era sessions: the id `initialize` hands out, the revision it
//! settled on, the streams opened under it, and the tool calls it runs.
//!
//! Every SSE stream of a session is a hub topic `<session>/<n>` (`0` is the
//! standalone `GET` stream); with the hub's `topic_in_ids`, each event id
//! is `<session>/<n>:<position>`, so a `GET` with `Last-Event-ID` names the
//! one stream it resumes, and nothing of another session's.

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use serde_json::Value;
use tokio::task::AbortHandle;

use crate::protocol::RpcError;

/// Sessions at once: more are refused (503) until idle ones expire.
const MAX_SESSIONS: usize = 10_000;
/// A session nobody used for this long ends, its tool calls with it.
const IDLE: Duration = Duration::from_secs(30 * 60);

#[derive(Default)]
pub(crate) struct Sessions {
    map: Mutex<HashMap<String, Arc<Session>>>,
}

pub(crate) struct Session {
    pub(crate) id: String,
    /// The revision `initialize` settled on.
    pub(crate) version: &'static str,
    streams: AtomicU64,
    /// Running tool calls by request id (as JSON text), for
    /// `notifications/cancelled` and for `DELETE`.
    calls: Mutex<HashMap<String, AbortHandle>>,
    last_used: Mutex<Instant>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Sessions {
    pub(crate) fn create(&self, version: &'static str) -> Result<Arc<Session>, RpcError> {
        let mut map = lock(&self.map);
        if map.len() >= MAX_SESSIONS {
            map.retain(|_, session| {
                let idle = session.idle_for() > IDLE;
                if idle {
                    session.end();
                }
                !idle
            });
        }
        if map.len() >= MAX_SESSIONS {
            return Err(RpcError::transport(
                StatusCode::SERVICE_UNAVAILABLE,
                "too many sessions; try again later",
            ));
        }
        let session = Arc::new(Session {
            id: crate::common::random_token(),
            version,
            streams: AtomicU64::new(1),
            calls: Mutex::default(),
            last_used: Mutex::new(Instant::now()),
        });
        map.insert(session.id.clone(), session.clone());
        Ok(session)
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
        removed.map(|session| session.end()).is_some()
    }
}

impl Session {
    fn idle_for(&self) -> Duration {
        lock(&self.last_used).elapsed()
    }

    /// The topic of a new stream of this session.
    pub(crate) fn new_stream(&self) -> String {
        format!(
            "{}/{}",
            self.id,
            self.streams.fetch_add(1, Ordering::Relaxed)
        )
    }

    /// The topic of its standalone `GET` stream.
    pub(crate) fn standalone_stream(&self) -> String {
        format!("{}/0", self.id)
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
        calls.insert(key, task.abort_handle());
    }

    /// Stops the call `request` names; `false` if none runs.
    pub(crate) fn cancel(&self, request: &Value) -> bool {
        let call = lock(&self.calls).remove(&request.to_string());
        call.map(|call| call.abort()).is_some()
    }

    fn end(&self) {
        for (_, call) in lock(&self.calls).drain() {
            call.abort();
        }
    }
}
