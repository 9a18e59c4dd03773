//! The fan-out scenario: many subscribers, one publish at a time, time until
//! the last subscriber has it.
//!
//! The subscribers live in several load processes (`sse-bench --load-worker`,
//! one per core by default, `BENCH_LOAD_PROCS` to change it), each a
//! single-threaded runtime that reads its share of the streams. A worker
//! notes each message's delivery latency as its streams read it (the payload
//! is the publish time in microseconds) and, once all of its streams have the
//! message, prints one line: `DONE <sent> <worst latency µs>`. The
//! coordinator publishes, collects one such line per worker and keeps the
//! worst. Nothing per delivery crosses a thread or a process, so the load side
//! costs what reading the sockets costs and no more: in one process with a
//! channel per delivery and a multi-threaded runtime, the generator spent as
//! much CPU as the server under test.

use std::collections::HashMap;
use std::io::Write as _;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::AsyncReadExt;

use crate::load::{Helper, Reader, data_of, get_text, now_micros, percentile, streams_per_process};
use crate::target::Server;

/// How long a publish may take to reach every subscriber of a load process
/// before the round is abandoned.
pub const PUBLISH_LIMIT: Duration = Duration::from_secs(30);

/// Publish → last subscriber, p50 and p99 in ms, and deliveries per second.
pub type Outcome = (f64, f64, f64);

/// Where a fan-out subscribes and where it publishes.
pub struct Targets<'a> {
    /// The servers the subscribers are spread over (one server, or several
    /// processes whose hub shares Redis).
    pub subscribe_to: &'a [SocketAddr],
    /// The server each publish is sent to.
    pub publish_to: SocketAddr,
    /// The subscribe path and the publish path.
    pub paths: (&'a str, &'a str),
}

impl<'a> Targets<'a> {
    /// Subscribers and publishes on the one `server`.
    pub fn one(server: &'a Server, paths: (&'a str, &'a str)) -> Self {
        Targets {
            subscribe_to: std::slice::from_ref(&server.addr),
            publish_to: server.addr,
            paths,
        }
    }
}

/// An outcome for the progress output.
pub fn describe((p50, p99, rate): Outcome) -> String {
    format!(
        "last delivery p50 {p50:.1} ms p99 {p99:.1} ms, {:.2} M deliveries/s",
        rate / 1e6
    )
}

