//! The listening socket: [`bind`], a listener ready for the reconnect storms
//! event streams see, and what either accept loop does when an accept fails
//! ([`accept_error`]).

use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::TcpListener;

/// The listen backlog [`bind`] asks for (the kernel caps it at
/// `net.core.somaxconn`).
pub const LISTEN_BACKLOG: u32 = 4096;

/// Binds a listener for [`serve`](crate::serve()) with a listen backlog of
/// [`LISTEN_BACKLOG`], and `SO_REUSEADDR` so that a restarted server can bind
/// while old connections linger in `TIME_WAIT`.
///
/// Event-stream servers see bursts of connects: after a deploy or a network
/// blip every client reconnects at once. `TcpListener::bind` asks for a
/// backlog of 128; connects beyond it are dropped and retried by the client's
/// kernel a second later.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> std::io::Result<()> {
/// let listener = sse_runtime::bind("127.0.0.1:0".parse().unwrap()).await?;
/// assert!(listener.local_addr()?.port() > 0);
/// # Ok(())
/// # }
/// ```
pub async fn bind(addr: SocketAddr) -> std::io::Result<TcpListener> {
    let socket = match addr {
        SocketAddr::V4(_) => tokio::net::TcpSocket::new_v4()?,
        SocketAddr::V6(_) => tokio::net::TcpSocket::new_v6()?,
    };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(LISTEN_BACKLOG)
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
