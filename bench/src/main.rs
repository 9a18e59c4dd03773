//! One command, every scenario, every implementation, in alternation:
//! `bench/run` (or `cargo run --release --manifest-path bench/Cargo.toml`).
//!
//! Every scenario runs in rounds (3 in a full run); within a round each
//! implementation gets a fresh server, in an order that rotates from round
//! to round, so a drift of the machine spreads over all of them. Prints
//! progress to stderr and Markdown tables to stdout (median and range over
//! the rounds, successes over attempts), and with `--write` replaces the
//! results section of `BENCHMARKS.md`. `--quick` shrinks every scenario for
//! a smoke run; `--only firehose,idle` runs the scenarios whose names
//! contain one of these words (firehose, first-byte, idle, fanout, hub,
//! many, disconnect, shutdown, encoding).

mod benchmarks_md;
mod criterion_table;
mod fanout;
mod llm;
mod load;
mod many;
mod results;
mod scenarios;
mod target;
mod transport;

use std::time::{Duration, Instant};

use results::{Results, Sample};
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
    /// Distinct rooms subscribed once and left (in memory), and rooms held
    /// at once (on Redis).
    rooms: (usize, usize),
    /// Tokens streamed for the cost per token, and aborts timed.
    llm: (usize, usize),
    /// HTTP/2: streams on one connection, events each; idle connections
    /// and streams on each.
    h2: (usize, u64, usize, usize),
    /// Compression: chat events unpaced, then paced.
    compression: (u64, u64),
    /// Many streams: idle ones, then hub subscribers for this many
    /// publishes.
    many: (usize, usize),
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
            rooms: (100_000, 10_000),
            llm: (100_000, 20),
            h2: (100, 10_000, 100, 100),
            compression: (100_000, 500),
            many: (100_000, 10),
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
            rooms: (2_000, 500),
            llm: (10_000, 5),
            h2: (20, 1_000, 10, 20),
            compression: (10_000, 100),
            many: (2_000, 3),
        }
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
    if args.first().is_some_and(|a| a == "--hold-idle") {
        // For bench/heap-profile and the many-streams rows: opens idle
        // streams and holds them.
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .expect("runtime")
            .block_on(hold_idle(&args[1..]));
        return;
    }
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(bench(args));
}

/// `--hold-idle PORT STREAMS [FIRST]`: opens that many idle streams to the
/// server on `127.0.0.1:PORT` (source addresses from index `FIRST`, 0 by
/// default), prints `HELD <opened>` and holds them until killed.
async fn hold_idle(args: &[String]) {
    let port: u16 = args.first().and_then(|p| p.parse().ok()).expect("PORT");
    let streams: usize = args.get(1).and_then(|n| n.parse().ok()).expect("STREAMS");
    let first: usize = args.get(2).map_or(0, |n| n.parse().expect("FIRST"));
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let readers = scenarios::open_idle(addr, first, streams).await;
    println!("HELD {}", readers.len());
    std::future::pending::<()>().await;
}

/// Which implementations run which scenario.
struct Lineup {
    main: Vec<Implementation>,
    /// The isolation rows: server and response effects apart.
    isolation: Vec<Implementation>,
}

impl Lineup {
    /// The main servers, then the isolation ones that tell something in
    /// `scenario` (one event per frame differs from the runtime only in the
    /// firehose), rotated by `round`.
    fn for_scenario(&self, scenario: &str, round: usize) -> Vec<Implementation> {
        let mut lineup = self.main.clone();
        for &implementation in &self.isolation {
            let tells = match implementation {
                Implementation::RuntimeOneEventPerFrame => scenario == "firehose",
                _ => true,
            };
            if tells && !lineup.contains(&implementation) {
                lineup.push(implementation);
            }
        }
        let turn = round % lineup.len();
        lineup.rotate_left(turn);
        lineup
    }
}

