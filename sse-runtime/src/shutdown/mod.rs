//! Graceful shutdown for streaming responses.
//!
//! `axum::serve(..).with_graceful_shutdown(..)` waits for every open
//! connection to finish, and an SSE stream never finishes by itself, so a plain
//! axum server with open streams never exits (axum issue #2673). A
//! [`Shutdown`] tells every stream at once; each stream then sends its
//! farewell (an [`on_shutdown`](crate::SseResponse::on_shutdown) hook, or the
//! generator itself watching [`Shutdown::requested`]) and ends, and streams
//! still open after the grace period are ended by force.
//!
//! ```no_run
//! use axum::{Router, routing::get};
//! use sse_runtime::{Event, Shutdown, SseResponse};
//! use std::time::Duration;
//!
//! async fn events(shutdown: Shutdown) -> SseResponse<impl futures_core::Stream<Item = Event>> {
//!     let stream = futures_util::stream::pending::<Event>();
//!     SseResponse::new(stream)
//!         .shutdown(shutdown)
//!         .on_shutdown(|| async { vec![Event::data("bye").event("shutdown").unwrap()] })
//! }
//!
//! # async fn run() -> std::io::Result<()> {
//! let shutdown = Shutdown::new().with_grace_period(Duration::from_secs(5));
//! let app = Router::new().route("/events", get(events)).layer(shutdown.layer());
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8000").await?;
//! axum::serve(listener, app)
//!     .with_graceful_shutdown(shutdown.clone().trigger_on(sse_runtime::shutdown_signal()))
//!     .await
//! # }
//! ```
//!
//! There is no process-global state: two servers in one process each have
//! their own `Shutdown`.

mod listener;

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::extract::FromRequestParts;
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use http::request::Parts;
use tokio::sync::watch;
use tokio::time::Instant;

use self::listener::Listeners;
pub(crate) use self::listener::ShutdownListener;

/// The grace period used unless [`Shutdown::with_grace_period`] sets another.
pub const DEFAULT_GRACE_PERIOD: Duration = Duration::from_secs(5);

/// A shutdown coordinator shared by a server and all its streams.
///
/// Cheap to clone; every clone refers to the same coordinator. Also an axum
/// extractor (from the extension that [`Shutdown::layer`] or
/// [`serve`](crate::serve) adds), so a handler can pass it to its response
/// and watch it in its generator.
#[derive(Clone, Debug)]
pub struct Shutdown {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    state: watch::Sender<State>,
    grace_millis: AtomicU64,
    /// The streams' and connections' wakers (see [`ShutdownListener`]).
    listeners: Listeners,
}

/// Where a coordinator is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum State {
    Running,
    /// Streams should finish; those still open at `force_at` are ended.
    Draining {
        force_at: Instant,
    },
}

/// What a listener has seen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Stage {
    Draining,
    Forced,
}

impl Shutdown {
    /// A coordinator that has not been triggered, with a grace period of
    /// [`DEFAULT_GRACE_PERIOD`].
    pub fn new() -> Self {
        let (state, _) = watch::channel(State::Running);
        Self {
            inner: Arc::new(Inner {
                state,
                grace_millis: AtomicU64::new(DEFAULT_GRACE_PERIOD.as_millis() as u64),
                listeners: Listeners::default(),
            }),
        }
    }

    /// Sets how long streams may take to say goodbye before they are ended by
    /// force (default 5 s).
    #[must_use]
    pub fn with_grace_period(self, grace: Duration) -> Self {
        let millis = u64::try_from(grace.as_millis()).unwrap_or(u64::MAX);
        self.inner.grace_millis.store(millis, Ordering::Relaxed);
        self
    }

    /// The grace period.
    pub fn grace_period(&self) -> Duration {
        Duration::from_millis(self.inner.grace_millis.load(Ordering::Relaxed))
    }

