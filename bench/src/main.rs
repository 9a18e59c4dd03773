//! One command, every scenario, every implementation, in alternation:
//! `bench/run` (or `cargo run --release --manifest-path bench/Cargo.toml`).
//!
//! Every scenario runs in rounds (as many as `Sizes` says); within a round
//! each implementation gets a fresh server, in an order that rotates from
//! round to round, so a drift of the machine spreads over all of them. Prints
//! progress to stderr and Markdown tables to stdout (median and range over
//! the rounds, successes over attempts), and with `--write` keeps every
//! sample in `bench/results.json` and renders BENCHMARKS.md's generated
//! sections from it (`--render` renders them again from the file, without
//! running anything). `--quick` shrinks every scenario for a smoke run;
//! `--only firehose,idle` runs the scenarios whose names contain one of
//! these words (firehose, first-byte, idle, fanout, hub, rooms, llm, h2,
//! compression, many, disconnect, shutdown, encoding).
//!
//! `--only c1m` is a run of its own: a million streams on this machine
//! (`c1m` module); with `--write` it keeps `bench/c1m.json`, its
//! BENCHMARKS.md section and its charts, and `--quick` runs its small sizes.
//!
//! `--section NAME COMMAND` puts its standard input into BENCHMARKS.md's
//! section NAME, stamped with COMMAND, the date and the commit: how the
//! one-off profiling scripts (`bench/heap-profile --write`) record theirs.

mod benchmarks_md;
mod c1m;
mod criterion_table;
mod fanout;
mod findings;
mod llm;
mod load;
mod many;
mod metric;
mod render;
mod results;
mod run;
mod scenario_list;
mod scenarios;
mod target;
mod transport;

