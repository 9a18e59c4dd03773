//! The proof that lean streams are hyper's streams: generated scenarios run
//! against a server with lean streams (the default) and one without
//! (`.lean_streams(false)`, hyper writes every stream), and each must see
//! the same from both: the same bytes at the client (the `date` headers
//! blanked, the chunked framing checked by the runtime's strict decoder, so
//! a framing mistake is reported as one) and the same ends at the server
//! (each stream's disconnect reason, events, bytes and last id, from its
//! `on_disconnect` hook).
//!
//! A scenario is an event stream the test drives (`sse_test_support::driven`:
//! runs of events ready together, the stream pending between two runs, so
//! that what becomes one chunk does not depend on timing), a client that
//! reads in pieces of random size (or a byte at a time) and may stop and
//! resume, bytes the client sends with its request or mid-stream (a
//! pipelined request, garbage, a large blob), its half-close, and how it all
//! ends: the stream's end (pipelined requests then answered on the
//! connection it gives back), its failure or panic, the client closing or
//! resetting, a shutdown (with a farewell, or a grace period of zero), a
//! send timeout. Every wait is for something the test can see (an event at
//! the client, a stream's end at the server), never a sleep, and bounded by
//! `PATIENCE`; what only timing decides is not compared: how much of a
//! stream whose client stopped reading, or left, was out when it was cut
//! (there the two must agree as far as both go), and then what its hook
//! counted; and
//! hyper's answer to bytes that are no request. hyper parses a head again
//! only when a read brings a blank line, so garbage whose start one read
//! brought alone, as the start of a head (a lone `\r` after empty lines,
//! a request line cut short), is answered `400 Bad Request` if the read
//! brought the byte that spoils it, else `431 Request Header Fields Too
//! Large` once hyper's buffer is full, or not at all if the client's EOF
//! comes first. Where reads cut what the client sent is timing: hyper's
//! path reads what has arrived, a lean stream at most 256 bytes (the
//! first finding, seed `0xcba0a9d2d4159ef3`: 265 bytes of empty lines
//! ending in a `\r`, then junk; hyper alone answers those bytes `400` sent
//! in one write and `431` sent in two). In a scenario that sends garbage,
//! a last response of `400` or `431` is left out of the comparison; what
//! came before it is compared. Also left to timing, so not compared: which
//! of a stream's end and its client's reset reaches a server that holds
//! bytes of the client's and has a full socket (only which streams ended
//! is compared), and whether a farewell goes out at a shutdown with a grace
//! period of zero (its chunk is left out). A server that closes a connection
//! with bytes of the client's unread (after answering garbage; at a
//! shutdown, with requests behind the stream) has the kernel reset it, and
//! what was on its way to a client that had not read it is lost (whole
//! responses too): such scenarios are compared as far as both go.
//! At a shutdown, only the stream's response (and its end) is compared: one
//! that comes while hyper's connection is being polled can see hyper answer
//! a request it already holds (a shutdown before that poll cannot:
//! `tests/lifecycle.rs`). So too after a half-close behind pipelined
//! requests: once the stream has ended, hyper parses the next request and
//! may read the client's EOF, and close, before it writes the answer.
//!
//! What it found is in the corpus, each with its reason: two differences
//! of the runtime, both fixed (a raw body's trailers, which end it on
//! hyper's path; a shutdown, after which hyper's path answered a pipelined
//! request the lean path dropped), and six mistakes of the test's own (its
//! writer lost a queued write, and let a stop overtake one; three races of
//! its plan; a client that read to the end what a timed-out stream had
//! queued).
//!
//! Planted bugs it was tried on: a chunk size one too large once in a
//! thousand chunks (`chunk.rs`) fails the corpus's entry of more than a
//! thousand frames with a framing error (the long run finds it too, within
//! seconds); a byte dropped from what a lean stream gives back to hyper
//! fails the corpus's entries with pipelined requests.
//!
//! `cargo test --test differential` runs the corpus
//! (`tests/differential_corpus.json`: scenarios that found something, and
//! ones that cover each dimension) and a fixed sample of generated ones;
//! `cargo test --test differential -- --ignored many_scenarios` generates
//! scenarios for `DIFFERENTIAL_MINUTES` (default 5) from a random seed, or
//! `DIFFERENTIAL_SEED`, and says how many it ran. A failing scenario is
//! shrunk (proptest's shrinking) to a minimal one, printed with its seed
//! and as a corpus entry; `DIFFERENTIAL_REPLAY=<seed> cargo test --test
//! differential -- --ignored replay` runs one seed again, and
//! `DIFFERENTIAL_ONLY=<part of a name>` the corpus entries it names alone.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use serde::{Deserialize, Serialize};
use sse_runtime::test::{ChunkedDecoder, Lines};
use sse_runtime::{Event, LineEnding, Shutdown};
use sse_test_support::driven::{self, Ended, Item, Mode, SseOptions, payload};
use sse_test_support::logs::LeftHyper;
use sse_test_support::transcript::{Transcript, blank_dates, first_difference};
use sse_test_support::{PATIENCE, ServeWith, serve_with};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpSocket;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::sync::{mpsc, oneshot};

// ---------------------------------------------------------------------------
// The scenario space.

/// One scenario: the stream, the client, what happens, how it ends.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Scenario {
    body: Body,
    /// The client's receive buffer is 4 KiB: a client that stops reading
    /// fills its socket soon.
    #[serde(default)]
    small_buffer: bool,
    reads: Reads,
    /// Sent in the same write as the stream's request: in hyper's read
    /// buffer when the stream leaves it.
    #[serde(default)]
    with_request: Vec<Extra>,
    /// Events (raw: frames) of these sizes ready at the stream's first poll.
    #[serde(default)]
    first: Vec<u32>,
    #[serde(default)]
    steps: Vec<Step>,
    finish: Finish,
}

/// What `/stream` answers with.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
enum Body {
    /// An `SseResponse`.
    Sse {
        retry: bool,
        line_ending: Ending,
        error_event: bool,
        farewell: bool,
        ids: bool,
    },
    /// A `text/event-stream` body of raw frames (empty ones and trailers
    /// included).
    Raw,
}

