//! Every connection must send a request within the header read timeout,
//! whatever the server speaks (`Serve::header_read_timeout`, default
//! `DEFAULT_HEADER_READ_TIMEOUT`): HTTP/1 with lean streams (the default),
//! without (`.lean_streams(false)`), cleartext HTTP/1-or-2 (`.http2(true)`),
//! and HTTPS with HTTP/1.1 and with HTTP/2. Over real sockets, with a short
//! timeout: a silent connection, a partial request line and headers dripped
//! a byte at a time are closed when it runs out; an HTTP/2 connection that
//! sends no preface, only the preface, the preface and `SETTINGS`, or
//! headers it never finishes, gets `GOAWAY` then and is dropped a second
//! later, since it does not answer. A quiet event stream longer than the
//! timeout is not ended, in any mode, over either protocol; once it has
//! ended, the connection is closed a timeout later. The default, and
//! `Duration::ZERO` turning it off, run on tokio's paused clock.

use std::future::IntoFuture;
use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::routing::get;
use sse_runtime::serve::{DEFAULT_HEADER_READ_TIMEOUT, Tls};
use sse_runtime::{Event, SseResponse};
use sse_test_support::PATIENCE;
use sse_test_support::h2_client::{connect_h2, connect_tls, read_to_end, read_until, self_signed};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::time::Instant;
use tokio_rustls::rustls::pki_types::CertificateDer;

/// The header read timeout of the servers under test.
const TIMEOUT: Duration = Duration::from_millis(500);
/// How late a connection may close, past when it should (a loaded machine).
const SLACK: Duration = Duration::from_millis(1500);
/// How long the server gives an HTTP/2 connection, after its idle `GOAWAY`,
/// to close by itself (the guard's `CLOSE_AFTER_GOAWAY`).
const CLOSE_AFTER_GOAWAY: Duration = Duration::from_secs(1);
/// How long `/stream` stays quiet between its two events: well past the
/// timeout, and past when an idle `GOAWAY` would drop the connection.
const QUIET: Duration = Duration::from_millis(2500);

/// HTTP/2's connection preface.
const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
/// An empty `SETTINGS` frame.
const SETTINGS: &[u8] = &[0, 0, 0, 0x4, 0, 0, 0, 0, 0];
/// A `HEADERS` frame on stream 1 without `END_HEADERS` (`:method: GET`,
/// then the `CONTINUATION` that would finish it never comes).
const UNFINISHED_HEADERS: &[u8] = &[0, 0, 1, 0x1, 0, 0, 0, 0, 1, 0x82];
/// The `GOAWAY` frame's type.
const GOAWAY: u8 = 0x7;

/// How the server under test is set up.
#[derive(Clone, Copy, Debug)]
enum Mode {
    /// `serve(..)`: HTTP/1, event streams leave hyper's connection.
    Lean,
    /// `serve(..).lean_streams(false)`.
    HyperPath,
    /// `serve(..).http2(true)`: cleartext HTTP/1 or HTTP/2 (prior knowledge).
    Http1OrH2c,
    /// `serve(..).tls(..)`: HTTPS, HTTP/1.1 or HTTP/2 by ALPN.
    Tls,
}

/// What a test connection speaks.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Protocol {
    Http1,
    H2,
}

struct Server {
    addr: SocketAddr,
    mode: Mode,
    certificate: CertificateDer<'static>,
}

/// `/stream`: `data: 0`, then nothing for [`QUIET`], then `data: 1` and the
/// end; `/`: `ok`.
async fn serve(mode: Mode, timeout: Option<Duration>) -> Server {
    let stream = || async {
        let events = async_stream::stream! {
            yield Event::data("0");
            tokio::time::sleep(QUIET).await;
            yield Event::data("1");
        };
        SseResponse::new(events)
    };
    let app = Router::new()
        .route("/stream", get(stream))
        .route("/", get(|| async { "ok" }));
    let (cert_pem, key_pem, certificate) = self_signed();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let mut serve = sse_runtime::serve(listener, app);
    if let Some(timeout) = timeout {
        serve = serve.header_read_timeout(timeout);
    }
    let serve = match mode {
        Mode::Lean => serve,
        Mode::HyperPath => serve.lean_streams(false),
        Mode::Http1OrH2c => serve.http2(true),
        Mode::Tls => serve.tls(Tls::from_pem(cert_pem.as_bytes(), key_pem.as_bytes()).unwrap()),
    };
    tokio::spawn(serve.into_future());
    Server {
        addr,
        mode,
        certificate,
    }
}

trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

/// A raw connection speaking `protocol`: over TLS (agreed by ALPN) in
/// [`Mode::Tls`], else in cleartext.
async fn connect(server: &Server, protocol: Protocol) -> Box<dyn Io> {
    match server.mode {
        Mode::Tls => {
            let alpn: &[u8] = match protocol {
                Protocol::Http1 => b"http/1.1",
                Protocol::H2 => b"h2",
            };
            Box::new(connect_tls(server.addr, &server.certificate, alpn).await)
        }
        _ => Box::new(tokio::net::TcpStream::connect(server.addr).await.unwrap()),
    }
}

/// Reads until the server closes the connection (end of file, or an error
/// such as a reset or a TLS stream cut without `close_notify`): when, and
/// what it sent.
async fn closed(io: &mut (impl AsyncRead + Unpin), started: Instant) -> (Duration, Vec<u8>) {
    let mut received = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let read = tokio::time::timeout(PATIENCE, io.read(&mut buf))
            .await
            .unwrap_or_else(|_| {
                panic!(
                    "still open after {:?}; received {:?}",
                    started.elapsed(),
                    String::from_utf8_lossy(&received)
                )
            });
        match read {
            Ok(0) | Err(_) => return (started.elapsed(), received),
            Ok(n) => received.extend_from_slice(&buf[..n]),
        }
    }
}

fn assert_closed_between(took: Duration, earliest: Duration, what: &str) {
    eprintln!("{what}: closed after {took:?}, due at {earliest:?}");
    assert!(
        took >= earliest && took < earliest + SLACK,
        "{what} was closed after {took:?}; due at {earliest:?} (+ {SLACK:?} slack)"
    );
}

/// The types of the HTTP/2 frames in `bytes`.
fn frame_types(bytes: &[u8]) -> Vec<u8> {
    let mut types = Vec::new();
    let mut rest = bytes;
    while rest.len() >= 9 {
        let length = usize::from(rest[0]) << 16 | usize::from(rest[1]) << 8 | usize::from(rest[2]);
        types.push(rest[3]);
        rest = &rest[(9 + length).min(rest.len())..];
    }
    types
}

/// Reads `io` until what it sent contains `pattern`.
async fn read_to(io: &mut (impl AsyncRead + Unpin), received: &mut Vec<u8>, pattern: &str) {
    let mut buf = [0u8; 4096];
    while !String::from_utf8_lossy(received).contains(pattern) {
        let read = tokio::time::timeout(PATIENCE, io.read(&mut buf))
            .await
            .expect("the connection went on")
            .unwrap_or(0);
        assert!(
            read > 0,
            "the connection closed before {pattern:?}; received {:?}",
            String::from_utf8_lossy(received)
        );
        received.extend_from_slice(&buf[..read]);
    }
}

// Over HTTP/1 (in cleartext HTTP/1-or-2, what the first bytes say).

async fn a_silent_connection_is_closed_at_the_timeout(mode: Mode) {
    let server = serve(mode, Some(TIMEOUT)).await;
    let started = Instant::now();
    let mut io = connect(&server, Protocol::Http1).await;
    let (took, _) = closed(&mut io, started).await;
    assert_closed_between(took, TIMEOUT, "a silent connection");
}

async fn a_partial_request_line_is_closed_at_the_timeout(mode: Mode) {
    let server = serve(mode, Some(TIMEOUT)).await;
    let started = Instant::now();
    let mut io = connect(&server, Protocol::Http1).await;
    io.write_all(b"GET /str").await.unwrap();
    let (took, _) = closed(&mut io, started).await;
    assert_closed_between(took, TIMEOUT, "a partial request line");
}

