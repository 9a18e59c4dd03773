//! A client that trickles a request body cannot hold a connection and a task
//! indefinitely: once a handler reads the body, each piece is due within
//! `DEFAULT_REQUEST_BODY_TIMEOUT` (tokio's clock is paused, so the 30 s pass
//! at once once everything waits), under either server.

use std::time::Duration;

use axum::Router;
use axum::routing::post;
use sse_runtime::{DEFAULT_REQUEST_BODY_TIMEOUT, Shutdown};
use sse_test_support::{ServeWith, serve_with};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

async fn a_stalled_body_fails_its_read_after_the_timeout(with: ServeWith) {
    let app = Router::new().route(
        "/",
        post(|body: String| async move { body.len().to_string() }),
    );
    let server = serve_with(with, app, Shutdown::new()).await;
    let mut socket = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    // 100 KB announced, one byte sent, then nothing.
    socket
        .write_all(b"POST / HTTP/1.1\r\nhost: test\r\ncontent-length: 100000\r\n\r\nx")
        .await
        .unwrap();
    let started = tokio::time::Instant::now();
    let mut response = Vec::new();
    tokio::time::timeout(Duration::from_secs(120), socket.read_to_end(&mut response))
        .await
        .expect("the server answered and closed within two minutes of tokio time")
        .unwrap();
    let took = started.elapsed();
    let response = String::from_utf8_lossy(&response);
    assert!(response.starts_with("HTTP/1.1 400"), "{response}");
    assert!(response.contains("stalled"), "{response}");
    let timeout = DEFAULT_REQUEST_BODY_TIMEOUT;
    assert!(
        took >= timeout && took < timeout + Duration::from_secs(1),
        "answered after {took:?} of tokio time; the body timeout is {timeout:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_stalled_body_fails_under_sse_runtime_serve() {
    a_stalled_body_fails_its_read_after_the_timeout(ServeWith::SseRuntime).await;
}

#[tokio::test(start_paused = true)]
async fn a_stalled_body_fails_under_axum_serve() {
    a_stalled_body_fails_its_read_after_the_timeout(ServeWith::AxumServe).await;
}

#[tokio::test]
async fn a_body_that_keeps_arriving_is_read_whole() {
    let app = Router::new().route(
        "/",
        post(|body: String| async move { body.len().to_string() }),
    );
    let server = serve_with(ServeWith::SseRuntime, app, Shutdown::new()).await;
    let mut socket = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    socket
        .write_all(
            b"POST / HTTP/1.1\r\nhost: test\r\nconnection: close\r\ncontent-length: 5\r\n\r\n",
        )
        .await
        .unwrap();
    for byte in b"hello" {
        socket.write_all(&[*byte]).await.unwrap();
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let mut response = Vec::new();
    socket.read_to_end(&mut response).await.unwrap();
    let response = String::from_utf8_lossy(&response);
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.ends_with("\r\n\r\n5"), "{response}");
}
