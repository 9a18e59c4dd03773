//! `Json<T>`: data serialised straight into the response's buffer.

use serde::Serialize;

use crate::event::error::EventError;
use crate::event::sse_event::SseEvent;
use crate::event::writer::EventWriter;

/// Data to be sent as compact JSON, serialised straight into the response's
/// output buffer when it is written: no intermediate `String`.
///
/// ```
/// use futures_util::stream;
/// use sse_runtime::{Json, SseResponse};
///
/// #[derive(serde::Serialize)]
/// struct Tick { n: u32 }
///
/// // data: {"n":1} … data: {"n":3}
/// let response = SseResponse::new(stream::iter((1..=3).map(|n| Json(Tick { n }))));
/// # drop(response);
/// ```
///
/// A serialisation error surfaces when the event is written; the response then
/// treats it like an error from the stream (see
/// [`SseResponse::error_event`](crate::SseResponse::error_event)).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Json<T>(pub T);

impl<T: Serialize> SseEvent for Json<T> {
    fn write_event(&self, writer: &mut EventWriter) -> Result<(), EventError> {
        writer.json_data(&self.0)
    }
}
