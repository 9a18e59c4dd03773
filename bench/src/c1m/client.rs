//! `sse-bench --c1m-client ADDR PATH FIRST COUNT IN_FLIGHT`: one process
//! holding a share of the `c1m` streams at as little memory per stream as
//! it can, so that the clients of a million streams fit on the box beside
//! their servers.
//!
//! A stream is a task of a single-threaded runtime holding its socket and a
//! [`Parser`] (a few dozen bytes); every stream reads through one buffer of
//! the process (`try_read` once the socket is readable), and what it counts
//! goes to one tally, so nothing per stream is allocated but the task and
//! tokio's registration of the socket. Opening is bounded by `IN_FLIGHT`
//! streams at once, each tried again (up to [`RETRIES`] times, after a
//! pause) when it fails to connect or is refused.
//!
//! It says, one line each on stdout:
//! - `WARM` once its first stream follows the topic (or `FAILED <why>`);
//! - after `GO` on stdin, `OPENING <open>` every two seconds, then
//!   `OPENED <open> <failed> <retries> <ms>` once every stream is open or
//!   has failed for good;
//! - `DONE <sent> <count> <worst µs> <histogram>` once every open stream has
//!   the event published at `sent`;
//! - after `DEADLINE <µs since the epoch>` on stdin, nothing: deliveries
//!   after it are counted as late, not delivered;
//! - after `TALLY` on stdin, `PARTIAL …` (as `DONE`) for each event not yet
//!   everywhere, then `TALLY <deliveries> <gap notices> <ended> <late>`.
//!
//! It exits when its stdin closes.

use std::cell::RefCell;
use std::collections::HashMap;
use std::io::Write as _;
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::Semaphore;

use super::histogram::Histogram;
use super::parse::{Parser, Seen};
use crate::load::{connect, now_micros};

/// How many times a stream that failed to open is tried again.
pub const RETRIES: u32 = 5;

/// What the process's streams share.
struct Shared {
    addr: SocketAddr,
    request: Vec<u8>,
    /// The one read buffer of every stream.
    buffer: RefCell<Vec<u8>>,
    opening: Semaphore,
    tally: RefCell<Tally>,
}

#[derive(Default)]
struct Tally {
    open: u64,
    failed: u64,
    retries: u64,
    ended: u64,
    named: u64,
    deliveries: u64,
    /// Publish time → deliveries so far.
    messages: HashMap<u64, Message>,
    /// Deliveries after the deadline (`DEADLINE` on stdin, in µs since the
    /// epoch): not counted as delivered.
    deadline: Option<u64>,
    late: u64,
    /// Set when every stream has been tried: the opening is reported then.
    to_open: u64,
    opening_started: Option<Instant>,
}

#[derive(Default)]
struct Message {
    count: u64,
    /// Streams that had it and have ended since: no longer live, so not
    /// counted against the live ones.
    gone: u64,
    worst: u64,
    latencies: Histogram,
}

impl Tally {
    fn live(&self) -> u64 {
        self.open - self.ended
    }

    /// A stream ended; `last` is the last message it had.
    fn stream_ended(&mut self, last: u64) {
        self.ended += 1;
        for (sent, message) in &mut self.messages {
            if *sent <= last {
                message.gone += 1;
            }
        }
        self.report_complete();
    }

    fn delivered(&mut self, sent: u64) {
        let now = now_micros();
        if self.deadline.is_some_and(|deadline| now > deadline) {
            // After the steady rate's drain: late, not delivered.
            self.late += 1;
            return;
        }
        let latency = now.saturating_sub(sent);
        self.deliveries += 1;
        let message = self.messages.entry(sent).or_default();
        message.count += 1;
        message.worst = message.worst.max(latency);
        message.latencies.record(latency);
        self.report_complete();
    }

