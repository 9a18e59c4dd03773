//! One accepted connection under `sse_runtime::serve`: its socket watched,
//! the router as its service, and hyper's connection driven under its guard,
//! within the header read timeout (`header_read.rs`) whatever it speaks.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use axum::Router;
use bytes::Bytes;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulConnection;
use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;
use tokio_util::task::TaskTracker;

use crate::serve::body_timeout::RequestBodyTimeout;
use crate::serve::guard::ConnectionGuard;
use crate::serve::h2::StreamExecutor;
use crate::serve::header_read::{HeaderReadTimeout, http1_builder};
use crate::serve::http1::{Handover, LeanStream};
use crate::serve::service::RouterService;
use crate::serve::socket::{self, CurrentStream, WatchedIo};
use crate::shutdown::Shutdown;

/// The first bytes of every HTTP/2 connection with prior knowledge.
const H2_PREFACE: &[u8; 24] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// What one accepted connection needs to be served.
pub(crate) struct Connection {
    pub(crate) router: Router,
    pub(crate) shutdown: Shutdown,
    pub(crate) peer: SocketAddr,
    pub(crate) body_timeout: RequestBodyTimeout,
    pub(crate) header_read_timeout: HeaderReadTimeout,
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
        let guard = ConnectionGuard::new(
            self.shutdown.listener(),
            current.clone(),
            self.header_read_timeout,
        );
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
    // as large as its largest branch, and the lean HTTP/1 task carries what
    // the other does not need. And hand-written futures rather than `async
    // fn`s, which would hold the connection twice (its argument and its
    // pinned copy), and the HTTP/2 connection (larger, and shared by many
    // streams) boxed; tests below pin both sizes.

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

    /// Serves HTTP/1 or cleartext HTTP/2, told apart by the first bytes,
    /// which must come within the header read timeout (as hyper's
    /// `auto::Builder` would tell them apart, but bounded; and then with a
    /// connection of one protocol, whose timeouts are known).
    pub(crate) fn serve_auto(self, socket: TcpStream) -> Auto {
        let requested = self.shutdown.requested();
        let (peer, timeout) = (self.peer, self.header_read_timeout);
        let (mut io, service, guard) = self.prepare(socket);
        Auto::Sniffing(Box::pin(async move {
            let sniffed = async {
                match timeout.get() {
                    Some(timeout) => tokio::time::timeout(timeout, sniff_h2(&mut io)).await,
                    None => Ok(sniff_h2(&mut io).await),
                }
            };
            let (h2, first) = tokio::select! {
                () = requested => return None,
                sniffed = sniffed => match sniffed {
                    Ok(Ok(sniffed)) => sniffed,
                    Ok(Err(error)) => {
                        tracing::debug!(%peer, %error, "reading the connection's first bytes failed");
                        return None;
                    }
                    Err(_) => {
                        tracing::debug!(%peer, "no request within the header read timeout");
                        return None;
                    }
                },
            };
            let io = TokioIo::new(io.unread(first));
            Some(if h2 {
                let executor = StreamExecutor::default();
                let guard = guard.with_h2(executor.connection.clone());
                let connection = http2_builder(executor).serve_connection(io, service);
                Auto::Http2(Box::pin(Guarded { connection, guard }))
            } else {
                let connection = http1_builder(timeout).serve_connection(io, service);
                Auto::Http1(Guarded { connection, guard })
            })
        }))
    }

    /// Serves HTTPS: HTTP/2 or HTTP/1.1 as the client and `acceptor` agree by
    /// ALPN. The handshake is bounded by [`TLS_HANDSHAKE_TIMEOUT`] and given
    /// up at shutdown.
    ///
    /// [`TLS_HANDSHAKE_TIMEOUT`]: crate::serve::h2::TLS_HANDSHAKE_TIMEOUT
    #[cfg(feature = "tls")]
    pub(crate) async fn serve_tls(self, socket: TcpStream, acceptor: tokio_rustls::TlsAcceptor) {
        let requested = self.shutdown.requested();
        let peer = self.peer;
        let (io, service, guard) = self.prepare(socket);
        let handshake =
            tokio::time::timeout(crate::serve::h2::TLS_HANDSHAKE_TIMEOUT, acceptor.accept(io));
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
            let connection = http2_builder(executor).serve_connection(io, service);
            Guarded { connection, guard }.await;
        } else {
            let timeout = guard.header_read_timeout();
            let connection = http1_builder(timeout).serve_connection(io, service);
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
        let connection =
            http1_builder(guard.header_read_timeout()).serve_connection(TokioIo::new(io), service);
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

/// A cleartext HTTP/1-or-2 connection's task. Hand-written, as [`Http1`]
/// is, and kept to the size of an HTTP/1 connection: its HTTP/1.1 event
/// streams (which stay in hyper's connection) each keep one.
#[allow(
    clippy::large_enum_variant,
    reason = "the HTTP/1 connection is what the task is for; boxing it would cost each one an allocation"
)]
pub(crate) enum Auto {
    /// Reading the first bytes; boxed, since it is over in a moment.
    Sniffing(Pin<Box<dyn Future<Output = Option<Auto>> + Send>>),
    Http1(Guarded<Http1Connection>),
    /// Boxed: one HTTP/2 connection carries many streams.
    Http2(Pin<Box<Guarded<Http2Connection>>>),
}

