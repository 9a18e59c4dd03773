//! The `llm` example (an OpenAI-compatible server over a fake model) under
//! load: what the framework costs per streamed token, and how long after a
//! client aborts the model stops.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::process::{Child, Command};

use crate::load::{get_text, now_micros, percentile, within};

/// The example's process.
pub struct LlmServer {
    child: Child,
    pub addr: SocketAddr,
}

impl LlmServer {
    /// Starts `examples/llm` (built by `bench/run`) with `delay_ms` per token.
    pub async fn start(delay_ms: u64) -> Option<LlmServer> {
        let binary = std::env::current_exe().ok()?.parent()?.join("examples/llm");
        let binary = if binary.exists() {
            binary
        } else {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/release/examples/llm")
        };
        let mut child = Command::new(&binary)
            .env("PORT", "0")
            .env("RUST_LOG", "warn")
            .env("LLM_TOKEN_DELAY_MS", delay_ms.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .ok()?;
        let mut lines = BufReader::new(child.stdout.take()?).lines();
        let line = lines.next_line().await.ok()??;
        let url = line.strip_prefix("listening on http://")?;
        let addr = url.split('/').next()?.parse().ok()?;
        Some(LlmServer { child, addr })
    }

    pub async fn kill(mut self) {
        let _ = self.child.kill().await;
    }
}

/// Opens a streamed chat completion of a prompt of `words` words.
async fn open_completion(addr: SocketAddr, words: usize) -> std::io::Result<TcpStream> {
    let prompt = vec!["word"; words].join(" ");
    let body = format!(
        r#"{{"model":"fake-1","stream":true,"messages":[{{"role":"user","content":"{prompt}"}}]}}"#
    );
    let mut socket = TcpStream::connect(addr).await?;
    socket.set_nodelay(true)?;
    let head = format!(
        "POST /v1/chat/completions HTTP/1.1\r\nhost: bench\r\ncontent-type: application/json\r\n\
         content-length: {}\r\n\r\n",
        body.len()
    );
    socket.write_all(head.as_bytes()).await?;
    socket.write_all(body.as_bytes()).await?;
    Ok(socket)
}

/// Reads until `count` content tokens arrived (or `[DONE]` when `count` is
/// `None`); returns how many arrived.
async fn read_tokens(socket: &mut TcpStream, count: Option<usize>) -> std::io::Result<usize> {
    let (mut seen, mut buf, mut pending) = (0, vec![0u8; 64 * 1024], Vec::new());
    loop {
        let read = socket.read(&mut buf).await?;
        if read == 0 {
            return Ok(seen);
        }
        pending.extend_from_slice(&buf[..read]);
        // Count whole lines only; keep a partial one for the next read.
        let cut = pending
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |at| at + 1);
        let text = String::from_utf8_lossy(&pending[..cut]).into_owned();
        pending.drain(..cut);
        for line in text.lines() {
            if line.starts_with("data: {")
                && line.contains("\"content\":\"")
                && !line.contains("\"content\":\"\"")
            {
                seen += 1;
                if Some(seen) == count {
                    return Ok(seen);
                }
            }
            if line == "data: [DONE]" && count.is_none() {
                return Ok(seen);
            }
        }
    }
}

/// Streams one completion of `tokens` tokens with no model delay: the
/// framework's cost per token, in microseconds, and tokens per second.
pub async fn per_token(server: &LlmServer, tokens: usize) -> Option<(f64, f64)> {
    let started = Instant::now();
    let mut socket = open_completion(server.addr, tokens).await.ok()?;
    let read = within(Duration::from_secs(60), read_tokens(&mut socket, None))
        .await?
        .ok()?;
    let took = started.elapsed().as_secs_f64();
    // The reply is `You said:` and one token per word.
    (read == tokens + 1).then(|| (took * 1e6 / read as f64, read as f64 / took))
}

/// `runs` times: a client reads 3 tokens of a long completion and aborts.
/// Returns the p50 and p99 time from the abort to the model stopping, in
/// milliseconds, the most tokens produced beyond the 3 read, and how many
/// runs measured.
pub async fn cancellation(server: &LlmServer, runs: usize) -> (f64, f64, u64, usize) {
    let mut latencies = Vec::new();
    let mut extra = 0u64;
    for _ in 0..runs {
        let before: u64 = produced(server.addr).await;
        let Ok(mut socket) = open_completion(server.addr, 1_000).await else {
            continue;
        };
        if !matches!(read_tokens(&mut socket, Some(3)).await, Ok(3)) {
            continue;
        }
        let aborted = now_micros();
        drop(socket);
        let stopped = within(Duration::from_secs(5), async {
            loop {
                let stopped_at = stat(server.addr, "stopped_at").await;
                if stopped_at >= aborted {
                    return stopped_at;
                }
                tokio::time::sleep(Duration::from_micros(200)).await;
            }
        })
        .await;
        let Some(stopped) = stopped else { continue };
        latencies.push((stopped - aborted) as f64 / 1000.0);
        extra = extra.max(produced(server.addr).await - before - 3);
    }
    latencies.sort_by(f64::total_cmp);
    let measured = latencies.len();
    (
        percentile(&latencies, 50.0),
        percentile(&latencies, 99.0),
        extra,
        measured,
    )
}

async fn produced(addr: SocketAddr) -> u64 {
    stat(addr, "produced").await
}

/// A number from the example's `/stats` JSON.
async fn stat(addr: SocketAddr, name: &str) -> u64 {
    let body = get_text(addr, "/stats").await;
    body.split(&format!("\"{name}\":"))
        .nth(1)
        .and_then(|rest| rest.split([',', '}']).next())
        .and_then(|number| number.trim().parse().ok())
        .unwrap_or(0)
}
