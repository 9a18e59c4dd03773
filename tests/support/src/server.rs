//! Servers under test on a free loopback port: `sse_runtime::serve`, or
//! plain `axum::serve`.

use std::future::IntoFuture;
use std::net::SocketAddr;

use axum::Router;
use sse_runtime::Shutdown;
use tokio::task::JoinHandle;

/// A server under test.
pub struct TestServer {
    /// Where it listens.
    pub addr: SocketAddr,
    /// Its shutdown coordinator.
    pub shutdown: Shutdown,
    /// The server; ends once it has shut down.
    pub task: JoinHandle<std::io::Result<()>>,
}

/// Serves `router` with `sse_runtime::serve` on a free loopback port.
pub async fn serve(router: Router, shutdown: Shutdown) -> TestServer {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(
        sse_runtime::serve(listener, router)
            .with_shutdown(shutdown.clone())
            .into_future(),
    );
    TestServer {
        addr,
        shutdown,
        task,
    }
}

/// Serves `router` with plain `axum::serve` on a free loopback port.
pub async fn serve_with_axum(router: Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });
    addr
}