/// The whole suite.
async fn bench(args: Vec<String>) {
    let quick = args.iter().any(|a| a == "--quick");
    let sizes = if quick { Sizes::quick() } else { Sizes::full() };
    let write = args.iter().any(|a| a == "--write");
    let only: Vec<String> = args
        .iter()
        .position(|a| a == "--only")
        .and_then(|at| args.get(at + 1))
        .map(|list| list.split(',').map(str::to_owned).collect())
        .unwrap_or_default();
    let wanted =
        |scenario: &str| only.is_empty() || only.iter().any(|o| scenario.contains(o.as_str()));
    let _ = *START;

    let mut main = Implementation::MAIN.to_vec();
    if !target::starlette_available().await {
        progress("sse-starlette is not installed (bench/run creates the venv); skipping it");
        main.retain(|&i| i != Implementation::Starlette);
    }
    let lineup = Lineup {
        main: main.clone(),
        isolation: Implementation::ISOLATION.to_vec(),
    };
    let redis = if wanted("hub") || wanted("rooms") || wanted("many") {
        target::Redis::start().await
    } else {
        None
    };
    if redis.is_none() && wanted("hub") {
        progress("redis-server is not installed; the Redis hub scenario is skipped");
    }
    let mut results = Results::default();
    let mut rooms = RoomRows::default();
    let mut llm_rows = LlmRows::default();
    let mut transport_rows = TransportRows::default();
    for round in 1..=sizes.rounds {
        let label = format!("round {round}/{}", sizes.rounds);
        if wanted("firehose") {
            for implementation in lineup.for_scenario("firehose", round) {
                firehose(&mut results, &sizes, implementation, &label).await;
            }
        }
        if wanted("first-byte") {
            for implementation in lineup.for_scenario("first-byte", round) {
                first_byte(&mut results, &sizes, implementation, &label).await;
            }
        }
        for &streams in sizes.idle.iter().filter(|_| wanted("idle")) {
            for implementation in lineup.for_scenario("idle", round) {
                idle(&mut results, streams, implementation, &label).await;
            }
        }
        for &subscribers in sizes.fanout.iter().filter(|_| wanted("fanout")) {
            for implementation in lineup.for_scenario("fanout", round) {
                let server = Server::start(implementation).await;
                let path = ("/fanout", "/publish");
                let metric = format!("fan-out to {subscribers}");
                fan_out(
                    &mut results,
                    &fanout::Targets::one(&server, path),
                    (subscribers, sizes.publishes),
                    (implementation, &metric, &label),
                )
                .await;
                server.kill().await;
            }
        }
        for &subscribers in sizes.fanout.iter().filter(|_| wanted("hub")) {
            hub(
                &mut results,
                redis.as_ref(),
                (subscribers, sizes.publishes),
                &label,
            )
            .await;
        }
        if wanted("rooms") {
            rooms.measure(&sizes, redis.as_ref(), &label).await;
        }
        if wanted("llm") {
            llm_rows.measure(&sizes, &label).await;
        }
        if wanted("h2") {
            transport_rows.measure_h2(&sizes, &label).await;
        }
        if wanted("compression") {
            transport_rows.measure_compression(&sizes, &label).await;
        }
        if wanted("many") {
            many::measure(&mut results, sizes.many, redis.as_ref(), (round, &label)).await;
        }
        for &streams in sizes.drain.iter().filter(|_| wanted("disconnect")) {
            for implementation in lineup.for_scenario("disconnect", round) {
                disconnect(&mut results, streams, implementation, &label).await;
            }
        }
        for &streams in sizes.drain.iter().filter(|_| wanted("shutdown")) {
            for implementation in lineup.for_scenario("shutdown", round) {
                shutdown(&mut results, streams, implementation, &label).await;
            }
        }
    }
    if let Some(redis) = redis {
        redis.stop().await;
    }

    let encoding = if wanted("encoding") {
        progress("encoding microbenchmark (in-process)");
        criterion_table::encode_table(quick).await
    } else {
        String::new()
    };
    let rounds = sizes.rounds;
    let mut everyone = main.clone();
    everyone.extend(
        Implementation::ISOLATION
            .into_iter()
            .filter(|i| !main.contains(i)),
    );
    let table = format!(
        "Each cell: the median of {rounds} rounds (lowest–highest), then the ratio to axum `Sse`'s \
         median; ≈ marks a ratio whose range overlaps axum `Sse`'s, a difference within this \
         machine's noise; ⚠ marks a cell where connections or events were lost \
         (succeeded/attempted over all rounds; the last table gives them for every row).\n\n\
         {}\n\
         ### One difference at a time\n\n\
         The servers differ in more than their responses (`sse_runtime::serve` sets `TCP_NODELAY` \
         and serves HTTP/1 only). These rows swap one part at a time: axum's responses under our \
         server, ours under `axum::serve` (on an `SseListener` with `make_service`, as the docs set it up), and \
         ours with a stream that is pending after every event, so nothing is coalesced.\n\n\
         {}\n\
         ### Successes\n\n\
         {}\n{}{}{}{encoding}",
        results.table(&main),
        results.table(&Implementation::ISOLATION),
        results.completeness(&everyone),
        rooms.table(&sizes),
        llm_rows.table(&sizes),
        transport_rows.table(&sizes),
    );
    println!("{table}");
    if write {
        benchmarks_md::write(&table);
    }
}

