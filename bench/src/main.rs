//! One command, every scenario, every implementation, in alternation:
//! `bench/run` (or `cargo run --release --manifest-path bench/Cargo.toml`).
//!
//! Prints progress to stderr and a Markdown summary table to stdout, and with
//! `--write` replaces the results section of `BENCHMARKS.md`. `--quick`
//! shrinks every scenario for a smoke run.

mod fanout;
mod load;
mod target;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::{Duration, Instant};

use load::{Reader, data_of, get_text, millis, percentile, within};
use sse_bench::encoding::{Case, EVENTS_PER_ITERATION, drain};
use target::{Implementation, Server};

/// How big each scenario is.
struct Sizes {
    rounds: usize,
    firehose_events: u64,
    firehose_events_starlette: u64,
    idle: Vec<usize>,
    fanout: Vec<usize>,
    publishes: usize,
    connects: Vec<usize>,
    drain: Vec<usize>,
}

impl Sizes {
    fn full() -> Self {
        Sizes {
            rounds: 3,
            firehose_events: 1_000_000,
            firehose_events_starlette: 50_000,
            idle: vec![1_000, 10_000],
            fanout: vec![1_000, 10_000],
            publishes: 20,
            connects: vec![1_000, 10_000],
            drain: vec![1_000, 10_000],
        }
    }

    fn quick() -> Self {
        Sizes {
            rounds: 1,
            firehose_events: 100_000,
            firehose_events_starlette: 5_000,
            idle: vec![200],
            fanout: vec![200],
            publishes: 5,
            connects: vec![200],
            drain: vec![200],
        }
    }
}