#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
enum Ending {
    Lf,
    CrLf,
    Cr,
}

/// How the client reads.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
enum Reads {
    /// Pieces of sizes drawn by this seed (1 byte to 256 KiB).
    Pieces(u64),
    /// One byte at a time.
    Bytewise,
}

/// One thing that happens while the stream runs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
enum Step {
    /// A run of events (raw: frames) of these sizes, ready together; the
    /// client reads them, unless it has stopped.
    Burst(Vec<u32>),
    /// A trailers frame (raw bodies; an event stream has none).
    Trailers,
    /// The client stops reading.
    Stop,
    /// The client reads again, all that was sent.
    Resume,
    /// The client sends something on the stream's connection.
    Send(Extra),
    /// The client shuts its side down.
    HalfClose,
}

/// What a client sends besides its stream's request.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
enum Extra {
    /// A pipelined request.
    Get(Target),
    /// Bytes that are no request (or the start of one), of this length,
    /// drawn by this seed.
    Garbage { len: u16, seed: u8 },
    /// This many pipelined requests for `/json`, 1 KiB each.
    Requests(u16),
    /// A blob of junk of this many bytes.
    Junk(u32),
}

#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
enum Target {
    /// A stream of three ready events that ends (it leaves hyper too).
    Finite,
    /// `[1,2,3]`.
    Json,
    /// A `404`.
    Missing,
}

/// How the scenario ends.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
enum Finish {
    /// The stream ends.
    End,
    /// Events of these sizes, then the stream fails, all ready together.
    Fail(Vec<u32>),
    /// Events of these sizes, then the stream panics, all ready together.
    Panic(Vec<u32>),
    /// The client closes its socket.
    Close,
    /// The client resets its connection.
    Reset,
    /// The server shuts down: with the grace period of a test's patience,
    /// or of zero (the stream ended at once).
    Shutdown { grace_zero: bool },
    /// The client stops reading, the stream floods it, its send timeout
    /// (300 ms) drops it; then the client reads what was sent.
    SendTimeout,
}

/// A size of event (or frame): mostly small, some over 255 bytes (a chunk
/// size of three hex digits), some past the socket's buffers, up to 1 MiB.
fn size() -> impl Strategy<Value = u32> {
    prop_oneof![
        10 => 0u32..64,
        3 => 64u32..600,
        2 => 240u32..272,
        2 => 600u32..40_000,
        1 => 40_000u32..=1 << 20,
    ]
}

/// A run: a few events, or more than 16 frames (events of 32 KiB and more
/// go one to a frame) ready at once.
fn burst() -> impl Strategy<Value = Vec<u32>> {
    prop_oneof![
        12 => vec(size(), 1..6),
        1 => vec(32_768u32..70_000, 17..21),
    ]
}

fn extra() -> impl Strategy<Value = Extra> {
    prop_oneof![
        4 => prop_oneof![Just(Target::Finite), Just(Target::Json), Just(Target::Missing)]
            .prop_map(Extra::Get),
        3 => (1u16..600, any::<u8>()).prop_map(|(len, seed)| Extra::Garbage { len, seed }),
        1 => (1u16..500).prop_map(Extra::Requests),
        1 => (1u32..1 << 20).prop_map(Extra::Junk),
    ]
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        8 => burst().prop_map(Step::Burst),
        2 => Just(Step::Stop),
        2 => Just(Step::Resume),
        2 => extra().prop_map(Step::Send),
        1 => Just(Step::HalfClose),
        1 => Just(Step::Trailers),
    ]
}

fn finish() -> impl Strategy<Value = Finish> {
    prop_oneof![
        5 => Just(Finish::End),
        1 => vec(size(), 0..3).prop_map(Finish::Fail),
        1 => vec(size(), 0..3).prop_map(Finish::Panic),
        1 => Just(Finish::Close),
        1 => Just(Finish::Reset),
        1 => any::<bool>().prop_map(|grace_zero| Finish::Shutdown { grace_zero }),
        1 => Just(Finish::SendTimeout),
    ]
}

fn body() -> impl Strategy<Value = Body> {
    let ending = prop_oneof![Just(Ending::Lf), Just(Ending::CrLf), Just(Ending::Cr)];
    prop_oneof![
        4 => (any::<bool>(), ending, any::<bool>(), any::<bool>(), any::<bool>()).prop_map(
            |(retry, line_ending, error_event, farewell, ids)| Body::Sse {
                retry,
                line_ending,
                error_event,
                farewell,
                ids,
            }
        ),
        1 => Just(Body::Raw),
    ]
}

/// Reading a byte at a time is kept for scenarios of at most this many
/// bytes of events.
const BYTEWISE_MAX: u64 = 64 * 1024;

fn scenario() -> impl Strategy<Value = Scenario> {
    let with_request = prop_oneof![3 => Just(Vec::new()), 1 => vec(extra(), 1..3)];
    (
        body(),
        any::<bool>(),
        prop_oneof![6 => any::<u64>().prop_map(Reads::Pieces), 1 => Just(Reads::Bytewise)],
        with_request,
        prop_oneof![3 => Just(Vec::new()), 1 => vec(size(), 1..4)],
        vec(step(), 0..10),
        finish(),
    )
        .prop_map(
            |(body, small_buffer, reads, with_request, first, steps, finish)| {
                let mut scenario = Scenario {
                    body,
                    small_buffer,
                    reads,
                    with_request,
                    first,
                    steps,
                    finish,
                };
                if scenario.reads == Reads::Bytewise && scenario.event_bytes() > BYTEWISE_MAX {
                    scenario.reads = Reads::Pieces(0);
                }
                scenario
            },
        )
}

impl Scenario {
    fn raw(&self) -> bool {
        self.body == Body::Raw
    }