async fn firehose(
    results: &mut Results,
    sizes: &Sizes,
    implementation: Implementation,
    label: &str,
) {
    let n = if implementation == Implementation::Starlette {
        sizes.firehose_events_starlette
    } else {
        sizes.firehose_events
    };
    let server = Server::start(implementation).await;
    let (events_per_s, mb_per_s, events) = scenarios::firehose(&server, n).await;
    server.kill().await;
    progress(&format!(
        "firehose {label}: {:<32} {:>8.2} M events/s {:>7.1} MB/s ({events}/{n} events)",
        implementation.name(),
        events_per_s / 1e6,
        mb_per_s
    ));
    let counts = |value| Sample {
        value,
        succeeded: events,
        attempted: n,
    };
    results.add(
        "firehose: small JSON events, one stream",
        "events/s",
        implementation,
        counts(events_per_s),
    );
    results.add("firehose: bytes", "MB/s", implementation, counts(mb_per_s));
}

async fn first_byte(
    results: &mut Results,
    sizes: &Sizes,
    implementation: Implementation,
    label: &str,
) {
    let server = Server::start(implementation).await;
    for &connects in &sizes.connects {
        let (p50, p99, ok) = scenarios::time_to_first_byte(&server, connects).await;
        progress(&format!(
            "first byte {label}: {:<32} {connects} connects: p50 {p50:.1} ms p99 {p99:.1} ms ({ok}/{connects})",
            implementation.name(),
        ));
        results.add_latency(
            &format!("time to first byte, {connects} simultaneous connects"),
            implementation,
            (p50, p99),
            (ok, connects as u64),
        );
    }
    server.kill().await;
}

async fn idle(results: &mut Results, streams: usize, implementation: Implementation, label: &str) {
    let server = Server::start(implementation).await;
    let (per_stream, opened, open_secs) = scenarios::idle_memory(&server, streams).await;
    server.kill().await;
    progress(&format!(
        "idle {label}: {:<32} {opened}/{streams} streams: {per_stream:.2} KiB per stream, all open in {open_secs:.1} s",
        implementation.name()
    ));
    let sample = |value| Sample {
        value,
        succeeded: opened,
        attempted: streams as u64,
    };
    results.add(
        &format!("idle memory at {streams} streams"),
        "KiB/stream",
        implementation,
        sample(per_stream),
    );
    results.add(
        &format!("idle: open {streams} streams, 500 at a time, each to its first event"),
        "s",
        implementation,
        sample(open_secs),
    );
}

/// One fan-out measurement: `publishes` to `subscribers`, recorded as
/// publish → last subscriber and deliveries per second.
async fn fan_out(
    results: &mut Results,
    targets: &fanout::Targets<'_>,
    (subscribers, publishes): (usize, usize),
    (implementation, metric, label): (Implementation, &str, &str),
) {
    let outcome = fanout::measure(targets, subscribers, publishes).await;
    progress(&format!(
        "{metric} {label}: {:<32} {}",
        implementation.name(),
        fanout::describe(outcome)
    ));
    let (p50, p99, rate) = outcome;
    let attempted = (subscribers * publishes) as u64;
    // A fan-out either delivers every publish to every subscriber or is
    // abandoned (a stream that ends or a publish not delivered in 30 s).
    let succeeded = if rate.is_nan() { 0 } else { attempted };
    results.add_latency(
        &format!("{metric}: publish → last subscriber"),
        implementation,
        (p50, p99),
        (succeeded, attempted),
    );
    results.add(
        &format!("{metric}: deliveries"),
        "per s",
        implementation,
        Sample {
            value: rate,
            succeeded,
            attempted,
        },
    );
}