    /// Starts the shutdown: every stream is told now, and those still open
    /// after the grace period are ended. Calling it again does nothing.
    pub fn trigger(&self) {
        let force_at = Instant::now() + self.grace_period();
        self.update(|state| match state {
            State::Running => {
                *state = State::Draining { force_at };
                tracing::info!(grace = ?self.grace_period(), "shutdown requested; telling open streams");
                true
            }
            State::Draining { .. } => false,
        });
    }

    /// Ends every remaining stream now, without waiting for the grace period
    /// (for example on a second Ctrl-C).
    pub fn force(&self) {
        let now = Instant::now();
        self.update(|state| match state {
            State::Draining { force_at } if *force_at <= now => false,
            _ => {
                *state = State::Draining { force_at: now };
                tracing::info!("shutdown forced; ending open streams");
                true
            }
        });
    }

    /// Changes the state if `change` says it did, and then tells both kinds
    /// of waiter: `requested()` futures (the channel) and listeners.
    fn update(&self, change: impl FnOnce(&mut State) -> bool) {
        if self.inner.state.send_if_modified(change) {
            self.inner.listeners.changed();
        }
    }

    /// Whether shutdown has started.
    pub fn is_requested(&self) -> bool {
        matches!(*self.inner.state.borrow(), State::Draining { .. })
    }

    /// Completes when shutdown starts. Use it in a generator to stop
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
    /// ```
    pub fn requested(&self) -> impl Future<Output = ()> + Send + 'static {
        let mut state = self.inner.state.subscribe();
        async move {
            // The sender lives in `inner`, which this future does not keep
            // alive; if every `Shutdown` is gone, nothing can trigger it.
            let _ = state
                .wait_for(|state| matches!(state, State::Draining { .. }))
                .await;
        }
    }

    /// Waits for `signal`, then triggers the shutdown. Pass the result to
    /// `axum::serve(..).with_graceful_shutdown(..)`; with
    /// [`shutdown_signal`] it reacts to Ctrl-C and SIGTERM.
    pub async fn trigger_on<F: Future>(self, signal: F) {
        signal.await;
        self.trigger();
    }

    /// An axum layer that makes this coordinator available to handlers as the
    /// [`Shutdown`] extractor. [`serve`](crate::serve) adds it by itself.
    pub fn layer(&self) -> axum::Extension<Shutdown> {
        axum::Extension(self.clone())
    }

    pub(crate) fn listener(&self) -> ShutdownListener {
        ShutdownListener::new(self.inner.clone())
    }
}

impl Default for Shutdown {
    fn default() -> Self {
        Self::new()
    }
}

/// Waits for Ctrl-C or, on Unix, SIGTERM (what process managers send).
///
/// If a handler cannot be installed, the error is logged and this waits for
/// the other signal only.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::error!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => tracing::info!("received Ctrl-C"),
        () = terminate => tracing::info!("received SIGTERM"),
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Shutdown {
    type Rejection = MissingShutdown;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Shutdown>()
            .cloned()
            .ok_or(MissingShutdown)
    }
}

impl<S: Send + Sync> axum::extract::OptionalFromRequestParts<S> for Shutdown {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &S,
    ) -> Result<Option<Self>, Self::Rejection> {
        Ok(parts.extensions.get::<Shutdown>().cloned())
    }
}

/// Rejection of the [`Shutdown`] extractor when no coordinator was added to
/// the router: a server bug, answered with `500`.
#[derive(Debug, Clone, Copy)]
pub struct MissingShutdown;

impl IntoResponse for MissingShutdown {
    fn into_response(self) -> Response {
        tracing::error!(
            "a handler extracts `Shutdown` but none was added: add `.layer(shutdown.layer())` \
             to the router or serve it with `sse_runtime::serve`"
        );
        (
            StatusCode::INTERNAL_SERVER_ERROR,
            "server misconfigured: no shutdown coordinator",
        )
            .into_response()
    }
}
