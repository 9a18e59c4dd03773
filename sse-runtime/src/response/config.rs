//! What an [`SseResponse`](crate::SseResponse) is configured with: set by its
//! builder methods, read once when it becomes a response.

use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

use http::{HeaderMap, StatusCode};

use crate::event::LineEnding;
use crate::response::disconnect::DisconnectHook;
use crate::response::farewell::ShutdownHook;
use crate::response::keep_alive::KeepAlive;
use crate::response::limit::StreamLimit;
use crate::response::max_duration::MaxDuration;
use crate::response::streaming::ErrorEventFn;
use crate::shutdown::Shutdown;

/// How long one write may wait for a client that stopped reading before the
/// client is dropped, unless [`SseResponse::send_timeout`](crate::SseResponse::send_timeout)
/// says otherwise: long enough for a slow network, short enough that a
/// client that went away without closing does not pin its buffered events
/// for long.
pub const DEFAULT_SEND_TIMEOUT: Duration = Duration::from_secs(30);

/// Every setting of a response; the defaults are the table on
/// [`SseResponse`](crate::SseResponse).
pub(crate) struct Config {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) line_ending: LineEnding,
    pub(crate) retry: Option<Duration>,
    pub(crate) keep_alive: KeepAlive,
    pub(crate) send_timeout: Option<Duration>,
    pub(crate) shutdown: Option<Shutdown>,
    pub(crate) on_shutdown: Option<ShutdownHook>,
    pub(crate) on_disconnect: Option<DisconnectHook>,
    pub(crate) error_event: Option<ErrorEventFn>,
    pub(crate) limit: Option<StreamLimit>,
    pub(crate) max_duration: Option<MaxDuration>,
    pub(crate) peer: Option<SocketAddr>,
    pub(crate) route: Option<axum::extract::MatchedPath>,
    /// The request's `Last-Event-ID`, for the stream's span only.
    pub(crate) last_event_id: Option<http::HeaderValue>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            status: StatusCode::OK,
            headers: HeaderMap::new(),
            line_ending: LineEnding::default(),
            retry: None,
            keep_alive: KeepAlive::default(),
            send_timeout: Some(DEFAULT_SEND_TIMEOUT),
            shutdown: None,
            on_shutdown: None,
            on_disconnect: None,
            error_event: None,
            limit: None,
            max_duration: None,
            peer: None,
            route: None,
            last_event_id: None,
        }
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SseResponse")
            .field("status", &self.status)
            .field("headers", &self.headers)
            .field("line_ending", &self.line_ending)
            .field("retry", &self.retry)
            .field("keep_alive", &self.keep_alive)
            .field("send_timeout", &self.send_timeout)
            .field("shutdown", &self.shutdown.is_some())
            .field("on_shutdown", &self.on_shutdown.is_some())
            .field("on_disconnect", &self.on_disconnect.is_some())
            .field("error_event", &self.error_event.is_some())
            .field("limit", &self.limit)
            .field("max_duration", &self.max_duration)
            .field("peer", &self.peer)
            .field("route", &self.route.as_ref().map(|route| route.as_str()))
            .finish_non_exhaustive()
    }
}
