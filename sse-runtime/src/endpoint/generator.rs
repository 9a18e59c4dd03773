//! The engine behind `#[sse_endpoint]`: an `async` body whose yields write
//! events, run as an [`EventStream`].
//!
//! The macro rewrites `yield_!(value)` into a write through a
//! [`Yielder`](super::Yielder) followed by `yielder.suspend().await`. Each
//! poll of the [`Generator`] lends the body the response's writer (see
//! `yielder.rs`) and runs it through every yield that fits in the frame; the
//! suspension then returns `Pending` once, which hands the frame back to the
//! response. One allocation per stream (the boxed yield state), none per
//! event.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use pin_project_lite::pin_project;

use crate::endpoint::yielder::{Lent, YieldState, Yields};
use crate::event::EventWriter;
use crate::response::{BoxError, EventStream};

/// What an endpoint body may return: `()` or `Result<(), E>`.
pub trait BodyOutput {
    /// The error that ends the stream, if any.
    fn into_result(self) -> Result<(), BoxError>;
}

impl BodyOutput for () {
    fn into_result(self) -> Result<(), BoxError> {
        Ok(())
    }
}

impl<E: Into<BoxError>> BodyOutput for Result<(), E> {
    fn into_result(self) -> Result<(), BoxError> {
        self.map_err(Into::into)
    }
}

/// Gives an endpoint body its declared output type, so `?` knows which error
/// to convert into.
pub fn body<R: BodyOutput, F: Future<Output = R>>(body: F) -> F {
    body
}

pin_project! {
    /// An endpoint body run as an [`EventStream`].
    #[must_use = "an event stream does nothing unless polled"]
    pub struct Generator<F> {
        // `None` only while installed as the thread's active state.
        state: Option<Box<YieldState>>,
        #[pin]
        body: F,
        done: bool,
        // The body's result, when it finished in the same poll as its last
        // write (a hand-written body that did not suspend after writing).
        ended: Option<Result<(), BoxError>>,
    }
}

impl<F> Generator<F> {
    /// Runs `body`, whose yields write through the yielder `yields` belongs to.
    pub fn new(yields: Yields, body: F) -> Self {
        Self {
            state: Some(yields.state),
            body,
            done: false,
            ended: None,
        }
    }
}

impl<F> EventStream for Generator<F>
where
    F: Future,
    F::Output: BodyOutput,
{
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        writer: &mut EventWriter,
    ) -> Poll<Option<Result<usize, BoxError>>> {
        let this = self.project();
        if *this.done {
            return Poll::Ready(this.ended.take().and_then(Result::err).map(Err));
        }
        // One poll runs the body through every yield that fits in the frame
        // (see `Yielder::suspend`).
        let output = {
            let _lent = Lent::new(this.state, writer);
            this.body.poll(cx)
        };
        if let Poll::Ready(output) = output {
            *this.done = true;
            *this.ended = Some(output.into_result());
        }
        let Some(state) = this.state.as_mut() else {
            // The lend always puts the state back; without it, end cleanly.
            *this.done = true;
            return Poll::Ready(None);
        };
        let events = std::mem::take(&mut state.events);
        if let Some(error) = state.error.take() {
            *this.done = true;
            *this.ended = Some(Err(error.into()));
        }
        if events > 0 {
            // An error or the end is reported on the next call.
            return Poll::Ready(Some(Ok(events)));
        }
        if *this.done {
            return Poll::Ready(this.ended.take().and_then(Result::err).map(Err));
        }
        Poll::Pending
    }
}
