//! The response body, a small state machine: it opens with a frame of its
//! own, streams what the generator writes, meets a shutdown, pings while
//! idle, and reports how the stream ended when it is dropped.
//!
//! Each poll runs the phases in order (open, shutdown, farewell or
//! streaming, keep-alive) and sends at most one frame, taken from the writer
//! every phase writes into, over the one reusable frame buffer.

use std::convert::Infallible;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use futures_util::future::BoxFuture;
use http_body::{Frame, SizeHint};
use pin_project_lite::pin_project;

use crate::event::{Event, EventWriter, LineEnding};
use crate::response::config::Config;
use crate::response::disconnect::{DisconnectReason, Ending};
use crate::response::enforcement::Enforcement;
use crate::response::farewell::{ShutdownStep, StreamShutdown};
use crate::response::keep_alive::KeepAliveTimer;
use crate::response::limit::StreamPermit;
use crate::response::max_duration::Expiry;
use crate::response::span::stream_span;
use crate::response::stream::EventStream;
use crate::response::streaming::{ErrorEventFn, panic_message, write_events, write_ready_events};

/// Where the body is in its life.
enum Phase {
    /// Not polled yet: the opening frame is still to be written.
    Opening(Option<Box<Expiry>>),
    /// With the stream's clock, if it has a maximum duration (boxed: most
    /// streams have none, and an idle body's size is memory per stream).
    Streaming(Option<Box<Expiry>>),
    /// Shutdown asked for a farewell; the hook is computing it.
    Farewell(BoxFuture<'static, Vec<Event>>),
    /// Nothing more will be written; what is buffered is the last frame.
    Ended,
}

type PollFrame = Poll<Option<Result<Frame<Bytes>, Infallible>>>;

pin_project! {
    /// The `http_body::Body` behind [`SseResponse`](crate::SseResponse): the
    /// stream's state, run inside the stream's tracing span.
    pub(crate) struct SseBody<S> {
        #[pin]
        state: State<S>,
        span: tracing::Span,
    }

    impl<S> PinnedDrop for SseBody<S> {
        fn drop(this: Pin<&mut Self>) {
            let this = this.project();
            let _entered = this.span.enter();
            let mut state = this.state.project();
            // The generator and the stream's place in its limit go first, so
            // that when the hook runs, their resources are free.
            state.events.set(None);
            state.permit.take();
            state.ending.report(state.enforcement.ended_by(), this.span);
        }
    }
}

pin_project! {
    #[project = BodyState]
    struct State<S> {
        // The generator; `None` once it has been dropped.
        #[pin]
        events: Option<S>,
        phase: Phase,
        // The frame buffer, kept between polls for its capacity; each poll
        // writes into it through a writer of its own, so that a writer's
        // per-event bookkeeping costs no memory while the stream is idle.
        buf: BytesMut,
        line_ending: LineEnding,
        retry: Option<Duration>,
        keep_alive: Option<KeepAliveTimer>,
        shutdown: Option<StreamShutdown>,
        error_event: Option<ErrorEventFn>,
        ending: Ending,
        enforcement: Arc<Enforcement>,
        permit: Option<StreamPermit>,
    }
}

impl<S: EventStream> SseBody<S> {
    pub(crate) fn new(
        events: S,
        config: Config,
        enforcement: Arc<Enforcement>,
        permit: Option<StreamPermit>,
    ) -> Self {
        let span = stream_span(
            config.route.as_ref(),
            config.peer,
            config.last_event_id.as_ref(),
        );
        let state = State {
            events: Some(events),
            phase: Phase::Opening(config.max_duration.map(|max| Box::new(max.start()))),
            buf: BytesMut::new(),
            line_ending: config.line_ending,
            retry: config.retry,
            keep_alive: config.keep_alive.start(),
            shutdown: config
                .shutdown
                .map(|shutdown| StreamShutdown::new(shutdown.listener(), config.on_shutdown)),
            error_event: config.error_event,
            ending: Ending::new(config.on_disconnect, config.peer, config.route.as_ref()),
            enforcement,
            permit,
        };
        Self { state, span }
    }
}

impl<S: EventStream> BodyState<'_, S> {
    /// Something to send at once, so the headers leave now and the browser's
    /// `open` fires before the first event. The generator is polled in this
    /// same poll, so by the time a client sees `open`, the endpoint has run
    /// to its first await (a hub subscription is in place).
    fn open(&mut self, writer: &mut EventWriter) {
        let expiry = match self.phase {
            Phase::Opening(expiry) => expiry.take(),
            _ => None,
        };
        *self.phase = Phase::Streaming(expiry);
        self.ending.start();
        tracing::info!("stream opened");
        if self.enforcement.send_timeout.is_some() && !self.enforcement.is_enforced() {
            static EXPLAINED: AtomicBool = AtomicBool::new(false);
            if !EXPLAINED.swap(true, Ordering::Relaxed) {
                tracing::error!(
                    "this stream's send_timeout is not enforced, so a client \
                     that stops reading is never dropped: serve the router with \
                     `sse_runtime::serve(listener, app)`, or keep `axum::serve` with \
                     `axum::serve(SseListener::new(listener, &shutdown), \
                     sse_runtime::make_service(app))` (logged once)"
                );
            }
        }
        match self.retry {
            Some(retry) => writer.retry(*retry),
            None => writer.comment(""),
        }
        writer.end();
    }

