//! What a response streams: anything that writes events into its frame when
//! polled. Every `Stream` of events (or of `Result`s of events) is one.

use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;

use crate::event::{EventWriter, SseEvent};

/// The error type a fallible stream's errors are converted into.
///
/// ```
/// use sse_runtime::{BoxError, Event, SseResponse};
///
/// let response = SseResponse::new(futures_util::stream::iter([Ok(Event::data("a"))]))
///     .error_event(|error: &BoxError| Some(Event::data(error.to_string())));
/// # let _: SseResponse<futures_util::stream::Iter<std::array::IntoIter<Result<Event, std::io::Error>, 1>>> = response;
/// ```
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// The events of an [`SseResponse`](crate::SseResponse).
///
/// Every `Stream` whose items are [`StreamItem`]s is one (events,
/// [`Json`](crate::Json), strings, `Result`s of those); so is the body of an
/// [`#[sse_endpoint]`](crate::sse_endpoint), which writes each yielded value
/// straight into the response's frame. Implement it yourself only to do the
/// same.
///
/// ```
/// use std::pin::Pin;
/// use std::task::{Context, Poll};
/// use sse_runtime::response::{BoxError, EventStream};
/// use sse_runtime::{EventWriter, SseResponse};
///
/// /// Counts to three, writing each number straight into the frame.
/// struct Count(u32);
///
/// impl EventStream for Count {
///     fn poll_write(
///         mut self: Pin<&mut Self>,
///         _cx: &mut Context<'_>,
///         writer: &mut EventWriter,
///     ) -> Poll<Option<Result<usize, BoxError>>> {
///         if self.0 == 3 {
///             return Poll::Ready(None);
///         }
///         self.0 += 1;
///         Poll::Ready(Some(writer.write(&self.0.to_string()).map(|()| 1).map_err(Into::into)))
///     }
/// }
///
/// let response = SseResponse::new(Count(0));
/// # drop(response);
/// ```
pub trait EventStream {
    /// Writes ready events into `writer`: `Ready(Some(Ok(n)))` after writing
    /// `n >= 1` of them (a stream may write several while the frame has
    /// room), `Ready(Some(Err))` when the stream failed (nothing of the
    /// failed event is left in the frame), `Ready(None)` at its end.
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        writer: &mut EventWriter,
    ) -> Poll<Option<Result<usize, BoxError>>>;
}

/// An item of a `Stream` given to [`SseResponse`](crate::SseResponse):
/// anything that implements [`SseEvent`], or a `Result` of it.
///
/// An `Err` ends the stream after the response's error policy has run (see
/// [`SseResponse::error_event`](crate::SseResponse::error_event)).
///
/// ```
/// use futures_util::stream;
/// use sse_runtime::{Event, SseResponse};
///
/// // Infallible items and fallible ones stream alike.
/// let plain = SseResponse::new(stream::iter([Event::data("a")]));
/// let fallible = SseResponse::new(stream::iter([Ok::<_, std::io::Error>(Event::data("a"))]));
/// # drop((plain, fallible));
/// ```
pub trait StreamItem {
    /// The event written for an `Ok` item.
    type Event: SseEvent;
    /// The error of a fallible stream.
    type Error: Into<BoxError>;

    /// Splits the item into the event or the error.
    fn into_result(self) -> Result<Self::Event, Self::Error>;
}

impl<T: SseEvent> StreamItem for T {
    type Event = T;
    type Error = std::convert::Infallible;

    fn into_result(self) -> Result<T, Self::Error> {
        Ok(self)
    }
}

impl<T: SseEvent, E: Into<BoxError>> StreamItem for Result<T, E> {
    type Event = T;
    type Error = E;

    fn into_result(self) -> Result<T, E> {
        self
    }
}

impl<S> EventStream for S
where
    S: Stream,
    S::Item: StreamItem,
{
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        writer: &mut EventWriter,
    ) -> Poll<Option<Result<usize, BoxError>>> {
        let item = match self.poll_next(cx) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(None) => return Poll::Ready(None),
            Poll::Ready(Some(item)) => item,
        };
        Poll::Ready(Some(match item.into_result() {
            Ok(event) => writer.write(&event).map(|()| 1).map_err(BoxError::from),
            Err(error) => Err(error.into()),
        }))
    }
}
