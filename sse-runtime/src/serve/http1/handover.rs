//! An event stream leaving hyper once its head is out ([`Serve::lean_streams`]).
//!
//! hyper keeps what an HTTP/1 connection needs for its next request while a
//! response streams: an 8 KiB read buffer, a write buffer, the dispatcher's
//! state. An endless event stream never gets to a next request, so on the
//! lean path that state goes once the stream's head is written:
//!
//! 1. The connection's service sees an event-stream response to a plain
//!    `GET` ([`request_allows`], [`response_allows`]), keeps its body here
//!    and gives hyper a placeholder in its place ([`Handover::offer`]).
//! 2. hyper writes the response head, polls the placeholder (which notes it
//!    and never gives a frame), and flushes: the socket notes that flush
//!    ([`Handover::note_flushed`]), so everything hyper wrote is out.
//! 3. The connection's task then takes the body ([`Handover::take`]) and the
//!    socket (hyper's `into_parts`), drops hyper's connection, and hands
//!    both to a [`LeanStream`](crate::serve::http1::lean_stream::LeanStream).
//!
//! hyper parses every request and writes every response head; only the
//! body's chunks are written by the lean stream, byte for byte as hyper
//! would. Anything out of the ordinary stays with hyper from start to end.
//!
//! [`Serve::lean_streams`]: crate::serve::Serve::lean_streams

use std::pin::Pin;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};

use axum::body::Body;
use bytes::Bytes;
use http::{HeaderMap, Method, Request, Response, StatusCode, Version, header};
use http_body::{Frame, SizeHint};

use crate::sync::lock;

/// Shared by one HTTP/1 connection's service, socket and task.
#[derive(Clone, Debug, Default)]
pub(crate) struct Handover(Arc<Slot>);

#[derive(Debug, Default)]
struct Slot {
    /// The stream's body while hyper writes its head.
    body: Mutex<Option<Body>>,
    stage: AtomicU8,
}

/// Nothing offered.
const IDLE: u8 = 0;
/// The service kept a body; hyper has the placeholder.
const OFFERED: u8 = 1;
/// hyper wrote the head and polled the placeholder.
const POLLED: u8 = 2;
/// hyper flushed everything it wrote since: the body can be taken.
const FLUSHED: u8 = 3;

impl Handover {
    /// Keeps `body` for the lean stream and returns what hyper sends in its
    /// place: a body that never gives a frame and, like `body`, has no known
    /// length (so hyper writes the head for a chunked body).
    pub(crate) fn offer(&self, body: Body) -> Body {
        *self.lock() = Some(body);
        self.0.stage.store(OFFERED, Ordering::Release);
        Body::new(Placeholder {
            handover: self.clone(),
        })
    }

    /// The socket flushed everything hyper had written: once the placeholder
    /// has been polled, the head is out. One load on every flush.
    pub(crate) fn note_flushed(&self) {
        if self.0.stage.load(Ordering::Acquire) == POLLED {
            let _ =
                self.0
                    .stage
                    .compare_exchange(POLLED, FLUSHED, Ordering::AcqRel, Ordering::Acquire);
        }
    }

    /// The body, once its head is out; the slot is empty again after.
    pub(crate) fn take(&self) -> Option<Body> {
        if self.0.stage.load(Ordering::Acquire) != FLUSHED {
            return None;
        }
        self.0.stage.store(IDLE, Ordering::Release);
        self.lock().take()
    }

    fn lock(&self) -> MutexGuard<'_, Option<Body>> {
        lock(&self.0.body)
    }
}

/// What hyper sends while the real body waits to leave with the socket.
struct Placeholder {
    handover: Handover,
}

impl http_body::Body for Placeholder {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        // hyper polls the body only once the head is written; the flush
        // that follows completes the handover, and hyper's connection is
        // then dropped without being polled again.
        let _ = self.handover.0.stage.compare_exchange(
            OFFERED,
            POLLED,
            Ordering::AcqRel,
            Ordering::Acquire,
        );
        Poll::Pending
    }

    fn is_end_stream(&self) -> bool {
        false
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::default()
    }
}

impl Drop for Placeholder {
    fn drop(&mut self) {
        // hyper dropped the response before the handover (the client left,
        // or the connection failed): the real body goes with it, and its
        // disconnect report runs now, not with the next request.
        if self.handover.0.stage.swap(IDLE, Ordering::AcqRel) != IDLE {
            drop(self.handover.lock().take());
        }
    }
}