    /// `DONE` for each message every open stream has.
    fn report_complete(&mut self) {
        let live = self.live();
        let done: Vec<u64> = self
            .messages
            .iter()
            .filter(|(_, message)| message.count - message.gone >= live)
            .map(|(sent, _)| *sent)
            .collect();
        for sent in done {
            if let Some(message) = self.messages.remove(&sent) {
                say(&message_line("DONE", sent, &message));
            }
        }
    }

    /// `OPENED` once every stream has been tried.
    fn tried_one(&mut self) {
        if self.open + self.failed == self.to_open
            && let Some(started) = self.opening_started.take()
        {
            say(&format!(
                "OPENED {} {} {} {}",
                self.open,
                self.failed,
                self.retries,
                started.elapsed().as_millis()
            ));
        }
    }
}

fn message_line(word: &str, sent: u64, message: &Message) -> String {
    format!(
        "{word} {sent} {} {} {}",
        message.count,
        message.worst,
        message.latencies.encode()
    )
}

/// One line to the coordinator; a client whose coordinator is gone exits.
fn say(line: &str) {
    let mut stdout = std::io::stdout().lock();
    if writeln!(stdout, "{line}")
        .and_then(|()| stdout.flush())
        .is_err()
    {
        std::process::exit(0);
    }
}

