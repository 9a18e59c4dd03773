//! [`make_service`]: the router as `axum::serve` calls it on an
//! [`SseListener`], one service per connection wired to that connection's
//! socket.

use std::convert::Infallible;
use std::future::{Ready, ready};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::serve::IncomingStream;
use tower_service::Service;

use crate::serve::axum_serve::listener::SseListener;
use crate::serve::body_timeout::RequestBodyTimeout;
use crate::serve::service::RouterService;

/// Turns `router` into what `axum::serve` takes with an [`SseListener`], as
/// `Router::into_make_service` does for a `TcpListener`: each connection's
/// requests can extract [`Shutdown`](crate::Shutdown) and
/// `ConnectInfo<SocketAddr>`, and each event stream's
/// [`send_timeout`](crate::SseResponse::send_timeout) is enforced by its
/// socket.
///
/// It accepts only an [`SseListener`]: with a plain `TcpListener` nothing
/// could enforce the send timeout, so that is a compile error, not a surprise
/// in production.
///
/// ```
/// # use axum::Router;
/// # async fn run(app: Router, shutdown: sse_runtime::Shutdown) -> std::io::Result<()> {
/// let listener = sse_runtime::SseListener::bind("127.0.0.1:8000".parse().unwrap(), &shutdown).await?;
/// axum::serve(listener, sse_runtime::make_service(app))
///     .with_graceful_shutdown(sse_runtime::shutdown_signal())
///     .await
/// # }
/// # let _ = run;
/// ```
///
/// With a plain `TcpListener`:
///
/// ```compile_fail,E0277
/// # async fn run(app: axum::Router) -> std::io::Result<()> {
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:8000").await?;
/// axum::serve(listener, sse_runtime::make_service(app)).await
/// # }
/// ```
pub fn make_service(router: Router) -> MakeService {
    MakeService {
        router,
        body_timeout: RequestBodyTimeout::default(),
    }
}

/// The router as `axum::serve` takes it with an [`SseListener`]; made by
/// [`make_service`].
///
/// ```
/// let service: sse_runtime::MakeService = sse_runtime::make_service(axum::Router::new());
/// # let _ = service;
/// ```
#[derive(Clone, Debug)]
pub struct MakeService {
    router: Router,
    body_timeout: RequestBodyTimeout,
}

impl MakeService {
    /// How long a handler reading a request body waits for its next piece
    /// before the read fails (default [`DEFAULT_REQUEST_BODY_TIMEOUT`](crate::DEFAULT_REQUEST_BODY_TIMEOUT);
    /// `Duration::ZERO` turns it off), as
    /// [`Serve::request_body_timeout`](crate::Serve::request_body_timeout).
    pub fn request_body_timeout(mut self, timeout: Duration) -> Self {
        self.body_timeout = RequestBodyTimeout::new(timeout);
        self
    }
}

impl Service<IncomingStream<'_, SseListener>> for MakeService {
    type Response = RouterService;
    type Error = Infallible;
    type Future = Ready<Result<RouterService, Infallible>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, connection: IncomingStream<'_, SseListener>) -> Self::Future {
        let io = connection.io();
        ready(Ok(RouterService {
            router: self.router.clone(),
            // Every `SseListener` socket watches its listener's coordinator.
            shutdown: io.shutdown().unwrap_or_default(),
            peer: *connection.remote_addr(),
            current: io.current().clone(),
            body_timeout: self.body_timeout,
            // hyper's connection belongs to `axum::serve` here.
        }))
    }
}
