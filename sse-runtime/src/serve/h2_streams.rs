//! The send timeout and the shutdown for each stream of an HTTP/2 connection.
//!
//! Over HTTP/1 a connection carries one event stream at a time, and its
//! socket enforces that stream's send timeout ([`WatchedIo`]). Over HTTP/2 a
//! connection carries many, and one whose client stopped reading does not
//! block the socket: it runs out of flow-control window, and hyper stops
//! polling its body while the other streams go on. So the socket cannot see
//! it, and the body, not being polled, cannot either.
//!
//! hyper runs each HTTP/2 stream as a task of its own, spawned through the
//! connection's executor. [`StreamExecutor`] wraps each such task in a
//! [`WatchedStreamTask`]: when its response turns out to be an event stream
//! (the service [`attach`]es the stream's [`Enforcement`] while running inside
//! the task), the task watches whether the body's last frame is still waiting
//! to be sent after the task was polled. Waiting longer than the send timeout
//! ends the task: the body is dropped (its disconnect hook runs with
//! `send_timeout`) and h2 resets the stream (`RST_STREAM`), while the
//! connection and its other streams go on.
//!
//! [`WatchedIo`]: crate::serve::WatchedIo

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};

use crate::response::{DisconnectReason, Enforcement};
use crate::serve::wait_clock::WaitClock;

tokio::task_local! {
    /// The stream task being polled, while its response is being made.
    static CURRENT_TASK: Arc<StreamWatch>;
}

/// Called by the connection's service once a response is ready: inside an
/// HTTP/2 stream task, the task enforces `stream`'s send timeout from now on.
/// Returns whether it does (outside one, the connection's socket must).
pub(crate) fn attach(stream: &Arc<Enforcement>) -> bool {
    CURRENT_TASK
        .try_with(|task| task.enforcement.set(stream.clone()).is_ok())
        .unwrap_or(false)
}

/// What one HTTP/2 connection tells all of its stream tasks.
#[derive(Debug, Default)]
pub(crate) struct ConnectionEnd {
    /// Set when the connection's guard drops it at the end of the grace
    /// period, so that the streams it takes down report a shutdown.
    grace_over: AtomicBool,
}

impl ConnectionEnd {
    /// The guard drops the connection: its streams end for the shutdown.
    pub(crate) fn grace_over(&self) {
        self.grace_over.store(true, Ordering::Relaxed);
    }
}

/// hyper's executor for one connection's HTTP/2 stream tasks (and anything
/// else it spawns): tokio's, with each task watched.
#[derive(Clone, Debug, Default)]
pub(crate) struct StreamExecutor {
    pub(crate) connection: Arc<ConnectionEnd>,
}

impl<F> hyper::rt::Executor<F> for StreamExecutor
where
    F: Future<Output = ()> + Send + 'static,
{
    fn execute(&self, task: F) {
        tokio::spawn(WatchedStreamTask {
            task,
            watch: Arc::new(StreamWatch::default()),
            connection: self.connection.clone(),
            frame: WaitClock::default(),
        });
    }
}

/// The event stream a task turned out to carry, once it has.
#[derive(Debug, Default)]
struct StreamWatch {
    enforcement: OnceLock<Arc<Enforcement>>,
}

pin_project_lite::pin_project! {
    /// One HTTP/2 stream's task, ended when its event stream's frame has
    /// waited longer than the send timeout.
    struct WatchedStreamTask<F> {
        #[pin]
        task: F,
        watch: Arc<StreamWatch>,
        connection: Arc<ConnectionEnd>,
        // Since when the body's last frame has been waiting.
        frame: WaitClock,
    }
}

impl<F: Future<Output = ()>> Future for WatchedStreamTask<F> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.project();
        let done = match this.watch.enforcement.get() {
            // The stream is known: nothing more to attach.
            Some(_) => this.task.poll(cx),
            None => CURRENT_TASK.sync_scope(this.watch.clone(), || this.task.poll(cx)),
        };
        let Some(stream) = this.watch.enforcement.get() else {
            return done;
        };
        if done.is_ready() {
            // The task is dropped after this, and the body with it: if the
            // connection was taken down at the end of the grace period, the
            // stream's report says so.
            if this.connection.grace_over.load(Ordering::Relaxed) && stream.ended_by().is_none() {
                stream.end(DisconnectReason::Shutdown);
            }
            return Poll::Ready(());
        }
        // hyper polls the body again as soon as a frame is sent; a frame still
        // waiting after this poll is waiting for flow-control window.
        let Some(timeout) = stream.send_timeout.filter(|_| stream.frame_waiting()) else {
            this.frame.going();
            return Poll::Pending;
        };
        this.frame.waiting();
        if this.frame.poll_waited(timeout, cx).is_pending() {
            return Poll::Pending;
        }
        tracing::debug!(
            ?timeout,
            "HTTP/2 client stopped reading this stream: its frame waited longer than the send timeout"
        );
        stream.end(DisconnectReason::SendTimeout);
        // Dropping the task drops the body and h2's handle on the stream,
        // which resets it; the connection's other streams go on.
        Poll::Ready(())
    }
}
