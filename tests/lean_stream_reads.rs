//! What a client sends while its event stream runs, and its half-close: the
//! lean path reads the socket as hyper's connection does while it writes a
//! response, so each client script below sees the same bytes from a server
//! with lean streams as from one with `.lean_streams(false)`, and each
//! server reports its streams' ends for the same reasons.
//!
//! What hyper does (hyper 1's `Conn::poll_read_keep_alive`): while a response
//! is written it reads the socket only for the client's EOF, and only while
//! its read buffer is empty. One read that brings bytes (a pipelined request,
//! or garbage) fills the buffer, and hyper reads no more until the response
//! has ended: the rest of what the client sends waits in the kernel, and so
//! does its EOF, so a client that sent something before it half-closed gets
//! its stream to the end, then the answer to what it sent. A read that finds
//! the EOF with nothing before it ends the connection, stream and all: a
//! half-close is a client that has gone.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::routing::get;
use futures_util::{StreamExt, stream};
use sse_runtime::{DisconnectReason, Event, KeepAlive, Shutdown, SseResponse};
use sse_test_support::{LogCapture, PATIENCE, serve_lean, serve_without_lean_streams};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc;

/// What the log says when a stream leaves hyper's connection.
const LEFT_HYPER: &str = "event stream left hyper's connection";

/// What the log says when a lean stream stops reading its socket, with
/// how many bytes it holds for hyper.
const STOPPED_READING: &str = "not read until the stream ends";

/// The most a stream may hold of what its client sent while it runs: one
/// read of hyper's (its read buffer starts at 8 KiB), which hyper's path
/// holds as well.
const HELD_MAX: usize = 8 * 1024;

/// How far apart `/slow`'s events come: room for a client to act between
/// two of them.
const SLOW: Duration = Duration::from_millis(100);

/// A server's streams: how many opened, and why each ended.
struct Ends {
    opened: Arc<AtomicUsize>,
    reasons: mpsc::UnboundedReceiver<DisconnectReason>,
}

impl Ends {
    /// The reasons of every stream opened, once all have ended.
    async fn all(&mut self) -> Vec<DisconnectReason> {
        let mut reasons = Vec::new();
        tokio::time::timeout(PATIENCE, async {
            while reasons.len() < self.opened.load(Ordering::SeqCst) {
                reasons.push(self.reasons.recv().await.unwrap());
            }
        })
        .await
        .expect("every stream ended");
        reasons
    }
}

/// How often `/endless` pings: something to write, so that a closed
/// connection is found.
const PING: Duration = Duration::from_millis(50);

/// `/slow`: five events `SLOW` apart, then the end. `/ready`: five events at
/// once. `/endless`: nothing but a ping every 50 ms. `/json`: not a stream.
fn app() -> (Router, Ends) {
    let opened = Arc::new(AtomicUsize::new(0));
    let (report, reasons) = mpsc::unbounded_channel();
    let respond = {
        let opened = opened.clone();
        move |events: stream::BoxStream<'static, Event>, keep_alive: KeepAlive| {
            opened.fetch_add(1, Ordering::SeqCst);
            let report = report.clone();
            SseResponse::new(events)
                .keep_alive(keep_alive)
                .on_disconnect(move |end| {
                    let _ = report.send(end.reason);
                    std::future::ready(())
                })
        }
    };
    let five = |n: usize| Event::data(format!("{n}"));
    let (slow, ready, endless) = (respond.clone(), respond.clone(), respond);
    let router = Router::new()
        .route(
            "/slow",
            get(move || {
                let events = stream::iter(1..=5)
                    .then(move |n| async move {
                        tokio::time::sleep(SLOW).await;
                        five(n)
                    })
                    .boxed();
                std::future::ready(slow(events, KeepAlive::disabled()))
            }),
        )
        .route(
            "/ready",
            get(move || {
                std::future::ready(ready(
                    stream::iter((1..=5).map(five)).boxed(),
                    KeepAlive::disabled(),
                ))
            }),
        )
        .route(
            "/endless",
            get(move || {
                std::future::ready(endless(stream::pending().boxed(), KeepAlive::every(PING)))
            }),
        )
        .route("/json", get(|| async { axum::Json([1, 2, 3]) }));
    (router, Ends { opened, reasons })
}