    /// Whether the client sends bytes that are no request (garbage, junk).
    fn sends_garbage(&self) -> bool {
        let sent = self.steps.iter().filter_map(|step| match step {
            Step::Send(extra) => Some(extra),
            _ => None,
        });
        self.with_request
            .iter()
            .chain(sent)
            .any(|extra| match extra {
                // Empty lines only: hyper skips them before a request.
                Extra::Garbage { len, seed } => seed % 4 != 3 || len % 2 != 0,
                Extra::Junk(_) => true,
                Extra::Get(_) | Extra::Requests(_) => false,
            })
    }

    /// Whether the server may close the connection with bytes of the
    /// client's unread (after its answer to garbage; at a shutdown, with
    /// requests behind the stream): the kernel then resets the connection,
    /// and what was on its way to a client that had not read it is lost.
    fn may_close_unread(&self) -> bool {
        let sends_more = !self.with_request.is_empty()
            || self.steps.iter().any(|step| matches!(step, Step::Send(_)));
        self.sends_garbage() || (matches!(self.finish, Finish::Shutdown { .. }) && sends_more)
    }

    /// Whether the client half-closes with requests pipelined behind the
    /// stream: once the stream has ended, hyper parses the next and, before
    /// it writes the answer, may read the client's EOF and close (it does not
    /// allow half-closed connections); whether it reads first is timing, on
    /// either path.
    fn half_closes_behind_requests(&self) -> bool {
        let sent = self.steps.iter().filter_map(|step| match step {
            Step::Send(extra) => Some(extra),
            _ => None,
        });
        let requests = self
            .with_request
            .iter()
            .chain(sent)
            .any(|extra| matches!(extra, Extra::Get(_) | Extra::Requests(_)));
        requests && self.steps.contains(&Step::HalfClose)
    }

    /// The bytes of every event the scenario sends, floods aside.
    fn event_bytes(&self) -> u64 {
        let sizes = self.steps.iter().flat_map(|step| match step {
            Step::Burst(sizes) => sizes.as_slice(),
            _ => &[],
        });
        let finish: &[u32] = match &self.finish {
            Finish::Fail(sizes) | Finish::Panic(sizes) => sizes,
            _ => &[],
        };
        sizes
            .chain(&self.first)
            .chain(finish)
            .map(|&size| u64::from(size))
            .sum()
    }
}

// ---------------------------------------------------------------------------
// The plan: what the client does and waits for, decided from the scenario
// alone (so that both servers get the same), and what may be compared.

/// One thing the client does.
#[derive(Debug)]
enum Action {
    /// Writes bytes (in order, without waiting for the server to take them).
    Write(Vec<u8>),
    /// Sends a run of items to the stream.
    Run(Vec<Item>),
    /// Reads until the stream has given this much.
    ReadUntil(Progress),
    /// Waits until the stream has started (on the lean path: has left
    /// hyper).
    WaitStarted,
    /// Waits until `/stream` has ended.
    WaitEnded,
    HalfClose,
    Close,
    Reset,
    /// Triggers the server's shutdown.
    Shutdown,
    /// Reads until the server closes the connection.
    ReadToEnd,
}

/// How far the stream has come: the blank lines of its events (each event,
/// and the opening comment, ends with one), or for a raw body its bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Progress {
    blank_lines: u64,
    bytes: u64,
}

struct Plan {
    mode: Mode,
    first: Vec<Item>,
    actions: Vec<Action>,
    grace: Duration,
    /// Whether both clients must read exactly the same bytes; else (a
    /// stream cut while its client had stopped reading) the same as far as
    /// both go.
    exact: bool,
    /// Whether the hooks' counts are compared, not only their reasons.
    counts: bool,
    /// Whether the hooks' reasons are compared, not only which streams
    /// ended.
    reasons: bool,
    /// Whether the stream's farewell may be missing (a shutdown with a
    /// grace period of zero): its chunk is left out of the comparison.
    farewell_optional: bool,
    /// Whether the client left: only `/stream`'s end is compared.
    gone: bool,
}

/// What the client sends after everything else on a connection the server
/// keeps open: the last request, answered, then the connection closed.
const BYE: &[u8] = b"GET /bye HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";

