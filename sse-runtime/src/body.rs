//! The response body: polls the generator, encodes what it yields into one
//! reusable buffer, and handles keep-alive, shutdown, errors and panics.
//!
//! Every ready event is written into the same frame until the generator is
//! pending or the frame reaches [`FRAME_BUDGET`]: a firehose goes out in few
//! large writes, while a lone event still leaves at once.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::{Bytes, BytesMut};
use http_body::{Frame, SizeHint};
use pin_project_lite::pin_project;
use tokio::time::{Instant, Sleep};

use crate::encode::EventWriter;
use crate::event::Event;
use crate::item::BoxError;
use crate::keep_alive::{KeepAlive, Message};
use crate::lifecycle::{Disconnect, DisconnectReason, StreamControl, StreamStats};
use crate::limit::StreamPermit;
use crate::line_ending::LineEnding;
use crate::response::{BoxFuture, Config, DisconnectHook, ErrorEventFn, ShutdownHook};
use crate::shutdown::{ShutdownListener, Stage};
use crate::source::EventSource;

/// Stop adding ready events to a frame once it holds this many bytes.
pub(crate) const FRAME_BUDGET: usize = 32 * 1024;

/// Where the body is in its life.
enum Phase {
    /// Not polled yet: the opening frame is still to be written.
    Opening,
    Streaming,
    /// Shutdown asked for a farewell; the hook is computing it.
    Farewell(BoxFuture<Vec<Event>>),
    /// Nothing more will be written; what is buffered is the last frame.
    Ended,
}

pin_project! {
    /// The `http_body::Body` behind [`SseResponse`](crate::SseResponse).
    pub(crate) struct SseBody<S> {
        #[pin]
        stream: Option<S>,
        phase: Phase,
        buf: BytesMut,
        line_ending: LineEnding,
        retry: Option<std::time::Duration>,
        keep_alive: Option<KeepAliveTimer>,
        shutdown: Option<ShutdownListener>,
        draining: bool,
        on_shutdown: Option<ShutdownHook>,
        on_disconnect: Option<DisconnectHook>,
        error_event: Option<ErrorEventFn>,
        control: Arc<StreamControl>,
        end_reason: Option<DisconnectReason>,
        stats: StreamStats,
        started: Option<Instant>,
        _permit: Option<StreamPermit>,
        peer: Option<std::net::SocketAddr>,
        span: tracing::Span,
    }

    impl<S> PinnedDrop for SseBody<S> {
        fn drop(this: Pin<&mut Self>) {
            this.finish();
        }
    }
}

struct KeepAliveTimer {
    interval: std::time::Duration,
    message: Message,
    sleep: Pin<Box<Sleep>>,
    /// When the last frame went out; the ping is due `interval` after it.
    last_frame: Instant,
}

impl<S: EventSource> SseBody<S> {
    pub(crate) fn new(
        stream: S,
        config: Config,
        control: Arc<StreamControl>,
        permit: Option<StreamPermit>,
    ) -> Self {
        let KeepAlive { interval, message } = config.keep_alive;
        let keep_alive = interval.map(|interval| {
            let now = Instant::now();
            KeepAliveTimer {
                interval,
                message,
                sleep: Box::pin(tokio::time::sleep_until(now + interval)),
                last_frame: now,
            }
        });
        Self {
            stream: Some(stream),
            phase: Phase::Opening,
            buf: BytesMut::new(),
            line_ending: config.line_ending,
            retry: config.retry,
            keep_alive,
            shutdown: config.shutdown.as_ref().map(|s| s.listener()),
            draining: false,
            on_shutdown: config.on_shutdown,
            on_disconnect: config.on_disconnect,
            error_event: config.error_event,
            control,
            end_reason: None,
            stats: StreamStats::default(),
            started: None,
            _permit: permit,
            peer: config.peer,
            span: match config.peer {
                Some(peer) => tracing::info_span!("sse.stream", %peer),
                None => tracing::info_span!("sse.stream"),
            },
        }
    }
}