/// What a client saw: every byte (the `date` headers' values blanked) and
/// how the connection ended.
#[derive(Debug, PartialEq, Eq)]
struct Seen {
    bytes: String,
    end: End,
}

#[derive(Debug, PartialEq, Eq)]
enum End {
    /// The server closed the connection.
    Closed,
    /// Reading failed (a reset).
    Failed,
    /// The client closed it, the server's stream still going.
    Left,
}

/// Runs `script` (a client: what it sends and when on a connection, then
/// what it read and how the connection ended) against a server with lean
/// streams and one without, and requires the same bytes and the same
/// reasons from both; returns what the lean server's client saw, its
/// streams' reasons, and what the lean server's log says of its connection.
/// Client and servers share the test's one thread, so that what a script
/// does between two awaits reaches the server at once.
async fn same_on_both<F>(
    script: impl Fn(TcpStream) -> F + Copy,
) -> (Seen, Vec<DisconnectReason>, Vec<String>)
where
    F: Future<Output = (Vec<u8>, End)>,
{
    let logs = LogCapture::global();
    let (hyper_app, mut hyper_ends) = app();
    let (lean_app, mut lean_ends) = app();
    let hyper = serve_without_lean_streams(hyper_app, Shutdown::new()).await;
    let lean = serve_lean(lean_app, Shutdown::new()).await;
    let run = |addr: SocketAddr| async move {
        let socket = TcpStream::connect(addr).await.unwrap();
        let local = socket.local_addr().unwrap();
        let (bytes, end) = script(socket).await;
        let bytes = String::from_utf8_lossy(&blank_dates(&bytes)).into_owned();
        (Seen { bytes, end }, local)
    };
    let ((from_hyper, _), (from_lean, client)) = tokio::join!(run(hyper.addr), run(lean.addr));
    let (hyper_reasons, lean_reasons) = tokio::join!(hyper_ends.all(), lean_ends.all());
    println!("hyper's path: {from_hyper:?} {hyper_reasons:?}");
    println!("lean path:    {from_lean:?} {lean_reasons:?}");
    assert_eq!(from_lean, from_hyper, "the client sees the same on both");
    assert_eq!(lean_reasons, hyper_reasons, "the streams end alike");
    let peer = format!("peer={client}");
    let log: Vec<String> = logs
        .text()
        .lines()
        .filter(|line| line.contains(&peer))
        .map(str::to_owned)
        .collect();
    assert!(
        log.iter().any(|line| line.contains(LEFT_HYPER)),
        "the lean server's stream left hyper"
    );
    (from_lean, lean_reasons, log)
}

fn request(path: &str) -> String {
    format!("GET {path} HTTP/1.1\r\nHost: x\r\n\r\n")
}

/// Reads until `pattern` has been seen `times` times.
async fn read_until(socket: &mut TcpStream, seen: &mut Vec<u8>, pattern: &str, times: usize) {
    let mut buf = [0; 4096];
    tokio::time::timeout(PATIENCE, async {
        while end_of(seen, pattern, times).is_none() {
            let n = socket.read(&mut buf).await.unwrap();
            assert!(
                n > 0,
                "closed before {pattern:?}: {:?}",
                String::from_utf8_lossy(seen)
            );
            seen.extend_from_slice(&buf[..n]);
        }
    })
    .await
    .expect("the pattern came");
}

/// Where the `times`th `pattern` in `seen` ends.
fn end_of(seen: &[u8], pattern: &str, times: usize) -> Option<usize> {
    let pattern = pattern.as_bytes();
    (0..seen.len())
        .filter(|&at| seen[at..].starts_with(pattern))
        .nth(times - 1)
        .map(|at| at + pattern.len())
}

