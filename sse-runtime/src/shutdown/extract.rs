//! [`Shutdown`] as an axum extractor, and its rejection when no coordinator
//! was added to the router.

use axum::extract::FromRequestParts;
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use http::request::Parts;

use crate::shutdown::Shutdown;

impl<S: Send + Sync> FromRequestParts<S> for Shutdown {
    type Rejection = MissingShutdown;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Shutdown>()
            .cloned()
            .ok_or(MissingShutdown)
    }
}

impl<S: Send + Sync> axum::extract::OptionalFromRequestParts<S> for Shutdown {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &S,
    ) -> Result<Option<Self>, Self::Rejection> {
        Ok(parts.extensions.get::<Shutdown>().cloned())
    }
}

/// Rejection of the [`Shutdown`] extractor when no coordinator was added to
/// the router: a server bug, answered with `500` and logged with the fix.
///
/// ```
/// use axum::response::IntoResponse;
///
/// let response = sse_runtime::MissingShutdown.into_response();
/// assert_eq!(response.status(), 500);
/// ```
#[derive(Debug, Clone, Copy)]
pub struct MissingShutdown;

impl IntoResponse for MissingShutdown {
    fn into_response(self) -> Response {
        tracing::error!(
            "a handler extracts `Shutdown` but the server gives none: serve the router with \
             `sse_runtime::serve(listener, app)`, or keep `axum::serve` with \
             `axum::serve(SseListener::new(listener, &shutdown), sse_runtime::make_service(app))`"
        );
        (
            StatusCode::INTERNAL_SERVER_ERROR,
            "server misconfigured: no shutdown coordinator",
        )
            .into_response()
    }
}
