//! Lean streams (`sse_runtime::serve`'s default, `.lean_streams(false)` to
//! turn them off): an HTTP/1.1 event stream leaves hyper's connection once
//! its head is out, and its task writes the body's chunks itself.
//!
//! The differential test sends the same corpus of request heads (the
//! ordinary ones and the reliability attack set) to a server with lean
//! streams and to one without, and requires the same bytes back from both:
//! hyper parses every request on both paths, so the lean path can only ever
//! serve what hyper accepted, exactly as hyper would. The server's log says
//! which connections' streams left hyper, and only the plain `GET`s may.
//! The lifecycle guarantees run on the lean path in `tests/lifecycle.rs`;
//! the rest (keep-alive, the stream limit, the disconnect hook's delay, the
//! connection's next request) are here.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use axum::Router;
use axum::routing::get;
use futures_util::stream;
use sse_runtime::{
    Disconnect, DisconnectReason, Event, KeepAlive, LastEventId, Shutdown, SseResponse, StreamLimit,
};
use sse_test_support::{
    LogCapture, PATIENCE, request, serve, serve_lean, serve_without_lean_streams,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc;

/// What the log says when a stream leaves hyper's connection.
const LEFT_HYPER: &str = "event stream left hyper's connection";

/// Three events and the end; the first says which id the client resumes
/// from, so that `Last-Event-ID` is seen to arrive.
fn app() -> Router {
    Router::new()
        .route(
            "/events",
            get(|LastEventId(last): LastEventId| async move {
                let last = last.unwrap_or_else(|| "none".to_owned());
                SseResponse::new(stream::iter([
                    Event::data(format!("after {last}")).id("1"),
                    Event::data("two\nlines").id("2"),
                    Event::data("three").event("end"),
                ]))
            }),
        )
        .route("/json", get(|| async { axum::Json([1, 2, 3]) }))
}

/// One entry of the corpus: the bytes a client sends, and how many event
/// streams on its connection may leave hyper.
struct Case {
    name: &'static str,
    bytes: Vec<u8>,
    lean: usize,
}

fn case(name: &'static str, bytes: impl Into<Vec<u8>>, lean: usize) -> Case {
    Case {
        name,
        bytes: bytes.into(),
        lean,
    }
}

fn corpus() -> Vec<Case> {
    let get = |headers: &str| format!("GET /events HTTP/1.1\r\nHost: x\r\n{headers}\r\n");
    let many_headers: String = (0..10_000).map(|i| format!("X-{i}: v\r\n")).collect();
    let huge_header = format!("X-Big: {}\r\n", "v".repeat(100 * 1024));
    let too_big_header = format!("X-Big: {}\r\n", "v".repeat(500 * 1024));
    let mut non_utf8_value = get("").into_bytes();
    non_utf8_value.splice(
        non_utf8_value.len() - 2..non_utf8_value.len() - 2,
        b"X-Bytes: \xff\xfe\x80\r\n".iter().copied(),
    );
    vec![
        // What leaves hyper: a plain HTTP/1.1 GET answered with a stream.
        case("plain GET", get(""), 1),
        case(
            "Connection: keep-alive",
            get("Connection: keep-alive\r\n"),
            1,
        ),
        case("Last-Event-ID", get("Last-Event-ID: 41\r\n"), 1),
        case("no Host", "GET /events HTTP/1.1\r\n\r\n", 1),
        case("bare LF line ends", "GET /events HTTP/1.1\nHost: x\n\n", 1),
        case("non-UTF-8 header value", non_utf8_value, 1),
        case("two pipelined GETs", get("").repeat(2), 2),
        case(
            "pipelined GET then JSON",
            get("") + "GET /json HTTP/1.1\r\nHost: x\r\n\r\n",
            1,
        ),
        // What hyper answers alone: not a plain GET, or not a stream.
        case("Connection: close", get("Connection: close\r\n"), 0),
        case(
            "Connection: keep-alive, upgrade",
            get("Connection: keep-alive, upgrade\r\n"),
            0,
        ),
        case("HEAD", "HEAD /events HTTP/1.1\r\nHost: x\r\n\r\n", 0),
        case("HTTP/1.0", "GET /events HTTP/1.0\r\n\r\n", 0),
        case(
            "lower-case method",
            "get /events HTTP/1.1\r\nHost: x\r\n\r\n",
            0,
        ),
        case(
            "POST",
            "POST /events HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n",
            0,
        ),
        case("GET with a body", get("Content-Length: 5\r\n") + "hello", 0),
        case(
            "GET chunked",
            get("Transfer-Encoding: chunked\r\n") + "0\r\n\r\n",
            0,
        ),
        case("Expect: 100-continue", get("Expect: 100-continue\r\n"), 0),
        case(
            "Upgrade",
            get("Connection: upgrade\r\nUpgrade: websocket\r\n"),
            0,
        ),
        case("TE: trailers", get("TE: trailers\r\n"), 0),
        case("duplicate header", get("X-A: 1\r\nX-A: 1\r\n"), 0),
        case("duplicate Host", get("Host: y\r\n"), 0),
        case(
            "absolute-form target",
            "GET http://x/events HTTP/1.1\r\nHost: x\r\n\r\n",
            0,
        ),
        case("not a stream", "GET /json HTTP/1.1\r\nHost: x\r\n\r\n", 0),
        case("not found", "GET /nowhere HTTP/1.1\r\nHost: x\r\n\r\n", 0),
        // The reliability attack set: hyper refuses each, on both paths.
        case(
            "Content-Length and Transfer-Encoding",
            get("Content-Length: 5\r\nTransfer-Encoding: chunked\r\n") + "0\r\n\r\n",
            0,
        ),
        case(
            "conflicting Content-Lengths",
            get("Content-Length: 1\r\nContent-Length: 2\r\n") + "ab",
            0,
        ),
        case(
            "agreeing Content-Lengths",
            get("Content-Length: 1\r\nContent-Length: 1\r\n") + "a",
            0,
        ),
        case(
            "Transfer-Encoding not ending in chunked",
            get("Transfer-Encoding: chunked, gzip\r\n") + "0\r\n\r\n",
            0,
        ),
        case(
            "bad chunk size",
            get("Transfer-Encoding: chunked\r\n") + "zz\r\n\r\n",
            0,
        ),
        case(
            "bare CR",
            "GET /events HTTP/1.1\r\nHost: x\rX-A: 1\r\n\r\n",
            0,
        ),
        case("obs-fold", get("X-A: 1\r\n  folded\r\n"), 0),
        case("space before colon", get("X-A : 1\r\n"), 0),
        case("NUL in a header", get("X-A: a\0b\r\n"), 0),
        case("10,000 headers", get(&many_headers), 0),
        case("a 100 KiB header (hyper takes it)", get(&huge_header), 1),
        case("a 500 KiB header", get(&too_big_header), 0),
        case("HTTP/0.9", "GET /events\r\n\r\n", 0),
        case("HTTP/9.9", "GET /events HTTP/9.9\r\nHost: x\r\n\r\n", 0),
        case(
            "HTTP/1.1 with spaces doubled",
            "GET  /events  HTTP/1.1\r\nHost: x\r\n\r\n",
            0,
        ),
        case(
            "non-UTF-8 target",
            b"GET /ev\xffents HTTP/1.1\r\nHost: x\r\n\r\n".to_vec(),
            0,
        ),
        case(
            "a 64 KiB target",
            format!("GET /{} HTTP/1.1\r\n\r\n", "a".repeat(64 * 1024)),
            0,
        ),
        case(
            "a TLS ClientHello",
            b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03".to_vec(),
            0,
        ),
    ]
}

/// What `addr` answers to `bytes`, once it has nothing more to say (it
/// closed the connection, or sent nothing for a moment): the whole exchange,
/// with the `date` header's value blanked, and the client's address.
///
/// Streams that left hyper are counted in the log by the client's port, and
/// ports are used again: what the log held before the client connected
/// (where its lines start, `Exchange::log_from`) is not its, and the socket
/// comes back with the answer, to be kept until the test has counted.
async fn exchange(addr: SocketAddr, bytes: &[u8]) -> Exchange {
    let log_from = LogCapture::global().len();
    let mut socket = TcpStream::connect(addr).await.unwrap();
    let local = socket.local_addr().unwrap();
    // A server may answer and close before it has read all of a huge head.
    let _ = socket.write_all(bytes).await;
    let mut answer = Vec::new();
    let mut buf = [0; 4096];
    loop {
        match tokio::time::timeout(Duration::from_millis(300), socket.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) | Err(_) => break,
            Ok(Ok(n)) => answer.extend_from_slice(&buf[..n]),
        }
    }
    Exchange {
        answer: blank_dates(&answer),
        client: local,
        log_from,
        _socket: socket,
    }
}

