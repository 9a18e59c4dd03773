//! A connection over TLS: HTTP/2 or HTTP/1.1 as the client and the acceptor
//! agree by ALPN ([`Serve::tls`](crate::serve::Serve::tls)).

use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use super::connection::Connection;
use crate::serve::guard::Guarded;
use crate::serve::h2::{StreamExecutor, TLS_HANDSHAKE_TIMEOUT};
use crate::serve::header_read::http1_builder;

impl Connection {
    /// Serves HTTPS. The handshake is bounded by [`TLS_HANDSHAKE_TIMEOUT`]
    /// and given up at shutdown.
    pub(crate) async fn serve_tls(self, socket: TcpStream, acceptor: tokio_rustls::TlsAcceptor) {
        let requested = self.shutdown.requested();
        let peer = self.peer;
        let (io, service, guard) = self.prepare(socket);
        let handshake = tokio::time::timeout(TLS_HANDSHAKE_TIMEOUT, acceptor.accept(io));
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
            let connection = executor.builder().serve_connection(io, service);
            Guarded::new(connection, guard).await;
        } else {
            let connection =
                http1_builder(guard.header_read_timeout()).serve_connection(io, service);
            Guarded::new(connection, guard).await;
        }
    }
}
