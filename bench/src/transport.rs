//! The HTTP/2 and compression rows: many streams on one HTTP/2 connection
//! against one stream per HTTP/1.1 connection (events/s, idle memory), and
//! tower-http's compression of a chat-shaped stream (bytes, server CPU and
//! added latency per event, for identity, gzip, br and zstd).

use std::io::Write;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};

use crate::load::{self, Reader, now_micros, percentile};
use crate::target::Server;

/// An HTTP/2 connection (cleartext, prior knowledge) from the load generator.
struct H2 {
    requests: hyper::client::conn::http2::SendRequest<Empty<Bytes>>,
}

impl H2 {
    async fn connect(addr: SocketAddr, index: usize) -> Option<H2> {
        let tcp = load::connect(addr, index).await.ok()?;
        let (requests, connection) = hyper::client::conn::http2::Builder::new(TokioExecutor::new())
            .initial_stream_window_size(1024 * 1024)
            .initial_connection_window_size(16 * 1024 * 1024)
            .handshake(TokioIo::new(tcp))
            .await
            .ok()?;
        tokio::spawn(connection);
        Some(H2 { requests })
    }

    /// Opens a stream; its body once the response head has come.
    async fn get(&mut self, path: &str) -> Option<Incoming> {
        self.requests.ready().await.ok()?;
        let request = http::Request::get(format!("http://bench{path}"))
            .body(Empty::new())
            .ok()?;
        let response = self.requests.send_request(request).await.ok()?;
        response.status().is_success().then(|| response.into_body())
    }
}

/// Counts event ends (`\n\n`) in frames that may split one.
#[derive(Default)]
struct BlockCounter {
    blocks: u64,
    last: u8,
}

impl BlockCounter {
    fn feed(&mut self, data: &[u8]) {
        if self.last == b'\n' && data.first() == Some(&b'\n') {
            self.blocks += 1;
        }
        self.blocks += data.windows(2).filter(|pair| pair == b"\n\n").count() as u64;
        if let Some(&last) = data.last() {
            self.last = last;
        }
    }
}

/// `streams` firehoses of `per_stream` small JSON events each, all on one
/// HTTP/2 connection: events per second over all of them, and events read.
pub async fn h2_firehose(server: &Server, streams: usize, per_stream: u64) -> (f64, u64) {
    let Some(mut connection) = H2::connect(server.addr, 0).await else {
        return (f64::NAN, 0);
    };
    let started = Instant::now();
    let mut readers = tokio::task::JoinSet::new();
    for _ in 0..streams {
        let Some(mut body) = connection.get(&format!("/firehose?n={per_stream}")).await else {
            continue;
        };
        readers.spawn(async move {
            let mut counter = BlockCounter::default();
            while let Some(Ok(frame)) = body.frame().await {
                if let Ok(data) = frame.into_data() {
                    counter.feed(&data);
                }
            }
            // Less the opening comment.
            counter.blocks.saturating_sub(1)
        });
    }
    let events: u64 = readers.join_all().await.into_iter().sum();
    (events as f64 / started.elapsed().as_secs_f64(), events)
}

/// The same firehoses, each on an HTTP/1.1 connection of its own.
pub async fn h1_firehose(server: &Server, streams: usize, per_stream: u64) -> (f64, u64) {
    let started = Instant::now();
    let mut readers = tokio::task::JoinSet::new();
    for index in 0..streams {
        let addr = server.addr;
        readers.spawn(async move {
            let Ok(mut reader) =
                Reader::get(addr, index, &format!("/firehose?n={per_stream}")).await
            else {
                return 0;
            };
            let mut events = 0u64;
            let mut count = |event: &[u8]| {
                if load::data_of(event).is_some() {
                    events += 1;
                }
            };
            while let Ok(true) = reader.read(&mut count).await {}
            events
        });
    }
    let events: u64 = readers.join_all().await.into_iter().sum();
    (events as f64 / started.elapsed().as_secs_f64(), events)
}

