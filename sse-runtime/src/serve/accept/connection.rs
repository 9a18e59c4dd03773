//! One accepted connection under `sse_runtime::serve`: its socket watched,
//! the router as its service, and its guard; then hyper's HTTP/1
//! connection, whose event streams leave it on the lean path
//! (`http1::LeanConnection`) or stay.

use std::net::SocketAddr;

use axum::Router;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tokio_util::task::TaskTracker;

use crate::serve::body_timeout::RequestBodyTimeout;
use crate::serve::guard::{ConnectionGuard, Guarded};
use crate::serve::header_read::{HeaderReadTimeout, http1_builder};
use crate::serve::http1::LeanConnection;
use crate::serve::service::RouterService;
use crate::serve::socket::{self, CurrentStream, WatchedIo};
use crate::shutdown::Shutdown;

/// What one accepted connection needs to be served.
pub(crate) struct Connection {
    pub(crate) router: Router,
    pub(crate) shutdown: Shutdown,
    pub(crate) peer: SocketAddr,
    pub(crate) body_timeout: RequestBodyTimeout,
    pub(crate) header_read_timeout: HeaderReadTimeout,
}

/// hyper's HTTP/1 connection as every connection whose event streams stay
/// in it is served.
pub(crate) type Http1Connection =
    hyper::server::conn::http1::Connection<TokioIo<WatchedIo>, RouterService>;

impl Connection {
    /// Wraps the socket and builds the service and the guard around it.
    pub(super) fn prepare(self, socket: TcpStream) -> (WatchedIo, RouterService, ConnectionGuard) {
        socket::tune(&socket);
        let current = CurrentStream::default();
        // The guard drops the connection at the end of the grace period; the
        // socket needs to watch only the send timeout.
        let io = WatchedIo::new(socket, current.clone(), None);
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
        };
        (io, service, guard)
    }

    /// Serves HTTP/1, hyper writing every response.
    pub(crate) fn serve_http1(self, socket: TcpStream) -> Guarded<Http1Connection> {
        let (io, service, guard) = self.prepare(socket);
        Guarded::new(http1(io, service, &guard), guard)
    }

    /// Serves HTTP/1, event streams leaving hyper's connection once their
    /// head is out, for tasks `tracker` tracks.
    pub(crate) fn serve_lean(self, socket: TcpStream, tracker: TaskTracker) -> LeanConnection {
        let (io, service, guard) = self.prepare(socket);
        LeanConnection::new(io, service, guard, tracker)
    }
}

/// hyper's HTTP/1 connection over `io`, within the guard's header read
/// timeout.
pub(super) fn http1(
    io: WatchedIo,
    service: RouterService,
    guard: &ConnectionGuard,
) -> Http1Connection {
    http1_builder(guard.header_read_timeout()).serve_connection(TokioIo::new(io), service)
}

#[cfg(test)]
mod tests {
    use tokio::net::TcpListener;

    use super::*;

    /// Every HTTP/1.1 event stream of a server without lean streams keeps
    /// this future alive.
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
            body_timeout: RequestBodyTimeout::default(),
            header_read_timeout: HeaderReadTimeout::default(),
        };
        let task = connection.serve_http1(socket);
        let size = std::mem::size_of_val(&task);
        assert!(
            size < 1_200,
            "the HTTP/1 connection task is {size} bytes; it should hold hyper's connection once"
        );
    }
}