/// The hub (an `#[sse_endpoint]` server) in memory and on Redis.
async fn hub(
    results: &mut Results,
    redis: Option<&target::Redis>,
    sizes: (usize, usize),
    label: &str,
) {
    let mut backends = vec![("in memory", None)];
    if let Some(redis) = redis {
        backends.push(("Redis", Some(redis.url.clone())));
    }
    for (backend, url) in backends {
        let env: Vec<(&str, &str)> = url.iter().map(|url| ("REDIS_URL", url.as_str())).collect();
        let server = Server::start_with_env(Implementation::Macro, &env).await;
        let metric = format!("hub ({backend}) fan-out to {}", sizes.0);
        fan_out(
            results,
            &fanout::Targets::one(&server, ("/hub/fanout", "/hub/publish")),
            sizes,
            (Implementation::Macro, &metric, label),
        )
        .await;
        server.kill().await;
    }
}

/// The hub's topics under a client that names its own rooms: memory once
/// they all left, and Redis connections while they are held.
#[derive(Default)]
struct RoomRows {
    /// Per round: MiB grown, topics left, rooms subscribed.
    memory: Vec<(f64, u64, u64)>,
    /// Per round: Redis connections, topics left, rooms subscribed.
    redis: Vec<(f64, u64, u64)>,
}

impl RoomRows {
    async fn measure(&mut self, sizes: &Sizes, redis: Option<&target::Redis>, label: &str) {
        let (left_rooms, held_rooms) = sizes.rooms;
        let server = Server::start(Implementation::Macro).await;
        let row = scenarios::rooms_left(&server, left_rooms).await;
        server.kill().await;
        progress(&format!(
            "rooms {label}: {}/{left_rooms} rooms subscribed once and left: +{:.1} MiB, {} topics held",
            row.2, row.0, row.1
        ));
        self.memory.push(row);
        let Some(redis) = redis else {
            return;
        };
        let env = [("REDIS_URL", redis.url.as_str())];
        let server = Server::start_with_env(Implementation::Macro, &env).await;
        let row = scenarios::rooms_on_redis(&server, redis.addr(), held_rooms).await;
        server.kill().await;
        progress(&format!(
            "rooms {label}: {}/{held_rooms} rooms held on Redis: {} Redis connections, {} topics held after",
            row.2, row.0, row.1
        ));
        self.redis.push(row);
    }

    fn table(&self, sizes: &Sizes) -> String {
        if self.memory.is_empty() {
            return String::new();
        }
        let (left_rooms, held_rooms) = sizes.rooms;
        let mut table = String::from(
            "### Hub topics a client names\n\n\
             `#[sse_endpoint]` at `/hub/rooms/{room}` subscribing to the hub topic named in \
             the path. Each cell: the median of the rounds (lowest–highest).\n\n\
             | scenario | measured | topics held after the clients left | subscribed |\n\
             |---|---|---|---|\n",
        );
        let mut row = |name: String, unit: &str, rows: &[(f64, u64, u64)], attempted: usize| {
            let mut values: Vec<f64> = rows.iter().map(|r| r.0).collect();
            values.sort_by(f64::total_cmp);
            let median = values[values.len() / 2];
            let left = rows.iter().map(|r| r.1).max().unwrap_or(0);
            let subscribed: u64 = rows.iter().map(|r| r.2).sum();
            table.push_str(&format!(
                "| {name} | {median:.1} {unit} ({:.1}–{:.1}) | {left} | {subscribed}/{} |\n",
                values[0],
                values[values.len() - 1],
                attempted * rows.len()
            ));
        };
        row(
            format!("{left_rooms} rooms subscribed once and left, in memory"),
            "MiB of server memory grown",
            &self.memory,
            left_rooms,
        );
        if !self.redis.is_empty() {
            row(
                format!("{held_rooms} rooms with a subscriber each, on Redis"),
                "Redis connections held by the server",
                &self.redis,
                held_rooms,
            );
        }
        table.push('\n');
        table
    }
}

/// The `llm` example: the cost per streamed token, and how soon the model
/// stops after a client aborts.
#[derive(Default)]
struct LlmRows {
    /// Per round: µs per token and tokens per second.
    per_token: Vec<(f64, f64)>,
    /// Per round: p50 and p99 ms from abort to stop, most extra tokens,
    /// aborts measured.
    cancellation: Vec<(f64, f64, u64, usize)>,
}