use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use results::{Results, Sample};
use run::{Run, Sizes, Stamp};
use target::{Implementation, Server};

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
    if args.first().is_some_and(|a| a == "--c1m-client") {
        // One of the c1m scenario's client processes (see `c1m::client`).
        c1m::client_main(&args[1..]);
        return;
    }
    if args.first().is_some_and(|a| a == "--render") {
        match Run::load() {
            Ok(run) => benchmarks_md::write(&render::sections(&run)),
            Err(error) => {
                eprintln!("cannot render: {error}");
                std::process::exit(1);
            }
        }
        // The c1m run is kept apart (it is not part of a whole run).
        if let Ok(run) = c1m::C1m::load() {
            run.write();
        }
        return;
    }
    if let Some(at) = args.iter().position(|a| a == "--only")
        && args.get(at + 1).is_some_and(|only| only == "c1m")
    {
        // A million streams: its own run, kept apart (`c1m` module docs).
        let known = |arg: &String| matches!(arg.as_str(), "--only" | "c1m" | "--quick" | "--write");
        if let Some(arg) = args.iter().find(|arg| !known(arg)) {
            eprintln!("usage: sse-bench --only c1m [--quick] [--write] (unexpected {arg:?})");
            std::process::exit(2);
        }
        let (quick, write) = (
            args.iter().any(|a| a == "--quick"),
            args.iter().any(|a| a == "--write"),
        );
        if quick && write {
            eprintln!("--write keeps a full c1m run: not with --quick");
            std::process::exit(2);
        }
        let _ = *START;
        let complete = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .expect("runtime")
            .block_on(c1m::run(quick, write));
        if !complete {
            eprintln!("c1m: not every stream opened, or a publish missed a stream (see above)");
            std::process::exit(1);
        }
        return;
    }
    if let [flag, name, command] = &args[..]
        && flag == "--section"
    {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut text).expect("stdin");
        let stamp = Stamp::now(None, None);
        let section = format!(
            "`{command}`, run on {} at commit {}, on {}:\n\n{text}",
            stamp.date, stamp.commit, stamp.machine
        );
        benchmarks_md::write(&[(name.as_str(), section)]);
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
    // A mistyped flag must not start a full run.
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "--quick" | "--write" => {}
            "--only" if rest.next().is_some() => {}
            _ => {
                eprintln!(
                    "usage: sse-bench [--quick] [--write] [--only SCENARIO,..] | --render \
                     | --section NAME COMMAND (unexpected {arg:?})"
                );
                std::process::exit(2);
            }
        }
    }
    let quick = args.iter().any(|a| a == "--quick");
    let sizes = if quick { Sizes::quick() } else { Sizes::full() };
    let write = args.iter().any(|a| a == "--write");
    // bench/results.json and BENCHMARKS.md hold one whole run: a smoke run or
    // a few scenarios would replace it with less.
    if write && (quick || args.iter().any(|a| a == "--only")) {
        eprintln!("--write records a whole run: not with --quick or --only");
        std::process::exit(2);
    }
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
    let starlette = target::starlette_stack().await;
    match &starlette {
        Some(stack) => progress(&format!("sse-starlette: {stack}")),
        None => {
            progress("sse-starlette is not installed (bench/run creates the venv); skipping it");
            main.retain(|&i| i != Implementation::Starlette);
        }
    }
    // Stamped before anything runs: the code measured is the code built now.
    let stamp = Stamp::now(starlette, load::open_files_limit());
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
    let mut many_results = Results::default();
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
                let metric = metric::fan_out(subscribers);
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
            many::measure(
                &mut many_results,
                sizes.many,
                redis.as_ref(),
                (round, &label),
            )
            .await;
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
        Some(criterion_table::encode_table(quick).await)
    } else {
        None
    };
    let run = Run {
        stamp,
        sizes,
        main,
        results,
        many: many_results,
        rooms,
        llm: llm_rows,
        transport: transport_rows,
        encoding,
        wall_seconds: Some(START.elapsed().as_secs()),
    };
    let sections = render::sections(&run);
    for (_, text) in &sections {
        println!("{text}");
    }
    if write {
        run.save();
        benchmarks_md::write(&sections);
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
    let counts = |value| Sample::new(value, events, n);
    results.add(
        metric::FIREHOSE,
        "events/s",
        implementation,
        counts(events_per_s),
    );
    results.add(
        metric::FIREHOSE_BYTES,
        "MB/s",
        implementation,
        counts(mb_per_s),
    );
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
            &metric::first_byte(connects),
            implementation,
            (p50, p99),
            (ok, connects as u64),
            None,
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
    let sample = |value| Sample::new(value, opened, streams as u64);
    results.add(
        &metric::idle_memory(&format!("{streams} streams")),
        "KiB/stream",
        implementation,
        sample(per_stream),
    );
    results.add(
        &metric::idle_open(streams),
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
        match &outcome {
            Ok(outcome) => fanout::describe(*outcome),
            Err(why) => format!("did not finish: {why}"),
        }
    ));
    let attempted = (subscribers * publishes) as u64;
    // A fan-out either delivers every publish to every subscriber or is
    // abandoned: a round that does not finish counts all of its deliveries
    // as lost.
    let ((p50, p99, rate), succeeded, failure) = match outcome {
        Ok(outcome) => (outcome, attempted, None),
        Err(why) => ((f64::NAN, f64::NAN, f64::NAN), 0, Some(why)),
    };
    results.add_latency(
        &metric::last_delivery(metric),
        implementation,
        (p50, p99),
        (succeeded, attempted),
        failure.as_deref(),
    );
    let mut sample = Sample::new(rate, succeeded, attempted);
    sample.failure = failure;
    results.add(&metric::deliveries(metric), "per s", implementation, sample);
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
        let metric = metric::hub_fan_out(backend, &sizes.0.to_string());
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
#[derive(Default, Serialize, Deserialize)]
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

    /// Rooms subscribed over rooms attempted, per row.
    fn counts(&self, sizes: &Sizes) -> Vec<(String, u64, u64)> {
        let (left_rooms, held_rooms) = sizes.rooms;
        [
            ("left", &self.memory, left_rooms),
            ("held on Redis", &self.redis, held_rooms),
        ]
        .into_iter()
        .filter(|(_, rows, _)| !rows.is_empty())
        .map(|(what, rows, attempted)| {
            (
                format!("rooms {what}: subscribed"),
                rows.iter().map(|r| r.2).sum(),
                (attempted * rows.len()) as u64,
            )
        })
        .collect()
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
#[derive(Default, Serialize, Deserialize)]
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

    /// Aborts measured over aborts attempted.
    fn counts(&self, sizes: &Sizes) -> Vec<(String, u64, u64)> {
        if self.cancellation.is_empty() {
            return Vec::new();
        }
        vec![(
            "llm: aborts measured".to_owned(),
            self.cancellation.iter().map(|r| r.3 as u64).sum(),
            (sizes.llm.1 * self.cancellation.len()) as u64,
        )]
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
#[derive(Default, Serialize, Deserialize)]
struct TransportRows {
    h2_firehose: Measured,
    h1_firehose: Measured,
    h2_idle: Measured,
    h1_idle: Measured,
    /// Per encoding, per round.
    compression: Vec<(String, transport::CompressionSample)>,
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
            self.compression.push((encoding.to_owned(), sample));
        }
        server.kill().await;
    }

    /// Events or streams that arrived over those attempted, per row.
    fn counts(&self) -> Vec<(String, u64, u64)> {
        let mut counts: Vec<(String, u64, u64)> = [
            ("HTTP/2 firehose", &self.h2_firehose),
            ("HTTP/1.1 firehose beside HTTP/2", &self.h1_firehose),
            ("HTTP/2 idle streams", &self.h2_idle),
            ("HTTP/1.1 idle streams beside HTTP/2", &self.h1_idle),
        ]
        .into_iter()
        .filter(|(_, rows)| !rows.is_empty())
        .map(|(what, rows)| {
            (
                what.to_owned(),
                rows.iter().map(|r| r.1).sum(),
                rows.iter().map(|r| r.2).sum(),
            )
        })
        .collect();
        for encoding in transport::ENCODINGS {
            let samples = self.compression.iter().filter(|(e, _)| e == encoding);
            let (succeeded, attempted) = samples.fold((0, 0), |(s, a), (_, sample)| {
                (s + sample.events, a + sample.attempted)
            });
            if attempted > 0 {
                counts.push((
                    format!("compression `{encoding}`: events"),
                    succeeded,
                    attempted,
                ));
            }
        }
        counts
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
        &metric::disconnect(streams),
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
        &metric::shutdown(streams),
        "ms",
        implementation,
        Sample::timing(took, opened, streams),
    );
}