fn plan(scenario: &Scenario) -> Plan {
    let raw = scenario.raw();
    let (mode, ids, line_ending) = match &scenario.body {
        Body::Raw => (Mode::Raw, false, LineEnding::Lf),
        Body::Sse {
            retry,
            line_ending,
            error_event,
            farewell,
            ids,
        } => {
            let line_ending = match line_ending {
                Ending::Lf => LineEnding::Lf,
                Ending::CrLf => LineEnding::CrLf,
                Ending::Cr => LineEnding::Cr,
            };
            let options = SseOptions {
                retry: retry.then_some(Duration::from_millis(1500)),
                line_ending,
                error_event: *error_event,
                farewell: *farewell,
                send_timeout: (scenario.finish == Finish::SendTimeout)
                    .then_some(Duration::from_millis(300)),
            };
            (Mode::Sse(options), *ids, line_ending)
        }
    };
    let _ = line_ending;
    let farewell = matches!(scenario.body, Body::Sse { farewell: true, .. });
    let mut numbered = 0u64;
    let mut items = |sizes: &[u32], progress: &mut Progress| -> Vec<Item> {
        sizes
            .iter()
            .map(|&size| {
                numbered += 1;
                let payload = payload(numbered, size as usize);
                progress.bytes += u64::from(size);
                progress.blank_lines += 1;
                if raw {
                    Item::Frame(payload.into())
                } else if ids {
                    Item::Event(Event::data(payload).id(numbered.to_string()).unwrap())
                } else {
                    Item::Event(Event::data(payload))
                }
            })
            .collect()
    };
    // Raw bodies are followed by their bytes, event streams by their events
    // (and their opening comment).
    let mut sent = Progress::default();
    if !raw {
        sent.blank_lines = 1;
    }
    let first = items(&scenario.first, &mut sent);
    let target = |sent: Progress| {
        if raw {
            Progress {
                blank_lines: 0,
                bytes: sent.bytes,
            }
        } else {
            Progress {
                blank_lines: sent.blank_lines,
                bytes: 0,
            }
        }
    };

    let mut actions = Vec::new();
    let mut request = b"GET /stream HTTP/1.1\r\nHost: x\r\n\r\n".to_vec();
    for extra in &scenario.with_request {
        request.extend(extra.bytes());
    }
    actions.push(Action::Write(request));
    // The client's state, as both servers must leave it.
    let mut held = !scenario.with_request.is_empty(); // the server holds bytes of ours
    let mut reading = true;
    let mut stalled = false; // stopped, with something sent since
    let mut alive = true; // the stream runs
    let mut body_open = true; // the body may still be given runs
    let mut half_closed = false;
    let mut started = false;
    let mut cut_while_stalled = false;
    let start = |actions: &mut Vec<Action>, started: &mut bool| {
        if !std::mem::replace(started, true) {
            actions.push(Action::WaitStarted);
        }
    };
    for step in &scenario.steps {
        if !matches!(step, Step::Send(_)) {
            start(&mut actions, &mut started);
        }
        match step {
            Step::Burst(sizes) if alive => {
                actions.push(Action::Run(items(sizes, &mut sent)));
                if reading {
                    actions.push(Action::ReadUntil(target(sent)));
                } else {
                    stalled = true;
                }
            }
            // Trailers end the body: hyper then writes its last chunk
            // (trailers go only to a client that asked with `TE: trailers`).
            Step::Trailers if alive && raw => {
                // They end the body on both paths (it is dropped at once):
                // what the client does next comes after that end, not in a
                // race with it.
                actions.push(Action::Run(vec![Item::Trailers]));
                actions.push(Action::WaitEnded);
                alive = false;
            }
            Step::Stop => reading = false,
            Step::Resume if !reading => {
                reading = true;
                if alive {
                    actions.push(Action::ReadUntil(target(sent)));
                    stalled = false;
                }
            }
            Step::Send(extra) if !half_closed => {
                actions.push(Action::Write(extra.bytes()));
                held = true;
            }
            Step::HalfClose if !half_closed => {
                actions.push(Action::HalfClose);
                half_closed = true;
                // A half-close with nothing before it is a client that has
                // gone; after something, hyper reads no more (its EOF waits).
                if !held && alive {
                    actions.push(Action::WaitEnded);
                    alive = false;
                    body_open = false;
                    cut_while_stalled |= stalled;
                }
            }
            _ => {}
        }
    }
    start(&mut actions, &mut started);
    let mut gone = false;
    let mut reasons = true;
    let mut farewell_optional = false;
    let mut send_timeout = false;
    let mut exact = true;
    let mut grace = PATIENCE;
    // Whether the server keeps the connection once the stream has ended.
    let mut keeps_connection = true;
    match &scenario.finish {
        Finish::End => {}
        Finish::Fail(sizes) | Finish::Panic(sizes) if body_open && alive => {
            let mut run = items(sizes, &mut sent);
            run.push(match scenario.finish {
                Finish::Fail(_) => Item::Fail,
                _ => Item::Panic,
            });
            actions.push(Action::Run(run));
            body_open = false;
            if raw {
                // A raw body's failure cuts the connection.
                keeps_connection = false;
                cut_while_stalled |= stalled;
            }
        }
        Finish::Fail(_) | Finish::Panic(_) => {}
        Finish::Close | Finish::Reset => {
            actions.push(if scenario.finish == Finish::Close {
                Action::Close
            } else {
                Action::Reset
            });
            gone = true;
            // What the client had read when it left, past what it waited
            // for (the rest of a chunk the socket split: its CRLF), is
            // timing: compared as far as both go.
            cut_while_stalled = true;
            // The server finds the client gone by its next read: the stream
            // is not ended besides, or which came first would be timing.
            // Unless the server holds bytes of ours and reads no more: then
            // only the stream's end ends it.
            if !held {
                body_open = false;
            } else if stalled {
                // Held bytes, a full socket: the server neither reads nor
                // polls the stream, and whichever of the stream's end and
                // the client's reset reaches it first is its reason.
                reasons = false;
            }
        }
        Finish::Shutdown { grace_zero } => {
            actions.push(Action::Shutdown);
            keeps_connection = false;
            if *grace_zero {
                grace = Duration::ZERO;
                body_open = false;
                // Whether the stream's farewell, and its last chunk, go out
                // first is whether it saw the shutdown before the grace
                // period's end, both due at once: timing. The stream is cut
                // where it was.
                cut_while_stalled = true;
                farewell_optional = farewell && !raw;
            } else if farewell && !raw {
                body_open = false;
                if stalled {
                    // Events given to a stream whose client stopped reading
                    // cannot be waited for at the client: whether the stream
                    // took them before it saw the shutdown is timing, and so
                    // whether they go before the farewell.
                    cut_while_stalled = true;
                    farewell_optional = true;
                }
            }
        }
        Finish::SendTimeout if !raw && alive => {
            reading = false;
            actions.push(Action::Run(vec![Item::Flood(64 * 1024)]));
            actions.push(Action::WaitEnded);
            body_open = false;
            keeps_connection = false;
            send_timeout = true;
        }
        Finish::SendTimeout => {}
    }
    if body_open {
        actions.push(Action::Run(vec![Item::End]));
    }
    if gone {
        actions.push(Action::WaitEnded);
    } else if send_timeout {
        // The stream has ended (`WaitEnded` above), and what the server had
        // queued for the client is still on its way: the kernel sends it
        // after the close, into a window a small buffer keeps shut for
        // seconds (zero-window probes back off). Only a prefix is compared:
        // the client leaves.
        actions.push(Action::Close);
    } else {
        if keeps_connection && !half_closed && !send_timeout {
            actions.push(Action::Write(BYE.to_vec()));
        }
        let _ = reading;
        actions.push(Action::ReadToEnd);
    }
    if send_timeout || cut_while_stalled {
        exact = false;
    }
    Plan {
        mode,
        first,
        actions,
        grace,
        exact,
        counts: exact && reasons && !farewell_optional,
        reasons,
        farewell_optional,
        gone,
    }
}

