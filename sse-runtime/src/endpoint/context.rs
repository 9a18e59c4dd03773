//! What every generated handler extracts besides the user's arguments, and
//! the response it starts from.

use std::sync::atomic::{AtomicBool, Ordering};

use axum::extract::FromRequestParts;
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use http::request::Parts;

use crate::last_event_id::LastEventId;
use crate::response::{EventStream, SseResponse};
use crate::shutdown::Shutdown;

/// What every generated handler extracts besides the user's arguments.
#[derive(Debug)]
pub struct EndpointContext {
    shutdown: Option<Shutdown>,
    last_event_id: Option<u64>,
    peer: Option<std::net::SocketAddr>,
    route: Option<axum::extract::MatchedPath>,
    last_event_id_header: Option<http::HeaderValue>,
}

impl<S: Send + Sync> FromRequestParts<S> for EndpointContext {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        // For `id = sequential`: an id this endpoint did not write (not a
        // number) restarts the count rather than failing the request.
        let last_event_id = LastEventId::<u64>::from_request_parts(parts, state)
            .await
            .ok()
            .and_then(|id| id.0);
        Ok(Self {
            shutdown: parts.extensions.get::<Shutdown>().cloned(),
            last_event_id,
            peer: parts
                .extensions
                .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                .map(|info| info.0),
            route: parts
                .extensions
                .get::<axum::extract::MatchedPath>()
                .cloned(),
            last_event_id_header: parts.headers.get("last-event-id").cloned(),
        })
    }
}

impl EndpointContext {
    /// Where `id = sequential` starts: after the client's last id, or at 1.
    /// A client that already has `u64::MAX`, the last id there is, is
    /// answered `400 Bad Request` (an `EventSource` then stops reconnecting)
    /// rather than numbered backwards.
    pub fn first_sequential_id(&self) -> Result<u64, NoIdLeft> {
        match self.last_event_id {
            None => Ok(1),
            Some(id) => id.checked_add(1).ok_or(NoIdLeft),
        }
    }

    /// Wraps the generator in a response wired to the server's shutdown.
    pub fn respond<S>(&self, stream: S) -> SseResponse<S>
    where
        S: EventStream + Send + 'static,
    {
        let mut response = SseResponse::new(stream);
        if let Some(peer) = self.peer {
            response = response.peer(peer);
        }
        if let Some(route) = &self.route {
            response = response.route(route.clone());
        }
        if let Some(id) = &self.last_event_id_header {
            response = response.trace_last_event_id(id.clone());
        }
        match &self.shutdown {
            Some(shutdown) => response.shutdown(shutdown.clone()),
            None => {
                explain_missing_shutdown();
                response
            }
        }
    }
}

/// A generated endpoint always wants the server's coordinator; without one
/// its streams keep `axum::serve(..).with_graceful_shutdown(..)` waiting
/// until the process is killed. Says so, with the fix, once per process.
fn explain_missing_shutdown() {
    static EXPLAINED: AtomicBool = AtomicBool::new(false);
    if !EXPLAINED.swap(true, Ordering::Relaxed) {
        tracing::error!(
            "an #[sse_endpoint] stream opened with no shutdown coordinator, so a graceful \
             shutdown would wait for it forever: serve the router with \
             `sse_runtime::serve(listener, app).with_shutdown(shutdown)`, or keep \
             `axum::serve` with `axum::serve(SseListener::new(listener, &shutdown), \
             sse_runtime::make_service(app))` (logged once)"
        );
    }
}

/// A client resumed after `u64::MAX`, the last id `id = sequential` has:
/// answered `400 Bad Request`.
#[derive(Debug, Clone, Copy)]
pub struct NoIdLeft;

impl IntoResponse for NoIdLeft {
    fn into_response(self) -> Response {
        tracing::info!("Last-Event-ID is u64::MAX, the last id; refused with 400");
        (
            StatusCode::BAD_REQUEST,
            "Last-Event-ID is the largest id this stream numbers (u64::MAX); \
             it cannot continue after it",
        )
            .into_response()
    }
}

/// Checks, at the argument's own span, that an endpoint argument other than
/// the last is an extractor for router state `S`.
pub fn check_argument<S, T: FromRequestParts<S>>() {}

/// Checks, at the argument's own span, that an endpoint's last argument is
/// an extractor for router state `S` (it may read the body).
pub fn check_last_argument<S, M, T: axum::extract::FromRequest<S, M>>() {}
