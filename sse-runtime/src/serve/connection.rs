//! One accepted connection under `sse_runtime::serve`: its socket watched,
//! the router as its service, and hyper's connection driven under its guard.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulConnection;
use tokio::net::TcpStream;
use tokio_util::task::TaskTracker;

use crate::serve::current_stream::CurrentStream;
use crate::serve::guard::ConnectionGuard;
use crate::serve::h2_streams::StreamExecutor;
use crate::serve::handover::Handover;
use crate::serve::lean_stream::LeanStream;
use crate::serve::service::RouterService;
use crate::serve::socket;
use crate::serve::watched_io::WatchedIo;
use crate::shutdown::Shutdown;

/// What one accepted connection needs to be served.
pub(crate) struct Connection {
    pub(crate) router: Router,
    pub(crate) shutdown: Shutdown,
    pub(crate) peer: SocketAddr,
    pub(crate) body_timeout: Option<std::time::Duration>,
    /// With [`Serve::lean_streams`](crate::serve::Serve::lean_streams): the
    /// tasks event streams leave hyper's connection for.
    pub(crate) lean: Option<TaskTracker>,
}

impl Connection {
    /// Wraps the socket and builds the service and the guard around it.
    fn prepare(self, socket: TcpStream) -> (WatchedIo, RouterService, ConnectionGuard) {
        self.prepare_with(socket, None)
    }

    /// As [`prepare`](Self::prepare), with the service and socket sharing
    /// `handover` if there is one.
    fn prepare_with(
        self,
        socket: TcpStream,
        handover: Option<Handover>,
    ) -> (WatchedIo, RouterService, ConnectionGuard) {
        socket::tune(&socket);
        let current = CurrentStream::default();
        // The guard drops the connection at the end of the grace period; the
        // socket needs to watch only the send timeout.
        let io = WatchedIo::new(socket, current.clone(), None).with_handover(handover.clone());
        let guard = ConnectionGuard::new(self.shutdown.listener(), current.clone());
        let service = RouterService {
            router: self.router,
            shutdown: self.shutdown,
            peer: self.peer,
            current,
            body_timeout: self.body_timeout,
            handover,
        };
        (io, service, guard)
    }

    // Every idle stream keeps its connection's task, so its size is memory
    // per stream. Two kinds of task, not one with two branches: a future is
    // as large as its largest branch, and the HTTP/1-or-2 connection is
    // several times the size of the HTTP/1 one. And a hand-written future
    // rather than an `async fn`, which would hold the connection twice (its
    // argument and its pinned copy); a test below pins it.

    /// Serves HTTP/1 only; event streams leave hyper's connection once
    /// their head is out if the server serves lean streams.
    pub(crate) fn serve_http1(
        mut self,
        socket: TcpStream,
    ) -> impl Future<Output = ()> + Send + 'static {
        let tracker = self.lean.take();
        let handover = tracker.as_ref().map(|_| Handover::default());
        let (io, service, guard) = self.prepare_with(socket, handover);
        Http1::new(io, service, guard, tracker)
    }

    /// Serves HTTP/1 or cleartext HTTP/2, told apart by the first bytes.
    pub(crate) fn serve_auto(self, socket: TcpStream) -> impl Future<Output = ()> + Send + 'static {
        let (io, service, guard) = self.prepare(socket);
        let executor = StreamExecutor::default();
        let guard = guard.with_h2(executor.connection.clone());
        let builder = hyper_util::server::conn::auto::Builder::new(executor);
        let connection = builder
            .serve_connection(TokioIo::new(io), service)
            .into_owned();
        Guarded { connection, guard }
    }

    /// Serves HTTPS: HTTP/2 or HTTP/1.1 as the client and `acceptor` agree by
    /// ALPN. The handshake is bounded by [`TLS_HANDSHAKE_TIMEOUT`] and given
    /// up at shutdown.
    ///
    /// [`TLS_HANDSHAKE_TIMEOUT`]: crate::serve::tls::TLS_HANDSHAKE_TIMEOUT
    #[cfg(feature = "tls")]
    pub(crate) async fn serve_tls(self, socket: TcpStream, acceptor: tokio_rustls::TlsAcceptor) {
        let requested = self.shutdown.requested();
        let peer = self.peer;
        let (io, service, guard) = self.prepare(socket);
        let handshake = tokio::time::timeout(
            crate::serve::tls::TLS_HANDSHAKE_TIMEOUT,
            acceptor.accept(io),
        );
        let tls = tokio::select! {
            () = requested => return,
            handshake = handshake => match handshake {
                Ok(Ok(tls)) => tls,
                Ok(Err(error)) => {
                    tracing::debug!(%peer, %error, "TLS handshake failed");
                    return;
                }
                Err(_) => {
                    tracing::debug!(%peer, "TLS handshake timed out");
                    return;
                }
            },
        };
        let h2 = tls.get_ref().1.alpn_protocol() == Some(b"h2");
        let io = TokioIo::new(tls);
        if h2 {
            let executor = StreamExecutor::default();
            let guard = guard.with_h2(executor.connection.clone());
            let connection = hyper::server::conn::http2::Builder::new(executor)
                .timer(TokioTimer::new())
                .serve_connection(io, service);
            Guarded { connection, guard }.await;
        } else {
            let connection = http1_builder().serve_connection(io, service);
            Guarded { connection, guard }.await;
        }
    }
}