impl<S> SseBody<S> {
    /// Runs once, when the body is dropped: drops the generator, then logs
    /// and hands the hook why and how the stream ended.
    fn finish(self: Pin<&mut Self>) {
        let mut this = self.project();
        this.stream.set(None);
        let Some(started) = *this.started else {
            // Never polled (a `HEAD` request, or a response dropped before it
            // was sent): the stream never started, so it did not disconnect.
            return;
        };
        let reason = this
            .end_reason
            .or_else(|| this.control.connection_reason())
            .unwrap_or(DisconnectReason::ClientGone);
        let mut stats = std::mem::take(this.stats);
        stats.duration = started.elapsed();
        let _entered = this.span.enter();
        match reason {
            DisconnectReason::ClientGone => tracing::info!(
                events = stats.events,
                bytes = stats.bytes,
                duration = ?stats.duration,
                last_id = ?stats.last_id,
                "client disconnected"
            ),
            DisconnectReason::Error => tracing::warn!(
                events = stats.events,
                bytes = stats.bytes,
                "stream ended by an error"
            ),
            reason => tracing::info!(
                %reason,
                events = stats.events,
                bytes = stats.bytes,
                duration = ?stats.duration,
                "stream closed"
            ),
        }
        if let Some(hook) = this.on_disconnect.take() {
            match tokio::runtime::Handle::try_current() {
                Ok(runtime) => {
                    runtime.spawn(hook(Disconnect {
                        reason,
                        stats,
                        peer: *this.peer,
                    }));
                }
                Err(_) => tracing::error!("no tokio runtime to run the on_disconnect hook on"),
            }
        }
    }
}

impl<S: EventSource> http_body::Body for SseBody<S> {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let mut this = self.project();
        let _entered = this.span.enter();

        if let Phase::Opening = this.phase {
            *this.phase = Phase::Streaming;
            *this.started = Some(Instant::now());
            tracing::info!("stream opened");
            if this.control.send_timeout.is_some() && !this.control.is_managed() {
                tracing::warn!(
                    "send_timeout needs `sse_runtime::serve`: under another server a client \
                     that stops reading is not dropped"
                );
            }
            // Something to send at once, so the headers leave now and the
            // browser's `open` fires before the first event. The generator
            // is polled in this same poll, so by the time a client sees
            // `open`, the endpoint has run to its first await (a hub
            // subscription is in place).
            let mut writer = EventWriter::new(this.buf, *this.line_ending);
            match this.retry {
                Some(retry) => writer.retry(*retry),
                None => writer.comment(""),
            }
            writer.end();
        }

        // Shutdown: a farewell from the hook, or the generator's own ending,
        // until the grace period runs out.
        if let Some(listener) = this.shutdown.as_mut() {
            match listener.poll_stage(cx) {
                Poll::Pending => {}
                Poll::Ready(Stage::Forced) => {
                    if !matches!(this.phase, Phase::Ended) {
                        tracing::info!("grace period over; ending stream");
                        this.stream.set(None);
                        *this.phase = Phase::Ended;
                        this.end_reason.get_or_insert(DisconnectReason::Shutdown);
                    }
                }
                Poll::Ready(Stage::Draining) => {
                    if !*this.draining {
                        *this.draining = true;
                        tracing::info!("shutdown: stream asked to finish");
                        if let Some(hook) = this.on_shutdown.take() {
                            this.stream.set(None);
                            *this.phase = Phase::Farewell(hook());
                        }
                    }
                }
            }
        }

        // A hub message ready to go out as it is, shared with every
        // subscriber (set only while the buffer is empty).
        let mut shared = None;
        match this.phase {
            Phase::Farewell(farewell) => {
                if let Poll::Ready(events) = farewell.as_mut().poll(cx) {
                    let mut writer = EventWriter::new(this.buf, *this.line_ending);
                    for event in &events {
                        write_event(&mut writer, event, this.stats);
                    }
                    *this.phase = Phase::Ended;
                    this.end_reason.get_or_insert(DisconnectReason::Shutdown);
                }
            }
            Phase::Streaming => {
                if let Some(reason) = poll_events(
                    this.stream.as_mut(),
                    cx,
                    this.buf,
                    *this.line_ending,
                    this.stats,
                    this.error_event.as_ref(),
                    &mut shared,
                ) {
                    *this.phase = Phase::Ended;
                    this.stream.set(None);
                    this.end_reason.get_or_insert(if *this.draining {
                        DisconnectReason::Shutdown
                    } else {
                        reason
                    });
                }
            }
            Phase::Opening | Phase::Ended => {}
        }

        if let Some(frame) = shared {
            this.stats.bytes += frame.len() as u64;
            if let Some(keep_alive) = this.keep_alive.as_mut() {
                keep_alive.last_frame = Instant::now();
            }
            return Poll::Ready(Some(Ok(Frame::data(frame))));
        }
        if !this.buf.is_empty() {
            let frame = this.buf.split().freeze();
            this.stats.bytes += frame.len() as u64;
            if let Some(keep_alive) = this.keep_alive.as_mut() {
                keep_alive.last_frame = Instant::now();
            }
            return Poll::Ready(Some(Ok(Frame::data(frame))));
        }
        if let Phase::Ended = this.phase {
            return Poll::Ready(None);
        }

