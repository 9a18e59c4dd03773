//! A deliberately plain HTTP/1.1 client over a real socket, so tests control
//! exactly when it reads, stops reading or closes, plus a server on
//! `127.0.0.1:0`.

#![allow(dead_code, unreachable_pub)]

use std::future::IntoFuture;
use std::net::SocketAddr;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use sse_runtime::Shutdown;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpSocket, TcpStream};
use tokio::process::{Child, Command};
use tokio::task::JoinHandle;

/// Upper bound for anything a test waits for; reaching it is a failure, not
/// a measurement.
pub const PATIENCE: Duration = Duration::from_secs(10);

/// A server under test.
pub struct TestServer {
    pub addr: SocketAddr,
    pub shutdown: Shutdown,
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

/// The status line and headers of a response.
#[derive(Debug)]
pub struct Head {
    pub status: u16,
    pub headers: Vec<(String, String)>,
}

impl Head {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// One response being read.
pub struct Client {
    pub socket: TcpStream,
    raw: Vec<u8>,
    /// Decoded body bytes not yet taken.
    pub body: Vec<u8>,
    chunked: bool,
    /// The body's end was seen (last chunk, or EOF).
    pub ended: bool,
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

/// Like [`request`], with a tiny receive buffer, so that a client that stops
/// reading fills the socket quickly.
pub async fn request_small_buffer(addr: SocketAddr, path: &str) -> (Head, Client) {
    let socket = TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let socket = socket.connect(addr).await.unwrap();
    request_on(socket, "GET", path, &[], "").await
}

async fn request_on(
    mut socket: TcpStream,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (Head, Client) {
    let mut text =
        format!("{method} {path} HTTP/1.1\r\nhost: test\r\naccept: text/event-stream\r\n");
    for (name, value) in headers {
        text.push_str(&format!("{name}: {value}\r\n"));
    }
    if !body.is_empty() {
        text.push_str(&format!("content-length: {}\r\n", body.len()));
    }
    text.push_str("\r\n");
    text.push_str(body);
    socket.write_all(text.as_bytes()).await.unwrap();
    let mut client = Client {
        socket,
        raw: Vec::new(),
        body: Vec::new(),
        chunked: false,
        ended: false,
    };
    let head = client.read_head().await;
    client.chunked = head
        .header("transfer-encoding")
        .is_some_and(|te| te.eq_ignore_ascii_case("chunked"));
    if method == "HEAD" || head.header("content-length") == Some("0") {
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
    async fn fill(&mut self) -> usize {
        let mut chunk = [0u8; 16 * 1024];
        let n = tokio::time::timeout(PATIENCE, self.socket.read(&mut chunk))
            .await
            .expect("server answered in time")
            .unwrap_or(0);
        self.raw.extend_from_slice(&chunk[..n]);
        n
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

    /// Decodes whatever complete chunks are buffered.
    fn decode(&mut self) {
        if !self.chunked {
            self.body.append(&mut self.raw);
            return;
        }
        loop {
            let Some(line_end) = find(&self.raw, b"\r\n") else {
                return;
            };
            let size_text = std::str::from_utf8(&self.raw[..line_end]).unwrap();
            let size =
                usize::from_str_radix(size_text.split(';').next().unwrap().trim(), 16).unwrap();
            if self.raw.len() < line_end + 2 + size + 2 {
                return;
            }
            if size == 0 {
                self.ended = true;
                self.raw.clear();
                return;
            }
            self.body
                .extend_from_slice(&self.raw[line_end + 2..line_end + 2 + size]);
            self.raw.drain(..line_end + 2 + size + 2);
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
                "stream ended before {pattern:?}; got {:?}",
                String::from_utf8_lossy(&self.body)
            );
            if self.fill().await == 0 {
                self.decode();
                self.ended = true;
            }
        }
    }

    /// Reads the whole remaining body, until the last chunk or EOF.
    pub async fn read_to_end(&mut self) -> String {
        loop {
            self.decode();
            if self.ended {
                return String::from_utf8(std::mem::take(&mut self.body)).unwrap();
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

/// A running example program.
pub struct Example {
    pub child: Child,
    pub addr: SocketAddr,
    pub log: Arc<Mutex<String>>,
    /// The task copying stderr into `log`; done once the process has exited.
    logging: JoinHandle<()>,
}

impl Example {
    pub async fn start(name: &str) -> Example {
        Self::start_with(name, &[]).await
    }

    /// Starts example `name` with extra environment variables.
    pub async fn start_with(name: &str, env: &[(&str, &str)]) -> Example {
        // Examples are built by `cargo test` next to the test binaries.
        let deps = std::env::current_exe().unwrap();
        let binary = deps
            .parent()
            .unwrap()
            .parent()
            .unwrap()
            .join("examples")
            .join(name);
        let mut child = Command::new(&binary)
            .env("PORT", "0")
            .env("RUST_LOG", "info")
            .env("NO_COLOR", "1")
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|error| {
                panic!(
                    "cannot start {} ({error}); `cargo test` builds the examples, \
                     or run `cargo build --examples` first",
                    binary.display()
                )
            });
        let mut stdout = BufReader::new(child.stdout.take().unwrap()).lines();
        let first = tokio::time::timeout(PATIENCE, stdout.next_line())
            .await
            .expect("the example printed its URL")
            .unwrap()
            .expect("a line on stdout");
        let url = first.strip_prefix("listening on http://").expect(&first);
        let addr = url.split('/').next().unwrap().parse().unwrap();

        let log = Arc::new(Mutex::new(String::new()));
        let mut stderr = BufReader::new(child.stderr.take().unwrap()).lines();
        let sink = log.clone();
        let logging = tokio::spawn(async move {
            while let Ok(Some(line)) = stderr.next_line().await {
                let mut log = sink.lock().unwrap();
                log.push_str(&line);
                log.push('\n');
            }
        });
        Example {
            child,
            addr,
            log,
            logging,
        }
    }

    /// Waits until the example's log contains `text`.
    pub async fn wait_for_log(&self, text: &str) {
        let found = tokio::time::timeout(PATIENCE, async {
            while !self.log.lock().unwrap().contains(text) {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        })
        .await;
        assert!(
            found.is_ok(),
            "log never said {text:?}:\n{}",
            self.log.lock().unwrap()
        );
    }

    /// Sends SIGTERM and waits for the process to exit.
    pub async fn terminate(mut self) -> Duration {
        let pid = self.child.id().unwrap().to_string();
        let started = Instant::now();
        let status = std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap();
        assert!(status.success());
        let exit = tokio::time::timeout(PATIENCE, self.child.wait())
            .await
            .unwrap()
            .unwrap();
        assert!(exit.success(), "exit status {exit}");
        let took = started.elapsed();
        // Everything the process logged is in `log` once its stderr closed.
        let _ = tokio::time::timeout(PATIENCE, self.logging).await;
        took
    }
}
