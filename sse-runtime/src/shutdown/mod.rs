//! Graceful shutdown for streaming responses.
//!
//! `axum::serve(..).with_graceful_shutdown(..)` waits for every open
//! connection to finish, and an SSE stream never finishes by itself, so a plain
//! axum server with open streams never exits (axum issue #2673). A
//! [`Shutdown`] tells every stream at once; each stream then sends its
//! farewell (an [`on_shutdown`](crate::SseResponse::on_shutdown) hook, or the
//! generator itself watching [`Shutdown::requested`]) and ends, and streams
//! still open after the grace period are ended by force. On HTTP/1.1 such a
//! stream still ends as a complete response (its last chunk sent, so the
//! client sees the stream end, not a broken connection) unless its client
//! has stopped reading and nothing more can be written: then its connection
//! is closed.
//!
//! ```
//! use axum::{Router, routing::get};
//! use sse_runtime::{Event, Shutdown, SseListener, SseResponse};
//! use std::time::Duration;
//!
//! async fn events(shutdown: Shutdown) -> SseResponse<impl futures_core::Stream<Item = Event>> {
//!     let stream = futures_util::stream::pending::<Event>();
//!     SseResponse::new(stream)
//!         .shutdown(shutdown)
//!         .on_shutdown(|| async { vec![Event::data("bye").event("shutdown").expect("a valid name")] })
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> std::io::Result<()> {
//! let shutdown = Shutdown::new().with_grace_period(Duration::from_secs(5));
//! let app = Router::new().route("/events", get(events));
//! // `sse_runtime::serve(listener, app).with_shutdown(shutdown)`, or plain
//! // `axum::serve` on an `SseListener`: the same guarantees.
//! let listener = SseListener::bind("127.0.0.1:0".parse().unwrap(), &shutdown).await?;
//! let signal = sse_runtime::shutdown_signal(); // Ctrl-C or SIGTERM
//! # drop(signal);
//! # let signal = std::future::ready(()); // this example stops at once
//! axum::serve(listener, sse_runtime::make_service(app))
//!     .with_graceful_shutdown(signal)
//!     .await
//! # }
//! ```
//!
//! There is no process-global state: two servers in one process each have
//! their own `Shutdown`.

mod drain;
mod extract;
mod listener;
mod probes;
mod signal;

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::watch;
use tokio::time::Instant;

pub use self::extract::MissingShutdown;
use self::listener::Listeners;
pub(crate) use self::listener::{Notice, ShutdownListener};
pub use self::probes::{live, ready};
pub use self::signal::shutdown_signal;

/// The grace period used unless [`Shutdown::with_grace_period`] sets another.
pub const DEFAULT_GRACE_PERIOD: Duration = Duration::from_secs(5);

/// A shutdown coordinator shared by a server and all its streams.
///
/// Cheap to clone; every clone refers to the same coordinator. Also an axum
/// extractor (from the extension that [`Shutdown::layer`] or
/// [`serve`](crate::serve()) adds), so a handler can pass it to its response
/// and watch it in its generator.
///
/// ```
/// use sse_runtime::Shutdown;
/// use std::time::Duration;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let shutdown = Shutdown::new().with_grace_period(Duration::from_secs(2));
/// let requested = shutdown.requested();
/// // Usually `tokio::spawn(shutdown.clone().trigger_on(sse_runtime::shutdown_signal()))`.
/// shutdown.trigger();
/// requested.await;
/// assert!(shutdown.is_requested());
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct Shutdown {
    coordinator: Arc<Coordinator>,
}

/// What every clone of a [`Shutdown`] shares.
#[derive(Debug)]
struct Coordinator {
    progress: watch::Sender<Progress>,
    grace_millis: AtomicU64,
    drain_millis: AtomicU64,
    /// The streams' and connections' wakers (see [`ShutdownListener`]).
    listeners: Listeners,
}

/// Where a coordinator is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Progress {
    Running,
    /// Shutdown was requested: readiness fails so that load balancers stop
    /// sending new clients, while everything goes on for the drain delay.
    Unready,
    /// Streams should finish; those still open at `force_at` are ended.
    Draining {
        force_at: Instant,
    },
}

impl Shutdown {
    /// A coordinator that has not been triggered, with a grace period of
    /// [`DEFAULT_GRACE_PERIOD`].
    pub fn new() -> Self {
        let (progress, _) = watch::channel(Progress::Running);
        Self {
            coordinator: Arc::new(Coordinator {
                progress,
                grace_millis: AtomicU64::new(DEFAULT_GRACE_PERIOD.as_millis() as u64),
                drain_millis: AtomicU64::new(0),
                listeners: Listeners::default(),
            }),
        }
    }

    /// Sets how long streams may take to say goodbye before they are ended by
    /// force (default [`DEFAULT_GRACE_PERIOD`]).
    #[must_use]
    pub fn with_grace_period(self, grace: Duration) -> Self {
        store_millis(&self.coordinator.grace_millis, grace);
        self
    }

