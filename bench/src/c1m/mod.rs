//! The `c1m` scenario (`bench/run --only c1m`): a million open event streams
//! on this one machine, every byte they cost accounted for, and a publish
//! delivered to all of them.
//!
//! ```text
//! bench/run --only c1m            # 1,000 to 1,000,000 streams
//! bench/run --only c1m --quick    # 1,000 and 10,000, split small (CI)
//! bench/run --only c1m --write    # …and keeps bench/c1m.json, the
//!                                 # BENCHMARKS.md section and the charts
//! ```
//!
//! At each size, for each server (lean streams, hyper's path, `axum::serve`)
//! whose cost measured at the size below leaves it room on this machine:
//!
//! - **Servers**: as many `bench-server` processes as the per-process limit
//!   on open files needs (a share each, within the limit with a thousand
//!   descriptors to spare), each following the hub topic on one Redis, so a
//!   publish to one reaches every stream. Each listens on a port of its own
//!   rather than all on one with `SO_REUSEPORT`: the kernel would spread the
//!   connections by a hash of their addresses, so no process's share (and
//!   no descriptor limit) could be planned, and a share's server would not
//!   be known to measure it.
//! - **Clients**: a process per server (`sse-bench --c1m-client`, see
//!   [`client`]) opening its share, [`fleet::IN_FLIGHT`] at a time, each
//!   stream from a source address of its own across 127.0.0.0/8 (so no
//!   address runs out of ports), tried again when it fails.
//! - **Every byte**: the servers' and the clients' resident memory, the
//!   kernel's slab caches that sockets use and its TCP buffer pages, and
//!   the memory the machine has left, before the streams (each client with
//!   one stream open: warm) and after; each per stream or per socket.
//! - **Delivery** (lean streams): one publish at a time to every stream,
//!   the latency of each delivery and of the last, with the CPU time of
//!   the servers, the clients, Redis and the kernel's soft interrupts; then
//!   publishes at a steady rate for a while, every delivery counted.
//!
//! Nothing here asserts a speed: the run fails (exit status 1) only when a
//! stream does not open or a publish does not reach every stream.

mod chart;
mod client;
mod fleet;
mod histogram;
mod kernel;
mod parse;
mod plan;
mod render;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

pub use client::main as client_main;
use fleet::Fleet;
pub use kernel::rss_kib;
use kernel::{Snapshot, TICKS_PER_SECOND, machine_ticks, process_ticks};

use crate::load::{open_files_limit, streams_per_process};
use crate::progress;
use crate::run::Stamp;
use crate::target::{Implementation, Redis};

/// The servers measured, the one delivering first.
const LINEUP: [Implementation; 3] = [
    Implementation::RuntimeLean,
    Implementation::Runtime,
    Implementation::HubOnAxumServe,
];

/// How big the run is.
#[derive(Clone, Serialize, Deserialize)]
pub struct Sizes {
    pub streams: Vec<usize>,
    /// Streams per server process (the open-files limit's share, or less
    /// to split small runs).
    pub per_process: usize,
    /// Publishes one at a time, at each size.
    pub publishes: usize,
    /// The steady rate: publishes a second, for this many seconds.
    pub sustained: (u32, u64),
}

impl Sizes {
    fn full() -> Sizes {
        Sizes {
            streams: vec![1_000, 10_000, 100_000, 1_000_000],
            per_process: streams_per_process(),
            publishes: 5,
            sustained: (10, 60),
        }
    }

    /// Small, and split over several processes all the same, so CI runs
    /// every path of the big run.
    fn quick() -> Sizes {
        Sizes {
            streams: vec![1_000, 10_000],
            per_process: streams_per_process().min(4_000),
            publishes: 3,
            sustained: (10, 5),
        }
    }
}

/// One run of the scenario, as `bench/c1m.json` keeps it.
#[derive(Serialize, Deserialize)]
pub struct C1m {
    pub stamp: Stamp,
    pub sizes: Sizes,
    pub rows: Vec<Row>,
    /// Sizes a server was not run at, and why.
    pub not_run: Vec<NotRun>,
    /// `MemTotal`, in bytes.
    pub memory: u64,
    pub wall_seconds: u64,
}

