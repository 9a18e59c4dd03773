//! A server for event streams: `axum::serve`, plus the guarantees only the
//! connection can give (send timeouts, a shutdown that ends). To keep plain
//! `axum::serve`, give it an [`SseListener`] and [`make_service`]: the same
//! guarantees, from the same socket wrapper.
//!
//! ```
//! use axum::{Router, routing::get};
//! use sse_runtime::{Event, Shutdown, SseResponse};
//! use std::time::Duration;
//!
//! async fn events(shutdown: Shutdown) -> SseResponse<futures_util::stream::Pending<Event>> {
//!     SseResponse::new(futures_util::stream::pending())
//!         .send_timeout(Duration::from_secs(10))
//!         .shutdown(shutdown)
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> std::io::Result<()> {
//! let app = Router::new().route("/events", get(events));
//! let shutdown = Shutdown::new().with_grace_period(Duration::from_secs(5));
//! tokio::spawn(shutdown.clone().trigger_on(sse_runtime::shutdown_signal()));
//! let listener = sse_runtime::bind("127.0.0.1:0".parse().unwrap()).await?;
//! # shutdown.trigger();
//! sse_runtime::serve(listener, app).with_shutdown(shutdown).await
//! # }
//! ```

mod accept;
mod axum_serve;
mod bind;
mod body_timeout;
mod guard;
mod h2;
mod header_read;
mod http1;
mod service;
mod socket;

use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::time::Duration;

use axum::Router;
use tokio::net::TcpListener;

pub use self::axum_serve::{MakeService, SseListener, make_service};
pub use self::bind::{LISTEN_BACKLOG, bind};
pub use self::body_timeout::DEFAULT_REQUEST_BODY_TIMEOUT;
use self::body_timeout::RequestBodyTimeout;
#[cfg(feature = "tls")]
#[cfg_attr(docsrs, doc(cfg(feature = "tls")))]
pub use self::h2::{TLS_HANDSHAKE_TIMEOUT, Tls, TlsError};
pub use self::header_read::DEFAULT_HEADER_READ_TIMEOUT;
use self::header_read::HeaderReadTimeout;
pub use self::service::RouterService;
pub use self::socket::WatchedIo;
use crate::shutdown::Shutdown;

/// Serves `router` on `listener`: what `axum::serve` does, plus the
/// guarantees that only the connection can give.
///
/// - **Send timeout.** hyper stops polling a response body while the socket is
///   full, so a stream cannot notice that its client stopped reading. Here the
///   socket records since when its writes have been blocked, and fails them
///   (hyper then drops the connection) once that exceeds the stream's
///   [`send_timeout`](crate::SseResponse::send_timeout).
/// - **Shutdown that ends.** On [`Shutdown::trigger`] it stops accepting, asks
///   every connection to finish (streams send their farewell), and drops the
///   connections still open when the grace period ends, even those whose
///   client stopped reading. `axum::serve(..).with_graceful_shutdown(..)` waits
///   for those forever.
/// - **Lean idle streams.** HTTP/1 connections are served by hyper's
///   `http1` connection directly, without the protocol sniffing of
///   `axum::serve`, and an event stream leaves hyper's connection once its
///   head is out ([`Serve::lean_streams`]): an idle stream then costs under
///   a third of what it costs in hyper's connection (BENCHMARKS.md).
///   Opt in to cleartext HTTP/2 with [`Serve::http2`].
///
/// Handlers can extract [`Shutdown`] and `ConnectInfo<SocketAddr>` without any
/// extra layer. See the [module docs](mod@crate::serve) for a whole server.
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
        http2: None,
        lean_streams: true,
        body_timeout: RequestBodyTimeout::default(),
        header_read_timeout: HeaderReadTimeout::default(),
        #[cfg(feature = "tls")]
        tls: None,
    }
}

