//! Compression that keeps streaming: tower-http's `CompressionLayer` forced
//! onto event streams (`compress_when(SizeAbove::new(0))`; it skips
//! `text/event-stream` by default), for gzip, br and zstd:
//! - each event arrives, decoded, when it is yielded: the layer flushes the
//!   encoder whenever the stream waits (events ready together share a flush);
//! - keep-alive pings and shutdown farewells pass compressed too;
//! - one compression context per stream: repeated JSON keys compress across
//!   events (the stream is far smaller than its events compressed alone).
//!
//! The sizes it prints are for reading; what it asserts (under a third of
//! identity, under half of each event compressed alone) is what README.md
//! says of it.

use std::io::Write as _;
use std::time::Duration;

use axum::Router;
use axum::routing::get;
use http_body_util::BodyExt as _;
use hyper_util::rt::TokioIo;
use sse_runtime::{Event, KeepAlive, Shutdown, SseResponse};
use sse_test_support::{PATIENCE, serve};
use tower_http::compression::CompressionLayer;
use tower_http::compression::predicate::SizeAbove;

#[derive(Clone, Copy, Debug)]
enum Encoding {
    Gzip,
    Br,
    Zstd,
}

const ALL: [Encoding; 3] = [Encoding::Gzip, Encoding::Br, Encoding::Zstd];

impl Encoding {
    fn name(self) -> &'static str {
        match self {
            Encoding::Gzip => "gzip",
            Encoding::Br => "br",
            Encoding::Zstd => "zstd",
        }
    }

    /// The layer, forced onto event streams.
    fn layer() -> CompressionLayer<SizeAbove> {
        CompressionLayer::new().compress_when(SizeAbove::new(0))
    }

    /// A decoder that decodes as bytes arrive.
    fn decoder(self) -> Box<dyn Decoder> {
        match self {
            Encoding::Gzip => Box::new(flate2::write::GzDecoder::new(Vec::new())),
            Encoding::Br => Box::new(brotli::DecompressorWriter::new(Vec::new(), 4096)),
            Encoding::Zstd => Box::new(zstd::stream::write::Decoder::new(Vec::new()).unwrap()),
        }
    }

    /// `bytes` compressed on their own, as a stream with a fresh context per
    /// event would send them.
    fn alone(self, bytes: &[u8]) -> usize {
        match self {
            Encoding::Gzip => {
                let mut encoder =
                    flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
                encoder.write_all(bytes).unwrap();
                encoder.finish().unwrap().len()
            }
            Encoding::Br => {
                let mut out = Vec::new();
                let mut encoder = brotli::CompressorWriter::new(&mut out, 4096, 4, 22);
                encoder.write_all(bytes).unwrap();
                drop(encoder);
                out.len()
            }
            Encoding::Zstd => zstd::encode_all(bytes, 3).unwrap().len(),
        }
    }
}

trait Decoder: Send {
    fn feed(&mut self, bytes: &[u8]);
    fn text(&self) -> String;
}

macro_rules! decoder {
    ($ty:ty) => {
        impl Decoder for $ty {
            fn feed(&mut self, bytes: &[u8]) {
                self.write_all(bytes).unwrap();
                self.flush().unwrap();
            }
            fn text(&self) -> String {
                String::from_utf8_lossy(self.get_ref()).into_owned()
            }
        }
    };
}
decoder!(flate2::write::GzDecoder<Vec<u8>>);
decoder!(brotli::DecompressorWriter<Vec<u8>>);
decoder!(zstd::stream::write::Decoder<'static, Vec<u8>>);

/// A compressed response being read: its raw size so far, and what it
/// decodes to.
struct Compressed {
    body: hyper::body::Incoming,
    decoder: Box<dyn Decoder>,
    wire_bytes: usize,
    frames: usize,
}

impl Compressed {
    async fn get(addr: std::net::SocketAddr, path: &str, encoding: Encoding) -> Compressed {
        let socket = tokio::net::TcpStream::connect(addr).await.unwrap();
        let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(socket))
            .await
            .unwrap();
        tokio::spawn(connection);
        let request = http::Request::get(path)
            .header("accept-encoding", encoding.name())
            .body(http_body_util::Empty::<bytes::Bytes>::new())
            .unwrap();
        let response = sender.send_request(request).await.unwrap();
        assert_eq!(response.headers()["content-encoding"], encoding.name());
        assert_eq!(response.headers()["content-type"], "text/event-stream");
        Compressed {
            body: response.into_body(),
            decoder: encoding.decoder(),
            wire_bytes: 0,
            frames: 0,
        }
    }

    /// Reads until the decoded text contains `text`.
    /// Counts a frame's compressed bytes and decodes them.
    fn take(&mut self, frame: hyper::body::Frame<bytes::Bytes>) {
        if let Ok(data) = frame.into_data() {
            self.wire_bytes += data.len();
            self.frames += 1;
            self.decoder.feed(&data);
        }
    }

    async fn read_until(&mut self, text: &str) {
        tokio::time::timeout(PATIENCE, async {
            while !self.decoder.text().contains(text) {
                let frame = self.body.frame().await.expect("the stream went on");
                self.take(frame.unwrap());
            }
        })
        .await
        .unwrap_or_else(|_| panic!("{text:?} never arrived, compressed: the encoder held it"));
    }

    async fn read_to_end(&mut self) -> String {
        tokio::time::timeout(PATIENCE, async {
            while let Some(frame) = self.body.frame().await {
                self.take(frame.unwrap());
            }
        })
        .await
        .expect("the stream ended");
        self.decoder.text()
    }
}

