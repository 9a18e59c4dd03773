//! [`SseListener`]: what plain `axum::serve` needs to give event streams the
//! guarantees of [`serve`](crate::serve()).

use std::net::SocketAddr;

use tokio::net::TcpListener;

use crate::serve::bind::{accept_error, bind};
use crate::serve::socket::{self, CurrentStream, WatchedIo};
use crate::shutdown::Shutdown;

/// A `TcpListener` for plain `axum::serve`, with [`make_service`](crate::serve::make_service)
/// as its service: together they give event streams under `axum::serve` what
/// [`serve`](crate::serve()) gives them.
///
/// - **Send timeout.** Every accepted socket is a [`WatchedIo`]: it fails a
///   write that waited longer than its stream's
///   [`send_timeout`](crate::SseResponse::send_timeout), which makes hyper drop
///   the connection.
/// - **A shutdown that ends.** The sockets fail once the [`Shutdown`]'s grace
///   period is over, so `with_graceful_shutdown` returns even when clients
///   stopped reading. And when axum stops accepting (its graceful-shutdown
///   signal fired) it drops the listener, which triggers the `Shutdown`: the
///   streams send their farewells whatever signal axum was given.
/// - **The coordinator for every request.** [`make_service`](crate::serve::make_service)
///   hands handlers the [`Shutdown`] and `ConnectInfo<SocketAddr>`, so no
///   `.layer(..)` is needed.
///
/// ```
/// use axum::{Router, routing::get};
/// use sse_runtime::{Shutdown, SseListener, sse_endpoint};
/// use std::time::Duration;
///
/// #[sse_endpoint(send_timeout = "10s")]
/// async fn ticks() {
///     yield_!("tick");
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> std::io::Result<()> {
/// let app = Router::new().route("/ticks", get(ticks));
/// let shutdown = Shutdown::new().with_grace_period(Duration::from_secs(5));
/// let listener = SseListener::bind("127.0.0.1:0".parse().unwrap(), &shutdown).await?;
/// # let signal = std::future::ready(()); // this example stops at once
/// # let _ = sse_runtime::shutdown_signal;
/// axum::serve(listener, sse_runtime::make_service(app))
///     .with_graceful_shutdown(signal) // e.g. sse_runtime::shutdown_signal()
///     .await
/// # }
/// ```
#[derive(Debug)]
pub struct SseListener {
    inner: TcpListener,
    shutdown: Shutdown,
}

impl SseListener {
    /// Wraps a bound listener; its connections follow `shutdown`.
    pub fn new(listener: TcpListener, shutdown: &Shutdown) -> Self {
        Self {
            inner: listener,
            shutdown: shutdown.clone(),
        }
    }

    /// Binds `addr` as [`bind`](crate::bind) does (a large listen backlog,
    /// `SO_REUSEADDR`) and wraps it.
    pub async fn bind(addr: SocketAddr, shutdown: &Shutdown) -> std::io::Result<Self> {
        Ok(Self::new(bind(addr).await?, shutdown))
    }

    /// The address the listener is bound to.
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.inner.local_addr()
    }

    /// The coordinator this listener's connections follow.
    pub fn shutdown(&self) -> &Shutdown {
        &self.shutdown
    }
}

impl axum::serve::Listener for SseListener {
    type Io = WatchedIo;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            match self.inner.accept().await {
                Ok((socket, peer)) => {
                    socket::tune(&socket);
                    let shutdown = Some(self.shutdown.listener());
                    return (
                        WatchedIo::new(socket, CurrentStream::default(), shutdown),
                        peer,
                    );
                }
                Err(error) => accept_error(error).await,
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        self.inner.local_addr()
    }
}

impl Drop for SseListener {
    /// axum drops its listener when it stops accepting, which under
    /// `with_graceful_shutdown` means its signal fired: tell the streams now
    /// (a drain delay is over by then, or, with a signal that does not wait
    /// for it, too late to keep accepting).
    fn drop(&mut self) {
        if !self.shutdown.is_requested() {
            tracing::info!("the server stopped accepting; shutting the event streams down");
            self.shutdown.tell_streams();
        }
    }
}
