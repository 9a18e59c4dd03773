//! The streaming phase: every event the generator has ready goes into one
//! frame, and the generator's errors and panics end this stream only.
//!
//! Ready events are written into the same frame until the generator is
//! pending or the frame reaches [`FRAME_BUDGET`]: a firehose goes out in few
//! large writes, while a lone event still leaves at once.

use std::any::Any;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use crate::event::{Event, EventWriter};
use crate::response::disconnect::{DisconnectReason, Ending};
use crate::response::stream::{BoxError, EventStream};

/// Stop adding ready events to a frame once it holds this many bytes.
pub(crate) const FRAME_BUDGET: usize = 32 * 1024;

/// The `error_event` policy: the event to send last when the stream fails.
pub(crate) type ErrorEventFn = Arc<dyn Fn(&BoxError) -> Option<Event> + Send + Sync>;

/// Writes every event the generator has ready into `writer`, up to the frame
/// budget and stopping at a shared frame (which goes out alone, uncopied).
/// Returns why the stream ended, if it did.
pub(crate) fn write_ready_events<S: EventStream>(
    mut generator: Pin<&mut Option<S>>,
    cx: &mut Context<'_>,
    writer: &mut EventWriter,
    ending: &mut Ending,
    error_event: Option<&ErrorEventFn>,
) -> Option<DisconnectReason> {
    while writer.has_room(FRAME_BUDGET) {
        let Some(events) = generator.as_mut().as_pin_mut() else {
            return Some(DisconnectReason::Completed);
        };
        // A panic in the generator ends this stream only; the connection and
        // the server go on.
        let polled = catch_unwind(AssertUnwindSafe(|| events.poll_write(cx, writer)));
        let error = match polled {
            Ok(Poll::Pending) => return None,
            Ok(Poll::Ready(None)) => return Some(DisconnectReason::Completed),
            Ok(Poll::Ready(Some(Ok(written)))) => {
                ending.record_events(written, writer.take_last_id());
                continue;
            }
            Ok(Poll::Ready(Some(Err(error)))) => {
                tracing::error!(%error, "the event stream failed; ending it");
                error
            }
            Err(panic) => {
                let message = panic_message(&*panic);
                tracing::error!(
                    panic = message,
                    "the event generator panicked; ending the stream"
                );
                BoxError::from(format!("generator panicked: {message}"))
            }
        };
        if let Some(event) = error_event.and_then(|to_event| to_event(&error)) {
            write_events(writer, &[event], ending);
        }
        return Some(DisconnectReason::Error);
    }
    None
}

/// Writes events the response itself sends (a farewell, an error event).
pub(crate) fn write_events(writer: &mut EventWriter, events: &[Event], ending: &mut Ending) {
    for event in events {
        // An `Event`'s values were checked when it was built.
        if writer.write(event).is_ok() {
            ending.record_events(1, writer.take_last_id());
        }
    }
}

/// What a panic said, for the log.
pub(crate) fn panic_message(panic: &(dyn Any + Send)) -> &str {
    panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(a panic without a message)")
}