/// One server at one size.
#[derive(Serialize, Deserialize)]
pub struct Row {
    pub implementation: Implementation,
    pub streams: usize,
    pub servers: usize,
    pub opened: u64,
    pub failed: u64,
    pub retries: u64,
    pub open_seconds: f64,
    /// Resident memory growth per stream opened, in KiB.
    pub server_kib: f64,
    pub client_kib: f64,
    /// Slab bytes per socket by cache (a stream is two sockets: the
    /// server's and the client's).
    pub kernel: Vec<(String, f64)>,
    /// TCP buffer bytes per socket (`/proc/net/sockstat`).
    pub tcp_buffers: f64,
    /// What processes and the kernel hold (`MemTotal` − `MemFree` −
    /// `Buffers` − `Cached`), its growth per stream, in KiB; negative when
    /// something else let go of more than the streams took.
    pub machine_kib: f64,
    pub delivery: Option<Delivery>,
    pub sustained: Option<Sustained>,
}

impl Row {
    /// Slab bytes per socket, all caches.
    pub fn kernel_per_socket(&self) -> f64 {
        self.kernel.iter().map(|(_, bytes)| bytes).sum()
    }
}

#[derive(Serialize, Deserialize)]
pub struct NotRun {
    pub implementation: Implementation,
    pub streams: usize,
    pub why: String,
}

/// One publish at a time.
#[derive(Serialize, Deserialize)]
pub struct Delivery {
    /// Publish → last delivery, each publish, ms.
    pub last_ms: Vec<f64>,
    /// Every delivery's latency, ms.
    pub p50_ms: f64,
    pub p99_ms: f64,
    /// Deliveries over the time to the last, the median publish's.
    pub per_second: f64,
    /// Every delivery of every publish counted.
    pub delivered: u64,
    pub expected: u64,
    pub cpu: Cpu,
    /// (latency ms, share of deliveries at or below): the chart's curve.
    pub cumulative: Vec<(f64, f64)>,
}

/// CPU seconds over the publishes, by who spent them.
#[derive(Serialize, Deserialize)]
pub struct Cpu {
    pub wall: f64,
    pub servers: (f64, f64),
    pub clients: (f64, f64),
    pub redis: (f64, f64),
    /// Interrupts and soft interrupts (the network's receive path).
    pub softirq: f64,
    /// Every busy tick of the machine.
    pub machine: f64,
}

/// The steady rate.
#[derive(Serialize, Deserialize)]
pub struct Sustained {
    pub rate: u32,
    pub seconds: u64,
    /// How long after the last publish deliveries were still counted.
    pub drain_seconds: u64,
    pub published: u64,
    pub refused: u64,
    pub expected: u64,
    pub delivered: u64,
    pub gap_notices: u64,
    pub ended: u64,
    /// Deliveries after the drain limit (not in `delivered`).
    #[serde(default)]
    pub late: u64,
    /// Over every delivery expected, those that did not arrive counting
    /// as later than any: `None` where more than that share did not arrive.
    pub p50_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    pub max_ms: f64,
}

impl Sustained {
    /// The rate the publisher achieved, publishes a second.
    pub fn sent_rate(&self) -> f64 {
        self.published as f64 / self.seconds as f64
    }
}

impl C1m {
    pub fn path() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("c1m.json")
    }

    pub fn load() -> Result<C1m, String> {
        let path = Self::path();
        let json = std::fs::read_to_string(&path)
            .map_err(|error| format!("{}: {error}", path.display()))?;
        serde_json::from_str(&json).map_err(|error| format!("{}: {error}", path.display()))
    }

    fn save(&self) {
        let json = serde_json::to_string_pretty(self).expect("a run is JSON");
        std::fs::write(Self::path(), json + "\n").expect("write bench/c1m.json");
        eprintln!("saved {}", Self::path().display());
    }

    /// The rows of the server that delivers (lean streams), by size.
    pub fn lean_rows(&self) -> impl Iterator<Item = &Row> {
        self.rows
            .iter()
            .filter(|row| row.implementation == LINEUP[0])
    }

    /// BENCHMARKS.md's section and the charts, from this run.
    pub fn write(&self) {
        crate::benchmarks_md::write(&[("c1m", render::section(self))]);
        chart::write(self);
    }
}