impl Extra {
    fn bytes(&self) -> Vec<u8> {
        match self {
            Extra::Get(target) => {
                let path = match target {
                    Target::Finite => "/finite",
                    Target::Json => "/json",
                    Target::Missing => "/missing",
                };
                format!("GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").into_bytes()
            }
            Extra::Garbage { len, seed } => garbage(usize::from(*len), *seed),
            Extra::Requests(count) => {
                let padded = format!(
                    "GET /json HTTP/1.1\r\nHost: x\r\nX-Pad: {}\r\n\r\n",
                    "p".repeat(1024)
                );
                padded.repeat(usize::from(*count)).into_bytes()
            }
            Extra::Junk(len) => b"not http at all; "
                .iter()
                .copied()
                .cycle()
                .take(*len as usize)
                .collect(),
        }
    }
}

/// `len` bytes that are no request: random bytes, the start of a request
/// cut short, printable junk with line ends, or empty lines (which hyper
/// skips before a request).
fn garbage(len: usize, seed: u8) -> Vec<u8> {
    let mut random = SplitMix(u64::from(seed));
    match seed % 4 {
        0 => (0..len).map(|_| random.next() as u8).collect(),
        1 => {
            let request = format!(
                "GET /json HTTP/1.1\r\nHost: x\r\nX-Pad: {}\r\n\r\n",
                "p".repeat(len)
            );
            request.as_bytes()[..len].to_vec()
        }
        2 => (0..len)
            .map(|_| match random.next() % 8 {
                0 => b'\r',
                1 => b'\n',
                n => b"ab: :"[n as usize % 5],
            })
            .collect(),
        _ => b"\r\n".iter().copied().cycle().take(len).collect(),
    }
}

/// splitmix64: the test's own numbers from a seed.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

// ---------------------------------------------------------------------------
// One scenario against one server.

/// What one client saw and its server reported.
#[derive(Debug)]
struct Run {
    path: &'static str,
    client: Option<SocketAddr>,
    /// How many streams of a client at that address had left hyper's
    /// connection before (an earlier scenario's client may have had it).
    left_before: usize,
    /// Everything the client read, `date` values blanked.
    bytes: Vec<u8>,
    /// How each stream ended (only `/stream` if the client left).
    ends: Vec<Ended>,
    /// A wait that failed, or a framing error found while reading.
    error: Option<String>,
}

async fn run(scenario: &Scenario, with: ServeWith) -> Run {
    let plan = plan(scenario);
    let path = match with {
        ServeWith::SseRuntime => "lean path",
        _ => "hyper's path",
    };
    let (router, mut driven) = driven::app(plan.mode.clone(), plan.first.clone());
    let shutdown = Shutdown::new().with_grace_period(plan.grace);
    let server = serve_with(with, router, shutdown.clone()).await;
    let mut run = Run {
        path,
        client: None,
        left_before: 0,
        bytes: Vec::new(),
        ends: Vec::new(),
        error: None,
    };
    let mut client = match Client::connect(server.addr, scenario).await {
        Ok(client) => client,
        Err(error) => {
            run.error = Some(error);
            return run;
        }
    };
    run.client = Some(client.local);
    run.left_before = LeftHyper::global().count(client.local);
    let mut result = Ok(());
    for action in plan.actions {
        result = match action {
            Action::Write(bytes) => client.write(bytes),
            Action::Run(items) => {
                driven.commands.send(items);
                Ok(())
            }
            Action::ReadUntil(target) => client.read_until(target).await,
            Action::WaitStarted => driven.ends.started().await,
            Action::WaitEnded => driven.ends.of("/stream").await.map(drop),
            Action::HalfClose => client.half_close(),
            Action::Close => client.leave(false).await,
            Action::Reset => client.leave(true).await,
            Action::Shutdown => {
                shutdown.trigger();
                Ok(())
            }
            Action::ReadToEnd => client.read_to_end().await,
        };
        if result.is_err() {
            break;
        }
    }
    run.bytes = blank_dates(&client.seen);
    if let Err(error) = result {
        run.error = Some(error);
        return run;
    }
    let ends = if plan.gone {
        driven.ends.of("/stream").await.map(|ended| vec![ended])
    } else {
        driven.ends.all().await
    };
    match ends {
        Ok(ends) => run.ends = ends,
        Err(error) => run.error = Some(error),
    }
    run
}

/// The test's client: a socket it reads in pieces, and a task that writes
/// what it sends in order, so that a blob the server does not read yet
/// blocks nothing else.
struct Client {
    local: SocketAddr,
    reader: Option<OwnedReadHalf>,
    writes: mpsc::UnboundedSender<Write>,
    /// Stops the writer, abandoning what it has not written.
    stop: Option<oneshot::Sender<()>>,
    writer: tokio::task::JoinHandle<OwnedWriteHalf>,
    seen: Vec<u8>,
    pieces: Option<SplitMix>,
    stream: StreamProgress,
}

enum Write {
    Bytes(Vec<u8>),
    HalfClose,
}

/// How far `/stream`'s response has come at the client.
#[derive(Default)]
struct StreamProgress {
    /// Where the undecoded bytes start in `seen`, once the head is read.
    at: Option<usize>,
    decoder: ChunkedDecoder,
    lines: Lines,
    progress: Progress,
}

