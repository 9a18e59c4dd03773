//! What a response streams: anything that writes events into its output
//! buffer when polled.

use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;

use crate::encode::EventWriter;
use crate::item::{BoxError, SseItem};

/// A source of events for [`SseResponse`](crate::SseResponse).
///
/// Every `Stream` whose items are [`SseItem`]s is one (events, `Json`,
/// strings, `Result`s of those); so is the body of an
/// [`#[sse_endpoint]`](crate::sse_endpoint), which writes each yielded value
/// straight into the response's buffer. Implement it yourself only to do the
/// same.
pub trait EventSource {
    /// Writes ready events into `writer`: `Ready(Some(Ok(n)))` after writing
    /// `n >= 1` of them (a source may write several while the frame is below
    /// its budget), `Ready(Some(Err))` when the source failed (nothing of the
    /// failed event is left in the buffer), `Ready(None)` at its end.
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        writer: &mut EventWriter<'_>,
    ) -> Poll<Option<Result<usize, BoxError>>>;
}

impl<S> EventSource for S
where
    S: Stream,
    S::Item: SseItem,
{
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        writer: &mut EventWriter<'_>,
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