type Http2Connection =
    hyper::server::conn::http2::Connection<TokioIo<WatchedIo>, RouterService, StreamExecutor>;

impl Future for Auto {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        loop {
            let next = match &mut *self {
                Self::Sniffing(sniffing) => ready!(sniffing.as_mut().poll(cx)),
                Self::Http1(connection) => return Pin::new(connection).poll(cx),
                Self::Http2(connection) => return connection.as_mut().poll(cx),
            };
            match next {
                Some(serving) => *self = serving,
                None => return Poll::Ready(()),
            }
        }
    }
}

/// hyper's HTTP/2 connection as every connection here is served; its
/// guard closes it once it has gone without a stream for the header read
/// timeout ([`ConnectionGuard::with_h2`]). No HTTP/2 `PING`s: a peer that
/// vanished is found by the socket's TCP keep-alive and user timeout
/// (`socket::tune`), as over HTTP/1.
fn http2_builder(executor: StreamExecutor) -> hyper::server::conn::http2::Builder<StreamExecutor> {
    let mut builder = hyper::server::conn::http2::Builder::new(executor);
    builder.timer(TokioTimer::new());
    builder
}

/// Reads a cleartext connection's first bytes until they tell its protocol:
/// whether they are HTTP/2's preface (else HTTP/1), and the bytes read, for
/// hyper to read again. Ready at the first byte that differs from the
/// preface, so an HTTP/1 request goes to hyper (and its header read timeout)
/// at once. (A client that drips a prefix of the preface, then something
/// else, has this wait and then hyper's: at most twice the timeout.)
async fn sniff_h2(io: &mut WatchedIo) -> std::io::Result<(bool, Bytes)> {
    let mut first = [0u8; H2_PREFACE.len()];
    let mut filled = 0;
    while filled < first.len() {
        let read = io.read(&mut first[filled..]).await?;
        if read == 0 {
            // The client closed: hyper sees the same end of file.
            break;
        }
        filled += read;
        if first[..filled] != H2_PREFACE[..filled] {
            break;
        }
    }
    let h2 = filled == H2_PREFACE.len() && first == *H2_PREFACE;
    Ok((h2, Bytes::copy_from_slice(&first[..filled])))
}

pin_project_lite::pin_project! {
    /// A connection served under its guard.
    pub(crate) struct Guarded<C> {
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
            body_timeout: RequestBodyTimeout::new(std::time::Duration::ZERO),
            header_read_timeout: HeaderReadTimeout::default(),
            lean: Some(TaskTracker::new()),
        };
        let task = connection.serve_http1(socket);
        let size = std::mem::size_of_val(&task);
        assert!(
            size < 1_200,
            "the HTTP/1 connection task is {size} bytes; it should hold hyper's connection once"
        );
    }

    /// Every HTTP/1.1 event stream of a server of cleartext HTTP/2 keeps
    /// this future alive (hyper-util's `auto` connection, in its place
    /// before, was 1,832 bytes).
    #[tokio::test]
    async fn an_http1_or_h2c_connection_task_holds_an_http1_connection() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let socket = TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let connection = Connection {
            router: Router::new(),
            shutdown: Shutdown::new(),
            peer: SocketAddr::from(([127, 0, 0, 1], 1)),
            body_timeout: RequestBodyTimeout::new(std::time::Duration::ZERO),
            header_read_timeout: HeaderReadTimeout::default(),
            lean: None,
        };
        let task = connection.serve_auto(socket);
        let size = std::mem::size_of_val(&task);
        assert!(
            size < 1_200,
            "the HTTP/1-or-2 connection task is {size} bytes; it should hold hyper's HTTP/1 connection once"
        );
    }
}
