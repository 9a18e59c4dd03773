//! The accept loop: a task per connection until shutdown, then the wait for
//! the open ones.

use std::time::Duration;

use axum::Router;
use tokio::net::TcpListener;
use tokio_util::task::TaskTracker;

use crate::serve::body_timeout::RequestBodyTimeout;
use crate::serve::connection::Connection;
use crate::serve::header_read::HeaderReadTimeout;
use crate::shutdown::Shutdown;

/// What connections speak.
pub(crate) enum Protocols {
    /// Cleartext HTTP/1.
    Http1,
    /// Cleartext HTTP/1, event streams leaving hyper's connection once their
    /// head is out ([`Serve::lean_streams`](crate::serve::Serve::lean_streams)).
    Http1Lean,
    /// Cleartext HTTP/1 or HTTP/2 with prior knowledge.
    Http1OrH2c,
    /// HTTPS, the protocol agreed by ALPN.
    #[cfg(feature = "tls")]
    Tls(tokio_rustls::TlsAcceptor),
}

/// What every connection is given.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Timeouts {
    /// [`Serve::request_body_timeout`](crate::serve::Serve::request_body_timeout).
    pub(crate) request_body: RequestBodyTimeout,
    /// [`Serve::header_read_timeout`](crate::serve::Serve::header_read_timeout).
    pub(crate) header_read: HeaderReadTimeout,
}

/// Accepts connections on `listener` until `shutdown` is triggered, then
/// waits for the open ones, which the shutdown ends by the grace period.
pub(crate) async fn accept_until_shutdown(
    listener: TcpListener,
    router: Router,
    shutdown: Shutdown,
    protocols: Protocols,
    timeouts: Timeouts,
) -> std::io::Result<()> {
    let local = listener.local_addr()?;
    tracing::info!(address = %local, "serving");
    let requested = shutdown.requested();
    tokio::pin!(requested);
    // A tracker rather than a `JoinSet`: nothing to reap while serving, and
    // no set entry per connection (memory per idle stream).
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
                        body_timeout: timeouts.request_body,
                        header_read_timeout: timeouts.header_read,
                        lean: matches!(protocols, Protocols::Http1Lean)
                            .then(|| connections.clone()),
                    };
                    match &protocols {
                        Protocols::Http1 | Protocols::Http1Lean => {
                            connections.spawn(connection.serve_http1(socket))
                        }
                        Protocols::Http1OrH2c => connections.spawn(connection.serve_auto(socket)),
                        #[cfg(feature = "tls")]
                        Protocols::Tls(acceptor) => {
                            connections.spawn(connection.serve_tls(socket, acceptor.clone()))
                        }
                    };
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

/// Errors such as running out of file descriptors would make a busy loop;
/// wait a moment as `axum::serve` does. Errors of a single connection that
/// failed during its handshake are skipped at once.
pub(crate) async fn accept_error(error: std::io::Error) {
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