/// The process's body (see the module docs).
pub fn main(args: &[String]) {
    let [addr, path, first, count, in_flight] = args else {
        say("FAILED usage: --c1m-client ADDR PATH FIRST COUNT IN_FLIGHT");
        return;
    };
    let (Ok(addr), Ok(first), Ok(count), Ok(in_flight)) = (
        addr.parse::<SocketAddr>(),
        first.parse::<usize>(),
        count.parse::<usize>(),
        in_flight.parse::<usize>(),
    ) else {
        say(&format!("FAILED bad --c1m-client arguments: {args:?}"));
        return;
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let shared = Rc::new(Shared {
        addr,
        request: format!("GET {path} HTTP/1.1\r\nhost: bench\r\naccept: text/event-stream\r\n\r\n")
            .into_bytes(),
        buffer: RefCell::new(vec![0; 64 * 1024]),
        opening: Semaphore::new(in_flight.max(1)),
        tally: RefCell::default(),
    });
    tokio::task::LocalSet::new().block_on(&runtime, run(shared, first, count));
}

async fn run(shared: Rc<Shared>, first: usize, count: usize) {
    let mut stdin = tokio::io::BufReader::new(tokio::io::stdin()).lines();
    // The first stream alone: the coordinator measures from here.
    match open(first, &shared).await {
        Ok((socket, parser)) => {
            shared.tally.borrow_mut().open = 1;
            tokio::task::spawn_local(read_on(socket, parser, shared.clone()));
            say("WARM");
        }
        Err(why) => {
            say(&format!("FAILED the first stream: {why}"));
            return;
        }
    }
    if !matches!(stdin.next_line().await, Ok(Some(line)) if line == "GO") {
        return;
    }
    {
        let mut tally = shared.tally.borrow_mut();
        tally.to_open = count as u64;
        tally.opening_started = Some(Instant::now());
        tally.tried_one();
    }
    // Progress while opening, ended by the `OPENED` line.
    let ticker = shared.clone();
    tokio::task::spawn_local(async move {
        loop {
            tokio::time::sleep(Duration::from_secs(2)).await;
            let tally = ticker.tally.borrow();
            if tally.opening_started.is_none() {
                break;
            }
            say(&format!("OPENING {}", tally.open));
        }
    });
    for index in first + 1..first + count {
        tokio::task::spawn_local(stream(index, shared.clone()));
    }
    while let Ok(Some(line)) = stdin.next_line().await {
        if let Some(deadline) = line.strip_prefix("DEADLINE ") {
            shared.tally.borrow_mut().deadline = deadline.parse().ok();
        } else if line == "TALLY" {
            let mut tally = shared.tally.borrow_mut();
            for (sent, message) in tally.messages.drain() {
                say(&message_line("PARTIAL", sent, &message));
            }
            say(&format!(
                "TALLY {} {} {} {}",
                tally.deliveries, tally.named, tally.ended, tally.late
            ));
        }
    }
}

/// One stream: opened (tried again on failure), then read until it ends.
async fn stream(index: usize, shared: Rc<Shared>) {
    // Boxed: the opening's state (the connect) is freed once open, and the
    // task keeps only what reading needs.
    let opened = Box::pin(open_with_retries(index, &shared)).await;
    match opened {
        Some((socket, parser)) => read_on(socket, parser, shared).await,
        None => {
            let mut tally = shared.tally.borrow_mut();
            tally.failed += 1;
            tally.tried_one();
        }
    }
}

async fn open_with_retries(index: usize, shared: &Shared) -> Option<(TcpStream, Parser)> {
    let _permit = shared.opening.acquire().await.ok()?;
    for attempt in 0..=RETRIES {
        if attempt > 0 {
            shared.tally.borrow_mut().retries += 1;
            tokio::time::sleep(Duration::from_millis(200) * attempt).await;
        }
        if let Ok(open) = open(index, shared).await {
            let mut tally = shared.tally.borrow_mut();
            tally.open += 1;
            tally.tried_one();
            return Some(open);
        }
    }
    None
}

/// Connects, asks, and reads until the stream follows the topic.
async fn open(index: usize, shared: &Shared) -> Result<(TcpStream, Parser), String> {
    let mut socket = connect(shared.addr, index)
        .await
        .map_err(|error| format!("connect: {error}"))?;
    socket
        .write_all(&shared.request)
        .await
        .map_err(|error| format!("request: {error}"))?;
    let mut parser = Parser::new();
    let limit = tokio::time::sleep(Duration::from_secs(60));
    tokio::pin!(limit);
    loop {
        tokio::select! {
            readable = socket.readable() => readable.map_err(|error| error.to_string())?,
            () = &mut limit => return Err("not subscribed within 60 s".into()),
        }
        let mut subscribed = Ok(false);
        match read_once(&socket, &mut parser, shared, |seen| match seen {
            Seen::Subscribed => subscribed = Ok(true),
            Seen::NotOk => subscribed = Err("refused (not 200)".to_owned()),
            Seen::End => subscribed = Err("ended before it subscribed".to_owned()),
            Seen::Data(_) | Seen::Named => {}
        }) {
            Some(true) => {}
            Some(false) => return Err("closed before it subscribed".into()),
            None => continue,
        }
        if subscribed? {
            return Ok((socket, parser));
        }
    }
}

/// One read into the shared buffer, fed to `parser`: `Some(false)` at the
/// end of the stream (or an error), `None` when there was nothing to read.
fn read_once(
    socket: &TcpStream,
    parser: &mut Parser,
    shared: &Shared,
    mut seen: impl FnMut(Seen),
) -> Option<bool> {
    let mut buffer = shared.buffer.borrow_mut();
    match socket.try_read(&mut buffer) {
        Ok(0) => Some(false),
        Ok(n) => {
            parser.feed(&buffer[..n], &mut seen);
            Some(true)
        }
        Err(error) if error.kind() == std::io::ErrorKind::WouldBlock => None,
        Err(_) => Some(false),
    }
}

/// Reads an open stream, counting what it gets, until it ends.
async fn read_on(socket: TcpStream, mut parser: Parser, shared: Rc<Shared>) {
    // The last message this stream had: messages come in order, so it had
    // every one published up to this one.
    let mut last = 0;
    loop {
        if socket.readable().await.is_err() {
            break;
        }
        let mut ended = false;
        let more = read_once(&socket, &mut parser, &shared, |seen| match seen {
            Seen::Data(sent) => {
                last = sent;
                shared.tally.borrow_mut().delivered(sent);
            }
            Seen::Named => shared.tally.borrow_mut().named += 1,
            Seen::End | Seen::NotOk => ended = true,
            Seen::Subscribed => {}
        });
        if more == Some(false) || ended {
            break;
        }
    }
    shared.tally.borrow_mut().stream_ended(last);
}
