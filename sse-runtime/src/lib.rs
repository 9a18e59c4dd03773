//! Server-Sent Events for axum, exact to the WHATWG spec and complete for
//! production: keep-alive, disconnect hooks, graceful shutdown with a grace
//! period, send timeouts, `Last-Event-ID` and stream limits.
//!
//! ```
//! use axum::{Router, routing::get};
//! use futures_core::Stream;
//! use sse_runtime::{Event, Json, LastEventId, SseResponse};
//! use std::time::Duration;
//!
//! #[derive(serde::Serialize)]
//! struct Tick { n: u64 }
//!
//! async fn ticks(LastEventId(last): LastEventId<u64>) -> SseResponse<impl Stream<Item = Event>> {
//!     let first = last.map_or(1, |id| id + 1);
//!     let stream = async_stream::stream! {
//!         for n in first.. {
//!             tokio::time::sleep(Duration::from_secs(1)).await;
//!             yield Event::json(&Tick { n }).unwrap().id(n.to_string()).unwrap();
//!         }
//!     };
//!     SseResponse::new(stream).retry(Duration::from_secs(2))
//! }
//!
//! # async fn run() -> std::io::Result<()> {
//! let app = Router::new().route("/ticks", get(ticks));
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! # let shutdown = sse_runtime::Shutdown::new();
//! # shutdown.trigger();
//! sse_runtime::serve(listener, app)
//! #   .with_shutdown(shutdown)
//!     .await
//! # }
//! # tokio::runtime::Runtime::new().unwrap().block_on(run()).unwrap();
//! ```
//!
//! | piece | what it does |
//! |---|---|
//! | [`Event`] | an event built field by field; values that would inject a field are refused |
//! | [`Json`], [`WriteEvent`], [`EventWriter`] | events written straight into the output buffer |
//! | [`SseResponse`] | any `Stream` of events as a response: headers, keep-alive, hooks, errors, panics |
//! | [`KeepAlive`] | what to send on an idle stream |
//! | [`Shutdown`] | tells every stream to finish, then ends them after a grace period |
//! | [`serve`] | a server that enforces send timeouts and ends shutdown on time |
//! | [`LastEventId`] | the reconnecting client's last id, typed |
//! | [`StreamLimit`] | at most N open streams, then `503` |
//!
//! # Wire format
//! Each event is written as comment lines, `id`, `event`, one `data` line per
//! line of data, `retry`, then a blank line; every line ends with the
//! response's [`LineEnding`]. CRLF, CR and LF in data each become one line
//! break on the client, exactly as the HTML spec's parser reads them.

#![cfg_attr(docsrs, feature(doc_cfg))]

mod body;
mod encode;
mod error;
mod event;
mod generator;
mod item;
mod keep_alive;
mod last_event_id;
mod lifecycle;
mod limit;
mod line_ending;
mod response;
mod serve;
mod shutdown;

#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;

pub use crate::encode::{EventWriter, Json, WriteEvent};
pub use crate::error::EventError;
pub use crate::event::Event;
pub use crate::item::{BoxError, SseItem};
pub use crate::keep_alive::{DEFAULT_INTERVAL as DEFAULT_KEEP_ALIVE, KeepAlive};
pub use crate::last_event_id::{
    LAST_EVENT_ID, LAST_EVENT_ID_QUERY, LastEventId, LastEventIdRejection,
};
pub use crate::lifecycle::{Disconnect, DisconnectReason, StreamStats};
pub use crate::limit::StreamLimit;
pub use crate::line_ending::{InvalidLineEnding, LineEnding};
pub use crate::response::SseResponse;
pub use crate::serve::{Serve, serve};
pub use crate::shutdown::{DEFAULT_GRACE_PERIOD, MissingShutdown, Shutdown, shutdown_signal};

pub use sse_macros::{SseEvent, sse_endpoint};

/// Sends `value` as the next event of an [`#[sse_endpoint]`](sse_endpoint)
/// body: stable Rust's stand-in for `yield value`.
///
/// The attribute rewrites every `yield_!` directly in the body; this
/// definition only exists to explain the mistake when one is used anywhere
/// else.
///
/// ```compile_fail
/// fn not_an_endpoint() {
///     sse_runtime::yield_!(1);
/// }
/// ```
#[macro_export]
macro_rules! yield_ {
    ($($value:tt)*) => {
        ::core::compile_error!(
            "`yield_!` sends an event only directly inside an `#[sse_endpoint]` body"
        )
    };
}

/// A router mounting endpoints declared with a method and path, as in
/// `#[sse_endpoint(get "/ticks")]`.
///
/// `routes![a, b]` is `Router::new().merge(a::route()).merge(b::route())`.
///
/// ```
/// use sse_runtime::{routes, sse_endpoint, yield_};
///
/// #[sse_endpoint(get "/hello")]
/// async fn hello() {
///     yield_!("hello");
/// }
///
/// #[sse_endpoint(get "/bye")]
/// async fn bye() {
///     yield_!("bye");
/// }
///
/// let app: axum::Router = routes![hello, bye];
/// ```
#[macro_export]
macro_rules! routes {
    ($($($endpoint:ident)::+),* $(,)?) => {
        $crate::__private::Router::new()
            $(.merge($($endpoint)::+::route()))*
    };
}