/// Whether a request may be answered on the lean path: a plain HTTP/1.1
/// `GET` with nothing that makes its connection's next bytes anything but
/// the next request. hyper has parsed it already; this refuses what would
/// need more of hyper than writing the head (a request body, an upgrade,
/// trailers, `Connection: close`, HTTP/1.0's close-delimited responses,
/// `HEAD`'s empty one) and, to be safe, anything unusual (an absolute-form
/// target, a header given twice).
pub(crate) fn request_allows<B>(request: &Request<B>) -> bool {
    let headers = request.headers();
    request.method() == Method::GET
        && request.version() == Version::HTTP_11
        // An absolute-form target (`GET http://host/path`), as proxies send.
        && request.uri().scheme().is_none()
        && request.uri().authority().is_none()
        // A header given twice, agreeing or not.
        && headers.keys_len() == headers.len()
        && none_of(
            request.headers(),
            &[
                header::CONTENT_LENGTH,
                header::TRANSFER_ENCODING,
                header::TE,
                header::TRAILER,
                header::UPGRADE,
                header::EXPECT,
            ],
        )
        && request
            .headers()
            .get_all(header::CONNECTION)
            .iter()
            .all(|value| value.as_bytes().eq_ignore_ascii_case(b"keep-alive"))
}

/// Whether a response goes on the lean path: a `200` event stream whose
/// length hyper cannot know, so hyper writes `transfer-encoding: chunked`
/// itself and the lean stream writes exactly the chunks hyper would.
pub(crate) fn response_allows(response: &Response<Body>) -> bool {
    use http_body::Body as _;
    let is_event_stream = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|value| value.as_bytes().starts_with(b"text/event-stream"));
    response.status() == StatusCode::OK
        && is_event_stream
        && none_of(
            response.headers(),
            &[
                header::CONTENT_LENGTH,
                header::TRANSFER_ENCODING,
                header::CONNECTION,
                header::TRAILER,
            ],
        )
        && !response.body().is_end_stream()
        && response.body().size_hint().exact().is_none()
}

fn none_of(headers: &HeaderMap, names: &[header::HeaderName]) -> bool {
    names.iter().all(|name| !headers.contains_key(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get(headers: &[(&str, &str)]) -> Request<()> {
        let mut request = Request::get("/").version(Version::HTTP_11);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        request.body(()).unwrap()
    }

    fn event_stream(body: Body) -> Response<Body> {
        Response::builder()
            .header(header::CONTENT_TYPE, "text/event-stream")
            .body(body)
            .unwrap()
    }

    fn endless() -> Body {
        Body::from_stream(futures_util::stream::pending::<Result<Bytes, std::io::Error>>())
    }

    #[test]
    fn only_a_plain_http11_get_goes_lean() {
        assert!(request_allows(&get(&[])));
        assert!(request_allows(&get(&[("connection", "Keep-Alive")])));
        for refused in [
            ("connection", "close"),
            ("connection", "upgrade"),
            ("upgrade", "websocket"),
            ("content-length", "0"),
            ("transfer-encoding", "chunked"),
            ("te", "trailers"),
            ("expect", "100-continue"),
        ] {
            assert!(!request_allows(&get(&[refused])), "{refused:?}");
        }
        let twice = get(&[("x-a", "1"), ("x-a", "1")]);
        assert!(!request_allows(&twice));
        let absolute = Request::get("http://example.com/events").body(()).unwrap();
        assert!(!request_allows(&absolute));
        let head = Request::head("/").body(()).unwrap();
        assert!(!request_allows(&head));
        let http10 = Request::get("/")
            .version(Version::HTTP_10)
            .body(())
            .unwrap();
        assert!(!request_allows(&http10));
    }

    #[test]
    fn only_an_endless_200_event_stream_goes_lean() {
        assert!(response_allows(&event_stream(endless())));
        let mut not_found = event_stream(endless());
        *not_found.status_mut() = StatusCode::NOT_FOUND;
        assert!(!response_allows(&not_found));
        assert!(!response_allows(&event_stream(Body::from("data: x\n\n"))));
        assert!(!response_allows(&event_stream(Body::empty())));
        let json = Response::new(endless());
        assert!(!response_allows(&json));
        let mut closing = event_stream(endless());
        closing
            .headers_mut()
            .insert(header::CONNECTION, "close".parse().unwrap());
        assert!(!response_allows(&closing));
    }

    #[test]
    fn the_body_is_taken_only_after_hyper_polled_the_placeholder_and_flushed() {
        use http_body::Body as _;
        let handover = Handover::default();
        let mut placeholder = handover.offer(Body::from("kept"));
        handover.note_flushed();
        assert!(
            handover.take().is_none(),
            "a flush before the poll is the head's own"
        );
        let waker = futures_util::task::noop_waker();
        let polled = Pin::new(&mut placeholder).poll_frame(&mut Context::from_waker(&waker));
        assert!(polled.is_pending());
        assert!(handover.take().is_none(), "not flushed since");
        handover.note_flushed();
        assert!(handover.take().is_some());
        assert!(handover.take().is_none(), "taken once");
        drop(placeholder);
    }

    #[test]
    fn dropping_the_placeholder_before_the_handover_drops_the_body() {
        let handover = Handover::default();
        let placeholder = handover.offer(Body::from("kept"));
        drop(placeholder);
        handover.0.stage.store(FLUSHED, Ordering::Release);
        assert!(handover.take().is_none());
    }
}
