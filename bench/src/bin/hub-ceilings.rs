//! How far the hub's shared backends go on this box: for one Redis, a Redis
//! Cluster (three primaries with a replica each) and PostgreSQL in turn, two
//! subscriber processes (`hub-ceilings --subscribe BACKEND URL..`) each hold
//! `SUBSCRIBERS` subscriptions spread over `TOPICS` topics (on a cluster,
//! over its shards) through a hub of their own, as two server processes
//! would, and this process publishes to the topics in turn at rising rates,
//! `STEP` each, until a step falls short: fewer publishes acknowledged than
//! asked (90 %), a delivery lost, or a p99 from publish to last delivery
//! over a second. Each step's row gives the publishes and deliveries per
//! second, p50 and p99 from publish to the last subscriber having it (of
//! one publish in `SAMPLE`, all its deliveries), and the CPU each side used
//! (the backend's servers, the two hub processes, the publisher; a core is
//! 100 %). Run it with `bench/ceilings` (`--write` puts the table in
//! BENCHMARKS.md).

use std::collections::HashMap;
use std::process::Stdio;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sse_runtime::Event;
use sse_runtime::hub::{Hub, HubConfig, LagPolicy};
use sse_test_support::postgres::Postgres;
use sse_test_support::redis::Redis;
use sse_test_support::redis_cluster::RedisCluster;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdout, Command};
use tokio::time::Instant;

/// Topics published to in turn; each subscriber follows one.
const TOPICS: u64 = 6;
/// How long each rate is held.
const STEP: Duration = Duration::from_secs(2);
const RATES: [u64; 9] = [
    500, 1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 64_000, 128_000,
];
/// Publishes in flight at once.
const PUBLISHERS: u64 = 64;
/// Subscriber processes, and subscriptions in each (16 a topic).
const PROCESSES: usize = 2;
const SUBSCRIBERS: usize = 96;
/// One publish in this many is timed to its last delivery.
const SAMPLE: u64 = 16;

fn topic(seq: u64) -> String {
    format!("ceiling-{}", seq % TOPICS)
}

fn now_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_micros() as u64
}

fn config() -> HubConfig {
    HubConfig {
        // A subscriber that falls behind is told and goes on: counted lost.
        lag: LagPolicy::Skip,
        buffer: 1 << 16,
        replay: 1_000,
        backend_timeout: Duration::from_secs(5),
        ..HubConfig::default()
    }
}

async fn connect(backend: &str, urls: &[String]) -> Hub {
    match backend {
        "redis" => Hub::redis(&urls[0], config()).await,
        "redis-cluster" => {
            let nodes: Vec<&str> = urls.iter().map(String::as_str).collect();
            Hub::redis_cluster(&nodes, config()).await
        }
        "postgres" => {
            let pool = sqlx::PgPool::connect(&urls[0]).await.expect("PostgreSQL");
            Hub::postgres(pool, config()).await
        }
        other => panic!("no backend {other}"),
    }
    .expect("the hub connected")
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().is_some_and(|arg| arg == "--subscribe") {
        return subscribe(&args[1], &args[2..]).await;
    }
    println!(
        "hub ceilings: {PROCESSES} subscriber processes × {SUBSCRIBERS} subscriptions over \
         {TOPICS} topics ({} subscribers a topic), {PUBLISHERS} publishes in flight, {} s a step, \
         1 publish in {SAMPLE} timed\n",
        PROCESSES * SUBSCRIBERS / TOPICS as usize,
        STEP.as_secs()
    );
    println!(
        "{:<14} {:>7} {:>10} {:>12} {:>8} {:>8} {:>6}  {:>8} {:>6} {:>9}",
        "backend",
        "asked/s",
        "publish/s",
        "deliveries/s",
        "p50 ms",
        "p99 ms",
        "lost",
        "backend",
        "hubs",
        "publisher"
    );
    for backend in ["redis", "redis-cluster", "postgres"] {
        measure(backend).await;
    }
}