impl Client {
    async fn connect(addr: SocketAddr, scenario: &Scenario) -> Result<Self, String> {
        let socket = TcpSocket::new_v4().map_err(|e| e.to_string())?;
        if scenario.small_buffer {
            socket
                .set_recv_buffer_size(4096)
                .map_err(|e| e.to_string())?;
        }
        let socket = socket.connect(addr).await.map_err(|e| e.to_string())?;
        let local = socket.local_addr().map_err(|e| e.to_string())?;
        let (reader, mut writer) = socket.into_split();
        let (writes, mut to_write) = mpsc::unbounded_channel();
        let (stop, mut stopped) = oneshot::channel::<()>();
        // The stop has a channel of its own: a write waiting for the server
        // must not take (and lose) the next one from the queue.
        let writer = tokio::spawn(async move {
            loop {
                // Writes first: what the plan sent before the client left is
                // in the socket (as much as it takes at once) before the
                // stop, else whether the server holds bytes of the client's
                // when it resets would be timing.
                let write = tokio::select! {
                    biased;
                    write = to_write.recv() => write,
                    _ = &mut stopped => return writer,
                };
                match write {
                    // The server may stop reading, close or reset: the
                    // client goes on (a later step may stop it).
                    Some(Write::Bytes(bytes)) => tokio::select! {
                        biased;
                        _ = writer.write_all(&bytes) => {}
                        _ = &mut stopped => return writer,
                    },
                    Some(Write::HalfClose) => {
                        let _ = writer.shutdown().await;
                    }
                    None => return writer,
                }
            }
        });
        Ok(Self {
            local,
            reader: Some(reader),
            writes,
            stop: Some(stop),
            writer,
            seen: Vec::new(),
            pieces: match scenario.reads {
                Reads::Pieces(seed) => Some(SplitMix(seed)),
                Reads::Bytewise => None,
            },
            stream: StreamProgress::default(),
        })
    }

    fn write(&mut self, bytes: Vec<u8>) -> Result<(), String> {
        let _ = self.writes.send(Write::Bytes(bytes));
        Ok(())
    }

    fn half_close(&mut self) -> Result<(), String> {
        let _ = self.writes.send(Write::HalfClose);
        Ok(())
    }

    /// Closes the connection (`reset`: with `SO_LINGER` 0, so a reset),
    /// abandoning what is not written yet.
    async fn leave(&mut self, reset: bool) -> Result<(), String> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let writer = tokio::time::timeout(PATIENCE, &mut self.writer)
            .await
            .map_err(|_| "the client's writer did not stop".to_owned())?
            .ok();
        let reader = self.reader.take().expect("the client leaves once");
        match writer {
            Some(writer) => {
                let socket = reader.reunite(writer).map_err(|e| e.to_string())?;
                if reset {
                    socket.set_zero_linger().map_err(|e| e.to_string())?;
                }
                drop(socket);
            }
            None => drop(reader),
        }
        Ok(())
    }

    /// The size of the next read.
    fn piece(&mut self) -> usize {
        const SIZES: [usize; 14] = [
            1, 2, 3, 7, 16, 100, 255, 256, 257, 1000, 4096, 16_384, 65_536, 262_144,
        ];
        match &mut self.pieces {
            Some(random) => SIZES[(random.next() % SIZES.len() as u64) as usize],
            None => 1,
        }
    }

    /// One read; `Ok(false)` at the end of the connection (EOF or a reset).
    async fn read_piece(&mut self, buf: &mut [u8]) -> Result<bool, String> {
        let piece = self.piece();
        let reader = self.reader.as_mut().expect("reading a connection left");
        match reader.read(&mut buf[..piece]).await {
            Ok(0) | Err(_) => Ok(false),
            Ok(n) => {
                self.seen.extend_from_slice(&buf[..n]);
                self.stream.update(&self.seen)?;
                Ok(true)
            }
        }
    }

    async fn read_until(&mut self, target: Progress) -> Result<(), String> {
        let mut buf = vec![0; 262_144];
        let reached = |p: Progress| p.blank_lines >= target.blank_lines && p.bytes >= target.bytes;
        let reading = async {
            while !reached(self.stream.progress) {
                if !self.read_piece(&mut buf).await? {
                    return Err(format!(
                        "the connection ended before the stream came to {target:?} (it came to \
                         {:?})",
                        self.stream.progress
                    ));
                }
            }
            Ok(())
        };
        match tokio::time::timeout(PATIENCE, reading).await {
            Ok(result) => result,
            Err(_) => Err(format!(
                "waited {PATIENCE:?} for the stream to come to {target:?} (it came to {:?})",
                self.stream.progress
            )),
        }
    }

    async fn read_to_end(&mut self) -> Result<(), String> {
        let mut buf = vec![0; 262_144];
        let reading = async {
            while self.read_piece(&mut buf).await? {}
            Ok(())
        };
        match tokio::time::timeout(PATIENCE, reading).await {
            Ok(result) => result,
            Err(_) => Err(format!(
                "waited {PATIENCE:?} for the server to close the connection"
            )),
        }
    }
}

