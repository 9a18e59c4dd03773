//! `serve`: the connection layer that enforces send timeouts and shutdown.

mod io;

use std::convert::Infallible;
use std::future::{Future, IntoFuture};
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use http::{Request, Response};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulConnection;
use tokio::net::{TcpListener, TcpStream};
use tokio::time::{Instant, Sleep};
use tokio_util::task::TaskTracker;
use tower_service::Service;

use self::io::{WatchedIo, WriteClock};
use crate::lifecycle::{DisconnectReason, StreamControl};
use crate::shutdown::{Shutdown, ShutdownListener, Stage};

/// Serves `router` on `listener`: what `axum::serve` does, plus the
/// guarantees that only the connection can give.
///
/// - **Send timeout.** hyper stops polling a response body while the socket is
///   full, so a stream cannot notice that its client stopped reading. Here the
///   socket records since when its writes have been blocked, and the
///   connection is dropped once that exceeds the stream's
///   [`send_timeout`](crate::SseResponse::send_timeout).
/// - **Shutdown that ends.** On [`Shutdown::trigger`] it stops accepting, asks
///   every connection to finish (streams send their farewell), and drops the
///   connections still open when the grace period ends, even those whose
///   client stopped reading. `axum::serve(..).with_graceful_shutdown(..)` waits
///   for those forever.
/// - **Lean idle connections.** HTTP/1 connections are served by hyper's
///   `http1` connection directly, without the protocol sniffing of
///   `axum::serve`, which halves what an idle stream holds. Opt in to
///   cleartext HTTP/2 with [`Serve::http2`].
///
/// ```no_run
/// use axum::{Router, routing::get};
/// use sse_runtime::Shutdown;
/// use std::time::Duration;
///
/// # async fn run(app: Router) -> std::io::Result<()> {
/// let shutdown = Shutdown::new().with_grace_period(Duration::from_secs(5));
/// tokio::spawn(shutdown.clone().trigger_on(sse_runtime::shutdown_signal()));
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:8000").await?;
/// sse_runtime::serve(listener, app).with_shutdown(shutdown).await
/// # }
/// ```
///
/// Handlers can extract [`Shutdown`] and `ConnectInfo<SocketAddr>` without any
/// extra layer.
///
/// Runs until its [`Shutdown`] has been triggered and every connection has
/// ended (or forever, without [`Serve::with_shutdown`]). As with
/// `axum::serve`, each connection is a task of its own: dropping the future
/// stops accepting, and connections already open run on; trigger the
/// [`Shutdown`] to end them.
pub fn serve(listener: TcpListener, router: Router) -> Serve {
    Serve {
        listener,
        router,
        shutdown: None,
        http2: false,
    }
}

/// The listen backlog [`bind`] asks for (the kernel caps it at
/// `net.core.somaxconn`).
pub const LISTEN_BACKLOG: u32 = 4096;

/// Binds a listener for [`serve`] with a listen backlog of [`LISTEN_BACKLOG`].
///
/// Event-stream servers see bursts of connects: after a deploy or a network
/// blip every client reconnects at once. `TcpListener::bind` asks for a
/// backlog of 128; connects beyond it are dropped and retried by the client's
/// kernel a second later, which measured here as a p50 time to first byte of
/// over 1 s for 1,000 simultaneous clients.
///
/// ```no_run
/// # async fn run(app: axum::Router) -> std::io::Result<()> {
/// let listener = sse_runtime::bind("127.0.0.1:8000".parse().unwrap()).await?;
/// sse_runtime::serve(listener, app).await
/// # }
/// ```
pub async fn bind(addr: SocketAddr) -> std::io::Result<TcpListener> {
    let socket = match addr {
        SocketAddr::V4(_) => tokio::net::TcpSocket::new_v4()?,
        SocketAddr::V6(_) => tokio::net::TcpSocket::new_v6()?,
    };
    // Restarting servers must be able to bind while old connections linger
    // in TIME_WAIT.
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(LISTEN_BACKLOG)
}

/// A server being configured; `.await` it to run it.
#[must_use = "a server does nothing until it is awaited"]
#[derive(Debug)]
pub struct Serve {
    listener: TcpListener,
    router: Router,
    shutdown: Option<Shutdown>,
    http2: bool,
}

impl Serve {
    /// Stops when `shutdown` is triggered, after the streams have finished or
    /// its grace period has passed. Without it the server runs until the
    /// process ends.
    pub fn with_shutdown(mut self, shutdown: Shutdown) -> Self {
        self.shutdown = Some(shutdown);
        self
    }

