//! The streaming response: any stream of events as an axum response, with
//! keep-alive, disconnect hooks, shutdown, error policy and stream limits.
//!
//! ```
//! use axum::{Router, routing::get};
//! use futures_core::Stream;
//! use sse_runtime::{Event, KeepAlive, Shutdown, SseResponse};
//! use std::time::Duration;
//!
//! async fn numbers(shutdown: Shutdown) -> SseResponse<impl Stream<Item = Event>> {
//!     let stream = async_stream::stream! {
//!         for n in 1..=5 {
//!             tokio::time::sleep(Duration::from_millis(900)).await;
//!             yield Event::data(n.to_string());
//!         }
//!     };
//!     SseResponse::new(stream)
//!         .retry(Duration::from_secs(3))
//!         .keep_alive(KeepAlive::every(Duration::from_secs(15)))
//!         .shutdown(shutdown)
//!         .on_shutdown(|| async { vec![Event::data("bye").event("shutdown").expect("a valid name")] })
//! }
//!
//! let app: Router = Router::new().route("/numbers", get(numbers));
//! # drop(app);
//! ```
//!
//! | piece | what it does |
//! |---|---|
//! | [`SseResponse`] | the response and its settings |
//! | [`EventStream`], [`StreamItem`] | what a response streams: any `Stream` of events or `Result`s of events, or an endpoint body |
//! | [`KeepAlive`] | what to send on an idle stream, and when |
//! | [`Disconnect`], [`DisconnectReason`], [`StreamStats`] | how a stream ended, handed to `on_disconnect` |
//! | [`StreamLimit`] | at most N open streams, then `503` |
//! | [`MaxDuration`] | streams end after a while (with jitter), for clients to reconnect |
//!
//! Every event the stream has ready goes into one frame, until the frame is
//! full, so a fast producer is sent in few large writes while a lone event
//! still leaves at once. A
//! panic or an error in the generator ends its stream only.

mod body;
mod config;
mod disconnect;
mod enforcement;
mod farewell;
mod keep_alive;
mod limit;
mod max_duration;
mod span;
mod sse_response;
mod stream;
mod streaming;
mod wait_clock;

pub(crate) use self::enforcement::Enforcement;
pub(crate) use self::streaming::FRAME_BUDGET;
pub(crate) use self::wait_clock::WaitClock;

pub use self::config::DEFAULT_SEND_TIMEOUT;
pub use self::disconnect::{Disconnect, DisconnectReason, StreamStats};
pub use self::keep_alive::{DEFAULT_KEEP_ALIVE, KeepAlive};
pub use self::limit::StreamLimit;
pub use self::max_duration::MaxDuration;
pub use self::sse_response::SseResponse;
pub use self::stream::{BoxError, EventStream, StreamItem};
