//! A cleartext connection that may speak HTTP/1 or HTTP/2 with prior
//! knowledge (`.http2(true)`), told apart by its first bytes, which must
//! come within the header read timeout (as hyper's `auto::Builder` would
//! tell them apart, but bounded; and then with a connection of one
//! protocol, whose timeouts are known).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bytes::Bytes;
use hyper_util::rt::TokioIo;
use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;

use super::connection::{Connection, Http1Connection, http1};
use crate::serve::guard::Guarded;
use crate::serve::h2::StreamExecutor;
use crate::serve::service::RouterService;
use crate::serve::socket::WatchedIo;

/// The first bytes of every HTTP/2 connection with prior knowledge.
const H2_PREFACE: &[u8; 24] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

impl Connection {
    /// Serves HTTP/1 or cleartext HTTP/2, as the first bytes say.
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
            let io = io.unread(first);
            Some(if h2 {
                let executor = StreamExecutor::default();
                let guard = guard.with_h2(executor.connection.clone());
                let connection = executor
                    .builder()
                    .serve_connection(TokioIo::new(io), service);
                Auto::Http2(Box::pin(Guarded::new(connection, guard)))
            } else {
                Auto::Http1(Guarded::new(http1(io, service, &guard), guard))
            })
        }))
    }
}

/// A cleartext HTTP/1-or-2 connection's task. Hand-written, and kept to the
/// size of an HTTP/1 connection: its HTTP/1.1 event streams (which stay in
/// hyper's connection) each keep one.
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

#[cfg(test)]
mod tests {
    use std::net::SocketAddr;

    use axum::Router;
    use tokio::net::TcpListener;

    use super::*;
    use crate::serve::body_timeout::RequestBodyTimeout;
    use crate::serve::header_read::HeaderReadTimeout;
    use crate::shutdown::Shutdown;

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
            body_timeout: RequestBodyTimeout::default(),
            header_read_timeout: HeaderReadTimeout::default(),
        };
        let task = connection.serve_auto(socket);
        let size = std::mem::size_of_val(&task);
        assert!(
            size < 1_200,
            "the HTTP/1-or-2 connection task is {size} bytes; it should hold hyper's HTTP/1 connection once"
        );
    }
}