async fn headers_dripped_a_byte_at_a_time_are_closed_at_the_timeout(mode: Mode) {
    let server = serve(mode, Some(TIMEOUT)).await;
    let started = Instant::now();
    let io = connect(&server, Protocol::Http1).await;
    let (mut reader, mut writer) = tokio::io::split(io);
    // A byte every 50 ms, far more often than the timeout, for longer than
    // the test waits: only a deadline for the whole head can end it.
    let drip = tokio::spawn(async move {
        writer.write_all(b"GET /stream HTTP/1.1\r\n").await?;
        for byte in b"x-drip: y\r\n".iter().cycle().take(200) {
            writer.write_all(&[*byte]).await?;
            writer.flush().await?;
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        std::io::Result::Ok(())
    });
    let (took, _) = closed(&mut reader, started).await;
    assert_closed_between(took, TIMEOUT, "a connection dripping its headers");
    drip.abort();
}

async fn a_quiet_event_stream_outlives_the_timeout_and_the_wait_starts_over_after_it(mode: Mode) {
    let server = serve(mode, Some(TIMEOUT)).await;
    let mut io = connect(&server, Protocol::Http1).await;
    io.write_all(b"GET /stream HTTP/1.1\r\nhost: test\r\n\r\n")
        .await
        .unwrap();
    let mut received = Vec::new();
    read_to(&mut io, &mut received, "data: 0\n\n").await;
    let quiet_from = Instant::now();
    read_to(&mut io, &mut received, "data: 1\n\n").await;
    let quiet = quiet_from.elapsed();
    // The last chunk: the response is over, and hyper waits for the next.
    read_to(&mut io, &mut received, "\r\n0\r\n\r\n").await;
    assert!(
        quiet >= QUIET - Duration::from_millis(50),
        "the stream was quiet for {quiet:?}, longer than the timeout {TIMEOUT:?}"
    );
    // The connection was kept alive through it: it serves another request.
    io.write_all(b"GET / HTTP/1.1\r\nhost: test\r\n\r\n")
        .await
        .unwrap();
    read_to(&mut io, &mut received, "\r\n\r\nok").await;
    let answered = Instant::now();
    let (took, _) = closed(&mut io, answered).await;
    eprintln!("{mode:?}: stream quiet for {quiet:?}; closed {took:?} after the next response");
    assert!(
        took >= TIMEOUT / 2 && took < TIMEOUT + SLACK,
        "the connection was closed {took:?} after its last response; due {TIMEOUT:?} after"
    );
}

// Over HTTP/2.

/// What a client sends before going quiet.
async fn h2_connection_sending(mode: Mode, sent: &[&[u8]]) -> (Duration, Vec<u8>) {
    let server = serve(mode, Some(TIMEOUT)).await;
    let started = Instant::now();
    let mut io = connect(&server, Protocol::H2).await;
    for bytes in sent {
        io.write_all(bytes).await.unwrap();
    }
    closed(&mut io, started).await
}

async fn h2_without_a_preface_is_dropped(mode: Mode) {
    let (took, received) = h2_connection_sending(mode, &[]).await;
    match mode {
        // The server cannot tell what it speaks.
        Mode::Http1OrH2c => assert_closed_between(took, TIMEOUT, "a silent connection"),
        // hyper waits for the preface: no `GOAWAY` to send yet.
        _ => {
            assert_closed_between(took, TIMEOUT + CLOSE_AFTER_GOAWAY, "an h2 connection");
            assert!(!frame_types(&received).contains(&GOAWAY));
        }
    }
}

async fn h2_preface_alone_gets_goaway_then_is_dropped(mode: Mode) {
    let (took, received) = h2_connection_sending(mode, &[PREFACE]).await;
    assert_closed_between(took, TIMEOUT + CLOSE_AFTER_GOAWAY, "a preface alone");
    let types = frame_types(&received);
    assert!(types.contains(&GOAWAY), "frames received: {types:?}");
}

async fn h2_preface_and_settings_alone_get_goaway_then_are_dropped(mode: Mode) {
    let (took, received) = h2_connection_sending(mode, &[PREFACE, SETTINGS]).await;
    assert_closed_between(took, TIMEOUT + CLOSE_AFTER_GOAWAY, "preface and SETTINGS");
    let types = frame_types(&received);
    assert!(types.contains(&GOAWAY), "frames received: {types:?}");
}

async fn h2_headers_never_finished_get_goaway_then_are_dropped(mode: Mode) {
    let sent = [PREFACE, SETTINGS, UNFINISHED_HEADERS];
    let (took, received) = h2_connection_sending(mode, &sent).await;
    assert_closed_between(took, TIMEOUT + CLOSE_AFTER_GOAWAY, "unfinished headers");
    let types = frame_types(&received);
    assert!(types.contains(&GOAWAY), "frames received: {types:?}");
}

async fn a_quiet_h2_stream_outlives_the_timeout_and_the_idle_connection_then_closes(mode: Mode) {
    let server = serve(mode, Some(TIMEOUT)).await;
    let certificate = matches!(mode, Mode::Tls).then_some(&server.certificate);
    let mut connection = connect_h2(server.addr, certificate).await;
    let (status, mut body) = connection.get("/stream").await;
    assert_eq!(status, 200);
    read_until(&mut body, &mut String::new(), "data: 0\n\n").await;
    let quiet_from = Instant::now();
    let (rest, clean) = read_to_end(&mut body).await;
    assert!(clean, "the stream ended by itself, not reset: {rest:?}");
    assert_eq!(rest, "data: 1\n\n");
    assert!(quiet_from.elapsed() >= QUIET - Duration::from_millis(50));
    // The connection outlived it, and serves another stream.
    let (status, mut body) = connection.get("/").await;
    assert_eq!(status, 200);
    assert_eq!(read_to_end(&mut body).await, ("ok".to_owned(), true));
    let ended = Instant::now();
    // Then, with no stream, it is closed; hyper's client answers the
    // `GOAWAY`'s `PING`, so at once rather than a second later.
    tokio::time::timeout(PATIENCE, &mut connection.driver)
        .await
        .expect("the idle connection was closed")
        .unwrap();
    let took = ended.elapsed();
    eprintln!("{mode:?}: h2 stream quiet for {QUIET:?}; closed {took:?} after the last stream");
    assert!(
        took >= TIMEOUT / 2 && took < TIMEOUT + SLACK,
        "the connection was closed {took:?} after its last stream ended; due {TIMEOUT:?} after"
    );
    assert!(connection.requests.is_closed(), "GOAWAY: no new stream");
}

macro_rules! checks {
    ($($module:ident: $mode:ident => [$($check:ident),* $(,)?];)*) => {
        $(mod $module {
            $(#[tokio::test]
            async fn $check() {
                super::$check(super::Mode::$mode).await
            })*
        })*
    };
}

checks! {
    lean: Lean => [
        a_silent_connection_is_closed_at_the_timeout,
        a_partial_request_line_is_closed_at_the_timeout,
        headers_dripped_a_byte_at_a_time_are_closed_at_the_timeout,
        a_quiet_event_stream_outlives_the_timeout_and_the_wait_starts_over_after_it,
    ];
    hyper_path: HyperPath => [
        a_silent_connection_is_closed_at_the_timeout,
        a_partial_request_line_is_closed_at_the_timeout,
        headers_dripped_a_byte_at_a_time_are_closed_at_the_timeout,
        a_quiet_event_stream_outlives_the_timeout_and_the_wait_starts_over_after_it,
    ];
    http1_or_h2c: Http1OrH2c => [
        a_silent_connection_is_closed_at_the_timeout,
        a_partial_request_line_is_closed_at_the_timeout,
        headers_dripped_a_byte_at_a_time_are_closed_at_the_timeout,
        a_quiet_event_stream_outlives_the_timeout_and_the_wait_starts_over_after_it,
        h2_without_a_preface_is_dropped,
        h2_preface_alone_gets_goaway_then_is_dropped,
        h2_preface_and_settings_alone_get_goaway_then_are_dropped,
        h2_headers_never_finished_get_goaway_then_are_dropped,
        a_quiet_h2_stream_outlives_the_timeout_and_the_idle_connection_then_closes,
    ];
    tls: Tls => [
        a_silent_connection_is_closed_at_the_timeout,
        a_partial_request_line_is_closed_at_the_timeout,
        headers_dripped_a_byte_at_a_time_are_closed_at_the_timeout,
        a_quiet_event_stream_outlives_the_timeout_and_the_wait_starts_over_after_it,
        h2_without_a_preface_is_dropped,
        h2_preface_alone_gets_goaway_then_is_dropped,
        h2_preface_and_settings_alone_get_goaway_then_are_dropped,
        h2_headers_never_finished_get_goaway_then_are_dropped,
        a_quiet_h2_stream_outlives_the_timeout_and_the_idle_connection_then_closes,
    ];
}

// The default, on tokio's paused clock: the 30 s pass at once when
// everything waits.

#[test]
fn the_default_is_30_s() {
    assert_eq!(DEFAULT_HEADER_READ_TIMEOUT, Duration::from_secs(30));
}

async fn closed_under_the_default(mode: Mode, sent: &[u8]) -> (Duration, Vec<u8>) {
    let server = serve(mode, None).await;
    let started = Instant::now();
    let mut io = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    io.write_all(sent).await.unwrap();
    let mut received = Vec::new();
    tokio::time::timeout(Duration::from_secs(120), async {
        let mut buf = [0u8; 4096];
        while let Ok(read @ 1..) = io.read(&mut buf).await {
            received.extend_from_slice(&buf[..read]);
        }
    })
    .await
    .expect("closed within two minutes of tokio time");
    (started.elapsed(), received)
}

fn assert_closed_at(took: Duration, due: Duration) {
    assert!(
        took >= due && took < due + Duration::from_millis(100),
        "closed after {took:?} of tokio time; due at {due:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn by_default_a_partial_request_line_is_closed_at_30_s() {
    let (took, _) = closed_under_the_default(Mode::Lean, b"GET /str").await;
    assert_closed_at(took, DEFAULT_HEADER_READ_TIMEOUT);
}

#[tokio::test(start_paused = true)]
async fn by_default_a_silent_cleartext_h2_capable_connection_is_closed_at_30_s() {
    let (took, _) = closed_under_the_default(Mode::Http1OrH2c, b"").await;
    assert_closed_at(took, DEFAULT_HEADER_READ_TIMEOUT);
}

#[tokio::test(start_paused = true)]
async fn by_default_an_h2_preface_alone_gets_goaway_at_30_s() {
    let (took, received) = closed_under_the_default(Mode::Http1OrH2c, PREFACE).await;
    assert_closed_at(took, DEFAULT_HEADER_READ_TIMEOUT + CLOSE_AFTER_GOAWAY);
    assert!(frame_types(&received).contains(&GOAWAY));
}

#[tokio::test(start_paused = true)]
async fn zero_turns_it_off() {
    let waits: [(Mode, &[u8]); 3] = [
        (Mode::Lean, b"GET /str"),
        (Mode::Http1OrH2c, b""),
        (Mode::Http1OrH2c, PREFACE),
    ];
    for (mode, sent) in waits {
        let server = serve(mode, Some(Duration::ZERO)).await;
        let mut io = tokio::net::TcpStream::connect(server.addr).await.unwrap();
        io.write_all(sent).await.unwrap();
        let closed = tokio::time::timeout(Duration::from_secs(600), async {
            let mut buf = [0u8; 4096];
            while let Ok(1..) = io.read(&mut buf).await {}
        })
        .await;
        assert!(
            closed.is_err(),
            "{mode:?} after {sent:?}: closed, with the timeout off"
        );
    }
}
