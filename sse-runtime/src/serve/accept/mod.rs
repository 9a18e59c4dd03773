//! The accept loop (a task per connection until shutdown, then the wait for
//! the open ones), and what each accepted connection becomes: its socket
//! watched, its guard and its service (`connection.rs`), then hyper's HTTP/1
//! connection (lean or not), a cleartext one that is HTTP/1 or HTTP/2 by its
//! first bytes (`cleartext.rs`), or HTTPS (`tls.rs`).

mod cleartext;
mod connection;
#[cfg(feature = "tls")]
mod tls;

use axum::Router;
use tokio::net::TcpListener;
use tokio_util::task::TaskTracker;

use self::connection::Connection;
use crate::serve::bind::accept_error;
use crate::serve::body_timeout::RequestBodyTimeout;
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
                    };
                    match &protocols {
                        Protocols::Http1 => connections.spawn(connection.serve_http1(socket)),
                        Protocols::Http1Lean => {
                            connections.spawn(connection.serve_lean(socket, connections.clone()))
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