/// A server being configured; `.await` it to run it.
///
/// ```no_run
/// # async fn run(app: axum::Router, shutdown: sse_runtime::Shutdown) -> std::io::Result<()> {
/// let listener = sse_runtime::bind("127.0.0.1:8000".parse().unwrap()).await?;
/// sse_runtime::serve(listener, app)
///     .with_shutdown(shutdown) // default: runs until the process ends
///     .http2(true)             // default: HTTP/1 only (in cleartext)
///     .await
/// # }
/// # let _ = run;
/// ```
#[must_use = "a server does nothing until it is awaited"]
#[derive(Debug)]
pub struct Serve {
    listener: TcpListener,
    router: Router,
    shutdown: Option<Shutdown>,
    http2: Option<bool>,
    lean_streams: bool,
    body_timeout: RequestBodyTimeout,
    header_read_timeout: HeaderReadTimeout,
    #[cfg(feature = "tls")]
    tls: Option<Tls>,
}

impl Serve {
    /// Stops when `shutdown` is triggered, after the streams have finished or
    /// its grace period has passed. Without it the server runs until the
    /// process ends.
    pub fn with_shutdown(mut self, shutdown: Shutdown) -> Self {
        self.shutdown = Some(shutdown);
        self
    }

    /// How long a handler reading a request body waits for its next piece
    /// before the read fails (default [`DEFAULT_REQUEST_BODY_TIMEOUT`];
    /// `Duration::ZERO` turns it off): a client that trickles a body cannot
    /// hold a connection and a task indefinitely.
    pub fn request_body_timeout(mut self, timeout: Duration) -> Self {
        self.body_timeout = RequestBodyTimeout::new(timeout);
        self
    }

    /// How long a connection may wait for a request, whatever it speaks
    /// (default [`DEFAULT_HEADER_READ_TIMEOUT`], as hyper's HTTP/1
    /// connection; `Duration::ZERO` turns it off): a client that opens
    /// connections and sends nothing, or next to nothing, cannot hold them
    /// and their memory indefinitely.
    ///
    /// - **HTTP/1** (cleartext or over TLS, lean streams or not): a request's
    ///   head must be complete within it, counted from when the connection
    ///   opens or its previous response ended (hyper's
    ///   `header_read_timeout`). A silent connection, a partial request line,
    ///   headers dripped a byte at a time are closed when it runs out. A
    ///   response being written, however long, is not a wait: an event
    ///   stream is never ended by it.
    /// - **HTTP/2** (over TLS, or cleartext with [`Serve::http2`]): a
    ///   connection with no stream open for this long (since it opened, or
    ///   since its last stream ended) is closed with `GOAWAY`, and dropped
    ///   if it has not closed a second later (a client that sent no preface,
    ///   or stopped reading). An open stream, such as a quiet event stream,
    ///   keeps its connection.
    /// - In cleartext with [`Serve::http2`], the first bytes, which tell
    ///   HTTP/1 from HTTP/2, must come within it too; and over TLS the
    ///   handshake has its own `TLS_HANDSHAKE_TIMEOUT` (feature `tls`)
    ///   before it.
    ///
    /// ```no_run
    /// # async fn run(app: axum::Router) -> std::io::Result<()> {
    /// use std::time::Duration;
    ///
    /// let listener = sse_runtime::bind("0.0.0.0:8000".parse().unwrap()).await?;
    /// sse_runtime::serve(listener, app)
    ///     .header_read_timeout(Duration::from_secs(10))
    ///     .await
    /// # }
    /// # let _ = run;
    /// ```
    pub fn header_read_timeout(mut self, timeout: Duration) -> Self {
        self.header_read_timeout = HeaderReadTimeout::new(timeout);
        self
    }

    /// Whether HTTP/2 is served. Over TLS (`Serve::tls`, feature `tls`) it is on unless
    /// turned off here, and offered by ALPN. In cleartext it is off unless
    /// turned on here, and then accepted with prior knowledge, at the cost of
    /// a few KiB per connection for telling the protocols apart: browsers
    /// speak HTTP/2 only over TLS, which a proxy in front usually ends.
    ///
    /// Over HTTP/2 every guarantee holds per stream: a stream whose client
    /// stopped reading (out of flow-control window) is reset after its send
    /// timeout while the connection's other streams go on; a client's
    /// `RST_STREAM` runs that stream's disconnect hook; shutdown sends each
    /// stream its farewell, then `GOAWAY`.
    pub fn http2(mut self, enabled: bool) -> Self {
        self.http2 = Some(enabled);
        self
    }