        // Idle: a ping once nothing has been sent for a whole interval. The
        // timer is moved only when it fires, not on every frame.
        if let Some(keep_alive) = this.keep_alive.as_mut() {
            let due = keep_alive.last_frame + keep_alive.interval;
            if keep_alive.sleep.deadline() != due {
                keep_alive.sleep.as_mut().reset(due);
            }
            if keep_alive.sleep.as_mut().poll(cx).is_ready() {
                let mut writer = EventWriter::new(this.buf, *this.line_ending);
                match &keep_alive.message {
                    Message::Comment(text) => {
                        writer.comment(text);
                        writer.end();
                    }
                    Message::Event(factory) => {
                        // A ping is not an event of the stream: not counted.
                        let _ = writer.write(&factory());
                    }
                }
                let frame = this.buf.split().freeze();
                this.stats.bytes += frame.len() as u64;
                keep_alive.last_frame = Instant::now();
                return Poll::Ready(Some(Ok(Frame::data(frame))));
            }
        }
        Poll::Pending
    }

    fn is_end_stream(&self) -> bool {
        false
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::default()
    }
}

/// Writes every event the generator has ready into `buf`, up to the frame
/// budget. Returns why the stream ended, if it did.
fn poll_events<S: EventSource>(
    stream: Pin<&mut Option<S>>,
    cx: &mut Context<'_>,
    buf: &mut BytesMut,
    line_ending: LineEnding,
    stats: &mut StreamStats,
    error_event: Option<&ErrorEventFn>,
    shared: &mut Option<Bytes>,
) -> Option<DisconnectReason> {
    let mut writer = EventWriter::new(buf, line_ending);
    let ended = write_ready_events(stream, cx, &mut writer, stats, error_event);
    *shared = writer.take_shared();
    ended
}

/// The loop of [`poll_events`]. It stops at a shared frame (a hub message),
/// which goes out as a frame of its own, uncopied.
fn write_ready_events<S: EventSource>(
    mut stream: Pin<&mut Option<S>>,
    cx: &mut Context<'_>,
    writer: &mut EventWriter<'_>,
    stats: &mut StreamStats,
    error_event: Option<&ErrorEventFn>,
) -> Option<DisconnectReason> {
    while writer.len() < FRAME_BUDGET && !writer.has_shared() {
        let Some(generator) = stream.as_mut().as_pin_mut() else {
            return Some(DisconnectReason::Completed);
        };
        // A panic in the generator ends this stream only; the connection and
        // the server go on.
        let polled = catch_unwind(AssertUnwindSafe(|| generator.poll_write(cx, writer)));
        let written = match polled {
            Err(panic) => {
                let message = panic_message(&panic);
                tracing::error!(
                    panic = message,
                    "the event generator panicked; ending the stream"
                );
                send_error_event(writer, error_event, &BoxError::from(message), stats);
                return Some(DisconnectReason::Error);
            }
            Ok(Poll::Pending) => return None,
            Ok(Poll::Ready(None)) => return Some(DisconnectReason::Completed),
            Ok(Poll::Ready(Some(written))) => written,
        };
        match written {
            Ok(events) => record_events(writer, stats, events),
            Err(error) => {
                tracing::error!(%error, "the event stream failed; ending it");
                send_error_event(writer, error_event, &error, stats);
                return Some(DisconnectReason::Error);
            }
        }
    }
    None
}

fn write_event(writer: &mut EventWriter<'_>, event: &Event, stats: &mut StreamStats) {
    // An `Event`'s values were checked when it was built.
    if writer.write(event).is_ok() {
        record_events(writer, stats, 1);
    }
}

fn record_events(writer: &mut EventWriter<'_>, stats: &mut StreamStats, events: usize) {
    stats.events += events as u64;
    if let Some(id) = writer.take_last_id() {
        // Reuses the allocation of the previous id.
        let last_id = stats.last_id.get_or_insert_with(String::new);
        last_id.clear();
        last_id.push_str(id);
    }
}

fn send_error_event(
    writer: &mut EventWriter<'_>,
    error_event: Option<&ErrorEventFn>,
    error: &BoxError,
    stats: &mut StreamStats,
) {
    if let Some(event) = error_event.and_then(|to_event| to_event(error)) {
        write_event(writer, &event, stats);
    }
}

fn panic_message(panic: &Box<dyn std::any::Any + Send>) -> String {
    if let Some(message) = panic.downcast_ref::<&str>() {
        format!("generator panicked: {message}")
    } else if let Some(message) = panic.downcast_ref::<String>() {
        format!("generator panicked: {message}")
    } else {
        "generator panicked".to_owned()
    }
}