    /// The grace period.
    pub fn grace_period(&self) -> Duration {
        Duration::from_millis(self.coordinator.grace_millis.load(Ordering::Relaxed))
    }

    /// Starts the shutdown: [`is_ready`](Shutdown::is_ready) turns false at
    /// once, then, after the [drain delay](Shutdown::with_drain_delay) (none
    /// by default), every stream is told, and those still open after the
    /// grace period are ended. Calling it again does nothing.
    pub fn trigger(&self) {
        let drain = self.drain_delay();
        if drain.is_zero() {
            return self.tell_streams();
        }
        self.announce(drain);
    }

    /// Tells every stream, unless they were told already.
    pub(crate) fn tell_streams(&self) {
        let force_at = Instant::now() + self.grace_period();
        self.update(|progress| match progress {
            Progress::Running | Progress::Unready => {
                *progress = Progress::Draining { force_at };
                tracing::info!(grace = ?self.grace_period(), "telling open streams to finish");
                true
            }
            Progress::Draining { .. } => false,
        });
    }

    /// Ends every remaining stream now, without waiting for the grace period
    /// (for example on a second Ctrl-C). During the drain delay it ends them
    /// at once too, without their farewells.
    pub fn force(&self) {
        let now = Instant::now();
        self.update(|progress| match progress {
            Progress::Draining { force_at } if *force_at <= now => false,
            _ => {
                *progress = Progress::Draining { force_at: now };
                tracing::info!("shutdown forced; ending open streams");
                true
            }
        });
    }

    /// Changes the progress if `change` says it did, and then tells both kinds
    /// of waiter: `requested()` futures (the channel) and listeners.
    fn update(&self, change: impl FnOnce(&mut Progress) -> bool) {
        if self.coordinator.progress.send_if_modified(change) {
            self.coordinator.listeners.changed();
        }
    }

    /// Whether the streams have been told to finish: from
    /// [`trigger`](Shutdown::trigger), or after the drain delay when there
    /// is one.
    pub fn is_requested(&self) -> bool {
        matches!(
            *self.coordinator.progress.borrow(),
            Progress::Draining { .. }
        )
    }

    /// Completes when the streams are told to finish (at
    /// [`trigger`](Shutdown::trigger), or after the drain delay). Use it in a generator to stop
    /// cooperatively:
    ///
    /// ```
    /// # use sse_runtime::Shutdown;
    /// # async fn body(shutdown: Shutdown) {
    /// loop {
    ///     tokio::select! {
    ///         _ = shutdown.requested() => break,
    ///         _ = tokio::time::sleep(std::time::Duration::from_secs(1)) => { /* next tick */ }
    ///     }
    /// }
    /// # }
    /// # let _ = body;
    /// ```
    pub fn requested(&self) -> impl Future<Output = ()> + Send + 'static {
        let mut progress = self.coordinator.progress.subscribe();
        async move {
            // The sender lives in the coordinator, which this future does not
            // keep alive; if every `Shutdown` is gone, nothing can trigger it.
            let _ = progress
                .wait_for(|progress| matches!(progress, Progress::Draining { .. }))
                .await;
        }
    }

    /// Waits for `signal`, then triggers the shutdown: spawn it beside
    /// [`serve`](crate::serve()), as in `tokio::spawn(shutdown.clone()
    /// .trigger_on(sse_runtime::shutdown_signal()))`, which reacts to Ctrl-C
    /// and SIGTERM. (Under `axum::serve` on an
    /// [`SseListener`](crate::SseListener) there is no need: axum's own
    /// signal triggers it.)
    ///
    /// It completes once the streams are told, after the drain delay: so it
    /// is also the signal to give `axum::serve(..).with_graceful_shutdown`,
    /// which stops accepting when its signal completes. (A second signal
    /// during the drain is not listened for here: to end at once on a second
    /// Ctrl-C, wait for it beside this and call [`force`](Shutdown::force).)
    pub async fn trigger_on<F: Future>(self, signal: F) {
        signal.await;
        self.trigger();
        self.requested().await;
    }

    /// An axum layer that makes this coordinator available to handlers as the
    /// [`Shutdown`] extractor, for routers called in-process (`oneshot` in
    /// tests). A server needs none: [`serve`](crate::serve()) and
    /// [`make_service`](crate::make_service) add the coordinator themselves,
    /// with the connection guarantees a layer cannot give (send timeouts, an
    /// end to streams whose clients stopped reading).
    pub fn layer(&self) -> axum::Extension<Shutdown> {
        axum::Extension(self.clone())
    }

    pub(crate) fn listener(&self) -> ShutdownListener {
        ShutdownListener::new(self.coordinator.clone())
    }
}

/// Stores `duration` in milliseconds (saturating) where a clone reads it.
fn store_millis(millis: &AtomicU64, duration: Duration) {
    let value = u64::try_from(duration.as_millis()).unwrap_or(u64::MAX);
    millis.store(value, Ordering::Relaxed);
}

impl Default for Shutdown {
    fn default() -> Self {
        Self::new()
    }
}