impl StreamProgress {
    /// Decodes what `seen` adds to `/stream`'s response (the first).
    fn update(&mut self, seen: &[u8]) -> Result<(), String> {
        let at = match self.at {
            Some(at) => at,
            None => {
                let Some(end) = seen.windows(4).position(|w| w == b"\r\n\r\n") else {
                    return Ok(());
                };
                let head = String::from_utf8_lossy(&seen[..end]).to_lowercase();
                if !head.starts_with("http/1.1 200 ")
                    || !head.contains("transfer-encoding: chunked")
                {
                    return Err(format!(
                        "the stream's response is not a chunked 200: {head:?}"
                    ));
                }
                end + 4
            }
        };
        if self.decoder.is_done() {
            self.at = Some(at);
            return Ok(());
        }
        let (lines, progress) = (&mut self.lines, &mut self.progress);
        let used = self
            .decoder
            .feed(&seen[at..], |data| {
                progress.bytes += data.len() as u64;
                lines.feed(data, |line| {
                    progress.blank_lines += u64::from(line.is_empty())
                });
            })
            .map_err(|error| format!("FRAMING ERROR in the stream's response: {error}"))?;
        self.at = Some(at + used);
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// The comparison.

/// Runs `scenario` against both servers at once; `Err` says how they
/// differ.
fn check(scenario: &Scenario) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (lean, hyper) = runtime.block_on(async {
        tokio::join!(
            run(scenario, ServeWith::SseRuntime),
            run(scenario, ServeWith::SseRuntimeHyperPath)
        )
    });
    drop(runtime);
    compare(scenario, &lean, &hyper)
}

/// `bytes` without its last response if that is hyper's answer to bytes
/// that are no request (`400 Bad Request` or `431 Request Header Fields Too
/// Large`, after which hyper closes the connection): which of the two, or
/// none, depends on where hyper's reads cut what the client sent (the module
/// docs).
fn before_answer_to_garbage(bytes: &[u8]) -> &[u8] {
    let transcript = Transcript::read(bytes);
    match transcript.responses.last() {
        Some(last)
            if matches!(last.status, 400 | 431) && last.complete && transcript.rest.is_empty() =>
        {
            &bytes[..last.at]
        }
        _ => bytes,
    }
}

/// `bytes` up to the end of the first response: at a shutdown, the
/// stream's. What follows it is the connection's last moments, which the
/// shutdown's timing decides: a shutdown that comes while hyper's connection
/// is being polled (not before: `tests/lifecycle.rs` pins that) can see
/// hyper answer a request it already holds.
fn through_first_response(bytes: &[u8]) -> &[u8] {
    match Transcript::read(bytes).responses.get(1) {
        Some(second) => &bytes[..second.at],
        None => bytes,
    }
}

/// `bytes` up to the last chunk that ends a chunked body, if they end with
/// one: a stream cut while its client had stopped reading (a grace period of
/// zero) ends where the cut came, which is timing.
fn without_last_chunk(bytes: &[u8]) -> &[u8] {
    bytes
        .strip_suffix(b"\r\n0\r\n\r\n")
        .map_or(bytes, |rest| &bytes[..rest.len() + 2])
}

/// `bytes` without the chunk of a farewell event (`event: shutdown`), if
/// there is one.
fn without_farewell(bytes: &[u8]) -> Vec<u8> {
    const FAREWELL: &[u8] = b"\r\nevent: shutdown";
    let Some(at) = bytes.windows(FAREWELL.len()).position(|w| w == FAREWELL) else {
        return bytes.to_vec();
    };
    // The chunk's size line ends at `at`; it starts after the previous CRLF.
    let start = bytes[..at]
        .windows(2)
        .rposition(|w| w == b"\r\n")
        .map_or(0, |n| n + 2);
    let size = std::str::from_utf8(&bytes[start..at])
        .ok()
        .and_then(|hex| usize::from_str_radix(hex, 16).ok());
    match size {
        Some(size) if at + 2 + size + 2 <= bytes.len() => {
            [&bytes[..start], &bytes[at + 2 + size + 2..]].concat()
        }
        _ => bytes.to_vec(),
    }
}

fn compare(scenario: &Scenario, lean: &Run, hyper: &Run) -> Result<(), String> {
    let plan = plan(scenario);
    let mut problems = Vec::new();
    for run in [lean, hyper] {
        if let Some(error) = &run.error {
            problems.push(format!("{}: {error}", run.path));
        }
        if let Some(error) = Transcript::read(&run.bytes).error {
            problems.push(format!("{}: FRAMING ERROR: {error}", run.path));
        }
    }
    let (a, b) = if scenario.sends_garbage() {
        (
            before_answer_to_garbage(&lean.bytes),
            before_answer_to_garbage(&hyper.bytes),
        )
    } else {
        (&lean.bytes[..], &hyper.bytes[..])
    };
    let (a, b) = if plan.farewell_optional {
        (&without_farewell(a)[..], &without_farewell(b)[..])
    } else {
        (a, b)
    };
    let only_the_stream = matches!(scenario.finish, Finish::Shutdown { .. })
        || scenario.half_closes_behind_requests();
    let (a, b) = if only_the_stream {
        (through_first_response(a), through_first_response(b))
    } else {
        (a, b)
    };
    let (a, b) = (&a.to_vec(), &b.to_vec());
    // A reset loses what was on its way, whole responses too.
    let reset = scenario.may_close_unread();
    let bytes_agree = if plan.exact && !reset {
        a == b
    } else {
        // Where the stream was cut, its last chunk is where the cut came:
        // as far as both go, they agree up to it.
        let (a, b) = (without_last_chunk(a), without_last_chunk(b));
        a.starts_with(b) || b.starts_with(a)
    };
    if !bytes_agree {
        let how = first_difference(a, b).unwrap_or_default();
        problems.push(format!(
            "the clients read different bytes{}: {how}\n  lean path:\n{}  hyper's path:\n{}",
            if plan.exact {
                ""
            } else {
                " (even as far as both go)"
            },
            Transcript::read(a).summary(),
            Transcript::read(b).summary()
        ));
    }
    let ends_of = |run: &Run| -> Vec<Ended> {
        run.ends
            .iter()
            .filter(|end| !only_the_stream || end.route == "/stream")
            .cloned()
            .collect()
    };
    let (lean_ends, hyper_ends) = (ends_of(lean), ends_of(hyper));
    let reasons = |ends: &[Ended]| -> Vec<(&'static str, String)> {
        ends.iter().map(|e| (e.route, e.reason.clone())).collect()
    };
    let routes = |ends: &[Ended]| ends.iter().map(|e| e.route).collect::<Vec<_>>();
    let ends_agree = if plan.counts {
        lean_ends == hyper_ends
    } else if plan.reasons {
        reasons(&lean_ends) == reasons(&hyper_ends)
    } else {
        routes(&lean_ends) == routes(&hyper_ends)
    };
    if !ends_agree && lean.error.is_none() && hyper.error.is_none() {
        problems.push(format!(
            "the servers report different ends{}:\n  lean path:    {:?}\n  hyper's path: {:?}",
            if plan.counts { "" } else { " (reasons)" },
            lean.ends,
            hyper.ends
        ));
    }
    if let (Some(lean_client), Some(hyper_client)) = (lean.client, hyper.client) {
        let left = LeftHyper::global();
        if left.count(lean_client) == lean.left_before && lean.error.is_none() {
            problems.push("the lean server's stream never left hyper's connection".into());
        }
        if left.count(hyper_client) != hyper.left_before {
            problems.push("a stream left hyper's connection on hyper's path".into());
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("\n"))
    }
}

// ---------------------------------------------------------------------------
// Seeds, shrinking, the corpus.

/// The scenario a seed generates: the same for the same seed, whatever ran
/// before.
fn tree_of(seed: u64) -> impl ValueTree<Value = Scenario> {
    let mut bytes = [0u8; 32];
    let mut random = SplitMix(seed);
    for chunk in bytes.chunks_mut(8) {
        chunk.copy_from_slice(&random.next().to_le_bytes());
    }
    let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &bytes);
    let mut runner = TestRunner::new_with_rng(Config::default(), rng);
    scenario()
        .new_tree(&mut runner)
        .expect("scenarios are generated without rejection")
}

