//! The `Last-Event-ID` a reconnecting client sends, as a typed extractor.
//!
//! ```
//! use axum::{Router, routing::get};
//! use sse_runtime::{Event, LastEventId, SseResponse};
//!
//! async fn ticks(LastEventId(last): LastEventId<u64>) -> SseResponse<impl futures_core::Stream<Item = Event>> {
//!     // Continue after the last id the client saw, or start at 1.
//!     let first = last.map_or(1, |id| id + 1);
//!     let ticks = futures_util::stream::iter(first..first + 10)
//!         .map(|n| Event::data(n.to_string()).id(n.to_string()).expect("digits only"));
//!     SseResponse::new(ticks)
//! }
//! # use futures_util::StreamExt;
//! let app: Router = Router::new().route("/ticks", get(ticks));
//! # drop(app);
//! ```

use std::fmt;
use std::str::FromStr;

use axum::extract::FromRequestParts;
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use http::request::Parts;

/// The header a browser sends when it reconnects.
pub const LAST_EVENT_ID: &str = "last-event-id";

/// The query parameter EventSource polyfills use when they cannot set headers.
pub const LAST_EVENT_ID_QUERY: &str = "lastEventId";

/// The id of the last event the client received, parsed as `T`.
///
/// Read from the `Last-Event-ID` header, or else from a `lastEventId` query
/// parameter. `None` when neither is present. A value that is not UTF-8 or
/// does not parse as `T` is rejected with `400 Bad Request` and a message
/// naming the value.
///
/// ```
/// use sse_runtime::LastEventId;
///
/// async fn ticks(LastEventId(last): LastEventId<u64>) -> String {
///     match last {
///         Some(id) => format!("resuming after {id}"),
///         None => "starting fresh".to_owned(),
///     }
/// }
/// # let _ = ticks;
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LastEventId<T = String>(pub Option<T>);

impl<T> LastEventId<T> {
    /// The id, if the client sent one.
    pub fn into_inner(self) -> Option<T> {
        self.0
    }
}

impl<S, T> FromRequestParts<S> for LastEventId<T>
where
    S: Send + Sync,
    T: FromStr,
    T::Err: fmt::Display,
{
    type Rejection = LastEventIdRejection;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let raw = match parts.headers.get(LAST_EVENT_ID) {
            Some(value) => Some(
                value
                    .to_str()
                    .map_err(|_| LastEventIdRejection::NotUtf8)?
                    .to_owned(),
            ),
            None => parts.uri.query().and_then(|query| {
                form_urlencoded::parse(query.as_bytes())
                    .find(|(key, _)| key == LAST_EVENT_ID_QUERY)
                    .map(|(_, value)| value.into_owned())
            }),
        };
        match raw {
            None => Ok(LastEventId(None)),
            Some(raw) => match raw.parse::<T>() {
                Ok(id) => Ok(LastEventId(Some(id))),
                Err(error) => Err(LastEventIdRejection::Invalid {
                    value: raw,
                    reason: error.to_string(),
                }),
            },
        }
    }
}

impl<S, T> axum::extract::OptionalFromRequestParts<S> for LastEventId<T>
where
    S: Send + Sync,
    T: FromStr,
    T::Err: fmt::Display,
{
    type Rejection = LastEventIdRejection;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &S,
    ) -> Result<Option<Self>, Self::Rejection> {
        let LastEventId(id) =
            <Self as FromRequestParts<S>>::from_request_parts(parts, state).await?;
        Ok(id.map(|id| LastEventId(Some(id))))
    }
}

/// Why a `Last-Event-ID` was refused; answered with `400 Bad Request`.
///
/// ```
/// use axum::response::IntoResponse;
/// use sse_runtime::LastEventIdRejection;
///
/// let refused = LastEventIdRejection::NotUtf8.into_response();
/// assert_eq!(refused.status(), 400);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum LastEventIdRejection {
    /// The header held bytes that are not visible ASCII or UTF-8.
    NotUtf8,
    /// The value did not parse as the expected type.
    Invalid {
        /// The value the client sent.
        value: String,
        /// The parse error.
        reason: String,
    },
}

impl fmt::Display for LastEventIdRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LastEventIdRejection::NotUtf8 => {
                f.write_str("invalid Last-Event-ID: the header is not valid text")
            }
            LastEventIdRejection::Invalid { value, reason } => {
                // The value is the client's, up to hyper's header limit: say
                // what it starts with, not all of it.
                const SHOWN: usize = 64;
                match value.char_indices().nth(SHOWN) {
                    None => write!(f, "invalid Last-Event-ID {value:?}: {reason}"),
                    Some((cut, _)) => write!(
                        f,
                        "invalid Last-Event-ID {:?}… ({} bytes): {reason}",
                        &value[..cut],
                        value.len()
                    ),
                }
            }
        }
    }
}

impl std::error::Error for LastEventIdRejection {}

impl IntoResponse for LastEventIdRejection {
    fn into_response(self) -> Response {
        tracing::debug!(rejection = %self, "refused Last-Event-ID");
        (StatusCode::BAD_REQUEST, self.to_string()).into_response()
    }
}