/// The servers a backend runs on, kept until its rows are measured.
enum Servers {
    Redis(Redis),
    Cluster(RedisCluster),
    Postgres(Postgres),
}

async fn measure(backend: &str) {
    let servers = match backend {
        "redis" => Servers::Redis(Redis::start_on_a_free_port().await.expect("redis-server")),
        "redis-cluster" => Servers::Cluster(RedisCluster::start().await.expect("a cluster")),
        _ => Servers::Postgres(Postgres::start().await.expect("PostgreSQL")),
    };
    let (urls, server_process) = match &servers {
        Servers::Redis(redis) => (vec![redis.url()], "redis-server"),
        Servers::Cluster(cluster) => (cluster.urls(), "redis-server"),
        Servers::Postgres(postgres) => (vec![postgres.url()], "postgres"),
    };
    let mut children = Vec::new();
    for _ in 0..PROCESSES {
        children.push(Subscribers::start(backend, &urls).await);
    }
    let hub = connect(backend, &urls).await;
    let mut seq = 0_u64;
    for rate in RATES {
        let hubs: Vec<u32> = children.iter().map(|child| child.pid).collect();
        let before = Cpu::now(server_process, &hubs);
        let step = publish(&hub, rate, &mut seq).await;
        let after = Cpu::now(server_process, &hubs);
        // Ends the round in every subscriber.
        for seq in 0..TOPICS {
            hub.publish(&topic(seq), &Event::data("end"))
                .await
                .expect("published");
        }
        let mut last: HashMap<u64, u64> = HashMap::new();
        let (mut deliveries, mut lost) = (0_u64, 0_u64);
        for child in &mut children {
            let round = child.round().await;
            deliveries += round.deliveries;
            lost += round.lost;
            for (seq, at) in round.last {
                let slot = last.entry(seq).or_default();
                *slot = (*slot).max(at);
            }
        }
        let mut latencies: Vec<u64> = step
            .acknowledged
            .iter()
            .filter(|(seq, _)| seq % SAMPLE == 0)
            .filter_map(|(seq, sent)| last.get(seq).map(|at| at.saturating_sub(*sent)))
            .collect();
        latencies.sort_unstable();
        let quantile = |q: f64| {
            latencies
                .get(((latencies.len() as f64 * q) as usize).min(latencies.len().saturating_sub(1)))
                .map_or(f64::NAN, |us| *us as f64 / 1_000.0)
        };
        let expected = step.acknowledged.len() as u64 * (PROCESSES * SUBSCRIBERS) as u64 / TOPICS;
        let lost = lost.max(expected.saturating_sub(deliveries));
        let seconds = step.took.as_secs_f64();
        let published = step.acknowledged.len() as f64 / seconds;
        let (p50, p99) = (quantile(0.5), quantile(0.99));
        let cpu = after.since(&before, seconds);
        println!(
            "{backend:<14} {rate:>7} {published:>10.0} {:>12.0} {p50:>8.1} {p99:>8.1} {lost:>6}  \
             {:>7.0}% {:>5.0}% {:>8.0}%",
            deliveries as f64 / seconds,
            cpu.server,
            cpu.hubs,
            cpu.publisher,
        );
        if published < rate as f64 * 0.9 || lost > 0 || p99 > 1_000.0 {
            let total = cpu.server + cpu.hubs + cpu.publisher;
            let whole = std::thread::available_parallelism().map_or(1, |cores| cores.get()) * 100;
            println!(
                "{backend:<14} ceiling: about {:.0} publishes/s ({:.0} deliveries/s); at {rate}/s \
                 the box used {total:.0}% of {whole}% (backend {:.0}%, hubs {:.0}%, publisher {:.0}%)",
                published.min(rate as f64),
                published.min(rate as f64) * (PROCESSES * SUBSCRIBERS) as f64 / TOPICS as f64,
                cpu.server,
                cpu.hubs,
                cpu.publisher,
            );
            break;
        }
    }
    drop(hub);
    for child in children {
        child.stop().await;
    }
    drop(servers);
}