/// Results: metric → implementation → samples.
#[derive(Default)]
struct Results {
    rows: Vec<(String, &'static str)>,
    samples: BTreeMap<(String, &'static str), Vec<f64>>,
}

impl Results {
    /// Records a sample.
    fn add(
        &mut self,
        metric: &str,
        unit: &'static str,
        implementation: Implementation,
        value: f64,
    ) {
        if !self.rows.iter().any(|(name, _)| name == metric) {
            self.rows.push((metric.to_owned(), unit));
        }
        self.samples
            .entry((metric.to_owned(), implementation.name()))
            .or_default()
            .push(value);
    }

    /// Records a p50 and a p99 in milliseconds, as `<metric>, p50` and `, p99`.
    fn add_latency(
        &mut self,
        metric: &str,
        implementation: Implementation,
        (p50, p99): (f64, f64),
    ) {
        self.add(&format!("{metric}, p50"), "ms", implementation, p50);
        self.add(&format!("{metric}, p99"), "ms", implementation, p99);
    }

    /// Records a fan-out outcome: publish → last subscriber, and deliveries.
    fn add_fanout(
        &mut self,
        metric: &str,
        implementation: Implementation,
        (p50, p99, rate): fanout::Outcome,
    ) {
        self.add_latency(
            &format!("{metric}: publish → last subscriber"),
            implementation,
            (p50, p99),
        );
        self.add(
            &format!("{metric}: deliveries"),
            "per s",
            implementation,
            rate,
        );
    }

    fn median(&self, metric: &str, implementation: Implementation) -> Option<f64> {
        let mut values = self
            .samples
            .get(&(metric.to_owned(), implementation.name()))?
            .clone();
        values.sort_by(f64::total_cmp);
        Some(percentile(&values, 50.0))
    }

    fn table(&self, implementations: &[Implementation]) -> String {
        let mut out = String::from("| scenario | unit |");
        for implementation in implementations {
            let _ = write!(out, " {} |", implementation.name());
        }
        out.push_str("\n|---|---|");
        for _ in implementations {
            out.push_str("---|");
        }
        out.push('\n');
        for (metric, unit) in &self.rows {
            let _ = write!(out, "| {metric} | {unit} |");
            let baseline = self.median(metric, Implementation::Axum);
            for &implementation in implementations {
                match self.median(metric, implementation) {
                    None => out.push_str(" n/a |"),
                    Some(value) if value.is_nan() => out.push_str(" did not finish |"),
                    Some(value) => {
                        let ratio = match baseline {
                            Some(base)
                                if implementation != Implementation::Axum
                                    && base > 0.0
                                    && !base.is_nan() =>
                            {
                                format!(" ({:.2}×)", value / base)
                            }
                            _ => String::new(),
                        };
                        let _ = write!(out, " {}{ratio} |", format_value(value));
                    }
                }
            }
            out.push('\n');
        }
        out
    }
}

fn format_value(value: f64) -> String {
    if value >= 100_000.0 {
        format!("{:.2} M", value / 1e6)
    } else if value >= 100.0 {
        format!("{value:.0}")
    } else {
        format!("{value:.2}")
    }
}

fn progress(text: &str) {
    eprintln!("[bench {:>6.1}s] {text}", START.elapsed().as_secs_f64());
}

static START: std::sync::LazyLock<Instant> = std::sync::LazyLock::new(Instant::now);

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().is_some_and(|a| a == "--load-worker") {
        // One of the fan-out load processes (see `fanout`): single-threaded.
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime")
            .block_on(fanout::worker(&args[1..]));
        return;
    }
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(bench(args));
}

/// The whole suite.
async fn bench(args: Vec<String>) {
    let sizes = if args.iter().any(|a| a == "--quick") {
        Sizes::quick()
    } else {
        Sizes::full()
    };
    let write = args.iter().any(|a| a == "--write");
    // `--only fanout,idle`: just the scenarios whose names contain one of
    // these words (firehose, first-byte, idle, fanout, hub, disconnect,
    // shutdown, encoding).
    let only: Vec<String> = args
        .iter()
        .position(|a| a == "--only")
        .and_then(|at| args.get(at + 1))
        .map(|list| list.split(',').map(str::to_owned).collect())
        .unwrap_or_default();
    let wanted =
        |scenario: &str| only.is_empty() || only.iter().any(|o| scenario.contains(o.as_str()));
    let _ = *START;

    let mut implementations = vec![
        Implementation::Axum,
        Implementation::Runtime,
        Implementation::Macro,
    ];
    if target::starlette_available().await {
        implementations.push(Implementation::Starlette);
    } else {
        progress("sse-starlette is not installed (bench/run creates the venv); skipping it");
    }
    let mut results = Results::default();

    for round in 1..=sizes.rounds {
        for &implementation in &implementations {
            let n = if implementation == Implementation::Starlette {
                sizes.firehose_events_starlette
            } else {
                sizes.firehose_events
            };
            let server = Server::start(implementation).await;
            if wanted("firehose") {
                let (events_per_s, mb_per_s) = firehose(&server, n).await;
                progress(&format!(
                    "firehose round {round}/{}: {:<16} {:>8.2} M events/s {:>7.1} MB/s",
                    sizes.rounds,
                    implementation.name(),
                    events_per_s / 1e6,
                    mb_per_s
                ));
                results.add(
                    "firehose: small JSON events, one stream",
                    "events/s",
                    implementation,
                    events_per_s,
                );
                results.add("firehose: bytes", "MB/s", implementation, mb_per_s);
            }
            for &connects in sizes.connects.iter().filter(|_| wanted("first-byte")) {
                let (p50, p99) = time_to_first_byte(&server, connects).await;
                progress(&format!(
                    "first byte round {round}/{}: {:<16} {} connects p50 {p50:.1} ms p99 {p99:.1} ms",
                    sizes.rounds,
                    implementation.name(),
                    connects
                ));
                results.add_latency(
                    &format!("time to first byte, {connects} simultaneous connects"),
                    implementation,
                    (p50, p99),
                );
            }
            server.kill().await;
        }
    }

    for &streams in sizes.idle.iter().filter(|_| wanted("idle")) {
        for &implementation in &implementations {
            let server = Server::start(implementation).await;
            let per_stream = idle_memory(&server, streams).await;
            progress(&format!(
                "idle: {:<16} {streams} streams: {per_stream:.1} KiB per stream",
                implementation.name()
            ));
            results.add(
                &format!("idle memory at {streams} streams"),
                "KiB/stream",
                implementation,
                per_stream,
            );
            server.kill().await;
        }
    }

    for &subscribers in sizes.fanout.iter().filter(|_| wanted("fanout")) {
        for &implementation in &implementations {
            let server = Server::start(implementation).await;
            let outcome = fanout::measure(
                &server,
                ("/fanout", "/publish"),
                subscribers,
                sizes.publishes,
            )
            .await;
            progress(&format!(
                "fan-out: {:<16} {subscribers} subscribers: {}",
                implementation.name(),
                fanout::describe(outcome)
            ));
            results.add_fanout(
                &format!("fan-out to {subscribers}"),
                implementation,
                outcome,
            );
            server.kill().await;
        }
    }

    // The hub (#[sse_endpoint] server), in memory and on Redis.
    let redis = if wanted("hub") {
        target::Redis::start().await
    } else {
        None
    };
    if redis.is_none() && wanted("hub") {
        progress("redis-server is not installed; the Redis hub scenario is skipped");
    }
    for &subscribers in sizes.fanout.iter().filter(|_| wanted("hub")) {
        let mut backends = vec![("in memory", None)];
        if let Some(redis) = &redis {
            backends.push(("Redis", Some(redis.url.clone())));
        }
        for (backend, url) in backends {
            let env: Vec<(&str, &str)> =
                url.iter().map(|url| ("REDIS_URL", url.as_str())).collect();
            let server = Server::start_with_env(Implementation::Macro, &env).await;
            let outcome = fanout::measure(
                &server,
                ("/hub/fanout", "/hub/publish"),
                subscribers,
                sizes.publishes,
            )
            .await;
            progress(&format!(
                "hub fan-out ({backend}): {subscribers} subscribers: {}",
                fanout::describe(outcome)
            ));
            results.add_fanout(
                &format!("hub ({backend}) fan-out to {subscribers}"),
                Implementation::Macro,
                outcome,
            );
            server.kill().await;
        }
    }
    if let Some(redis) = redis {
        redis.stop().await;
    }

    // Disconnect and shutdown: every size against every implementation.
    let drain_runs: Vec<(usize, Implementation)> = sizes
        .drain
        .iter()
        .flat_map(|&streams| implementations.iter().map(move |&i| (streams, i)))
        .collect();
    for &(streams, implementation) in drain_runs.iter().filter(|_| wanted("disconnect")) {
        let server = Server::start(implementation).await;
        let detect = disconnect_detection(&server, streams).await;
        progress(&format!(
            "disconnect: {:<16} {} clients closed, all generators dropped after {}",
            implementation.name(),
            streams,
            detect.map_or("(never)".into(), |ms| format!("{ms:.1} ms"))
        ));
        results.add(
            &format!("disconnect: {streams} clients close → all generators dropped"),
            "ms",
            implementation,
            detect.unwrap_or(f64::NAN),
        );
        server.kill().await;
    }
    for &(streams, implementation) in drain_runs.iter().filter(|_| wanted("shutdown")) {
        let server = Server::start(implementation).await;
        let drain = shutdown_drain(server, streams).await;
        progress(&format!(
            "shutdown: {:<16} {} open streams, SIGTERM → exit {}",
            implementation.name(),
            streams,
            drain.map_or("did not exit within 10 s".into(), |ms| format!(
                "{ms:.0} ms"
            ))
        ));
        results.add(
            &format!("shutdown with {streams} open streams: SIGTERM → exit"),
            "ms",
            implementation,
            drain.unwrap_or(f64::NAN),
        );
    }

    let encoding = if wanted("encoding") {
        progress("encoding microbenchmark (in-process)");
        encode_table(args.iter().any(|a| a == "--quick")).await
    } else {
        String::new()
    };
    let table = format!("{}\n{encoding}", results.table(&implementations));
    println!("{table}");
    if write {
        write_benchmarks_md(&table);
    }
}

/// Runs the criterion encoding benchmark (`benches/encoding.rs`) and returns
/// its results as a table: criterion's mean with its 95% interval, and the
/// bytes each event takes on the wire.
async fn encode_table(quick: bool) -> String {
    // This binary lives in <target>/release; criterion writes to <target>/criterion.
    let exe = std::env::current_exe().expect("own path");
    let Some(target) = exe.parent().and_then(|release| release.parent()) else {
        return "(no target directory for criterion)\n".into();
    };
    let manifest = concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml");
    let mut cargo = tokio::process::Command::new(std::env::var("CARGO").unwrap_or("cargo".into()));
    cargo
        .args([
            "bench",
            "--quiet",
            "--manifest-path",
            manifest,
            "--bench",
            "encoding",
        ])
        .env("CARGO_TARGET_DIR", target)
        // Criterion's report goes with our progress, to stderr; stdout is
        // for the table.
        .stdout(std::io::stderr());
    if quick {
        cargo.args(["--", "--quick"]);
    }
    match cargo.status().await {
        Ok(status) if status.success() => {}
        other => return format!("(criterion did not run: {other:?})\n"),
    }
    let mut table = format!(
        "| encoding (in-process, criterion, {EVENTS_PER_ITERATION} events per iteration) | M events/s (95% interval) | bytes/event |\n|---|---|---|\n"
    );
    for case in Case::ALL {
        let bytes = drain(case.body(EVENTS_PER_ITERATION).await).await;
        let rate = criterion_rate(&target.join("criterion"), case.id())
            .map_or("n/a".into(), |(low, mean, high)| {
                format!("{:.2} ({:.2}–{:.2})", mean / 1e6, low / 1e6, high / 1e6)
            });
        let _ = writeln!(
            table,
            "| {} | {rate} | {:.1} |",
            case.name(),
            bytes as f64 / EVENTS_PER_ITERATION as f64
        );
    }
    table
}

/// Events per second (low, mean, high) from criterion's estimate for
/// `(group, function)`, found by the ids it records beside it.
fn criterion_rate(
    root: &std::path::Path,
    (group, function): (&str, &str),
) -> Option<(f64, f64, f64)> {
    let read = |path: std::path::PathBuf| -> Option<serde_json::Value> {
        serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()
    };
    for group_dir in std::fs::read_dir(root).ok()?.flatten() {
        for bench_dir in std::fs::read_dir(group_dir.path()).ok()?.flatten() {
            let new = bench_dir.path().join("new");
            let Some(info) = read(new.join("benchmark.json")) else {
                continue;
            };
            if info["group_id"] != group || info["function_id"] != function {
                continue;
            }
            let mean = &read(new.join("estimates.json"))?["mean"];
            let per_iteration = |ns: &serde_json::Value| {
                ns.as_f64()
                    .map(|ns| EVENTS_PER_ITERATION as f64 / (ns * 1e-9))
            };
            // A longer time per iteration is a lower rate.
            return Some((
                per_iteration(&mean["confidence_interval"]["upper_bound"])?,
                per_iteration(&mean["point_estimate"])?,
                per_iteration(&mean["confidence_interval"]["lower_bound"])?,
            ));
        }
    }
    None
}

/// One stream of `n` small JSON events: events/s and MB/s.
async fn firehose(server: &Server, n: u64) -> (f64, f64) {
    let started = Instant::now();
    let mut reader = Reader::get(server.addr, 0, &format!("/firehose?n={n}"))
        .await
        .expect("connect");
    let mut events = 0u64;
    while reader
        .read(&mut |block| {
            if data_of(block).is_some() {
                events += 1;
            }
        })
        .await
        .expect("read")
    {}
    let seconds = started.elapsed().as_secs_f64();
    assert_eq!(events, n, "firehose delivered {events} of {n} events");
    (events as f64 / seconds, reader.bytes as f64 / seconds / 1e6)
}

/// `connects` clients connect at once; time until each has the first body
/// byte (an event or the opening comment).
async fn time_to_first_byte(server: &Server, connects: usize) -> (f64, f64) {
    let start = Instant::now();
    let tasks: Vec<_> = (0..connects)
        .map(|index| {
            let addr = server.addr;
            tokio::spawn(async move {
                let mut reader = Reader::get_small(addr, index, "/idle").await.ok()?;
                let mut seen = false;
                while !seen {
                    if !within(Duration::from_secs(30), reader.read(&mut |_| seen = true))
                        .await?
                        .ok()?
                    {
                        return None;
                    }
                }
                Some((millis(start), reader))
            })
        })
        .collect();
    let mut times = Vec::new();
    let mut readers = Vec::new();
    for task in tasks {
        if let Ok(Some((ms, reader))) = task.await {
            times.push(ms);
            readers.push(reader);
        }
    }
    drop(readers);
    times.sort_by(f64::total_cmp);
    (percentile(&times, 50.0), percentile(&times, 99.0))
}

/// Opens `streams` idle streams and returns the server's resident memory
/// growth per stream, in KiB.
async fn idle_memory(server: &Server, streams: usize) -> f64 {
    // One stream first, so code paths and allocator pools are warm.
    let mut warm = Reader::get(server.addr, 0, "/idle").await.expect("connect");
    let mut seen = false;
    while !seen {
        warm.read(&mut |_| seen = true).await.expect("read");
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let before = server.rss_kib();
    let mut readers = Vec::with_capacity(streams);
    for chunk in (1..=streams).collect::<Vec<_>>().chunks(500) {
        let opened: Vec<_> = chunk
            .iter()
            .map(|&index| {
                let addr = server.addr;
                tokio::spawn(async move {
                    let mut reader = Reader::get_small(addr, index, "/idle")
                        .await
                        .expect("connect");
                    let mut events = 0;
                    while events == 0 {
                        reader
                            .read(&mut |block| {
                                if data_of(block).is_some() {
                                    events += 1;
                                }
                            })
                            .await
                            .expect("read");
                    }
                    reader
                })
            })
            .collect();
        for task in opened {
            readers.push(task.await.expect("stream opened"));
        }
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let after = server.rss_kib();
    drop(readers);
    drop(warm);
    after.saturating_sub(before) as f64 / streams as f64
}

/// Opens `streams` streams on `/slow`, closes them all at once, and waits for
/// the server to report none open: how long until every generator is gone.
async fn disconnect_detection(server: &Server, streams: usize) -> Option<f64> {
    let readers = open_slow(server, streams).await;
    let open = get_text(server.addr, "/stats").await;
    if open.parse::<usize>().ok()? < streams {
        return None;
    }
    let closed = Instant::now();
    drop(readers);
    within(Duration::from_secs(10), async {
        loop {
            if get_text(server.addr, "/stats").await == "0" {
                return millis(closed);
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    })
    .await
}

/// Opens `streams` streams on `/slow`, sends SIGTERM and measures the time to
/// process exit (capped at 10 s).
async fn shutdown_drain(server: Server, streams: usize) -> Option<f64> {
    let readers = open_slow(&server, streams).await;
    // Keep reading so that only the server decides when streams end.
    let drains: Vec<_> = readers
        .into_iter()
        .map(|mut reader| {
            tokio::spawn(async move { while let Ok(true) = reader.read(&mut |_| {}).await {} })
        })
        .collect();
    let exit = server.terminate(Duration::from_secs(10)).await;
    for drain in drains {
        drain.abort();
    }
    exit.map(|took| took.as_secs_f64() * 1000.0)
}

async fn open_slow(server: &Server, streams: usize) -> Vec<Reader> {
    let tasks: Vec<_> = (0..streams)
        .map(|index| {
            let addr = server.addr;
            tokio::spawn(async move {
                let mut reader = Reader::get_small(addr, index, "/slow").await.ok()?;
                let mut events = 0;
                while events == 0 {
                    if !reader
                        .read(&mut |block| {
                            if data_of(block).is_some() {
                                events += 1;
                            }
                        })
                        .await
                        .ok()?
                    {
                        return None;
                    }
                }
                Some(reader)
            })
        })
        .collect();
    let mut readers = Vec::new();
    for task in tasks {
        if let Ok(Some(reader)) = task.await {
            readers.push(reader);
        }
    }
    readers
}

/// Replaces what lies between the result markers of BENCHMARKS.md.
fn write_benchmarks_md(table: &str) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../BENCHMARKS.md");
    let Ok(text) = std::fs::read_to_string(&path) else {
        eprintln!("no BENCHMARKS.md at {}; printed only", path.display());
        return;
    };
    let (begin, end) = ("<!-- results:begin -->", "<!-- results:end -->");
    let (Some(start), Some(stop)) = (text.find(begin), text.find(end)) else {
        eprintln!("BENCHMARKS.md has no result markers; printed only");
        return;
    };
    let machine = std::process::Command::new("sh")
        .args([
            "-c",
            "nproc; grep -m1 'model name' /proc/cpuinfo | cut -d: -f2; uname -sr",
        ])
        .output()
        .map(|out| {
            String::from_utf8_lossy(&out.stdout)
                .replace('\n', " ")
                .trim()
                .to_owned()
        })
        .unwrap_or_default();
    let updated = format!(
        "{}{begin}\nMachine: {machine} cores/CPU/kernel. Ratios are to axum `Sse`.\n\n{table}{}",
        &text[..start],
        &text[stop..]
    );
    std::fs::write(&path, updated).expect("write BENCHMARKS.md");
    eprintln!("updated {}", path.display());
}