    /// Also accepts cleartext HTTP/2 (prior knowledge), at the cost of a few
    /// KiB per connection for telling the protocols apart. Off by default:
    /// browsers speak HTTP/2 only over TLS, which a proxy in front usually ends.
    pub fn http2(mut self, enabled: bool) -> Self {
        self.http2 = enabled;
        self
    }

    async fn run(self) -> std::io::Result<()> {
        let Serve {
            listener,
            router,
            shutdown,
            http2,
        } = self;
        // A coordinator always exists, so the `Shutdown` extractor works; an
        // untriggered one costs nothing.
        let shutdown = shutdown.unwrap_or_default();
        let local = listener.local_addr()?;
        tracing::info!(address = %local, "serving");
        let requested = shutdown.requested();
        tokio::pin!(requested);
        // A tracker rather than a `JoinSet`: nothing to reap while serving,
        // and no set entry per connection (memory per idle stream).
        let connections = TaskTracker::new();
        loop {
            tokio::select! {
                biased;
                () = &mut requested => break,
                accepted = listener.accept() => match accepted {
                    Ok((socket, peer)) => {
                        let connection = Connection {
                            router: router.clone(),
                            shutdown: shutdown.clone(),
                            peer,
                        };
                        if http2 {
                            connections.spawn(connection.serve_auto(socket));
                        } else {
                            connections.spawn(connection.serve_http1(socket));
                        }
                    }
                    Err(error) => accept_error(error).await,
                },
            }
        }
        drop(listener);
        tracing::info!(
            open = connections.len(),
            grace = ?shutdown.grace_period(),
            "stopped accepting; waiting for open connections"
        );
        connections.close();
        connections.wait().await;
        tracing::info!("server stopped");
        Ok(())
    }
}

impl IntoFuture for Serve {
    type Output = std::io::Result<()>;
    type IntoFuture = Pin<Box<dyn Future<Output = Self::Output> + Send>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.run())
    }
}

/// Errors such as running out of file descriptors would make a busy loop;
/// wait a moment as `axum::serve` does. Errors of a single connection that
/// failed during its handshake are skipped at once.
async fn accept_error(error: std::io::Error) {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if matches!(
        error.kind(),
        ConnectionRefused | ConnectionAborted | ConnectionReset
    ) {
        return;
    }
    tracing::error!(%error, "accept failed; retrying in 1 s");
    tokio::time::sleep(Duration::from_secs(1)).await;
}

/// What one accepted connection needs to be served.
struct Connection {
    router: Router,
    shutdown: Shutdown,
    peer: SocketAddr,
}

/// The stream the connection carries now, if its response is an event
/// stream.
type CurrentStream = Arc<Mutex<Option<Arc<StreamControl>>>>;

impl Connection {
    /// Wraps the socket and builds the service and the watch around it.
    fn prepare(self, socket: TcpStream) -> (TokioIo<WatchedIo<TcpStream>>, RouterService, Watch) {
        // Events are small and latency matters more than packet count.
        if let Err(error) = socket.set_nodelay(true) {
            tracing::debug!(%error, "cannot set TCP_NODELAY");
        }
        let clock = WriteClock::new();
        let io = TokioIo::new(WatchedIo::new(socket, clock.clone()));
        let current: CurrentStream = Arc::default();
        let service = RouterService {
            router: self.router,
            shutdown: self.shutdown.clone(),
            peer: self.peer,
            current: current.clone(),
        };
        let watch = Watch {
            shutdown: self.shutdown.listener(),
            draining: false,
            clock,
            current,
            timer: None,
        };
        (io, service, watch)
    }

    // Every idle stream keeps its connection's task, so its size is memory
    // per stream. Two kinds of task, not one with two branches: a future is
    // as large as its largest branch, and the HTTP/1-or-2 connection is
    // several times the size of the HTTP/1 one. And a hand-written future
    // rather than an `async fn`, which would hold the connection twice (its
    // argument and its pinned copy): 784 bytes instead of 1,696.
    fn serve_http1(self, socket: TcpStream) -> impl Future<Output = ()> + Send + 'static {
        let (io, service, watch) = self.prepare(socket);
        let connection = hyper::server::conn::http1::Builder::new()
            .timer(TokioTimer::new())
            .serve_connection(io, service);
        Watched { connection, watch }
    }

    fn serve_auto(self, socket: TcpStream) -> impl Future<Output = ()> + Send + 'static {
        let (io, service, watch) = self.prepare(socket);
        let builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
        let connection = builder.serve_connection(io, service).into_owned();
        Watched { connection, watch }
    }
}