/// Runs the scenario (`quick` for the small sizes); with `write`, keeps it.
/// Whether every stream opened and every publish reached every stream.
pub async fn run(quick: bool, write: bool) -> bool {
    let started = Instant::now();
    let sizes = if quick { Sizes::quick() } else { Sizes::full() };
    let stamp = Stamp::now(None, open_files_limit());
    let Some(redis) = Redis::start().await else {
        progress("c1m: redis-server is not installed (tests/run installs it); nothing measured");
        return false;
    };
    if !Snapshot::now().has_slab() {
        progress("c1m: /proc/slabinfo cannot be read here (it needs root): no kernel figures");
    }
    progress(&format!(
        "c1m: {:?} streams, at most {} per server process (open files: {:?})",
        sizes.streams,
        sizes.per_process,
        open_files_limit()
    ));
    let mut run = C1m {
        stamp,
        sizes: sizes.clone(),
        rows: Vec::new(),
        not_run: Vec::new(),
        memory: total_memory(),
        wall_seconds: 0,
    };
    let mut complete = true;
    for &streams in &sizes.streams {
        for implementation in LINEUP {
            if let Some(why) = no_room(&run, implementation, streams) {
                progress(&format!(
                    "c1m {streams}: {} not run: {why}",
                    implementation.name()
                ));
                run.not_run.push(NotRun {
                    implementation,
                    streams,
                    why,
                });
                continue;
            }
            match measure(implementation, streams, &sizes, &redis).await {
                Ok(row) => {
                    complete &= row.opened == streams as u64
                        && row
                            .delivery
                            .as_ref()
                            .is_none_or(|delivery| delivery.delivered == delivery.expected)
                        && row
                            .sustained
                            .as_ref()
                            .is_none_or(|steady| steady.delivered == steady.expected);
                    run.rows.push(row);
                }
                Err(why) => {
                    progress(&format!(
                        "c1m {streams}: {} FAILED: {why}",
                        implementation.name()
                    ));
                    complete = false;
                    run.not_run.push(NotRun {
                        implementation,
                        streams,
                        why: format!("failed: {why}"),
                    });
                }
            }
        }
    }
    redis.stop().await;
    run.wall_seconds = started.elapsed().as_secs();
    println!("{}", render::section(&run));
    if write {
        run.save();
        run.write();
    }
    complete
}

/// Why `implementation` is not run at `streams`: what it cost per stream at
/// the largest size it ran at (server, client and two sockets), times
/// `streams`, beyond three quarters of what the machine has available now
/// (what the servers and clients of a run hold besides, and the kernel, need
/// the rest).
fn no_room(run: &C1m, implementation: Implementation, streams: usize) -> Option<String> {
    let measured = run
        .rows
        .iter()
        .filter(|row| row.implementation == implementation)
        .max_by_key(|row| row.streams)?;
    let per_stream = (measured.server_kib + measured.client_kib) * 1024.0
        + 2.0 * (measured.kernel_per_socket() + measured.tcp_buffers);
    let needed = per_stream * streams as f64;
    let available = Snapshot::now().available as f64;
    (needed > 0.75 * available).then(|| {
        format!(
            "{:.0} bytes a stream at {} (server, client, two sockets) × {streams} = {:.1} GiB, \
             more than three quarters of the {:.1} GiB available",
            per_stream,
            measured.streams,
            needed / f64::from(1 << 30),
            available / f64::from(1 << 30)
        )
    })
}

fn total_memory() -> u64 {
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    kernel::meminfo_bytes(&meminfo, "MemTotal")
}

fn rss_sum(pids: &[u32]) -> u64 {
    pids.iter().map(|&pid| rss_kib(pid)).sum()
}