/// Reads until the server closes the connection.
async fn read_to_end(socket: &mut TcpStream, seen: &mut Vec<u8>) -> End {
    let mut buf = [0; 4096];
    tokio::time::timeout(PATIENCE, async {
        loop {
            match socket.read(&mut buf).await {
                Ok(0) => return End::Closed,
                Ok(n) => seen.extend_from_slice(&buf[..n]),
                Err(_) => return End::Failed,
            }
        }
    })
    .await
    .expect("the server closed the connection")
}

fn blank_dates(answer: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(answer);
    let mut out = String::new();
    let mut rest = &*text;
    while let Some(at) = rest.find("\r\ndate: ") {
        let value = at + "\r\ndate: ".len();
        out.push_str(&rest[..value]);
        out.push_str("(blank)");
        rest = &rest[value..];
        rest = &rest[rest.find("\r\n").unwrap_or(rest.len())..];
    }
    out.push_str(rest);
    out.into_bytes()
}

/// Two streams asked for at once, then the client's half-close: the first
/// stream whole, last chunk included. hyper then parses the second request,
/// reads the EOF right behind it and closes the connection without an
/// answer (its `half_close` is off), on both paths alike.
#[tokio::test]
async fn two_pipelined_gets_then_a_half_close() {
    for path in ["/slow", "/ready"] {
        let (seen, _, _) = same_on_both(|mut socket: TcpStream| async move {
            let twice = request(path).repeat(2);
            socket.write_all(twice.as_bytes()).await.unwrap();
            socket.shutdown().await.unwrap();
            let mut seen = Vec::new();
            let end = read_to_end(&mut socket, &mut seen).await;
            (seen, end)
        })
        .await;
        assert!(
            seen.bytes.contains("data: 5\n\n\r\n0\r\n\r\n"),
            "{path}: the first stream whole: {seen:?}"
        );
    }
}

/// Garbage while the stream runs, then the half-close: the stream goes to
/// its end, then hyper refuses the garbage.
#[tokio::test]
async fn garbage_mid_stream_then_a_half_close() {
    let (seen, _, _) = same_on_both(|mut socket: TcpStream| async move {
        socket.write_all(request("/slow").as_bytes()).await.unwrap();
        let mut seen = Vec::new();
        read_until(&mut socket, &mut seen, "data: 2\n\n", 1).await;
        socket.write_all(b"not a request\r\n\r\n").await.unwrap();
        socket.shutdown().await.unwrap();
        let end = read_to_end(&mut socket, &mut seen).await;
        (seen, end)
    })
    .await;
    assert!(seen.bytes.contains("data: 5\n\n\r\n0\r\n\r\n"), "{seen:?}");
}

/// A half-close with nothing before it, mid-stream: the client has gone,
/// on both paths.
#[tokio::test]
async fn a_half_close_alone_ends_the_stream() {
    let (seen, reasons, _) = same_on_both(|mut socket: TcpStream| async move {
        socket.write_all(request("/slow").as_bytes()).await.unwrap();
        let mut seen = Vec::new();
        read_until(&mut socket, &mut seen, "data: 1\n\n", 1).await;
        socket.shutdown().await.unwrap();
        let end = read_to_end(&mut socket, &mut seen).await;
        (seen, end)
    })
    .await;
    assert!(!seen.bytes.contains("data: 2"), "{seen:?}");
    assert_eq!(reasons, [DisconnectReason::ClientGone]);
}