/// The seed of the `case`th scenario of a run seeded with `seed`.
fn case_seed(seed: u64, case: u64) -> u64 {
    SplitMix(seed ^ case.wrapping_mul(0x2545_f491_4f6c_dd1d)).next()
}

/// Checks the scenario `seed` generates; if it fails, shrinks it and
/// panics with the seed, the minimal scenario and its corpus entry.
fn check_seed(seed: u64, label: &str) {
    let mut tree = tree_of(seed);
    let Err(failure) = check(&tree.current()) else {
        return;
    };
    let original = tree.current();
    eprintln!("{label}: scenario seed {seed:#x} failed:\n{failure}\nshrinking…");
    // proptest's shrinking: simplify while it still fails, else complicate.
    let (mut minimal, mut minimal_failure, mut runs) = (original.clone(), failure.clone(), 0);
    if tree.simplify() {
        loop {
            runs += 1;
            let candidate = tree.current();
            let failed = match check(&candidate) {
                Err(failure) => {
                    minimal = candidate;
                    minimal_failure = failure;
                    true
                }
                Ok(()) => false,
            };
            let more = if failed {
                tree.simplify()
            } else {
                tree.complicate()
            };
            if !more || runs >= 500 {
                break;
            }
        }
    }
    let again = (0..3).filter(|_| check(&minimal).is_err()).count();
    panic!(
        "{label}: scenario seed {seed:#x} differs between the lean path and hyper's path.\n\
         \nThe scenario:\n{}\n\nMinimized in {runs} runs (fails {again} of 3 runs again):\n{}\n\n\
         {minimal_failure}\n\nAs a corpus entry (tests/differential_corpus.json):\n{}\n\n\
         Replay: DIFFERENTIAL_REPLAY={seed:#x} cargo test --test differential -- --ignored replay",
        serde_json::to_string(&original).unwrap(),
        serde_json::to_string_pretty(&minimal).unwrap(),
        serde_json::to_string(&CorpusEntry {
            name: format!("found by seed {seed:#x}"),
            why: "(what it shows)".into(),
            scenario: minimal.clone(),
        })
        .unwrap(),
    );
}

/// A scenario kept in the corpus.
#[derive(Serialize, Deserialize)]
struct CorpusEntry {
    name: String,
    why: String,
    scenario: Scenario,
}

fn corpus() -> Vec<CorpusEntry> {
    serde_json::from_str(include_str!("differential_corpus.json"))
        .expect("tests/differential_corpus.json is a list of entries")
}

/// The generated sample `cargo test` runs besides the corpus.
const SAMPLE_SEED: u64 = 0x5e55_1a7e;
const SAMPLE_CASES: u64 = 40;

fn seed_from(name: &str) -> Option<u64> {
    let text = std::env::var(name).ok()?;
    let text = text.trim();
    Some(match text.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16).expect("a hex seed"),
        None => text.parse().expect("a seed"),
    })
}

fn set_up() {
    LeftHyper::global();
    driven::quiet_planned_panics();
}

#[test]
fn the_corpus_and_a_fixed_sample_agree_on_both_paths() {
    set_up();
    let started = Instant::now();
    let mut failures = Vec::new();
    // `DIFFERENTIAL_ONLY=<part of a name>`: those corpus entries alone.
    let only = std::env::var("DIFFERENTIAL_ONLY").ok();
    let chosen = |entry: &CorpusEntry| only.as_ref().is_none_or(|part| entry.name.contains(part));
    for entry in corpus().into_iter().filter(chosen) {
        if let Err(failure) = check(&entry.scenario) {
            failures.push(format!(
                "corpus entry {:?} ({}):\n{failure}",
                entry.name, entry.why
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    if only.is_some() {
        return;
    }
    let corpus_time = started.elapsed();
    for case in 0..SAMPLE_CASES {
        check_seed(case_seed(SAMPLE_SEED, case), &format!("sample case {case}"));
    }
    println!(
        "{} corpus scenarios in {corpus_time:?}, {SAMPLE_CASES} generated in {:?}",
        corpus().len(),
        started.elapsed() - corpus_time
    );
}

#[test]
#[ignore = "minutes: DIFFERENTIAL_MINUTES (default 5), DIFFERENTIAL_SEED"]
fn many_scenarios() {
    set_up();
    let minutes: f64 = std::env::var("DIFFERENTIAL_MINUTES")
        .ok()
        .and_then(|m| m.parse().ok())
        .unwrap_or(5.0);
    let seed = seed_from("DIFFERENTIAL_SEED").unwrap_or_else(|| {
        use std::hash::{BuildHasher, RandomState};
        RandomState::new().hash_one(Instant::now())
    });
    println!("run seed {seed:#x} (DIFFERENTIAL_SEED={seed:#x} runs these scenarios again)");
    let limit = Duration::from_secs_f64(minutes * 60.0);
    let started = Instant::now();
    let mut case = 0;
    while started.elapsed() < limit {
        check_seed(
            case_seed(seed, case),
            &format!("case {case} of run seed {seed:#x}"),
        );
        case += 1;
    }
    let per_minute = case as f64 / started.elapsed().as_secs_f64() * 60.0;
    println!(
        "{case} scenarios in {:.0?}: {per_minute:.0} a minute",
        started.elapsed()
    );
}

#[test]
#[ignore = "DIFFERENTIAL_REPLAY=<scenario seed>"]
fn replay() {
    set_up();
    let Some(seed) = seed_from("DIFFERENTIAL_REPLAY") else {
        println!("set DIFFERENTIAL_REPLAY to a scenario's seed");
        return;
    };
    println!(
        "{}",
        serde_json::to_string_pretty(&tree_of(seed).current()).unwrap()
    );
    check_seed(seed, "replay");
}
