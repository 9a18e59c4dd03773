//! A request body that must keep arriving: once a handler reads it, each
//! frame is due within the timeout of the poll that found none ready, so a
//! client that trickles its body (a byte a second) cannot hold a connection
//! and a task for as long as it likes. hyper's own timeout covers the request
//! head only.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Body;
use bytes::Bytes;
use http::Request;
use http_body::{Frame, SizeHint};
use tokio::time::Sleep;

/// How long a handler waits for the next piece of a request body before the
/// read fails, unless [`Serve::request_body_timeout`](crate::Serve::request_body_timeout)
/// or [`MakeService::request_body_timeout`](crate::MakeService::request_body_timeout)
/// says otherwise.
pub const DEFAULT_REQUEST_BODY_TIMEOUT: Duration = Duration::from_secs(30);

/// The request body timeout, as both builders take it: `Duration::ZERO`
/// turns it off.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RequestBodyTimeout(Option<Duration>);

impl RequestBodyTimeout {
    pub(crate) fn new(timeout: Duration) -> Self {
        Self((!timeout.is_zero()).then_some(timeout))
    }

    /// `request`, its body failing once a frame takes longer than the
    /// timeout.
    pub(crate) fn apply(self, request: Request<Body>) -> Request<Body> {
        match self.0 {
            Some(timeout) => request.map(|body| Body::new(TimedBody::new(body, timeout))),
            None => request,
        }
    }
}

impl Default for RequestBodyTimeout {
    fn default() -> Self {
        Self::new(DEFAULT_REQUEST_BODY_TIMEOUT)
    }
}

pin_project_lite::pin_project! {
    /// `body`, failing once a frame takes longer than `timeout`.
    struct TimedBody {
        #[pin]
        body: Body,
        timeout: Duration,
        #[pin]
        waiting: Option<Sleep>,
    }
}

impl TimedBody {
    fn new(body: Body, timeout: Duration) -> Self {
        Self {
            body,
            timeout,
            waiting: None,
        }
    }
}

/// The error a handler's body read fails with.
#[derive(Debug)]
struct BodyTooSlow(Duration);

impl std::fmt::Display for BodyTooSlow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the request body stalled: no data for {:?} (the server's request body timeout)",
            self.0
        )
    }
}

impl std::error::Error for BodyTooSlow {}

impl http_body::Body for TimedBody {
    type Data = Bytes;
    type Error = axum::BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let mut this = self.project();
        if let Poll::Ready(frame) = this.body.poll_frame(cx) {
            this.waiting.set(None);
            return Poll::Ready(frame.map(|frame| frame.map_err(Into::into)));
        }
        if this.waiting.is_none() {
            this.waiting.set(Some(tokio::time::sleep(*this.timeout)));
        }
        let waiting = this.waiting.as_pin_mut().expect("just set");
        std::task::ready!(waiting.poll(cx));
        tracing::info!(timeout = ?this.timeout, "request body stalled; failing its read");
        Poll::Ready(Some(Err(Box::new(BodyTooSlow(*this.timeout)))))
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}
