//! A deliberately plain HTTP/1.1 client over a real socket, so that a test
//! controls exactly when it reads, stops reading or closes.

use std::net::SocketAddr;
use std::time::Duration;

use sse_runtime::test::ChunkedDecoder;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

use crate::PATIENCE;

/// The status line and headers of a response.
#[derive(Debug)]
pub struct Head {
    /// The status code.
    pub status: u16,
    /// The headers, names lowercased, in order.
    pub headers: Vec<(String, String)>,
}

impl Head {
    /// The first header named `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// One response being read.
pub struct Client {
    /// The connection; drop or shut it down to leave.
    pub socket: TcpStream,
    raw: Vec<u8>,
    /// Decoded body bytes not yet taken.
    pub body: Vec<u8>,
    chunked: bool,
    /// The runtime's strict decoder: a framing mistake fails the test.
    decoder: ChunkedDecoder,
    /// The body's end was seen (last chunk, EOF or a read error).
    pub ended: bool,
    /// The body ended with its last chunk, as a response that finished does;
    /// a connection cut mid-stream ends at EOF or with a reset, without it.
    pub last_chunk: bool,
    /// The read error that ended the connection (a reset), if one did.
    pub error: Option<std::io::ErrorKind>,
}

/// How a response being read ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// Its last chunk arrived (a chunked body), or all of its
    /// `content-length`: the response finished.
    Finished,
    /// The connection closed (EOF) before the body finished.
    Closed,
    /// Reading failed (a reset) before the body finished.
    Failed(std::io::ErrorKind),
}

/// Sends `method path` with `headers` and reads the response head.
pub async fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
) -> (Head, Client) {
    let socket = TcpStream::connect(addr).await.unwrap();
    request_on(socket, method, path, headers, "").await
}

/// Posts a form and reads the whole (short) response.
pub async fn post_form(addr: SocketAddr, path: &str, form: &str) -> (u16, String) {
    post_form_with(addr, path, form, &[]).await
}

/// [`post_form`] with extra headers.
pub async fn post_form_with(
    addr: SocketAddr,
    path: &str,
    form: &str,
    extra: &[(&str, &str)],
) -> (u16, String) {
    let socket = TcpStream::connect(addr).await.unwrap();
    let mut headers = vec![("content-type", "application/x-www-form-urlencoded")];
    headers.extend_from_slice(extra);
    let (head, client) = request_on(socket, "POST", path, &headers, form).await;
    let body = String::from_utf8_lossy(&client.body).into_owned();
    (head.status, body)
}

/// Posts `json` and returns the response as it streams, as [`request`] does.
pub async fn post_json(addr: SocketAddr, path: &str, json: &str) -> (Head, Client) {
    let socket = TcpStream::connect(addr).await.unwrap();
    request_on(
        socket,
        "POST",
        path,
        &[("content-type", "application/json")],
        json,
    )
    .await
}