/// `subscribers` streams on the subscribe path, then `publishes` publishes
/// one after the other; why not, where it did not finish (a worker that
/// could not start or open its streams, a stream that ended, a publish not
/// delivered to every subscriber within 30 s).
pub async fn measure(
    targets: &Targets<'_>,
    subscribers: usize,
    publishes: usize,
) -> Result<Outcome, String> {
    let (subscribe, publish) = targets.paths;
    // One worker per core, but at least one per server, and never more
    // streams in a worker than its limit on open files lets it hold.
    let per_process = streams_per_process();
    let processes = std::env::var("BENCH_LOAD_PROCS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()))
        .max(targets.subscribe_to.len())
        .max(subscribers.div_ceil(per_process))
        .clamp(1, subscribers.max(1));
    let mut workers = Vec::new();
    let mut first = 0;
    for process in 0..processes {
        let count = subscribers / processes + usize::from(process < subscribers % processes);
        let addr = targets.subscribe_to[process % targets.subscribe_to.len()];
        let (addr, first_index, streams) = (addr.to_string(), first.to_string(), count.to_string());
        workers.push(
            Helper::start(&["--load-worker", &addr, subscribe, &first_index, &streams])
                .ok_or("a load worker did not start")?,
        );
        first += count;
    }
    for worker in &mut workers {
        let line = worker
            .line(Duration::from_secs(60))
            .await
            .ok_or("a load worker did not have its streams open within 60 s")?;
        if line != "READY" {
            return Err(format!("a load worker opening its streams: {line}"));
        }
    }

    let mut last_delivery = Vec::new();
    let mut busy = Duration::ZERO;
    for _ in 0..publishes {
        let started = Instant::now();
        let sent = get_text(targets.publish_to, publish).await;
        let mut worst = 0u64;
        for worker in &mut workers {
            let line = worker.line(PUBLISH_LIMIT).await.ok_or_else(|| {
                format!(
                    "publish {sent}: a load worker said nothing for {} s (or exited)",
                    PUBLISH_LIMIT.as_secs()
                )
            })?;
            let mut fields = line.split(' ');
            let (Some("DONE"), Some(_sent), Some(Ok(latency))) =
                (fields.next(), fields.next(), fields.next().map(str::parse))
            else {
                return Err(format!("a load worker after publish {sent}: {line}"));
            };
            worst = worst.max(latency);
        }
        busy += started.elapsed();
        last_delivery.push(worst as f64 / 1000.0);
    }
    for worker in workers {
        worker.stop().await;
    }
    last_delivery.sort_by(f64::total_cmp);
    Ok((
        percentile(&last_delivery, 50.0),
        percentile(&last_delivery, 99.0),
        (subscribers * publishes) as f64 / busy.as_secs_f64(),
    ))
}

/// What a worker knows about the messages its streams are reading.
#[derive(Default)]
struct Tally {
    subscribed: usize,
    /// Publish time → (streams that have it, worst latency so far).
    messages: HashMap<u64, (usize, u64)>,
}

/// The body of `sse-bench --load-worker ADDR PATH FIRST COUNT`: opens `COUNT`
/// streams (source addresses from index `FIRST`) and reports as described in
/// the module docs. Runs on the caller's (single-threaded) runtime.
pub async fn worker(args: &[String]) {
    let [addr, path, first, count] = args else {
        report("usage: --load-worker ADDR PATH FIRST COUNT");
        return;
    };
    let (Ok(addr), Ok(first), Ok(count)) = (
        addr.parse::<SocketAddr>(),
        first.parse::<usize>(),
        count.parse::<usize>(),
    ) else {
        report(&format!("bad --load-worker arguments: {args:?}"));
        return;
    };
    let tally = Arc::new(Mutex::new(Tally::default()));
    let (all_subscribed, mut subscribed) = tokio::sync::mpsc::channel::<()>(1);
    for index in first..first + count {
        let (path, tally, all_subscribed) = (path.clone(), tally.clone(), all_subscribed.clone());
        tokio::spawn(async move {
            let mut reader = match Reader::get_small(addr, index, &path).await {
                Ok(reader) => reader,
                Err(error) => {
                    report(&format!("connect {index}: {error}"));
                    std::process::exit(1);
                }
            };
            let mut counted = false;
            loop {
                let mut on_event = |block: &[u8]| {
                    let mut tally = tally.lock().unwrap();
                    match data_of(block) {
                        // The `: subscribed` comment says the stream is
                        // subscribed (the opening `: ` comment, sent before
                        // the endpoint subscribes, says nothing: counting it
                        // let a publish overtake a Redis subscription still
                        // being set up, which then never saw it).
                        None if !counted && is_subscribed(block) => {
                            counted = true;
                            tally.subscribed += 1;
                            if tally.subscribed == count {
                                let _ = all_subscribed.try_send(());
                            }
                        }
                        None => {}
                        Some(data) => {
                            let sent: u64 = std::str::from_utf8(data)
                                .ok()
                                .and_then(|text| text.parse().ok())
                                .unwrap_or(0);
                            let latency = now_micros().saturating_sub(sent);
                            let entry = tally.messages.entry(sent).or_default();
                            entry.0 += 1;
                            entry.1 = entry.1.max(latency);
                            if entry.0 == count {
                                let (_, worst) = tally.messages.remove(&sent).unwrap_or_default();
                                report(&format!("DONE {sent} {worst}"));
                            }
                        }
                    }
                };
                match reader.read(&mut on_event).await {
                    Ok(true) => {}
                    Ok(false) => {
                        let why = reader.ending.as_deref().unwrap_or("?");
                        report(&format!("stream {index} ended: {why}"));
                        std::process::exit(1);
                    }
                    Err(error) => {
                        report(&format!("stream {index} failed: {error}"));
                        std::process::exit(1);
                    }
                }
            }
        });
    }
    drop(all_subscribed);
    if subscribed.recv().await.is_some() {
        report("READY");
    }
    // Until the coordinator closes our stdin (or kills us): a worker never
    // outlives the run that started it.
    let mut stdin = tokio::io::stdin();
    let mut byte = [0u8; 1];
    while matches!(stdin.read(&mut byte).await, Ok(n) if n > 0) {}
}

/// Whether an event block is the `: subscribed` comment every fan-out
/// endpoint sends once it follows the publishes.
fn is_subscribed(block: &[u8]) -> bool {
    block
        .split(|&b| b == b'\n')
        .any(|line| line.strip_prefix(b":").map(<[u8]>::trim_ascii) == Some(b"subscribed"))
}

/// One line to the coordinator; a worker whose coordinator is gone exits.
fn report(line: &str) {
    let mut stdout = std::io::stdout().lock();
    if writeln!(stdout, "{line}")
        .and_then(|()| stdout.flush())
        .is_err()
    {
        std::process::exit(0);
    }
}