    /// Whether an HTTP/1.1 event stream leaves hyper's connection once its
    /// response head is written (default: on), so that an idle stream
    /// holds its socket, its body and a small task, and none of what hyper
    /// keeps for a connection's next request (its 8 KiB read buffer, its
    /// write buffer, its dispatcher): see BENCHMARKS.md for what an idle
    /// stream then costs.
    ///
    /// hyper still parses every request and writes every response head; the
    /// stream then writes its body's chunks itself, byte for byte as hyper
    /// would, and when the body ends hands the connection back to hyper for
    /// its next request. Every guarantee holds as on hyper's path: the send
    /// timeout, the end of the grace period, the disconnect hook when the
    /// client leaves, keep-alive, the stream limit, `Last-Event-ID`.
    ///
    /// Only the ordinary case leaves: a `GET` over HTTP/1.1 with no request
    /// body, `Upgrade`, `Expect`, `TE` or `Connection: close`, answered with
    /// a `200` `text/event-stream` of unknown length. Everything else (a
    /// `HEAD`, HTTP/1.0, any other response) stays with hyper from start to
    /// end, as does every connection of a server that serves HTTPS
    /// (`Serve::tls`, feature `tls`) or cleartext HTTP/2 ([`Serve::http2`]), HTTP/1.1
    /// ones included. What a client
    /// sends while its stream runs (a pipelined request) is kept for hyper,
    /// which answers it when the stream ends, as it would have.
    ///
    /// Turn them off to keep every stream in hyper's connection to its end
    /// (an idle stream then costs over three times as much):
    ///
    /// ```no_run
    /// # async fn run(app: axum::Router) -> std::io::Result<()> {
    /// let listener = sse_runtime::bind("0.0.0.0:8000".parse().unwrap()).await?;
    /// sse_runtime::serve(listener, app).lean_streams(false).await
    /// # }
    /// # let _ = run;
    /// ```
    pub fn lean_streams(mut self, enabled: bool) -> Self {
        self.lean_streams = enabled;
        self
    }

    /// Serves HTTPS with `tls`'s certificate: HTTP/2 for clients that offer
    /// it by ALPN (every browser; all of a page's `EventSource`s then share
    /// one connection instead of queueing for six), HTTP/1.1 for the others.
    ///
    /// ```no_run
    /// # async fn run(app: axum::Router) -> Result<(), Box<dyn std::error::Error>> {
    /// let tls = sse_runtime::serve::Tls::from_pem_files("cert.pem", "key.pem")?;
    /// let listener = sse_runtime::bind("0.0.0.0:8443".parse()?).await?;
    /// sse_runtime::serve(listener, app).tls(tls).await?;
    /// # Ok(()) }
    /// # let _ = run;
    /// ```
    #[cfg(feature = "tls")]
    #[cfg_attr(docsrs, doc(cfg(feature = "tls")))]
    pub fn tls(mut self, tls: Tls) -> Self {
        self.tls = Some(tls);
        self
    }

    /// What the accepted connections speak.
    fn protocols(&self) -> accept::Protocols {
        #[cfg(feature = "tls")]
        if let Some(tls) = &self.tls {
            return accept::Protocols::Tls(tls.acceptor(self.http2.unwrap_or(true)));
        }
        if self.http2.unwrap_or(false) {
            accept::Protocols::Http1OrH2c
        } else if self.lean_streams {
            accept::Protocols::Http1Lean
        } else {
            accept::Protocols::Http1
        }
    }
}

impl IntoFuture for Serve {
    type Output = std::io::Result<()>;
    type IntoFuture = Pin<Box<dyn Future<Output = Self::Output> + Send>>;

    fn into_future(self) -> Self::IntoFuture {
        // A coordinator always exists, so the `Shutdown` extractor works; an
        // untriggered one costs nothing.
        let protocols = self.protocols();
        let shutdown = self.shutdown.unwrap_or_default();
        Box::pin(accept::accept_until_shutdown(
            self.listener,
            self.router,
            shutdown,
            protocols,
            accept::Timeouts {
                request_body: self.body_timeout,
                header_read: self.header_read_timeout,
            },
        ))
    }
}