/// Sends `method` with `headers` (which replace the default `host` and
/// `accept` when they name them) and `body`; returns the response as it
/// streams, as [`request`] does.
pub async fn request_with_body(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (Head, Client) {
    let socket = TcpStream::connect(addr).await.unwrap();
    request_on(socket, method, path, headers, body).await
}

/// Like [`request`], with a tiny receive buffer, so that a client that stops
/// reading fills the socket quickly.
pub async fn request_small_buffer(addr: SocketAddr, path: &str) -> (Head, Client) {
    let socket = TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let socket = socket.connect(addr).await.unwrap();
    request_on(socket, "GET", path, &[], "").await
}

async fn request_on(
    socket: TcpStream,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (Head, Client) {
    request_then(socket, method, path, headers, body, "").await
}

/// Sends `GET path`, and in the same write `pipelined` (the next requests,
/// in the server's read buffer with the first), and reads the first
/// response's head.
pub async fn request_pipelined(addr: SocketAddr, path: &str, pipelined: &str) -> (Head, Client) {
    let socket = TcpStream::connect(addr).await.unwrap();
    request_then(socket, "GET", path, &[], "", pipelined).await
}

async fn request_then(
    mut socket: TcpStream,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
    pipelined: &str,
) -> (Head, Client) {
    // `host` and `accept` unless the caller gives its own.
    let given = |wanted: &str| {
        headers
            .iter()
            .any(|(name, _)| name.eq_ignore_ascii_case(wanted))
    };
    let mut text = format!("{method} {path} HTTP/1.1\r\n");
    if !given("host") {
        text.push_str("host: test\r\n");
    }
    if !given("accept") {
        text.push_str("accept: text/event-stream\r\n");
    }
    for (name, value) in headers {
        text.push_str(&format!("{name}: {value}\r\n"));
    }
    if !body.is_empty() {
        text.push_str(&format!("content-length: {}\r\n", body.len()));
    }
    text.push_str("\r\n");
    text.push_str(body);
    text.push_str(pipelined);
    socket.write_all(text.as_bytes()).await.unwrap();
    let mut client = Client {
        socket,
        raw: Vec::new(),
        body: Vec::new(),
        chunked: false,
        decoder: ChunkedDecoder::new(),
        ended: false,
        last_chunk: false,
        error: None,
    };
    let head = client.read_head().await;
    client.chunked = head
        .header("transfer-encoding")
        .is_some_and(|te| te.eq_ignore_ascii_case("chunked"));
    // No body: HEAD, 204 and 304 (RFC 9112 §6.3), or an empty one.
    if method == "HEAD"
        || matches!(head.status, 204 | 304)
        || head.header("content-length") == Some("0")
    {
        client.ended = true;
    } else if !client.chunked {
        // Plain bodies (errors, rejections): read to EOF or content-length.
        if let Some(length) = head
            .header("content-length")
            .and_then(|l| l.parse::<usize>().ok())
        {
            while client.raw.len() < length {
                client.fill().await;
            }
            client.body = client.raw.drain(..length).collect();
            client.ended = true;
        }
    }
    (head, client)
}

impl Client {
    /// Reads what the socket has; 0 at EOF or on a read error, which is
    /// kept in `error` (a reset is not the body's end).
    async fn fill(&mut self) -> usize {
        let mut chunk = [0u8; 16 * 1024];
        let read = tokio::time::timeout(PATIENCE, self.socket.read(&mut chunk))
            .await
            .expect("server answered in time");
        let n = match read {
            Ok(n) => n,
            Err(error) => {
                self.error = Some(error.kind());
                0
            }
        };
        self.raw.extend_from_slice(&chunk[..n]);
        n
    }

    /// How the response ended, once it has.
    pub fn ending(&self) -> Option<Ending> {
        if !self.ended {
            return None;
        }
        Some(
            if self.last_chunk || (!self.chunked && self.error.is_none()) {
                // A plain body (no chunks) ends at EOF or its content-length.
                Ending::Finished
            } else if let Some(kind) = self.error {
                Ending::Failed(kind)
            } else {
                Ending::Closed
            },
        )
    }

    async fn read_head(&mut self) -> Head {
        loop {
            if let Some(end) = find(&self.raw, b"\r\n\r\n") {
                let head = String::from_utf8(self.raw[..end].to_vec()).unwrap();
                self.raw.drain(..end + 4);
                let mut lines = head.split("\r\n");
                let status = lines
                    .next()
                    .unwrap()
                    .split(' ')
                    .nth(1)
                    .unwrap()
                    .parse()
                    .unwrap();
                let headers = lines
                    .map(|line| {
                        let (name, value) = line.split_once(':').unwrap();
                        (name.to_ascii_lowercase(), value.trim().to_owned())
                    })
                    .collect();
                return Head { status, headers };
            }
            assert!(
                self.fill().await > 0,
                "connection closed before the response head"
            );
        }
    }

    /// Decodes whatever the socket brought. Chunked framing is decoded by
    /// the runtime's strict decoder: a malformed size line or a chunk not
    /// followed by CRLF fails the test. What follows the last chunk (the
    /// next response on the connection) stays undecoded.
    fn decode(&mut self) {
        if !self.chunked {
            self.body.append(&mut self.raw);
            return;
        }
        if self.last_chunk {
            return;
        }
        let body = &mut self.body;
        let used = self
            .decoder
            .feed(&self.raw, |data| body.extend_from_slice(data))
            .unwrap_or_else(|error| panic!("the response's chunked framing is broken: {error}"));
        self.raw.drain(..used);
        if self.decoder.is_done() {
            self.ended = true;
            self.last_chunk = true;
        }
    }

    /// Reads until the decoded body contains `pattern`; returns the body up
    /// to and including it, leaving the rest.
    pub async fn read_until(&mut self, pattern: &str) -> String {
        loop {
            self.decode();
            if let Some(at) = find(&self.body, pattern.as_bytes()) {
                let taken: Vec<u8> = self.body.drain(..at + pattern.len()).collect();
                return String::from_utf8(taken).unwrap();
            }
            assert!(
                !self.ended,
                "stream ended ({:?}) before {pattern:?}; got {:?}",
                self.ending(),
                String::from_utf8_lossy(&self.body)
            );
            if self.fill().await == 0 {
                self.decode();
                self.ended = true;
            }
        }
    }

    /// Reads to the end of the body or the connection, however long the
    /// stream stays silent, up to `limit` in all; `None` if it is still open
    /// then.
    pub async fn read_to_end_within(&mut self, limit: Duration) -> Option<String> {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            self.decode();
            if self.ended {
                return Some(String::from_utf8_lossy(&std::mem::take(&mut self.body)).into_owned());
            }
            let mut chunk = [0u8; 16 * 1024];
            let read = tokio::time::timeout_at(deadline, self.socket.read(&mut chunk)).await;
            let n = match read.ok()? {
                Ok(n) => n,
                Err(error) => {
                    self.error = Some(error.kind());
                    0
                }
            };
            if n == 0 {
                self.decode();
                self.ended = true;
            }
            self.raw.extend_from_slice(&chunk[..n]);
        }
    }

    /// Reads the whole remaining body, which must end as a finished response
    /// does: with its last chunk (a chunked body), not cut off by EOF or a
    /// reset. For a stream the server may cut, [`Client::read_to_close`].
    pub async fn read_to_end(&mut self) -> String {
        let (body, ending) = self.read_to_close().await;
        assert_eq!(
            ending,
            Ending::Finished,
            "the response was cut off instead of finishing; it had sent {body:?}"
        );
        body
    }

    /// Reads the whole remaining body, until the response finishes or the
    /// connection closes or fails; returns it and how it ended.
    pub async fn read_to_close(&mut self) -> (String, Ending) {
        loop {
            self.decode();
            if let Some(ending) = self.ending() {
                let body = String::from_utf8(std::mem::take(&mut self.body)).unwrap();
                return (body, ending);
            }
            if self.fill().await == 0 {
                self.decode();
                self.ended = true;
            }
        }
    }

    /// Reads undecoded bytes until they contain `pattern` (for a second
    /// response on the same connection).
    pub async fn read_raw_until(&mut self, pattern: &str) -> String {
        while find(&self.raw, pattern.as_bytes()).is_none() {
            assert!(
                self.fill().await > 0,
                "connection closed before {pattern:?}"
            );
        }
        String::from_utf8_lossy(&std::mem::take(&mut self.raw)).into_owned()
    }

    /// What the connection brings after the response until the server
    /// closes it (or resets it), undecoded: empty once a connection's last
    /// response has been read.
    pub async fn rest_until_close(&mut self) -> Vec<u8> {
        while self.fill().await > 0 {}
        std::mem::take(&mut self.raw)
    }

    /// Waits until the server closes the connection.
    pub async fn wait_closed(&mut self) {
        loop {
            if self.fill().await == 0 {
                return;
            }
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A server that sends a response head, `chunks` of the body and then
    /// either the last chunk or a reset (`SO_LINGER` 0: RST instead of FIN).
    async fn serving(body: &'static str, then_reset: bool) -> SocketAddr {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut request = [0u8; 1024];
            let _ = socket.read(&mut request).await.unwrap();
            let head = "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n";
            let chunk = format!("{:x}\r\n{body}\r\n", body.len());
            socket.write_all(head.as_bytes()).await.unwrap();
            socket.write_all(chunk.as_bytes()).await.unwrap();
            if then_reset {
                socket.set_zero_linger().unwrap();
            } else {
                socket.write_all(b"0\r\n\r\n").await.unwrap();
                let _ = socket.read(&mut request).await;
            }
        });
        addr
    }

    #[tokio::test]
    async fn a_response_that_finishes_ends_with_its_last_chunk() {
        let addr = serving("event: shutdown\ndata: bye\n\n", false).await;
        let (_, mut client) = request(addr, "GET", "/", &[]).await;
        assert_eq!(client.read_to_end().await, "event: shutdown\ndata: bye\n\n");
        assert_eq!(client.ending(), Some(Ending::Finished));
    }

    /// A farewell followed by a reset is a cut, not a finished response.
    #[tokio::test]
    async fn a_reset_after_the_farewell_is_not_the_end_of_the_body() {
        let addr = serving("event: shutdown\ndata: bye\n\n", true).await;
        let (_, mut client) = request(addr, "GET", "/", &[]).await;
        let (body, ending) = client.read_to_close().await;
        assert_eq!(body, "event: shutdown\ndata: bye\n\n");
        assert!(
            matches!(ending, Ending::Failed(_) | Ending::Closed),
            "{ending:?}"
        );
        let (_, mut client) = request(serving("data: x\n\n", true).await, "GET", "/", &[]).await;
        let strict = tokio::spawn(async move { client.read_to_end().await });
        assert!(
            strict.await.unwrap_err().is_panic(),
            "read_to_end accepted a cut"
        );
    }
}
