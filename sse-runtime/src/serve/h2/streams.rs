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
//! The executor also counts the connection's live stream tasks, and notes
//! since when it has had none: the connection's guard closes an HTTP/2
//! connection that has gone without a stream for its header read timeout
//! (`ConnectionGuard`), as hyper closes an HTTP/1 connection that has gone
//! without a request head. A stream counts from the moment hyper has its
//! headers until its task ends, so a long event stream, however quiet,
//! keeps its connection.
//!
//! [`WatchedIo`]: crate::serve::WatchedIo

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::task::{Context, Poll};

use tokio::time::Instant;

use crate::response::{DisconnectReason, Enforcement, WaitClock};
use crate::sync::lock;

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

/// What one HTTP/2 connection and its stream tasks tell each other.
#[derive(Debug)]
pub(crate) struct ConnectionEnd {
    /// Set when the connection's guard drops it at the end of the grace
    /// period, so that the streams it takes down report a shutdown.
    grace_over: AtomicBool,
    /// The live stream tasks, for the guard's idle rule.
    streams: Mutex<Streams>,
}

/// How many stream tasks live, and since when none has.
#[derive(Debug)]
struct Streams {
    open: usize,
    /// When the last stream task ended (at first: when the connection
    /// started); meaningful only while `open` is 0.
    idle_since: Instant,
}

impl Default for ConnectionEnd {
    fn default() -> Self {
        Self {
            grace_over: AtomicBool::new(false),
            streams: Mutex::new(Streams {
                open: 0,
                idle_since: Instant::now(),
            }),
        }
    }
}

impl ConnectionEnd {
    /// The guard drops the connection: its streams end for the shutdown.
    pub(crate) fn grace_over(&self) {
        self.grace_over.store(true, Ordering::Relaxed);
    }

    /// Since when the connection has had no stream, or `None` while it has
    /// one.
    pub(crate) fn idle_since(&self) -> Option<Instant> {
        let streams = self.lock();
        (streams.open == 0).then_some(streams.idle_since)
    }

    fn stream_opened(&self) {
        self.lock().open += 1;
    }

    fn stream_ended(&self) {
        let mut streams = self.lock();
        streams.open -= 1;
        if streams.open == 0 {
            streams.idle_since = Instant::now();
        }
    }

    fn lock(&self) -> MutexGuard<'_, Streams> {
        lock(&self.streams)
    }
}

/// One live stream task, counted while it lives.
#[derive(Debug)]
struct OpenStream(Arc<ConnectionEnd>);

impl OpenStream {
    fn new(connection: Arc<ConnectionEnd>) -> Self {
        connection.stream_opened();
        Self(connection)
    }
}

impl Drop for OpenStream {
    fn drop(&mut self) {
        self.0.stream_ended();
    }
}

/// hyper's executor for one connection's HTTP/2 stream tasks (and anything
/// else it spawns): tokio's, with each task watched.
#[derive(Clone, Debug, Default)]
pub(crate) struct StreamExecutor {
    pub(crate) connection: Arc<ConnectionEnd>,
}

impl StreamExecutor {
    /// hyper's HTTP/2 connection as every connection here is served, its
    /// stream tasks spawned by this executor; its guard closes it once it
    /// has gone without a stream for the header read timeout
    /// (`ConnectionGuard::with_h2`). No HTTP/2 `PING`s: a peer that vanished
    /// is found by the socket's TCP keep-alive and user timeout, as over
    /// HTTP/1.
    pub(crate) fn builder(self) -> hyper::server::conn::http2::Builder<Self> {
        let mut builder = hyper::server::conn::http2::Builder::new(self);
        builder.timer(hyper_util::rt::TokioTimer::new());
        builder
    }
}

impl<F> hyper::rt::Executor<F> for StreamExecutor
where
    F: Future<Output = ()> + Send + 'static,
{
    fn execute(&self, task: F) {
        tokio::spawn(WatchedStreamTask {
            task,
            watch: Arc::new(StreamWatch::default()),
            connection: OpenStream::new(self.connection.clone()),
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
        connection: OpenStream,
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
            if this.connection.0.grace_over.load(Ordering::Relaxed) && stream.ended_by().is_none() {
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