    /// Acts on the shutdown: a farewell from the hook, or the generator's
    /// own ending, until the grace period runs out.
    fn poll_shutdown(&mut self, cx: &mut Context<'_>) {
        let Some(shutdown) = self.shutdown.as_mut() else {
            return;
        };
        match shutdown.poll_step(cx) {
            Poll::Pending | Poll::Ready(ShutdownStep::Finish) => {}
            Poll::Ready(ShutdownStep::Farewell(farewell)) => {
                self.events.set(None);
                *self.phase = Phase::Farewell(farewell);
            }
            Poll::Ready(ShutdownStep::EndNow) => {
                if !matches!(self.phase, Phase::Ended) {
                    tracing::info!("grace period over; ending stream");
                    self.end(DisconnectReason::Shutdown);
                }
            }
        }
    }

    /// Writes the farewell once the hook has computed it, then ends.
    fn poll_farewell(&mut self, cx: &mut Context<'_>, writer: &mut EventWriter) {
        let Phase::Farewell(farewell) = &mut *self.phase else {
            return;
        };
        match catch_unwind(AssertUnwindSafe(|| farewell.as_mut().poll(cx))) {
            Ok(Poll::Pending) => {}
            Ok(Poll::Ready(events)) => {
                write_events(writer, &events, self.ending);
                self.end(DisconnectReason::Shutdown);
            }
            // The stream still ends as a shutdown does, with its last chunk.
            Err(panic) => {
                tracing::error!(
                    panic = panic_message(&*panic),
                    "the on_shutdown farewell panicked; ending the stream without it"
                );
                self.end(DisconnectReason::Shutdown);
            }
        }
    }

    /// Ends a stream that has lived its maximum duration, after its
    /// farewell: cleanly, so that the client reconnects.
    fn poll_expiry(&mut self, cx: &mut Context<'_>, writer: &mut EventWriter) {
        let Phase::Streaming(Some(expiry)) = &mut *self.phase else {
            return;
        };
        let Poll::Ready(farewell) = expiry.poll_expired(cx) else {
            return;
        };
        if let Some(farewell) = farewell {
            match catch_unwind(AssertUnwindSafe(|| farewell())) {
                Ok(event) => write_events(writer, &[event], self.ending),
                Err(panic) => tracing::error!(
                    panic = panic_message(&*panic),
                    "the max_duration farewell panicked; ending the stream without it"
                ),
            }
        }
        tracing::info!("stream reached its max_duration; ending it for the client to reconnect");
        self.end(DisconnectReason::MaxDuration);
    }