impl LlmRows {
    async fn measure(&mut self, sizes: &Sizes, label: &str) {
        let (tokens, aborts) = sizes.llm;
        let Some(server) = llm::LlmServer::start(0).await else {
            progress("examples/llm is not built (bench/run builds it); skipping the llm rows");
            return;
        };
        if let Some(row) = llm::per_token(&server, tokens).await {
            progress(&format!(
                "llm {label}: {tokens} tokens streamed: {:.2} µs per token, {:.0} tokens/s",
                row.0, row.1
            ));
            self.per_token.push(row);
        }
        server.kill().await;
        let Some(server) = llm::LlmServer::start(20).await else {
            return;
        };
        let row = llm::cancellation(&server, aborts).await;
        server.kill().await;
        progress(&format!(
            "llm {label}: abort → model stopped p50 {:.2} ms p99 {:.2} ms, at most {} extra tokens ({}/{aborts})",
            row.0, row.1, row.2, row.3
        ));
        self.cancellation.push(row);
    }

    fn table(&self, sizes: &Sizes) -> String {
        if self.per_token.is_empty() && self.cancellation.is_empty() {
            return String::new();
        }
        let (tokens, aborts) = sizes.llm;
        let range = |values: &mut Vec<f64>, digits: usize| {
            values.sort_by(f64::total_cmp);
            let median = values[values.len() / 2];
            let (low, high) = (values[0], values[values.len() - 1]);
            format!("{median:.digits$} ({low:.digits$}–{high:.digits$})")
        };
        let mut table = String::from(
            "### LLM token streams\n\n\
             `examples/llm`, an OpenAI-compatible server over a fake model, with the official \
             request and chunk format (a `chat.completion.chunk` of JSON per token). Each cell: \
             the median of the rounds (lowest–highest).\n\n\
             | scenario | measured |\n|---|---|\n",
        );
        if !self.per_token.is_empty() {
            let mut micros: Vec<f64> = self.per_token.iter().map(|r| r.0).collect();
            let mut rate: Vec<f64> = self.per_token.iter().map(|r| r.1).collect();
            table.push_str(&format!(
                "| one completion of {tokens} tokens, no model delay: the framework's cost per token | {} µs per token; {} tokens/s |\n",
                range(&mut micros, 2),
                range(&mut rate, 0)
            ));
        }
        if !self.cancellation.is_empty() {
            let mut p50: Vec<f64> = self.cancellation.iter().map(|r| r.0).collect();
            let mut p99: Vec<f64> = self.cancellation.iter().map(|r| r.1).collect();
            let extra = self.cancellation.iter().map(|r| r.2).max().unwrap_or(0);
            let measured: usize = self.cancellation.iter().map(|r| r.3).sum();
            table.push_str(&format!(
                "| a client aborts after 3 tokens (20 ms per token): abort → model stopped | p50 {} ms, p99 {} ms; at most {extra} token(s) produced beyond those read ({measured}/{} aborts measured) |\n",
                range(&mut p50, 2),
                range(&mut p99, 2),
                aborts * self.cancellation.len()
            ));
        }
        table.push('\n');
        table
    }
}

/// Per round: a value and how many of how many succeeded.
type Measured = Vec<(f64, u64, u64)>;

