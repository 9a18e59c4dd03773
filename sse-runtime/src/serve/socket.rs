//! What every accepted socket is set to, under either server.

use tokio::net::TcpStream;

/// Sets an accepted socket up for event streams.
pub(crate) fn tune(socket: &TcpStream) {
    // Events are small and latency matters more than packet count.
    if let Err(error) = socket.set_nodelay(true) {
        tracing::debug!(%error, "cannot set TCP_NODELAY");
    }
}
