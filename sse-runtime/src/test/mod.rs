//! Reading the events of an endpoint in a test, in process: no sockets, no
//! hand-written parser, and time that jumps under `tokio::time::pause()`
//! (feature `test-util`).
//!
//! ```
//! use serde::Serialize;
//! use sse_runtime::sse_endpoint;
//!
//! #[derive(Serialize)]
//! struct Tick { n: u32 }
//!
//! #[sse_endpoint(get "/ticks", retry = "2s", id = sequential)]
//! async fn ticks() {
//!     for n in 1..=3 {
//!         yield_!(Tick { n });
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let mut events = sse_runtime::test::get(ticks::route(), "/ticks").await;
//! assert_eq!(events.status(), 200);
//! let first = events.expect_next().await;
//! assert_eq!((first.data.as_str(), first.id.as_deref()), (r#"{"n":1}"#, Some("1")));
//! assert_eq!(events.retry(), Some(std::time::Duration::from_secs(2)));
//! #[derive(serde::Deserialize)]
//! struct Got { n: u32 }
//! assert_eq!(events.next_json::<Got>().await.n, 2);
//! assert_eq!(events.collect().await.len(), 1);
//! # }
//! ```
//!
//! [`EventReader`] reads any axum `Response` (`EventReader::new`), so a
//! handler called directly, a `Router` with layers ([`request`], [`get`]),
//! or a response from elsewhere all read the same way. It parses as a
//! browser does (the WHATWG rules: CR, LF and CRLF line ends, a leading
//! BOM, `id` with NUL ignored, non-numeric `retry` ignored, a block without
//! data not dispatched) and shows comments too, with
//! [`next_received`](EventReader::next_received).
//!
//! Below the events, for clients that read a socket themselves (the
//! workspace's test client and load generator do): [`Lines`] splits an
//! event stream's lines by the spec's rule, and [`ChunkedDecoder`] decodes
//! HTTP/1.1 chunked framing strictly, so that a framing mistake is an error,
//! not data.
//!
//! Extractors that need a connection (`ConnectInfo`, the [`Shutdown`](crate::Shutdown)
//! that [`serve`](crate::serve()) provides) are not there in process: give
//! the router what it needs as state or layers, or test those over a
//! socket.

mod chunked;
mod decode;
mod lines;
mod parser;
mod reader;
mod received;

use axum::Router;
use axum::body::Body;
use http::Request;
use tower_service::Service;

pub use self::chunked::{ChunkedDecoder, ChunkedError};
pub use self::decode::Decode;
pub use self::lines::Lines;
pub use self::reader::EventReader;
pub use self::received::{Received, TestEvent};

/// Sends `request` to `app` in process and reads the response's events.
pub async fn request(mut app: Router, request: Request<Body>) -> EventReader {
    std::future::poll_fn(|cx| Service::<Request<Body>>::poll_ready(&mut app, cx))
        .await
        .unwrap_or_else(|never| match never {});
    let response = app
        .call(request)
        .await
        .unwrap_or_else(|never| match never {});
    EventReader::new(response)
}

/// `GET uri` on `app`, with `Accept: text/event-stream`, as a browser's
/// `EventSource` sends it.
///
/// # Panics
/// If `uri` is not a valid request target.
pub async fn get(app: Router, uri: &str) -> EventReader {
    let request = Request::get(uri)
        .header(http::header::ACCEPT, "text/event-stream")
        .body(Body::empty())
        .unwrap_or_else(|error| panic!("GET {uri:?}: {error}"));
    self::request(app, request).await
}
