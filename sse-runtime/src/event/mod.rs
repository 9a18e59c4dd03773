//! Events and their wire format: what one event is, and how it is written,
//! exactly as the WHATWG HTML spec's parser reads it back.
//!
//! ```
//! use axum::{Router, routing::get};
//! use futures_util::stream;
//! use sse_runtime::{Event, EventError, SseResponse};
//!
//! #[derive(serde::Serialize)]
//! struct Price { cents: u64 }
//!
//! async fn quotes() -> SseResponse<impl futures_core::Stream<Item = Result<Event, EventError>>> {
//!     let events = [
//!         // event: price / data: {"cents":1234}
//!         Event::json(&Price { cents: 1234 }).and_then(|event| event.event("price")),
//!         // id: 2 / data: closing soon
//!         Event::data("closing soon").id("2"),
//!     ];
//!     SseResponse::new(stream::iter(events))
//! }
//!
//! let app: Router = Router::new().route("/quotes", get(quotes));
//! # drop(app);
//! ```
//!
//! Each event is written as comment lines, `id`, `event`, one `data` line per
//! line of data, `retry`, then a blank line; every line ends with the
//! response's [`LineEnding`]. CRLF, a lone CR and a lone LF in data each
//! become one line break on the client. A value that would start a field of
//! its own (a line break in an event name or id), an id or name with NUL, and
//! an empty event name are refused with an [`EventError`], never sent.
//!
//! | piece | what it is |
//! |---|---|
//! | [`Event`] | an event built field by field |
//! | [`SseEvent`] | anything that writes itself as one event; `#[derive(SseEvent)]` writes it for you |
//! | [`Json`] | a `Serialize` value sent as JSON data, serialised straight into the frame |
//! | [`EncodedEvent`] | an event encoded once and sent by many streams as the same bytes |
//! | [`EventWriter`] | the writer an [`SseEvent`] writes its fields with |
//! | [`LineEnding`] | `\n`, `\r\n` or `\r` |

mod builder;
mod error;
mod fields;
mod json;
mod line_ending;
mod sends;
mod sse_event;
mod writer;

pub use self::builder::Event;
pub use self::error::EventError;
pub(crate) use self::fields::check_id;
pub use self::json::Json;
pub use self::line_ending::{InvalidLineEnding, LineEnding};
pub use self::sends::Sends;
pub use self::sse_event::{EncodedEvent, SseEvent};
pub use self::writer::EventWriter;
pub(crate) use self::writer::FieldsSet;
