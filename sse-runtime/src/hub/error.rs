//! [`HubError`]: why a publish or a subscribe failed.

use std::fmt;

use crate::event::EventError;
use crate::response::BoxError;

/// Why a publish or subscribe failed.
///
/// ```
/// use sse_runtime::Event;
/// use sse_runtime::hub::{Hub, HubError};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), sse_runtime::EventError> {
/// // Ids are the hub's: an event that brings its own is refused.
/// let refused = Hub::new().publish("news", &Event::data("x").id("7")?).await;
/// assert!(matches!(refused, Err(HubError::Event(_))));
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum HubError {
    /// The event could not be written (or set its own id).
    Event(EventError),
    /// The backend (Redis, PostgreSQL) could not be reached, refused the command, or the
    /// connection failed before its reply: the event **may or may not** have
    /// been stored. Publish with [`Hub::publish_once`](super::Hub::publish_once)
    /// and retry with the same key to be sure it is stored exactly once.
    Backend(BoxError),
    /// A new topic would exceed [`HubConfig::max_topics`](super::HubConfig::max_topics).
    TooManyTopics {
        /// The configured limit.
        limit: usize,
    },
}

impl fmt::Display for HubError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HubError::Event(error) => write!(f, "{error}"),
            HubError::Backend(error) => write!(
                f,
                "the hub's backend failed: {error}; a publish may or may not have been \
                 stored (retry `publish_once` with the same key to be sure), a subscribe \
                 did not happen; retry, or tell the client to (503)"
            ),
            HubError::TooManyTopics { limit } => write!(
                f,
                "the hub holds its limit of {limit} topics; a topic is freed when it has \
                 no subscriber and nothing to replay (raise `HubConfig::max_topics`, or \
                 tell the client to retry later: 503)"
            ),
        }
    }
}

impl std::error::Error for HubError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            HubError::Event(error) => Some(error),
            HubError::Backend(error) => Some(&**error),
            HubError::TooManyTopics { .. } => None,
        }
    }
}

/// `503 Service Unavailable` with `Retry-After: 1` for a backend failure or
/// the topic limit (the client may retry), `500` for an event that cannot be
/// written (a bug in the publisher); the message as plain text.
///
/// ```
/// use axum::extract::{Path, State};
/// use sse_runtime::hub::{Hub, HubError, Subscription};
/// use sse_runtime::{LastEventId, SseResponse};
///
/// // Answers 503 before any event when the hub cannot take the topic.
/// async fn room(
///     State(hub): State<Hub>,
///     Path(room): Path<String>,
///     LastEventId(last): LastEventId<u64>,
/// ) -> Result<SseResponse<Subscription>, HubError> {
///     Ok(SseResponse::new(hub.subscribe(&room, last).await?))
/// }
/// # let app: axum::Router = axum::Router::new()
/// #     .route("/rooms/{room}", axum::routing::get(room))
/// #     .with_state(Hub::new());
/// # drop(app);
/// ```
impl axum::response::IntoResponse for HubError {
    fn into_response(self) -> axum::response::Response {
        use axum::http::{StatusCode, header};
        let status = match self {
            HubError::Event(_) => StatusCode::INTERNAL_SERVER_ERROR,
            HubError::Backend(_) | HubError::TooManyTopics { .. } => {
                StatusCode::SERVICE_UNAVAILABLE
            }
        };
        if status == StatusCode::INTERNAL_SERVER_ERROR {
            tracing::error!(error = %self, "publishing failed");
        } else {
            tracing::warn!(error = %self, "hub unavailable; answering 503");
        }
        (status, [(header::RETRY_AFTER, "1")], self.to_string()).into_response()
    }
}

impl From<EventError> for HubError {
    fn from(error: EventError) -> Self {
        HubError::Event(error)
    }
}

/// `request` to `backend` (`"Redis"`), failing as [`HubError::Backend`]
/// after `limit`.
#[cfg(any(feature = "redis", feature = "postgres"))]
pub(crate) async fn timed<T>(
    backend: &str,
    limit: std::time::Duration,
    request: impl Future<Output = Result<T, HubError>>,
) -> Result<T, HubError> {
    match tokio::time::timeout(limit, request).await {
        Ok(result) => result,
        Err(_) => Err(HubError::Backend(
            format!("{backend} did not answer within {limit:?}").into(),
        )),
    }
}
