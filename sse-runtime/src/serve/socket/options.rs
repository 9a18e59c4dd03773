//! What every accepted socket is set to, under either server.

use std::time::Duration;

use socket2::{SockRef, TcpKeepalive};
use tokio::net::TcpStream;

use crate::response::DEFAULT_SEND_TIMEOUT;

/// How long an idle connection waits before TCP keep-alive probes start, how
/// far apart they are, and how many may go unanswered: a peer that vanished
/// from an idle connection is found within about a minute.
const KEEPALIVE_IDLE: Duration = Duration::from_secs(30);
const KEEPALIVE_INTERVAL: Duration = Duration::from_secs(10);
const KEEPALIVE_PROBES: u32 = 3;

/// Sets an accepted socket up for event streams.
pub(crate) fn tune(socket: &TcpStream) {
    // Events are small and latency matters more than packet count.
    if let Err(error) = socket.set_nodelay(true) {
        tracing::debug!(%error, "cannot set TCP_NODELAY");
    }
    // A peer that vanishes without FIN or RST (a closed laptop lid, a NAT
    // that forgot the connection) leaves its stream open until the kernel
    // gives up retransmitting, about 15 minutes by default; keep-alive pings
    // do not help, since they fit in the socket buffer and never block. With
    // TCP_USER_TIMEOUT, data unacknowledged for the send timeout ends the
    // connection (the stream's report says `PeerUnresponsive`); keep-alive
    // probes do the same for a connection with nothing to send.
    let sock = SockRef::from(socket);
    let keepalive = TcpKeepalive::new()
        .with_time(KEEPALIVE_IDLE)
        .with_interval(KEEPALIVE_INTERVAL)
        .with_retries(KEEPALIVE_PROBES);
    if let Err(error) = sock.set_tcp_keepalive(&keepalive) {
        tracing::debug!(%error, "cannot set TCP keep-alive");
    }
    set_user_timeout(socket, Some(DEFAULT_SEND_TIMEOUT));
}

/// How long data may stay unacknowledged before the kernel ends the
/// connection (`TCP_USER_TIMEOUT`, Linux); `None` for the kernel's default.
pub(crate) fn set_user_timeout(socket: &TcpStream, timeout: Option<Duration>) {
    #[cfg(any(target_os = "linux", target_os = "android", target_os = "fuchsia"))]
    if let Err(error) = SockRef::from(socket).set_tcp_user_timeout(timeout) {
        tracing::debug!(%error, "cannot set TCP_USER_TIMEOUT");
    }
    #[cfg(not(any(target_os = "linux", target_os = "android", target_os = "fuchsia")))]
    let _ = (socket, timeout);
}