/// The HTTP/1 connection's task while hyper serves it.
pub(crate) struct Http1 {
    /// Until the connection ends or its event stream leaves it.
    serving: Option<(Http1Connection, ConnectionGuard)>,
    /// Where an event stream goes when it leaves, if it may.
    lean: Option<(Handover, TaskTracker)>,
}

type Http1Connection = hyper::server::conn::http1::Connection<TokioIo<WatchedIo>, RouterService>;

impl Http1 {
    fn new(
        io: WatchedIo,
        service: RouterService,
        guard: ConnectionGuard,
        tracker: Option<TaskTracker>,
    ) -> Self {
        let lean = service.handover.clone().zip(tracker);
        let connection = http1_builder().serve_connection(TokioIo::new(io), service);
        Self {
            serving: Some((connection, guard)),
            lean,
        }
    }

    /// hyper serves the connection again, in a task of its own, once a
    /// lean stream has ended.
    fn resume(io: WatchedIo, service: RouterService, guard: ConnectionGuard, tracker: TaskTracker) {
        tracker
            .clone()
            .spawn(Self::new(io, service, guard, Some(tracker)));
    }
}

impl Future for Http1 {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = &mut *self;
        let (connection, guard) = this
            .serving
            .as_mut()
            .expect("a connection polled after it ended");
        if guard.poll(Pin::new(connection), cx).is_ready() {
            this.serving = None;
            return Poll::Ready(());
        }
        // hyper has written and flushed an event stream's head: the stream
        // leaves with the socket, and hyper's connection (its buffers, its
        // dispatcher) is dropped.
        if let Some((handover, tracker)) = &this.lean
            && let Some(body) = handover.take()
        {
            let (connection, guard) = this.serving.take().expect("just polled");
            let parts = connection.into_parts();
            let stream = LeanStream::new(
                parts.io.into_inner(),
                body,
                parts.read_buf,
                parts.service,
                guard,
                tracker.clone(),
                Self::resume,
            );
            tracker.spawn(stream);
            return Poll::Ready(());
        }
        Poll::Pending
    }
}

/// hyper's HTTP/1 connection as every connection here is served.
fn http1_builder() -> hyper::server::conn::http1::Builder {
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder.timer(TokioTimer::new());
    builder
}

pin_project_lite::pin_project! {
    /// A connection served under its guard.
    struct Guarded<C> {
        #[pin]
        connection: C,
        guard: ConnectionGuard,
    }
}

impl<C> Future for Guarded<C>
where
    C: GracefulConnection,
    C::Error: std::fmt::Display,
{
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.project();
        this.guard.poll(this.connection, cx)
    }
}

#[cfg(test)]
mod tests {
    use tokio::net::TcpListener;

    use super::*;

    /// Every idle HTTP/1 stream keeps this future alive: an `async fn` in its
    /// place held hyper's connection twice (1,696 bytes against 784 when this
    /// test was written).
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
            body_timeout: None,
            lean: Some(TaskTracker::new()),
        };
        let task = connection.serve_http1(socket);
        let size = std::mem::size_of_val(&task);
        assert!(
            size < 1_200,
            "the HTTP/1 connection task is {size} bytes; it should hold hyper's connection once"
        );
    }
}