    /// Writes what the generator has ready; ends when it does.
    fn poll_streaming(&mut self, cx: &mut Context<'_>, writer: &mut EventWriter) {
        let ended = write_ready_events(
            self.events.as_mut(),
            cx,
            writer,
            self.ending,
            self.error_event.as_ref(),
        );
        if let Some(reason) = ended {
            // A generator that ends once asked to finish ends for the shutdown.
            let asked = self.shutdown.as_ref().is_some_and(StreamShutdown::asked);
            self.end(if asked {
                DisconnectReason::Shutdown
            } else {
                reason
            });
        }
    }

    /// Nothing more will be written: the generator is dropped now.
    fn end(&mut self, reason: DisconnectReason) {
        self.events.set(None);
        *self.phase = Phase::Ended;
        self.ending.end(reason);
    }

    /// Sends the frame waiting in the writer, if any.
    fn send_frame(&mut self, writer: &mut EventWriter) -> Option<PollFrame> {
        let frame = writer.take_frame()?;
        self.ending.record_bytes(frame.len());
        if let Some(keep_alive) = self.keep_alive.as_mut() {
            keep_alive.frame_sent();
        }
        Some(Poll::Ready(Some(Ok(Frame::data(frame)))))
    }

    /// While idle: a ping once nothing has been sent for a whole interval.
    fn poll_keep_alive(&mut self, cx: &mut Context<'_>, writer: &mut EventWriter) -> PollFrame {
        let Some(keep_alive) = self.keep_alive.as_mut() else {
            return Poll::Pending;
        };
        std::task::ready!(keep_alive.poll_ping(cx, writer));
        self.ending.record_ping();
        self.send_frame(writer).unwrap_or(Poll::Pending)
    }

    /// One poll: the phases in order, at most one frame sent.
    fn poll_phases(&mut self, cx: &mut Context<'_>, writer: &mut EventWriter) -> PollFrame {
        if let Phase::Opening(_) = self.phase {
            self.open(writer);
        }
        self.poll_shutdown(cx);
        match self.phase {
            Phase::Farewell(_) => self.poll_farewell(cx, writer),
            Phase::Streaming(_) => {
                self.poll_expiry(cx, writer);
                if let Phase::Streaming(_) = self.phase {
                    self.poll_streaming(cx, writer);
                }
            }
            Phase::Opening(_) | Phase::Ended => {}
        }
        if let Some(sent) = self.send_frame(writer) {
            return sent;
        }
        if let Phase::Ended = self.phase {
            return Poll::Ready(None);
        }
        self.poll_keep_alive(cx, writer)
    }
}

impl<S: EventStream> http_body::Body for SseBody<S> {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> PollFrame {
        let this = self.project();
        let _entered = this.span.enter();
        let mut state = this.state.project();
        let buf = std::mem::take(state.buf);
        let mut writer = EventWriter::for_frames(buf, *state.line_ending);
        let polled = state.poll_phases(cx, &mut writer);
        *state.buf = writer.into_buf();
        state
            .enforcement
            .note_poll(matches!(polled, Poll::Ready(Some(_))));
        polled
    }

    fn is_end_stream(&self) -> bool {
        false
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::default()
    }
}

#[cfg(test)]
mod tests {
    use super::SseBody;

    /// Every open stream keeps its body, boxed by axum, for as long as it is
    /// open: it was 424 bytes (with a pending stream, on x86-64) when the
    /// runtime was split into layers, and BENCHMARKS.md relies on that. The
    /// `metrics` feature adds a pointer to the stream's route, then handles.
    #[test]
    fn an_idle_body_stays_small() {
        let size =
            std::mem::size_of::<SseBody<futures_util::stream::Pending<crate::event::Event>>>();
        let limit = if cfg!(feature = "metrics") { 432 } else { 424 };
        assert!(size <= limit, "the response body is {size} bytes");
    }
}