/// An endless stream, a second asked for behind it, then the half-close:
/// the EOF waits behind the pipelined request, so the stream goes on until
/// the client closes.
#[tokio::test]
async fn an_endless_stream_goes_on_after_a_pipelined_request_and_a_half_close() {
    let (seen, reasons, _) = same_on_both(|mut socket: TcpStream| async move {
        socket
            .write_all(request("/endless").repeat(2).as_bytes())
            .await
            .unwrap();
        socket.shutdown().await.unwrap();
        let mut seen = Vec::new();
        read_until(&mut socket, &mut seen, ": ping\n\n", 3).await;
        // What came after the third ping depends on when it was read.
        seen.truncate(end_of(&seen, ": ping\n\n", 3).unwrap());
        (seen, End::Left)
    })
    .await;
    assert!(seen.bytes.starts_with("HTTP/1.1 200 OK\r\n"), "{seen:?}");
    assert_eq!(reasons, [DisconnectReason::ClientGone]);
}

/// An endless stream and a half-close with nothing before it: gone.
#[tokio::test]
async fn an_endless_stream_ends_at_a_half_close() {
    let (seen, reasons, _) = same_on_both(|mut socket: TcpStream| async move {
        socket
            .write_all(request("/endless").as_bytes())
            .await
            .unwrap();
        let mut seen = Vec::new();
        read_until(&mut socket, &mut seen, ": ping\n\n", 1).await;
        socket.shutdown().await.unwrap();
        let end = read_to_end(&mut socket, &mut seen).await;
        (seen, end)
    })
    .await;
    assert!(!seen.bytes.contains("0\r\n\r\n"), "{seen:?}");
    assert_eq!(reasons, [DisconnectReason::ClientGone]);
}

/// How many requests of [`padded_json`] make 450 KiB.
const PIPELINED: usize = 450 * 1024 / 1064;

/// A request for `/json` with a 1 KiB header: 1,064 bytes.
fn padded_json() -> String {
    let request = format!(
        "GET /json HTTP/1.1\r\nHost: x\r\nX-Pad: {}\r\n\r\n",
        "p".repeat(1024)
    );
    assert_eq!(request.len(), 1064);
    request
}

/// 450 KiB of pipelined requests (each with a 1 KiB header) sent while the
/// stream runs: the lean stream holds no more of them than hyper's path
/// would (one read), the rest waits in the kernel, and every request is
/// answered after the stream, as on hyper's path.
#[tokio::test]
async fn a_client_sending_much_mid_stream_is_not_buffered() {
    let (seen, reasons, log) = same_on_both(|mut socket: TcpStream| async move {
        let mut seen = Vec::new();
        socket.write_all(request("/slow").as_bytes()).await.unwrap();
        read_until(&mut socket, &mut seen, "data: 1\n\n", 1).await;
        let (mut reading, mut writing) = socket.into_split();
        // The answers come while the requests go: one task each.
        let sending = tokio::spawn(async move {
            for _ in 0..PIPELINED {
                writing.write_all(padded_json().as_bytes()).await.unwrap();
            }
            writing
        });
        let mut buf = [0; 4096];
        tokio::time::timeout(PATIENCE, async {
            while end_of(&seen, "[1,2,3]", PIPELINED).is_none() {
                let n = reading.read(&mut buf).await.unwrap();
                assert!(n > 0, "closed: {:?}", String::from_utf8_lossy(&seen));
                seen.extend_from_slice(&buf[..n]);
            }
        })
        .await
        .expect("every request was answered");
        drop(sending.await.unwrap());
        (seen, End::Left)
    })
    .await;
    assert!(seen.bytes.contains("data: 5\n\n\r\n0\r\n\r\n"), "{seen:?}");
    assert_eq!(reasons, [DisconnectReason::Completed]);
    let held: Vec<usize> = log
        .iter()
        .filter(|line| line.contains(STOPPED_READING))
        .filter_map(|line| line.split("held=").nth(1))
        .filter_map(|rest| rest.split_whitespace().next()?.parse().ok())
        .collect();
    assert_eq!(held.len(), 1, "the stream stopped reading once: {log:?}");
    assert!(held[0] <= HELD_MAX, "the lean stream held {held:?} bytes");
}
