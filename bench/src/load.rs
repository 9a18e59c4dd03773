//! The load generator: raw HTTP/1.1 over tokio sockets, many streams at
//! once, source addresses spread over 127.0.0.x to stay clear of the
//! ephemeral-port limit. The bytes are decoded by the runtime's test
//! primitives (`sse_runtime::test`): its strict chunked decoder and its
//! line splitter (CR, LF and CRLF), the same the tests use.

use std::net::{Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use sse_runtime::test::{ChunkedDecoder, Lines};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

/// A connection from the `index`-th source address.
pub async fn connect(addr: SocketAddr, index: usize) -> std::io::Result<TcpStream> {
    let source = Ipv4Addr::new(127, 0, ((index / 200) % 250) as u8, (index % 200 + 2) as u8);
    let socket = TcpSocket::new_v4()?;
    socket.bind(SocketAddr::from((source, 0)))?;
    socket.connect(addr).await
}

/// An event stream being read: decodes chunked transfer encoding and splits
/// events on blank lines.
pub struct Reader {
    socket: TcpStream,
    buf: Vec<u8>,
    /// The response head, until its end has been read.
    head: Option<Vec<u8>>,
    chunks: ChunkedDecoder,
    lines: Lines,
    /// The event being read: its lines, each ended by `\n`.
    event: Vec<u8>,
    /// Why the stream ended, once it has (for a load tool's message).
    pub ending: Option<String>,
    pub bytes: u64,
}

impl Reader {
    pub async fn get(addr: SocketAddr, index: usize, path: &str) -> std::io::Result<Reader> {
        Self::get_with_buffer(addr, index, path, 64 * 1024).await
    }

    /// [`Reader::get`] with a 4 KiB read buffer, for streams of small events
    /// read by the thousand.
    pub async fn get_small(addr: SocketAddr, index: usize, path: &str) -> std::io::Result<Reader> {
        Self::get_with_buffer(addr, index, path, 4 * 1024).await
    }

    async fn get_with_buffer(
        addr: SocketAddr,
        index: usize,
        path: &str,
        buffer: usize,
    ) -> std::io::Result<Reader> {
        let mut socket = connect(addr, index).await?;
        socket
            .write_all(
                format!("GET {path} HTTP/1.1\r\nhost: bench\r\naccept: text/event-stream\r\n\r\n")
                    .as_bytes(),
            )
            .await?;
        Ok(Reader {
            socket,
            buf: vec![0; buffer],
            head: Some(Vec::new()),
            chunks: ChunkedDecoder::new(),
            lines: Lines::new(),
            event: Vec::new(),
            ending: None,
            bytes: 0,
        })
    }

    /// Reads once from the socket, calling `on_event` for every complete
    /// event (comments included, as the raw block). Returns `false` at EOF.
    pub async fn read(&mut self, on_event: &mut impl FnMut(&[u8])) -> std::io::Result<bool> {
        let n = self.socket.read(&mut self.buf).await?;
        if n == 0 {
            self.ending
                .get_or_insert_with(|| "the server closed the connection".to_owned());
            return Ok(false);
        }
        self.bytes += n as u64;
        let data = std::mem::take(&mut self.buf);
        self.feed(&data[..n], on_event);
        self.buf = data;
        Ok(self.ending.is_none())
    }

    fn feed(&mut self, data: &[u8], on_event: &mut impl FnMut(&[u8])) {
        if let Some(head) = &mut self.head {
            head.extend_from_slice(data);
            let Some(end) = head.windows(4).position(|w| w == b"\r\n\r\n") else {
                return;
            };
            let rest = head.split_off(end + 4);
            self.head = None;
            return self.feed(&rest, on_event);
        }
        let (lines, event) = (&mut self.lines, &mut self.event);
        let fed = self.chunks.feed(data, |data| {
            lines.feed(data, |line| {
                if !line.is_empty() {
                    event.extend_from_slice(line);
                    event.push(b'\n');
                } else if !event.is_empty() {
                    on_event(event);
                    event.clear();
                }
            });
        });
        match fed {
            Err(error) => self.ending = Some(format!("a malformed chunked body ({error})")),
            Ok(_) if self.chunks.is_done() => self.ending = Some("the last chunk".to_owned()),
            Ok(_) => {}
        }
    }
}

/// A block's `data:` value, if it has one.
pub fn data_of(event: &[u8]) -> Option<&[u8]> {
    event.split(|&b| b == b'\n').find_map(|line| {
        line.strip_prefix(b"data: ")
            .or_else(|| line.strip_prefix(b"data:"))
    })
}

pub fn now_micros() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_micros() as u64
}

/// A plain GET whose body is short text.
pub async fn get_text(addr: SocketAddr, path: &str) -> String {
    let mut socket = TcpStream::connect(addr).await.expect("connect");
    socket
        .write_all(
            format!("GET {path} HTTP/1.1\r\nhost: bench\r\nconnection: close\r\n\r\n").as_bytes(),
        )
        .await
        .expect("request");
    let mut response = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(30), socket.read_to_end(&mut response)).await;
    let text = String::from_utf8_lossy(&response);
    let body = text.split_once("\r\n\r\n").map_or("", |(_, body)| body);
    // Chunked or not, the short bodies here are one line of digits.
    body.lines()
        .rfind(|line| !line.is_empty())
        .unwrap_or("")
        .to_owned()
}

/// Runs `f` until `limit`, returning `None` on time-out.
pub async fn within<T>(limit: Duration, f: impl std::future::Future<Output = T>) -> Option<T> {
    tokio::time::timeout(limit, f).await.ok()
}

/// Percentile of sorted values (`p` in 0..=100).
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

/// Elapsed since `start` in milliseconds.
pub fn millis(start: Instant) -> f64 {
    start.elapsed().as_secs_f64() * 1000.0
}

/// This process's limit on open files (which the processes it starts
/// inherit), from `/proc/self/limits`.
pub fn open_files_limit() -> Option<u64> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits
        .lines()
        .find(|line| line.starts_with("Max open files"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}

/// How many streams one process (a server, or a client holding them) can
/// hold within its limit on open files, in whole thousands, with a thousand
/// descriptors to spare for everything else; unbounded without a limit.
pub fn streams_per_process() -> usize {
    match open_files_limit() {
        Some(limit) => (limit.saturating_sub(1_000) / 1_000 * 1_000).max(1_000) as usize,
        None => usize::MAX,
    }
}

/// An `sse-bench` helper process (`--load-worker`, `--hold-idle`), seen
/// from the process that started it: it reports in lines on its stdout,
/// and ends when that process closes its stdin, kills it or drops it.
pub struct Helper {
    child: tokio::process::Child,
    lines: tokio::io::Lines<tokio::io::BufReader<tokio::process::ChildStdout>>,
}

impl Helper {
    /// Starts this executable with `args`.
    pub fn start(args: &[&str]) -> Option<Helper> {
        use std::process::Stdio;
        use tokio::io::AsyncBufReadExt as _;
        let mut child = tokio::process::Command::new(std::env::current_exe().ok()?)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .ok()?;
        let lines = tokio::io::BufReader::new(child.stdout.take()?).lines();
        Some(Helper { child, lines })
    }

    /// Its next line, if it says one within `limit`.
    pub async fn line(&mut self, limit: Duration) -> Option<String> {
        within(limit, self.lines.next_line()).await?.ok()?
    }

    /// Kills it.
    pub async fn stop(mut self) {
        let _ = self.child.kill().await;
    }
}