/// CPU ticks of some processes, user and system.
fn ticks(pids: &[u32]) -> (u64, u64) {
    pids.iter().fold((0, 0), |(user, system), &pid| {
        let (u, s) = process_ticks(pid);
        (user + u, system + s)
    })
}

/// One server at one size: opened, accounted for and, for lean streams,
/// delivered to.
async fn measure(
    implementation: Implementation,
    streams: usize,
    sizes: &Sizes,
    redis: &Redis,
) -> Result<Row, String> {
    let label = format!("{streams} {}", implementation.name());
    let mut fleet = Fleet::start(implementation, streams, sizes.per_process, redis).await?;
    let warm = fleet.servers.len() as u64;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (servers, clients) = (fleet.server_pids(), fleet.client_pids());
    let before = (rss_sum(&servers), rss_sum(&clients), Snapshot::now());
    let opening = fleet.open(&label).await;
    let opening = match opening {
        Ok(opening) => opening,
        Err(why) => {
            fleet.stop().await;
            return Err(why);
        }
    };
    // Let allocations settle (and the first keep-alive pass) before reading.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let after = (rss_sum(&servers), rss_sum(&clients), Snapshot::now());
    let new = opening.open.saturating_sub(warm).max(1) as f64;
    let per_socket = |bytes: u64, was: u64| bytes.saturating_sub(was) as f64 / (2.0 * new);
    let kernel = after
        .2
        .slab
        .iter()
        .zip(&before.2.slab)
        .map(|((cache, now), (_, was))| (cache.clone(), per_socket(*now, *was)))
        .collect();
    let mut row = Row {
        implementation,
        streams,
        servers: fleet.servers.len(),
        opened: opening.open,
        failed: opening.failed,
        retries: opening.retries,
        open_seconds: opening.seconds,
        server_kib: after.0.saturating_sub(before.0) as f64 / new,
        client_kib: after.1.saturating_sub(before.1) as f64 / new,
        kernel,
        tcp_buffers: per_socket(after.2.tcp_buffers, before.2.tcp_buffers),
        machine_kib: (after.2.used as f64 - before.2.used as f64) / 1024.0 / new,
        delivery: None,
        sustained: None,
    };
    progress(&format!(
        "c1m {label}: server {:.2} KiB, client {:.2} KiB, kernel {:.0} + {:.0} bytes a socket, \
         machine {:.2} KiB a stream",
        row.server_kib,
        row.client_kib,
        row.kernel_per_socket(),
        row.tcp_buffers,
        row.machine_kib
    ));
    if implementation == LINEUP[0] {
        let delivered = deliver(&mut fleet, &label, opening.open, sizes, redis).await;
        match delivered {
            Ok((delivery, sustained)) => {
                row.delivery = Some(delivery);
                row.sustained = Some(sustained);
            }
            Err(why) => {
                fleet.stop().await;
                return Err(why);
            }
        }
    }
    fleet.stop().await;
    Ok(row)
}