/// One exchange of [`exchange`].
struct Exchange {
    answer: Vec<u8>,
    client: SocketAddr,
    log_from: usize,
    _socket: TcpStream,
}

impl Exchange {
    /// How many of this client's streams left hyper's connection.
    fn streams_left_hyper(&self, log: &str) -> usize {
        log[self.log_from..]
            .lines()
            .filter(|line| {
                line.contains(LEFT_HYPER) && line.contains(&format!("peer={}", self.client))
            })
            .count()
    }
}

fn blank_dates(answer: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(answer.len());
    let mut rest = answer;
    while let Some(at) = find(rest, b"\r\ndate: ") {
        let value = at + b"\r\ndate: ".len();
        out.extend_from_slice(&rest[..value]);
        out.extend_from_slice(b"(blank)");
        let end = find(&rest[value..], b"\r\n").map_or(rest.len(), |n| value + n);
        rest = &rest[end..];
    }
    out.extend_from_slice(rest);
    out
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

#[tokio::test]
async fn the_lean_path_answers_every_request_head_byte_for_byte_as_hyper_does() {
    let logs = LogCapture::global();
    let hyper_only = serve_without_lean_streams(app(), Shutdown::new()).await;
    let lean = serve_lean(app(), Shutdown::new()).await;
    let corpus = corpus();
    let answers = futures_util::future::join_all(corpus.iter().map(|case| async {
        let from_hyper = exchange(hyper_only.addr, &case.bytes).await;
        let from_lean = exchange(lean.addr, &case.bytes).await;
        (from_hyper, from_lean)
    }))
    .await;
    let log = logs.text();
    let mut differences = Vec::new();
    for (case, (hyper, lean)) in corpus.iter().zip(&answers) {
        let (from_hyper, from_lean) = (&hyper.answer, &lean.answer);
        let status = String::from_utf8_lossy(from_hyper.split(|&b| b == b'\r').next().unwrap());
        println!("{:<40} {status}", case.name);
        if from_hyper != from_lean {
            differences.push(format!(
                "{}:\n  hyper: {:?}\n  lean:  {:?}",
                case.name,
                String::from_utf8_lossy(from_hyper),
                String::from_utf8_lossy(from_lean),
            ));
        }
        let left = lean.streams_left_hyper(&log);
        if left != case.lean {
            differences.push(format!(
                "{}: {left} streams left hyper, expected {}",
                case.name, case.lean
            ));
        }
    }
    assert!(differences.is_empty(), "{}", differences.join("\n"));
    // The corpus reaches what it names: streams, refusals, and both.
    let statuses = |code: &str| {
        answers
            .iter()
            .filter(|(hyper, _)| {
                hyper
                    .answer
                    .starts_with(format!("HTTP/1.1 {code}").as_bytes())
            })
            .count()
    };
    assert!(statuses("200") >= 10, "the corpus streams");
    assert!(statuses("400") >= 8, "hyper refuses the attack set");
    assert!(statuses("431") >= 1, "too large a head");
    let plain = &answers[0].1.answer;
    assert!(
        plain.ends_with(b"0\r\n\r\n") && find(plain, b"event: end\ndata: three").is_some(),
        "the plain GET's stream is whole, last chunk included: {:?}",
        String::from_utf8_lossy(plain)
    );
    assert!(
        find(&answers[2].1.answer, b"data: after 41").is_some(),
        "Last-Event-ID reaches the handler on the lean path"
    );
}

/// `sse_runtime::serve` without options serves lean streams.
#[tokio::test]
async fn lean_streams_are_on_by_default() {
    let logs = LogCapture::global();
    let server = serve(app(), Shutdown::new()).await;
    let exchange = exchange(server.addr, b"GET /events HTTP/1.1\r\nHost: x\r\n\r\n").await;
    assert!(
        find(&exchange.answer, b"event: end\ndata: three").is_some(),
        "{:?}",
        String::from_utf8_lossy(&exchange.answer)
    );
    let left = exchange.streams_left_hyper(&logs.text());
    assert_eq!(
        left, 1,
        "the default server's stream left hyper's connection"
    );
}

/// A stream that ends gives the connection back to hyper, which answers
/// the next request on it; that one leaves hyper again.
#[tokio::test]
async fn a_finished_stream_gives_the_connection_back_for_the_next_request() {
    let logs = LogCapture::global();
    let server = serve_lean(app(), Shutdown::new()).await;
    let mut socket = TcpStream::connect(server.addr).await.unwrap();
    let client = socket.local_addr().unwrap();
    for round in 0..3 {
        socket
            .write_all(b"GET /events HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .unwrap();
        let answer = read_until(&mut socket, b"0\r\n\r\n").await;
        assert!(answer.starts_with(b"HTTP/1.1 200 OK\r\n"), "round {round}");
        assert!(find(&answer, b"event: end\ndata: three").is_some());
    }
    socket
        .write_all(b"GET /json HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let answer = read_until(&mut socket, b"[1,2,3]").await;
    assert!(answer.starts_with(b"HTTP/1.1 200 OK\r\n"));
    if std::env::var_os("SHOW_LOGS").is_some() {
        println!("{}", logs.text());
    }
    let left = logs
        .text()
        .lines()
        .filter(|line| line.contains(LEFT_HYPER) && line.contains(&format!("peer={client}")))
        .count();
    assert_eq!(left, 3, "each stream on the connection left hyper");
}

async fn read_until(socket: &mut TcpStream, end: &[u8]) -> Vec<u8> {
    let mut answer = Vec::new();
    let mut buf = [0; 4096];
    tokio::time::timeout(PATIENCE, async {
        while find(&answer, end).is_none() {
            let n = socket.read(&mut buf).await.unwrap();
            assert!(n > 0, "closed before {:?}", String::from_utf8_lossy(end));
            answer.extend_from_slice(&buf[..n]);
        }
    })
    .await
    .expect("the answer came");
    answer
}

/// Whether the stream `client` reads left hyper's connection, as the
/// server's log says: each check below is of the lean path.
fn left_hyper(client: &sse_test_support::Client) -> bool {
    let peer = client.socket.local_addr().unwrap();
    LogCapture::global()
        .text()
        .lines()
        .any(|line| line.contains(LEFT_HYPER) && line.contains(&format!("peer={peer}")))
}

/// A stream whose ends are reported on the returned channel.
fn reporting(
    response: impl Fn() -> SseResponse<stream::Pending<Event>> + Clone + Send + Sync + 'static,
) -> (Router, mpsc::UnboundedReceiver<(Disconnect, Instant)>) {
    let (ends, ended) = mpsc::unbounded_channel();
    let app = Router::new().route(
        "/",
        get(move || {
            let (ends, response) = (ends.clone(), response.clone());
            async move {
                response().on_disconnect(move |end| {
                    let _ = ends.send((end, Instant::now()));
                    std::future::ready(())
                })
            }
        }),
    );
    (app, ended)
}

/// The client's EOF reaches the lean stream's own read at once: the hook
/// runs within 100 ms (measured here: well under 1 ms).
#[tokio::test]
async fn a_client_that_leaves_runs_the_hook_within_100_ms() {
    let _logs = LogCapture::global();
    let (app, mut ended) = reporting(|| SseResponse::new(stream::pending()));
    let server = serve_lean(app, Shutdown::new()).await;
    for _ in 0..20 {
        let (head, mut client) = request(server.addr, "GET", "/", &[]).await;
        assert_eq!(head.status, 200);
        client.read_until(": \n\n").await;
        assert!(left_hyper(&client));
        let left = Instant::now();
        drop(client);
        let (end, at) = tokio::time::timeout(PATIENCE, ended.recv())
            .await
            .expect("the hook ran")
            .unwrap();
        let delay = at - left;
        println!("hook after {delay:?}");
        assert_eq!(end.reason, DisconnectReason::ClientGone);
        assert!(delay < Duration::from_millis(100), "hook after {delay:?}");
    }
}

/// Keep-alive comes from the body, which goes with the stream: each ping
/// after the interval of quiet (real time, as the lean stream's socket
/// must really wait).
#[tokio::test]
async fn an_idle_lean_stream_is_kept_alive() {
    let _logs = LogCapture::global();
    let interval = Duration::from_millis(200);
    let (app, _ended) = reporting(move || {
        SseResponse::new(stream::pending()).keep_alive(KeepAlive::every(interval))
    });
    let server = serve_lean(app, Shutdown::new()).await;
    let (_, mut client) = request(server.addr, "GET", "/", &[]).await;
    client.read_until(": \n\n").await;
    assert!(left_hyper(&client));
    // The client sees each write a little after the server made it, and by
    // a delay that varies, so the gaps it measures between pings vary around
    // the interval, either way (one came 199 ms after the last under load):
    // what a client can tell is that pings come about one interval apart,
    // not right after one another.
    let slack = Duration::from_millis(50);
    let mut last = Instant::now();
    for _ in 0..3 {
        client.read_until(": ping\n\n").await;
        assert!(
            last.elapsed() + slack >= interval,
            "a ping after {:?}",
            last.elapsed()
        );
        last = Instant::now();
    }
}

/// The stream's place in its limit goes with it, and is freed when it ends.
#[tokio::test]
async fn the_stream_limit_holds_on_the_lean_path() {
    let _logs = LogCapture::global();
    let limit = StreamLimit::new(2);
    let (app, mut ended) = reporting(move || SseResponse::new(stream::pending()).limit(&limit));
    let server = serve_lean(app, Shutdown::new()).await;
    let (first, mut a) = request(server.addr, "GET", "/", &[]).await;
    let (second, mut b) = request(server.addr, "GET", "/", &[]).await;
    assert_eq!((first.status, second.status), (200, 200));
    a.read_until(": \n\n").await;
    b.read_until(": \n\n").await;
    assert!(left_hyper(&a) && left_hyper(&b));
    let (third, _) = request(server.addr, "GET", "/", &[]).await;
    assert_eq!(third.status, 503, "the limit counts lean streams");
    drop(a);
    tokio::time::timeout(PATIENCE, ended.recv())
        .await
        .expect("the first stream ended")
        .unwrap();
    let (fourth, _) = request(server.addr, "GET", "/", &[]).await;
    assert_eq!(
        fourth.status, 200,
        "a lean stream's place is freed when it ends"
    );
}