struct Step {
    /// Each acknowledged publish: its sequence number, and when it was sent.
    acknowledged: Vec<(u64, u64)>,
    took: Duration,
}

/// Publishes `rate` a second for `STEP`, `PUBLISHERS` at a time, each
/// event's data its sequence number and the time it was sent.
async fn publish(hub: &Hub, rate: u64, seq: &mut u64) -> Step {
    let count = rate * STEP.as_secs();
    let first = *seq;
    *seq += count;
    let started = Instant::now();
    let tasks: Vec<_> = (0..PUBLISHERS)
        .map(|lane| {
            let hub = hub.clone();
            tokio::spawn(async move {
                let mut acknowledged = Vec::new();
                let mut n = lane;
                while n < count {
                    let due = started + Duration::from_secs_f64(n as f64 / rate as f64);
                    tokio::time::sleep_until(due).await;
                    let sent = now_us();
                    let data = format!("{} {sent}", first + n);
                    let event = Event::data(data);
                    if hub.publish(&topic(first + n), &event).await.is_ok() {
                        acknowledged.push((first + n, sent));
                    }
                    n += PUBLISHERS;
                }
                acknowledged
            })
        })
        .collect();
    let mut acknowledged = Vec::new();
    for task in tasks {
        acknowledged.extend(task.await.expect("publisher"));
    }
    Step {
        acknowledged,
        took: started.elapsed(),
    }
}

/// A subscriber process.
struct Subscribers {
    child: Child,
    pid: u32,
    lines: Lines<BufReader<ChildStdout>>,
}

struct Round {
    deliveries: u64,
    lost: u64,
    /// Each sequence number, and when its last subscriber here had it.
    last: Vec<(u64, u64)>,
}

impl Subscribers {
    async fn start(backend: &str, urls: &[String]) -> Subscribers {
        let mut child = Command::new(std::env::current_exe().expect("this program"))
            .arg("--subscribe")
            .arg(backend)
            .args(urls)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("a subscriber process");
        let pid = child.id().expect("running");
        let mut lines = BufReader::new(child.stdout.take().expect("piped")).lines();
        let ready = lines.next_line().await.expect("READY");
        assert_eq!(ready.as_deref(), Some("READY"));
        Subscribers { child, pid, lines }
    }

    async fn line(&mut self) -> String {
        self.lines
            .next_line()
            .await
            .expect("read")
            .expect("the subscriber process goes on")
    }

    async fn round(&mut self) -> Round {
        let head = self.line().await;
        let numbers: Vec<u64> = head
            .strip_prefix("ROUND ")
            .expect("a round")
            .split(' ')
            .map(|n| n.parse().expect("a number"))
            .collect();
        let mut last = Vec::with_capacity(numbers[2] as usize);
        for _ in 0..numbers[2] {
            let line = self.line().await;
            let (seq, at) = line.split_once(' ').expect("seq at");
            last.push((seq.parse().expect("seq"), at.parse().expect("at")));
        }
        Round {
            deliveries: numbers[0],
            lost: numbers[1],
            last,
        }
    }

    async fn stop(mut self) {
        if let Some(mut stdin) = self.child.stdin.take() {
            let _ = stdin.shutdown().await;
        }
        let _ = self.child.kill().await;
    }
}