pin_project_lite::pin_project! {
    /// A connection served under its [`Watch`].
    struct Watched<C> {
        #[pin]
        connection: C,
        watch: Watch,
    }
}

impl<C> Future for Watched<C>
where
    C: GracefulConnection,
    C::Error: std::fmt::Display,
{
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.project();
        this.watch.poll(this.connection, cx)
    }
}

/// Enforces the send timeout and the shutdown on one connection.
struct Watch {
    shutdown: ShutdownListener,
    draining: bool,
    clock: Arc<WriteClock>,
    current: CurrentStream,
    timer: Option<Pin<Box<Sleep>>>,
}

impl Watch {
    fn poll<C>(&mut self, mut connection: Pin<&mut C>, cx: &mut Context<'_>) -> Poll<()>
    where
        C: GracefulConnection,
        C::Error: std::fmt::Display,
    {
        loop {
            if let Poll::Ready(result) = connection.as_mut().poll(cx) {
                if let Err(error) = result {
                    tracing::debug!(%error, "connection ended with an error");
                }
                return Poll::Ready(());
            }
            match self.shutdown.poll_stage(cx) {
                Poll::Pending => {}
                Poll::Ready(Stage::Draining) if !self.draining => {
                    // Ends idle keep-alive connections now and lets a running
                    // response finish; poll the connection again to act on it.
                    self.draining = true;
                    connection.as_mut().graceful_shutdown();
                    continue;
                }
                Poll::Ready(Stage::Draining) => {}
                Poll::Ready(Stage::Forced) => {
                    self.end_stream(DisconnectReason::Shutdown);
                    tracing::debug!("grace period over; dropping connection");
                    return Poll::Ready(());
                }
            }
            return self.poll_send_timeout(cx);
        }
    }

    /// Ready when a write has waited longer than the stream's send timeout.
    fn poll_send_timeout(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        // The clock first: one atomic load while writes go through, the
        // stream's lock only while one waits.
        let Some(since) = self.clock.blocked_since() else {
            return Poll::Pending;
        };
        let Some(timeout) = self.current_stream().and_then(|stream| stream.send_timeout) else {
            return Poll::Pending;
        };
        let deadline = since + timeout;
        let timer = self
            .timer
            .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
        if timer.deadline() != deadline {
            timer.as_mut().reset(deadline);
        }
        if timer.as_mut().poll(cx).is_pending() && Instant::now() < deadline {
            return Poll::Pending;
        }
        tracing::warn!(
            ?timeout,
            "client stopped reading: a write waited longer than the send timeout; dropping it"
        );
        self.end_stream(DisconnectReason::SendTimeout);
        Poll::Ready(())
    }

    fn current_stream(&self) -> Option<Arc<StreamControl>> {
        self.current
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    fn end_stream(&self, reason: DisconnectReason) {
        if let Some(stream) = self.current_stream() {
            stream.end_by_connection(reason);
        }
    }
}

/// The router as a hyper service, adding the extensions handlers may extract
/// and noting which response is an event stream.
#[derive(Clone)]
struct RouterService {
    router: Router,
    shutdown: Shutdown,
    peer: SocketAddr,
    current: CurrentStream,
}

impl hyper::service::Service<Request<Incoming>> for RouterService {
    type Response = Response<Body>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response<Body>, Infallible>> + Send>>;

    fn call(&self, request: Request<Incoming>) -> Self::Future {
        let mut request = request.map(Body::new);
        request.extensions_mut().insert(self.shutdown.clone());
        request.extensions_mut().insert(ConnectInfo(self.peer));
        let response = self.router.clone().call(request);
        let current = self.current.clone();
        Box::pin(async move {
            let response = response.await?;
            let stream = response.extensions().get::<Arc<StreamControl>>().cloned();
            if let Some(stream) = &stream {
                stream.mark_managed();
            }
            *current
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner()) = stream;
            Ok(response)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every idle HTTP/1 stream keeps this future alive: an `async fn` in its
    /// place held hyper's connection twice (1,696 bytes against 784 here).
    #[tokio::test]
    async fn an_http1_connection_task_holds_the_connection_once() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let socket = TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let connection = Connection {
            router: Router::new(),
            shutdown: Shutdown::new(),
            peer: SocketAddr::from(([127, 0, 0, 1], 1)),
        };
        let task = connection.serve_http1(socket);
        let size = std::mem::size_of_val(&task);
        assert!(
            size < 1_200,
            "the HTTP/1 connection task is {size} bytes; it should hold hyper's connection once"
        );
    }
}
