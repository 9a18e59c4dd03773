//! Servers under test on a free loopback port: `sse_runtime::serve`, plain
//! `axum::serve` with the documented set-up (`SseListener` + `make_service`),
//! or plain `axum::serve` with nothing of ours.

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

/// The servers a lifecycle guarantee must hold under.
#[derive(Clone, Copy, Debug)]
pub enum ServeWith {
    /// `sse_runtime::serve(listener, app).with_shutdown(shutdown)`, with its
    /// defaults (lean streams on: event streams leave hyper's connection
    /// once their head is out).
    SseRuntime,
    /// `sse_runtime::serve(listener, app).with_shutdown(shutdown)
    /// .lean_streams(false)`: hyper's connection writes every stream to its
    /// end.
    SseRuntimeHyperPath,
    /// `axum::serve(SseListener::new(listener, &shutdown), make_service(app))
    /// .with_graceful_shutdown(shutdown.requested())`.
    AxumServe,
}

/// Serves `router` with `with` on a free loopback port.
pub async fn serve_with(with: ServeWith, router: Router, shutdown: Shutdown) -> TestServer {
    match with {
        ServeWith::SseRuntime => serve(router, shutdown).await,
        ServeWith::SseRuntimeHyperPath => serve_without_lean_streams(router, shutdown).await,
        ServeWith::AxumServe => {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let listener = sse_runtime::SseListener::new(listener, &shutdown);
            let task = tokio::spawn(
                axum::serve(listener, sse_runtime::make_service(router))
                    .with_graceful_shutdown(shutdown.requested())
                    .into_future(),
            );
            TestServer {
                addr,
                shutdown,
                task,
            }
        }
    }
}

/// Serves `router` with `sse_runtime::serve` and its defaults on a free
/// loopback port.
pub async fn serve(router: Router, shutdown: Shutdown) -> TestServer {
    serve_configured(router, shutdown, None).await
}

/// Serves `router` with `sse_runtime::serve(..).lean_streams(true)` on a
/// free loopback port, whatever the default.
pub async fn serve_lean(router: Router, shutdown: Shutdown) -> TestServer {
    serve_configured(router, shutdown, Some(true)).await
}

/// Serves `router` with `sse_runtime::serve(..).lean_streams(false)` on a
/// free loopback port: hyper's connection writes every stream to its end.
pub async fn serve_without_lean_streams(router: Router, shutdown: Shutdown) -> TestServer {
    serve_configured(router, shutdown, Some(false)).await
}

async fn serve_configured(
    router: Router,
    shutdown: Shutdown,
    lean_streams: Option<bool>,
) -> TestServer {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let mut server = sse_runtime::serve(listener, router).with_shutdown(shutdown.clone());
    if let Some(enabled) = lean_streams {
        server = server.lean_streams(enabled);
    }
    let task = tokio::spawn(server.into_future());
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