/// HTTP/2 against HTTP/1.1, and compression: rows of their own, measured on
/// the runtime's responses.
#[derive(Default)]
struct TransportRows {
    h2_firehose: Measured,
    h1_firehose: Measured,
    h2_idle: Measured,
    h1_idle: Measured,
    /// Per encoding, per round.
    compression: Vec<(&'static str, transport::CompressionSample)>,
}

impl TransportRows {
    async fn measure_h2(&mut self, sizes: &Sizes, label: &str) {
        let (streams, per_stream, connections, per_connection) = sizes.h2;
        let attempted = streams as u64 * per_stream;
        let server = Server::start(Implementation::RuntimeHttp2).await;
        let (rate, events) = transport::h2_firehose(&server, streams, per_stream).await;
        server.kill().await;
        progress(&format!(
            "h2 {label}: firehose, {streams} streams on one HTTP/2 connection: {:.2} M events/s ({events}/{attempted})",
            rate / 1e6
        ));
        self.h2_firehose.push((rate, events, attempted));
        let server = Server::start(Implementation::Runtime).await;
        let (rate, events) = transport::h1_firehose(&server, streams, per_stream).await;
        server.kill().await;
        progress(&format!(
            "h2 {label}: firehose, {streams} HTTP/1.1 connections: {:.2} M events/s ({events}/{attempted})",
            rate / 1e6
        ));
        self.h1_firehose.push((rate, events, attempted));

        let idle = (connections * per_connection) as u64;
        let server = Server::start(Implementation::RuntimeHttp2).await;
        let (kib, opened) = transport::h2_idle_memory(&server, connections, per_connection).await;
        server.kill().await;
        progress(&format!(
            "h2 {label}: idle, {per_connection} streams on each of {connections} HTTP/2 connections: {kib:.2} KiB/stream ({opened}/{idle})"
        ));
        self.h2_idle.push((kib, opened, idle));
        let server = Server::start(Implementation::Runtime).await;
        let (kib, opened, _) = scenarios::idle_memory(&server, idle as usize).await;
        server.kill().await;
        progress(&format!(
            "h2 {label}: idle, {idle} HTTP/1.1 connections: {kib:.2} KiB/stream ({opened}/{idle})"
        ));
        self.h1_idle.push((kib, opened, idle));
    }

    async fn measure_compression(&mut self, sizes: &Sizes, label: &str) {
        let (n, paced) = sizes.compression;
        let server = Server::start(Implementation::Runtime).await;
        for encoding in transport::ENCODINGS {
            let every = Duration::from_millis(2);
            let Some(sample) = transport::compression(&server, encoding, n, paced, every).await
            else {
                progress(&format!("compression {label}: {encoding} failed"));
                continue;
            };
            progress(&format!(
                "compression {label}: {encoding:<8} {:.1} B/event, {:.2} µs CPU/event, latency p50 {:.2} ms p99 {:.2} ms ({}/{})",
                sample.bytes_per_event,
                sample.cpu_micros,
                sample.latency_ms.0,
                sample.latency_ms.1,
                sample.events,
                sample.attempted
            ));
            self.compression.push((encoding, sample));
        }
        server.kill().await;
    }

