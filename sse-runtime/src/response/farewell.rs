//! How a stream meets a shutdown: asked to finish, it stops its generator
//! and sends the `on_shutdown` farewell (or, without one, lets the generator
//! end by itself); once the grace period is over it is ended.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::task::{Context, Poll};

use futures_util::future::BoxFuture;

use crate::event::Event;
use crate::response::streaming::panic_message;
use crate::shutdown::{Notice, ShutdownListener};

/// An `on_shutdown` hook, boxed.
pub(crate) type ShutdownHook = Box<dyn FnOnce() -> BoxFuture<'static, Vec<Event>> + Send>;

/// One stream's view of the server's shutdown.
pub(crate) struct StreamShutdown {
    listener: ShutdownListener,
    hook: Option<ShutdownHook>,
    asked: bool,
}

/// What a stream must do about the shutdown now.
pub(crate) enum ShutdownStep {
    /// Stop the generator and send these events last.
    Farewell(BoxFuture<'static, Vec<Event>>),
    /// Asked to finish, with no farewell: the generator runs on and is
    /// expected to end by itself (it can watch `Shutdown::requested`).
    Finish,
    /// The grace period is over: end now.
    EndNow,
}

impl StreamShutdown {
    pub(crate) fn new(listener: ShutdownListener, hook: Option<ShutdownHook>) -> Self {
        Self {
            listener,
            hook,
            asked: false,
        }
    }

    /// Whether the stream has been asked to finish; a generator that ends
    /// after that ended because of the shutdown.
    pub(crate) fn asked(&self) -> bool {
        self.asked
    }

    /// The step to take, once: `Farewell` or `Finish` when the shutdown
    /// starts, then `EndNow` on every poll after the grace period.
    pub(crate) fn poll_step(&mut self, cx: &mut Context<'_>) -> Poll<ShutdownStep> {
        match self.listener.poll_notice(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Notice::GraceOver) => Poll::Ready(ShutdownStep::EndNow),
            Poll::Ready(Notice::FinishUp) if self.asked => Poll::Pending,
            Poll::Ready(Notice::FinishUp) => {
                self.asked = true;
                tracing::info!("shutdown: stream asked to finish");
                Poll::Ready(match self.hook.take() {
                    Some(hook) => match catch_unwind(AssertUnwindSafe(hook)) {
                        Ok(farewell) => ShutdownStep::Farewell(farewell),
                        // The stream still ends as a shutdown does, only
                        // without its farewell.
                        Err(panic) => {
                            tracing::error!(
                                panic = panic_message(&*panic),
                                "the on_shutdown hook panicked; ending the stream without a \
                                 farewell"
                            );
                            ShutdownStep::Farewell(Box::pin(std::future::ready(Vec::new())))
                        }
                    },
                    None => ShutdownStep::Finish,
                })
            }
        }
    }
}