/// Server memory per idle stream with `per_connection` streams on each of
/// `connections` HTTP/2 connections, and the streams opened.
pub async fn h2_idle_memory(
    server: &Server,
    connections: usize,
    per_connection: usize,
) -> (f64, u64) {
    // One stream first, so code paths and allocator pools are warm.
    let Some(mut warm) = H2::connect(server.addr, 0).await else {
        return (f64::NAN, 0);
    };
    let Some(_warm_stream) = warm.get("/idle").await else {
        return (f64::NAN, 0);
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    let before = server.rss_kib();
    let mut held = Held::default();
    for index in 1..=connections {
        let Some(connection) = H2::connect(server.addr, index).await else {
            continue;
        };
        let mut opening = tokio::task::JoinSet::new();
        for _ in 0..per_connection {
            let mut requests = connection.requests.clone();
            opening.spawn(async move {
                requests.ready().await.ok()?;
                let request = http::Request::get("http://bench/idle")
                    .body(Empty::new())
                    .ok()?;
                let mut body = requests.send_request(request).await.ok()?.into_body();
                // Open once its first event has come.
                let mut counter = BlockCounter::default();
                while counter.blocks < 2 {
                    counter.feed(&body.frame().await?.ok()?.into_data().ok()?);
                }
                Some(body)
            });
        }
        held.streams
            .extend(opening.join_all().await.into_iter().flatten());
        held.connections.push(connection);
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let after = server.rss_kib();
    let opened = held.streams.len() as u64;
    drop(held);
    if opened == 0 {
        return (f64::NAN, 0);
    }
    (after.saturating_sub(before) as f64 / opened as f64, opened)
}

/// What the idle-memory scenario keeps open.
#[derive(Default)]
struct Held {
    streams: Vec<Incoming>,
    connections: Vec<H2>,
}

/// The encodings compared, as `Accept-Encoding` names them.
pub const ENCODINGS: [&str; 4] = ["identity", "gzip", "br", "zstd"];

/// Decodes a compressed body incrementally, as a browser does.
enum Decoder {
    Identity(Vec<u8>),
    Gzip(flate2::write::GzDecoder<Vec<u8>>),
    Br(Box<brotli::DecompressorWriter<Vec<u8>>>),
    Zstd(zstd::stream::write::Decoder<'static, Vec<u8>>),
}

impl Decoder {
    fn new(encoding: &str) -> Decoder {
        match encoding {
            "gzip" => Decoder::Gzip(flate2::write::GzDecoder::new(Vec::new())),
            "br" => Decoder::Br(Box::new(brotli::DecompressorWriter::new(Vec::new(), 4096))),
            "zstd" => Decoder::Zstd(zstd::stream::write::Decoder::new(Vec::new()).unwrap()),
            _ => Decoder::Identity(Vec::new()),
        }
    }

    /// Feeds compressed bytes; the text decoded so far (taken).
    fn feed(&mut self, bytes: &[u8]) -> Vec<u8> {
        let out = match self {
            Decoder::Identity(out) => {
                out.extend_from_slice(bytes);
                out
            }
            Decoder::Gzip(decoder) => {
                decoder.write_all(bytes).unwrap();
                decoder.flush().unwrap();
                decoder.get_mut()
            }
            Decoder::Br(decoder) => {
                decoder.write_all(bytes).unwrap();
                decoder.flush().unwrap();
                decoder.get_mut()
            }
            Decoder::Zstd(decoder) => {
                decoder.write_all(bytes).unwrap();
                decoder.flush().unwrap();
                decoder.get_mut()
            }
        };
        std::mem::take(out)
    }
}

/// `GET path` over HTTP/1.1 with `Accept-Encoding: encoding`; the body, and
/// the encoding the server chose.
async fn get_encoded(addr: SocketAddr, path: &str, encoding: &str) -> Option<(Incoming, String)> {
    let tcp = load::connect(addr, 0).await.ok()?;
    let (mut requests, connection) = hyper::client::conn::http1::handshake(TokioIo::new(tcp))
        .await
        .ok()?;
    tokio::spawn(connection);
    let request = http::Request::get(format!("http://bench{path}"))
        .header("accept", "text/event-stream")
        .header("accept-encoding", encoding)
        .body(Empty::<Bytes>::new())
        .ok()?;
    let response = requests.send_request(request).await.ok()?;
    let chosen = response
        .headers()
        .get("content-encoding")
        .and_then(|value| value.to_str().ok())
        .unwrap_or("identity")
        .to_owned();
    Some((response.into_body(), chosen))
}

/// The server's CPU time so far, summed over its threads, from each
/// thread's `schedstat` (nanoseconds; `/proc/PID/stat` counts 10 ms ticks,
/// too coarse for a microsecond per event).
fn cpu_time(pid: u32) -> Duration {
    let Ok(threads) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return Duration::ZERO;
    };
    let nanos: u64 = threads
        .flatten()
        .filter_map(|thread| std::fs::read_to_string(thread.path().join("schedstat")).ok())
        .filter_map(|stat| stat.split_whitespace().next()?.parse::<u64>().ok())
        .sum();
    Duration::from_nanos(nanos)
}

/// One compression row: `n` chat events as fast as they are taken, then
/// `paced` more, `every` apart.
#[derive(serde::Serialize, serde::Deserialize)]
pub struct CompressionSample {
    /// Bytes on the wire per event, unpaced (ready events share a flush).
    pub bytes_per_event: f64,
    /// Bytes on the wire per event, paced (each event flushed alone).
    pub paced_bytes_per_event: f64,
    /// Server CPU per event, µs.
    pub cpu_micros: f64,
    /// Made → decoded by the client, p50 and p99 ms, paced.
    pub latency_ms: (f64, f64),
    pub events: u64,
    pub attempted: u64,
}

pub async fn compression(
    server: &Server,
    encoding: &str,
    n: u64,
    paced: u64,
    every: Duration,
) -> Option<CompressionSample> {
    // Unpaced: bytes and CPU per event.
    let cpu_before = cpu_time(server.pid);
    let (mut body, chosen) = get_encoded(server.addr, &format!("/chat?n={n}"), encoding).await?;
    if chosen != encoding {
        eprintln!("asked for {encoding}, the server sent {chosen}");
        return None;
    }
    let mut decoder = Decoder::new(encoding);
    let (mut wire, mut counter) = (0u64, BlockCounter::default());
    while let Some(Ok(frame)) = body.frame().await {
        if let Ok(data) = frame.into_data() {
            wire += data.len() as u64;
            counter.feed(&decoder.feed(&data));
        }
    }
    let cpu = cpu_time(server.pid).saturating_sub(cpu_before);
    let unpaced = counter.blocks.saturating_sub(1);

    // Paced: how long after it was made each event is read, decoded.
    let every_us = every.as_micros();
    let (mut body, _) = get_encoded(
        server.addr,
        &format!("/chat?n={paced}&every_us={every_us}"),
        encoding,
    )
    .await?;
    let mut decoder = Decoder::new(encoding);
    let mut pending = Vec::new();
    let mut latencies = Vec::new();
    let mut paced_wire = 0u64;
    while let Some(Ok(frame)) = body.frame().await {
        let Ok(data) = frame.into_data() else {
            continue;
        };
        paced_wire += data.len() as u64;
        pending.extend_from_slice(&decoder.feed(&data));
        let now = now_micros();
        while let Some(end) = pending.windows(2).position(|pair| pair == b"\n\n") {
            let block: Vec<u8> = pending.drain(..end + 2).collect();
            if let Some(sent) = sent_at(&block) {
                latencies.push(now.saturating_sub(sent) as f64 / 1000.0);
            }
        }
    }
    latencies.sort_by(f64::total_cmp);
    let events = unpaced + latencies.len() as u64;
    Some(CompressionSample {
        bytes_per_event: wire as f64 / unpaced.max(1) as f64,
        paced_bytes_per_event: paced_wire as f64 / latencies.len().max(1) as f64,
        cpu_micros: cpu.as_secs_f64() * 1e6 / unpaced.max(1) as f64,
        latency_ms: (percentile(&latencies, 50.0), percentile(&latencies, 99.0)),
        events,
        attempted: n + paced,
    })
}

/// The `sent_at` of a chat event block.
fn sent_at(block: &[u8]) -> Option<u64> {
    let data = load::data_of(block)?;
    let text = std::str::from_utf8(data).ok()?;
    let (_, rest) = text.split_once("\"sent_at\":")?;
    rest.trim_end_matches('}').parse().ok()
}