    fn table(&self, sizes: &Sizes) -> String {
        if self.h2_firehose.is_empty() && self.compression.is_empty() {
            return String::new();
        }
        let (streams, per_stream, connections, per_connection) = sizes.h2;
        let (n, paced) = sizes.compression;
        let range = |values: &[f64], digits: usize| {
            let mut values = values.to_vec();
            values.sort_by(f64::total_cmp);
            let median = values[values.len() / 2];
            let (low, high) = (values[0], values[values.len() - 1]);
            format!("{median:.digits$} ({low:.digits$}–{high:.digits$})")
        };
        let counted = |rows: &Measured, digits: usize, scale: f64| {
            let values: Vec<f64> = rows.iter().map(|r| r.0 / scale).collect();
            let succeeded: u64 = rows.iter().map(|r| r.1).sum();
            let attempted: u64 = rows.iter().map(|r| r.2).sum();
            format!("{} ({succeeded}/{attempted})", range(&values, digits))
        };
        let mut table = String::from(
            "### HTTP/2 and compression\n\n\
             The runtime's responses under `sse_runtime::serve`: with cleartext HTTP/2 on \
             (`.http2(true)`, hyper's HTTP/2 client with prior knowledge; over TLS the streams are \
             the same), against one stream per HTTP/1.1 connection to that server (which keeps \
             them in hyper's connection: lean streams are for servers of HTTP/1 only); and \
             tower-http's \
             `CompressionLayer` forced on for a stream of chat-shaped JSON events \
             (`bench-server`'s `/chat`, tower-http's default levels). Each cell: the median of \
             the rounds (lowest–highest), then succeeded/attempted.\n\n\
             | scenario | unit | measured |\n|---|---|---|\n",
        );
        if !self.h2_firehose.is_empty() {
            table.push_str(&format!(
                "| firehose: {streams} streams of {per_stream} small JSON events on one HTTP/2 connection | M events/s | {} |\n\
                 | firehose: the same {streams} streams, one HTTP/1.1 connection each | M events/s | {} |\n\
                 | idle memory: {} streams, {per_connection} on each of {connections} HTTP/2 connections | KiB/stream | {} |\n\
                 | idle memory: {} streams, one HTTP/1.1 connection each | KiB/stream | {} |\n",
                counted(&self.h2_firehose, 2, 1e6),
                counted(&self.h1_firehose, 2, 1e6),
                connections * per_connection,
                counted(&self.h2_idle, 2, 1.0),
                connections * per_connection,
                counted(&self.h1_idle, 2, 1.0),
            ));
        }
        let identity = |f: fn(&transport::CompressionSample) -> f64| -> Vec<f64> {
            self.compression
                .iter()
                .filter(|(encoding, _)| *encoding == "identity")
                .map(|(_, sample)| f(sample))
                .collect()
        };
        let median = |values: &[f64]| {
            let mut values = values.to_vec();
            values.sort_by(f64::total_cmp);
            values.get(values.len() / 2).copied()
        };
        let share_of = |mine: &[f64], identity: &[f64]| match (median(mine), median(identity)) {
            (Some(mine), Some(identity)) => {
                format!(" ({:.1}% of identity)", 100.0 * mine / identity)
            }
            _ => String::new(),
        };
        for encoding in transport::ENCODINGS {
            let samples: Vec<&transport::CompressionSample> = self
                .compression
                .iter()
                .filter(|(e, _)| *e == encoding)
                .map(|(_, sample)| sample)
                .collect();
            if samples.is_empty() {
                continue;
            }
            let of = |f: fn(&transport::CompressionSample) -> f64| -> Vec<f64> {
                samples.iter().map(|s| f(s)).collect()
            };
            let bytes = of(|s| s.bytes_per_event);
            let paced_bytes = of(|s| s.paced_bytes_per_event);
            let succeeded: u64 = samples.iter().map(|s| s.events).sum();
            let attempted: u64 = samples.iter().map(|s| s.attempted).sum();
            table.push_str(&format!(
                "| `{encoding}`: {n} chat events as fast as they are taken | bytes/event on the wire; \
                 server CPU per event | {} B{}; {} µs |\n\
                 | `{encoding}`: {paced} chat events 2 ms apart | bytes/event on the wire; \
                 made → read and decoded, p50 and p99 | {} B{}; p50 {} ms, p99 {} ms \
                 ({succeeded}/{attempted} events over both rows) |\n",
                range(&bytes, 1),
                share_of(&bytes, &identity(|s| s.bytes_per_event)),
                range(&of(|s| s.cpu_micros), 3),
                range(&paced_bytes, 1),
                share_of(&paced_bytes, &identity(|s| s.paced_bytes_per_event)),
                range(&of(|s| s.latency_ms.0), 3),
                range(&of(|s| s.latency_ms.1), 3),
            ));
        }
        table.push('\n');
        table
    }
}

async fn disconnect(
    results: &mut Results,
    streams: usize,
    implementation: Implementation,
    label: &str,
) {
    let server = Server::start(implementation).await;
    let (took, opened) = scenarios::disconnect_detection(&server, streams).await;
    server.kill().await;
    progress(&format!(
        "disconnect {label}: {:<32} {opened}/{streams} clients closed, all generators dropped after {}",
        implementation.name(),
        took.map_or("(never)".into(), |ms| format!("{ms:.1} ms"))
    ));
    results.add(
        &format!("disconnect: {streams} clients close → all generators dropped"),
        "ms",
        implementation,
        Sample::timing(took, opened, streams),
    );
}

async fn shutdown(
    results: &mut Results,
    streams: usize,
    implementation: Implementation,
    label: &str,
) {
    let server = Server::start(implementation).await;
    let (took, opened) = scenarios::shutdown_drain(server, streams).await;
    progress(&format!(
        "shutdown {label}: {:<32} {opened}/{streams} open streams, SIGTERM → exit {}",
        implementation.name(),
        took.map_or("did not exit within 10 s".into(), |ms| format!(
            "{ms:.0} ms"
        ))
    ));
    results.add(
        &format!("shutdown with {streams} open streams: SIGTERM → exit"),
        "ms",
        implementation,
        Sample::timing(took, opened, streams),
    );
}
