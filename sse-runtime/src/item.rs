//! What a response's stream may yield: events, or results of events.

use crate::encode::WriteEvent;

/// The error type a fallible stream's errors are converted into.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// An item of a stream given to [`SseResponse`](crate::SseResponse): anything
/// that implements [`WriteEvent`], or a `Result` of it.
///
/// An `Err` ends the stream after the response's error policy has run (see
/// [`SseResponse::error_event`](crate::SseResponse::error_event)).
pub trait SseItem {
    /// The event written for an `Ok` item.
    type Event: WriteEvent;
    /// The error of a fallible stream.
    type Error: Into<BoxError>;

    /// Splits the item into the event or the error.
    fn into_result(self) -> Result<Self::Event, Self::Error>;
}

impl<T: WriteEvent> SseItem for T {
    type Event = T;
    type Error = std::convert::Infallible;

    fn into_result(self) -> Result<T, Self::Error> {
        Ok(self)
    }
}

impl<T: WriteEvent, E: Into<BoxError>> SseItem for Result<T, E> {
    type Event = T;
    type Error = E;

    fn into_result(self) -> Result<T, E> {
        self
    }
}