/// One publish at a time, then the steady rate.
async fn deliver(
    fleet: &mut Fleet,
    label: &str,
    open: u64,
    sizes: &Sizes,
    redis: &Redis,
) -> Result<(Delivery, Sustained), String> {
    let (servers, clients, redis_pid) = (fleet.server_pids(), fleet.client_pids(), redis.pid());
    let cpu_before = (
        ticks(&servers),
        ticks(&clients),
        process_ticks(redis_pid),
        machine_ticks(),
        Instant::now(),
    );
    let mut last_ms = Vec::new();
    let mut rates = Vec::new();
    let mut all = histogram::Histogram::default();
    let mut delivered = 0;
    for _ in 0..sizes.publishes {
        let deliveries = fleet.publish_once().await?;
        let last = deliveries.worst as f64 / 1000.0;
        progress(&format!(
            "c1m {label}: a publish reached {} streams, the last after {last:.1} ms",
            deliveries.count
        ));
        last_ms.push(last);
        rates.push(deliveries.count as f64 / (last / 1000.0));
        delivered += deliveries.count;
        all.merge(&deliveries.latencies);
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let seconds = |(user, system): (u64, u64), (was_user, was_system): (u64, u64)| {
        (
            user.saturating_sub(was_user) as f64 / TICKS_PER_SECOND,
            system.saturating_sub(was_system) as f64 / TICKS_PER_SECOND,
        )
    };
    let machine = machine_ticks();
    let cpu = Cpu {
        wall: cpu_before.4.elapsed().as_secs_f64(),
        servers: seconds(ticks(&servers), cpu_before.0),
        clients: seconds(ticks(&clients), cpu_before.1),
        redis: seconds(process_ticks(redis_pid), cpu_before.2),
        softirq: machine.0.saturating_sub(cpu_before.3.0) as f64 / TICKS_PER_SECOND,
        machine: machine.1.saturating_sub(cpu_before.3.1) as f64 / TICKS_PER_SECOND,
    };
    rates.sort_by(f64::total_cmp);
    let delivery = Delivery {
        p50_ms: all.percentile_ms(50.0),
        p99_ms: all.percentile_ms(99.0),
        per_second: rates.get(rates.len() / 2).copied().unwrap_or(f64::NAN),
        delivered,
        expected: open * sizes.publishes as u64,
        cpu,
        cumulative: all.cumulative(),
        last_ms,
    };
    let (rate, secs) = sizes.sustained;
    progress(&format!(
        "c1m {label}: {rate} publishes a second for {secs} s"
    ));
    let steady = fleet.sustain(rate, secs, redis).await?;
    let arrived = |p: f64| {
        let ms = steady
            .deliveries
            .latencies
            .percentile_of_ms(p, steady.published * open);
        (!ms.is_nan()).then_some(ms)
    };
    let sustained = Sustained {
        rate,
        seconds: secs,
        drain_seconds: fleet::DRAIN_LIMIT.as_secs(),
        published: steady.published,
        refused: steady.refused,
        expected: steady.published * open,
        delivered: steady.deliveries.count,
        gap_notices: steady.gap_notices,
        ended: steady.ended,
        late: steady.late,
        p50_ms: arrived(50.0),
        p99_ms: arrived(99.0),
        max_ms: steady.deliveries.worst as f64 / 1000.0,
    };
    progress(&format!(
        "c1m {label}: {} published ({} refused), {} of {} deliveries, {} gap notices, p99 {}",
        sustained.published,
        sustained.refused,
        sustained.delivered,
        sustained.expected,
        sustained.gap_notices,
        sustained
            .p99_ms
            .map_or("not arrived".to_owned(), |ms| format!("{ms:.1} ms"))
    ));
    Ok((delivery, sustained))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// BENCHMARKS.md's c1m section and the charts are what `bench/c1m.json`
    /// renders to now: a change to how they are written, or to the record,
    /// shows until `bench/run --render` writes them again.
    #[test]
    fn the_section_and_the_charts_are_the_record_rendered() {
        if !C1m::path().exists() {
            return;
        }
        let run = C1m::load().expect("bench/c1m.json is a c1m run");
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../BENCHMARKS.md");
        let document = std::fs::read_to_string(path).expect("BENCHMARKS.md");
        let begin = "<!-- c1m:begin -->\n";
        let start = document.find(begin).expect("c1m markers") + begin.len();
        let end = start + document[start..].find("<!-- c1m:end").expect("c1m end");
        assert!(
            document[start..end] == format!("{}\n", render::section(&run).trim_end()),
            "BENCHMARKS.md's c1m section is not bench/c1m.json rendered: bench/run --render"
        );
        for (name, svg) in [
            ("c1m-memory.svg", chart::memory(&run)),
            ("c1m-latency.svg", chart::latency(&run)),
        ] {
            let drawn = std::fs::read_to_string(chart::directory().join(name)).expect(name);
            assert!(
                drawn == svg,
                "bench/charts/{name} is not bench/c1m.json drawn: bench/run --render"
            );
        }
    }
}