/// In a subscriber process: `SUBSCRIBERS` subscriptions, each reporting at
/// every `end` what it received; the process prints, per round, `ROUND
/// <deliveries> <lost> <n>` and then `n` lines `<seq> <when the last
/// subscriber here had it>`, for the timed publishes.
async fn subscribe(backend: &str, urls: &[String]) {
    let hub = connect(backend, urls).await;
    let (reports, mut received) = tokio::sync::mpsc::unbounded_channel();
    for n in 0..SUBSCRIBERS {
        let mut subscription = hub
            .subscribe(&topic(n as u64), None)
            .await
            .expect("subscribed");
        let reports = reports.clone();
        tokio::spawn(async move {
            let (mut seen, mut delivered, mut lost) = (Vec::new(), 0_u64, 0_u64);
            while let Some(message) = subscription.next().await {
                let at = now_us();
                let text = std::str::from_utf8(message.as_bytes()).unwrap_or_default();
                let Some(data) = text.lines().find_map(|line| line.strip_prefix("data: ")) else {
                    continue;
                };
                if text.starts_with("event: lagged") {
                    lost += data.parse::<u64>().unwrap_or(1);
                } else if data == "end" {
                    let report = (
                        std::mem::take(&mut seen),
                        std::mem::take(&mut delivered),
                        std::mem::take(&mut lost),
                    );
                    if reports.send(report).is_err() {
                        return;
                    }
                } else if let Some((seq, _)) = data.split_once(' ') {
                    delivered += 1;
                    let seq = seq.parse::<u64>().unwrap_or(u64::MAX);
                    if seq % SAMPLE == 0 {
                        seen.push((seq, at));
                    }
                }
            }
        });
    }
    println!("READY");
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    loop {
        let mut last: HashMap<u64, u64> = HashMap::new();
        let (mut deliveries, mut lost) = (0_u64, 0_u64);
        for _ in 0..SUBSCRIBERS {
            let Some((seen, delivered, skipped)) = received.recv().await else {
                return;
            };
            deliveries += delivered;
            lost += skipped;
            for (seq, at) in seen {
                let slot = last.entry(seq).or_default();
                *slot = (*slot).max(at);
            }
        }
        use std::io::Write;
        writeln!(out, "ROUND {deliveries} {lost} {}", last.len()).expect("stdout");
        for (seq, at) in last {
            writeln!(out, "{seq} {at}").expect("stdout");
        }
        out.flush().expect("stdout");
    }
}

/// CPU ticks used so far by the backend's servers (every process of that
/// name), the hub processes and this one.
struct Cpu {
    server: u64,
    hubs: u64,
    publisher: u64,
}

struct Shares {
    server: f64,
    hubs: f64,
    publisher: f64,
}

fn ticks(pid: &str) -> Option<(String, u64)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let open = stat.find('(')?;
    let close = stat.rfind(')')?;
    let name = stat[open + 1..close].to_owned();
    let fields: Vec<&str> = stat[close + 2..].split(' ').collect();
    // utime and stime: the 14th and 15th fields, 12th and 13th after the name.
    let used = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some((name, used))
}

impl Cpu {
    fn now(server: &str, hubs: &[u32]) -> Cpu {
        let mut cpu = Cpu {
            server: 0,
            hubs: 0,
            publisher: ticks("self").map_or(0, |(_, used)| used),
        };
        for entry in std::fs::read_dir("/proc").expect("/proc").flatten() {
            let pid = entry.file_name().to_string_lossy().into_owned();
            let Ok(number) = pid.parse::<u32>() else {
                continue;
            };
            let Some((name, used)) = ticks(&pid) else {
                continue;
            };
            if hubs.contains(&number) {
                cpu.hubs += used;
            } else if name == server {
                cpu.server += used;
            }
        }
        cpu
    }

    /// Each side's share of one core since `before`, in percent.
    fn since(&self, before: &Cpu, seconds: f64) -> Shares {
        // Ticks of /proc/<pid>/stat: USER_HZ, 100 a second on Linux.
        let per_second = 100.0;
        let share =
            |now: u64, then: u64| now.saturating_sub(then) as f64 / per_second / seconds * 100.0;
        Shares {
            server: share(self.server, before.server),
            hubs: share(self.hubs, before.hubs),
            publisher: share(self.publisher, before.publisher),
        }
    }
}