#[tokio::test]
async fn each_event_pings_and_farewells_arrive_compressed_when_sent() {
    // The second event is held back until the client has decoded the first:
    // if compression buffered, the first would never arrive and this test
    // would time out.
    let shutdown = Shutdown::new().with_grace_period(Duration::from_secs(2));
    let (release, _) = tokio::sync::broadcast::channel::<()>(4);
    let app = Router::new()
        .route(
            "/",
            get({
                let (release, shutdown) = (release.clone(), shutdown.clone());
                move || {
                    let mut released = release.subscribe();
                    let shutdown = shutdown.clone();
                    async move {
                        SseResponse::new(async_stream::stream! {
                            yield Event::data("first");
                            let _ = released.recv().await;
                            yield Event::data("second");
                            std::future::pending::<()>().await;
                        })
                        .keep_alive(KeepAlive::every(Duration::from_millis(100)))
                        .shutdown(shutdown)
                        .on_shutdown(|| async {
                            vec![Event::data("bye").event("shutdown").unwrap()]
                        })
                    }
                }
            }),
        )
        .layer(Encoding::layer());
    let server = serve(app, shutdown.clone()).await;
    let mut streams = Vec::new();
    for encoding in ALL {
        let mut stream = Compressed::get(server.addr, "/", encoding).await;
        stream.read_until("data: first\n\n").await;
        streams.push(stream);
    }
    release.send(()).unwrap();
    for stream in &mut streams {
        stream.read_until("data: second\n\n").await;
        stream.read_until(": ping\n\n").await;
    }
    shutdown.trigger();
    for (stream, encoding) in streams.iter_mut().zip(ALL) {
        let text = stream.read_to_end().await;
        assert!(
            text.starts_with(": \n\ndata: first\n\ndata: second\n\n: ping\n\n")
                && text.ends_with("event: shutdown\ndata: bye\n\n"),
            "{encoding:?}: {text:?}"
        );
    }
}

/// Event `n` of [`chat_event`] as the wire carries it, uncompressed.
fn chat_bytes(n: usize) -> Vec<u8> {
    let mut bytes = Vec::new();
    chat_event(n).encode_to_vec(sse_runtime::LineEnding::Lf, &mut bytes);
    bytes
}

/// 1,000 events of a chat's shape: the same keys every time, short text.
fn chat_event(n: usize) -> Event {
    let names = ["ada", "grace", "linus", "barbara", "ken"];
    let message = serde_json::json!({
        "type": "message",
        "room": "general",
        "id": format!("msg-{n:05}"),
        "author": { "name": names[n % names.len()], "avatar": format!("/avatars/{}.png", names[n % names.len()]) },
        "text": format!("message number {n}: {}", ["hi", "how are you?", "fine", "see the PR", "lgtm"][n % 5]),
        "sent_at": 1_764_000_000_000u64 + n as u64 * 1_337,
    });
    Event::json(&message)
        .unwrap()
        .event("message")
        .unwrap()
        .id(n.to_string())
        .unwrap()
}

#[tokio::test]
async fn repeated_keys_compress_across_events_in_one_context() {
    const EVENTS: usize = 1_000;
    let app = Router::new()
        .route(
            "/chat",
            get(|| async {
                SseResponse::new(futures_util::stream::iter((0..EVENTS).map(chat_event)))
            }),
        )
        // As a live chat sends them, apart: the encoder flushes whenever the
        // stream waits, so here after every event.
        .route(
            "/chat/live",
            get(|| async {
                use futures_util::StreamExt as _;
                let events = futures_util::stream::iter(0..EVENTS).then(|n| async move {
                    tokio::time::sleep(Duration::from_millis(1)).await;
                    chat_event(n)
                });
                SseResponse::new(events)
            }),
        )
        .layer(Encoding::layer());
    let identity: Vec<u8> = (0..EVENTS).flat_map(chat_bytes).collect();
    let server = serve(app, Shutdown::new()).await;
    println!("1,000 chat events: identity {} bytes", identity.len());
    for encoding in ALL {
        let mut read = Vec::new();
        for path in ["/chat/live", "/chat"] {
            let mut stream = Compressed::get(server.addr, path, encoding).await;
            let text = stream.read_to_end().await;
            // The opening comment, then every event, byte for byte.
            let sent = [b": \n\n".as_slice(), &identity].concat();
            let differs = text.bytes().zip(&sent).position(|(got, sent)| got != *sent);
            assert!(
                text.len() == sent.len() && differs.is_none(),
                "{encoding:?} {path}: decoded {} bytes of {}, first difference at {differs:?}",
                text.len(),
                sent.len()
            );
            read.push(stream);
        }
        let (live, stream) = (&read[0], &read[1]);
        let alone: usize = (0..EVENTS).map(|n| encoding.alone(&chat_bytes(n))).sum();
        let percent = |bytes: usize| 100.0 * bytes as f64 / identity.len() as f64;
        println!(
            "  {}: sent apart ({} frames, a flush each) {} bytes ({:.1}%), batched {} bytes ({:.1}%); \
             each event compressed alone {} bytes ({:.1}%)",
            encoding.name(),
            live.frames,
            live.wire_bytes,
            percent(live.wire_bytes),
            stream.wire_bytes,
            percent(stream.wire_bytes),
            alone,
            percent(alone)
        );
        for (how, bytes) in [
            ("sent apart", live.wire_bytes),
            ("batched", stream.wire_bytes),
        ] {
            assert!(
                bytes * 3 < identity.len(),
                "{encoding:?}, {how}: compressed"
            );
            assert!(
                bytes * 2 < alone,
                "{encoding:?}, {how}: one context across events"
            );
        }
    }
}
