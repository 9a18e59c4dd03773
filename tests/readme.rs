//! Everything README.md states is what the code, the tests or BENCHMARKS.md
//! say: its code excerpts are the examples' code (each `rust,ignore` block
//! that names its source file appears there, line for line), its benchmark
//! figures are BENCHMARKS.md's tables', its defaults are the runtime's
//! constants, and its account of each test is that test's lines.
//! BENCHMARKS.md's own figures are checked by `tests/benchmarks_md.rs`.

use std::fs;

use sse_test_support::docs::{generated_sections, one_line, table_after, thousands};

/// The first `rust,ignore` block of README's section `heading` appears in
/// `source`, line for line.
fn check_excerpt(heading: &str, source: &str) {
    let readme = fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let path = format!("{}/{source}", env!("CARGO_MANIFEST_DIR"));
    let source = fs::read_to_string(&path).unwrap();
    let section = readme
        .split(heading)
        .nth(1)
        .unwrap_or_else(|| panic!("the README's section {heading:?}"));
    let excerpt = section
        .split("```rust,ignore\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("its code block");
    assert!(
        source.contains(excerpt),
        "README's excerpt under {heading:?} differs from {path}; copy it again:\n{excerpt}"
    );
}

#[test]
fn the_llm_excerpt_is_the_examples_code() {
    check_excerpt("### LLM token streams", "examples/llm/main.rs");
}

#[test]
fn the_testing_example_is_a_test_that_runs() {
    check_excerpt(
        "## Testing your endpoints",
        "tests/testing_your_endpoints.rs",
    );
}

#[test]
fn the_observability_excerpt_is_the_examples_code() {
    check_excerpt(
        "## Running it: metrics, probes, drain, traces",
        "examples/observability.rs",
    );
}

#[test]
fn the_mcp_excerpt_is_the_examples_code() {
    check_excerpt("### MCP servers", "examples/mcp/main.rs");
}

/// BENCHMARKS.md.
fn benchmarks() -> String {
    fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/BENCHMARKS.md")).unwrap()
}

/// README.md.
fn readme() -> String {
    fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap()
}

/// The cells of BENCHMARKS.md's first row that starts with `scenario`,
/// each with the name of its column (the header of its table).
fn benchmark_row(scenario: &str) -> Vec<(String, String)> {
    let benchmarks = benchmarks();
    let mut header: Vec<String> = Vec::new();
    for line in benchmarks.lines() {
        let cells: Vec<String> = line.split('|').map(|cell| cell.trim().to_owned()).collect();
        if line.starts_with("| scenario |") || line.starts_with("| encoding ") {
            header = cells;
        } else if line.starts_with(&format!("| {scenario} |")) {
            return header.into_iter().zip(cells).collect();
        }
    }
    panic!("BENCHMARKS.md has no row {scenario:?}; run bench/run --write")
}

/// The cell of `scenario`'s row in column `column`.
fn benchmark_cell(scenario: &str, column: &str) -> String {
    benchmark_row(scenario)
        .into_iter()
        .find(|(name, _)| name == column)
        .unwrap_or_else(|| panic!("BENCHMARKS.md's row {scenario:?} has no column {column:?}"))
        .1
}

/// The first figure of a cell (its median), `0.97 M` read as 970000.
fn median(cell: &str) -> f64 {
    let mut words = cell.split(' ');
    let value: f64 = words
        .next()
        .and_then(|word| word.parse().ok())
        .unwrap_or_else(|| panic!("a figure first in {cell:?}"));
    if words.next() == Some("M") {
        value * 1e6
    } else {
        value
    }
}

/// `a/b` counts in `text` (successes over attempts), with where they stand.
fn counts(text: &str) -> Vec<(u64, u64)> {
    text.split(|c: char| !(c.is_ascii_digit() || c == '/'))
        .filter_map(|word| {
            let (done, tried) = word.split_once('/')?;
            Some((done.parse().ok()?, tried.parse().ok()?))
        })
        .collect()
}

/// Every success count of `scenario`'s row in the "Successes" table (or in
/// its own cell, for the tables that carry them) is complete.
fn nothing_lost(cell: &str, what: &str) {
    assert!(!cell.contains('⚠'), "{what} lost something: {cell}");
    for (done, tried) in counts(cell) {
        assert_eq!(done, tried, "{what}: {done}/{tried}");
    }
}

#[test]
fn the_readmes_topic_figures_are_the_benchmarks_and_hold() {
    let readme = readme();
    // | scenario | 7.0 MiB of server memory grown (..) | topics held | subscribed |
    let scenario = "100000 rooms subscribed once and left, in memory";
    let grown = median(&benchmark_cell(scenario, "measured"));
    assert!(
        grown < 10.0,
        "the hub keeps {grown} MiB after 100,000 rooms left"
    );
    assert_eq!(
        benchmark_cell(scenario, "topics held after the clients left"),
        "0",
        "topics held after the clients left"
    );
    nothing_lost(&benchmark_cell(scenario, "subscribed"), scenario);
    let claim = format!("100,000 rooms subscribed once and left: +{grown:.1} MiB");
    assert!(readme.contains(&claim), "README should say {claim:?}");

    let redis = benchmark_cell("10000 rooms with a subscriber each, on Redis", "measured");
    assert!(redis.starts_with("2.0 Redis connections"), "{redis}");
    assert!(readme.contains("over one Pub/Sub connection per\nprocess however many topics"));
}

/// The `sse_endpoint` rustdoc has one attribute table, rendered from the
/// macro's key rows (`sse-macros/src/endpoint/keys.rs`), and every attribute
/// the macro takes (the list its unknown-argument error gives) has a row.
#[test]
fn the_endpoint_docs_list_every_attribute_once() {
    let stderr = include_str!("ui/sse_endpoint/fail/unknown_key.stderr");
    let listed = stderr
        .split("expected one of ")
        .nth(1)
        .and_then(|rest| rest.lines().next())
        .expect("the unknown-argument error lists the attributes");
    let rows = include_str!("../sse-macros/src/endpoint/keys.rs");
    for key in listed.split(", ") {
        let key = key.trim_matches('`');
        assert!(
            rows.contains(&format!(": \"{key}\", ")),
            "sse-macros/src/endpoint/keys.rs has no documentation row for `{key}`"
        );
    }
    let runtime = include_str!("../sse-runtime/src/lib.rs");
    assert!(
        !runtime.contains("/// | `retry ="),
        "sse-runtime/src/lib.rs writes the attribute table by hand beside the rendered one"
    );
}

/// README's HTTP/2 idle-memory figures are BENCHMARKS.md's, with nothing
/// lost, and HTTP/2's shared connection is the smaller.
#[test]
fn the_readmes_http2_figures_are_the_benchmarks_and_hold() {
    let readme = readme();
    let h2 = benchmark_cell(
        "idle memory: 10000 streams, 100 on each of 100 HTTP/2 connections",
        "measured",
    );
    let h1 = benchmark_cell(
        "idle memory: 10000 streams, one HTTP/1.1 connection each",
        "measured",
    );
    nothing_lost(&h2, "HTTP/2 idle streams");
    nothing_lost(&h1, "HTTP/1.1 idle streams");
    let (h2, h1) = (median(&h2), median(&h1));
    assert!(
        h2 < h1 / 2.0,
        "HTTP/2 {h2} KiB/stream against HTTP/1.1 {h1}"
    );
    let claim = format!("cost about {h2:.1} KiB each, against\n{h1:.1} KiB");
    assert!(readme.contains(&claim), "README should say {claim:?}");

    // "a firehose over 100 streams of one HTTP/2 connection moves fewer
    // events per second than over 100 HTTP/1.1 connections"
    let firehose = |scenario: &str| {
        let cell = benchmark_cell(scenario, "measured");
        nothing_lost(&cell, scenario);
        median(&cell)
    };
    let h2 = firehose("firehose: 100 streams of 10000 small JSON events on one HTTP/2 connection");
    let h1 = firehose("firehose: the same 100 streams, one HTTP/1.1 connection each");
    assert!(h2 < h1, "HTTP/2 firehose {h2} M events/s, HTTP/1.1 {h1}");
    let claim = "a firehose over 100 streams of one HTTP/2 connection moves fewer events per \
                 second than over 100 HTTP/1.1 connections";
    assert!(
        one_line(&readme).contains(claim),
        "README should say {claim:?}"
    );
}

/// What README says a test does, and the lines of that test that do it: a
/// changed test parameter fails here until the README says the new one.
#[test]
fn the_readmes_account_of_each_test_is_the_tests() {
    let readme = one_line(&readme());
    let pins: &[(&str, &str, &[&str])] = &[
        (
            "each event arrives under 50 ms after it is yielded, with the header and without it; \
             a client that leaves runs the disconnect hook within 100 ms; a 90 s idle stream \
             stays open while one without keep-alive is cut at 60 s",
            "tests/nginx.rs",
            &[
                "latencies[19] < Duration::from_millis(50)",
                "took < Duration::from_millis(50)",
                "Duration::from_millis(100)",
                "Duration::from_secs(90)",
            ],
        ),
        (
            "dropped by the send timeout before a quarter of 64 MiB of 64 KiB events has left \
             the server; without it, nginx takes all 64 MiB",
            "tests/nginx.rs",
            &[
                "const FLOOD_EVENTS: u64 = 1024;",
                "\"x\".repeat(64 * 1024)",
                "taken < FLOOD_EVENTS / 4",
                "taken_unmarked, FLOOD_EVENTS",
            ],
        ),
        (
            "opens 1,000 streams with a 10 s limit and 2 s jitter and finds every one ending \
             between 8 s and 10 s, 50 to 150 of them in each 200 ms",
            "tests/max_duration.rs",
            &[
                "for _ in 0..1_000",
                "first >= Duration::from_secs(8) && last <= Duration::from_secs(10)",
                "(50..=150).contains(&n)",
                "/ 200",
            ],
        ),
        (
            "reads 600 events over at least 3 connections, every id once and in order",
            "tests/max_duration.rs",
            &["read_across_reconnects(&url, 600)", "connected >= 3"],
        ),
        (
            "takes Redis away for 5 s under 1,000 publishes/s: with persistence (`appendfsync \
             always`) every acknowledged message reaches all 200 subscribers once",
            "tests/redis_hub.rs",
            &[
                "Duration::from_secs(5)",
                "tokio::time::interval(Duration::from_millis(1))",
                "for _ in 0..200",
                "\"--appendfsync\",\n            \"always\"",
            ],
        ),
        (
            "commits and rolls back around `publish_in`, sends a 20,000-byte event between small \
             ones, and cuts a process's listener off while 20 events are published",
            "tests/postgres_hub.rs",
            &[
                "transaction.rollback()",
                "transaction.commit()",
                "\"x\".repeat(20_000)",
                "ALLOW_CONNECTIONS false",
                "for n in 0..20",
            ],
        ),
        (
            "kills the primary of a topic under 1,000 publishes/s with 200 subscribers: publishes \
             are refused until the replica takes over and accepted again within 5.5 s of the kill \
             (with a 1 s node timeout), and every subscriber gets every acknowledged publish, or is \
             told of a gap",
            "tests/redis_cluster_hub.rs",
            &[
                "pub const SUBSCRIBERS: usize = 200;",
                "Duration::from_millis(1)",
                "Duration::from_secs(1) + failover::TIMEOUT + Duration::from_secs(4)",
                "pub const TIMEOUT: Duration = Duration::from_millis(500);",
                "seen.told_of_a_gap",
            ],
        ),
        (
            "kills the primary of a primary, a replica and three sentinels under the same load: \
             publishes are accepted again within 7.5 s of the kill (the sentinels see it down \
             after 1 s), with the same guarantee for every subscriber",
            "tests/redis_sentinel_hub.rs",
            &[
                "failover::under_load(&publisher, &server, \"ticker\", kill)",
                "Duration::from_secs(1) + failover::TIMEOUT + Duration::from_secs(6)",
                "pub const TIMEOUT: Duration = Duration::from_millis(500);",
                "sentinel down-after-milliseconds {NAME} 1000",
                "for _ in 0..3 {",
                "run.verify(&server, \"ticker\", &held, \"Redis Sentinel\")",
                "let (complete, told) = self.check_subscribers();",
            ],
        ),
        (
            "a client's `RST_STREAM` runs that stream's disconnect hook (within 100 ms)",
            "tests/http2.rs",
            &["took < Duration::from_millis(100)"],
        ),
        (
            "asserts a stream under a third of identity and under half of its events \
             compressed one by one",
            "tests/compression.rs",
            &["bytes * 3 < identity.len()", "bytes * 2 < alone"],
        ),
        (
            "10,000 headers, a 500 KiB header",
            "tests/lean_streams.rs",
            &["(0..10_000)", "\"v\".repeat(500 * 1024)"],
        ),
    ];
    for (claim, file, lines) in pins {
        let claim = one_line(claim);
        assert!(readme.contains(&claim), "README should say {claim:?}");
        let path = format!("{}/{file}", env!("CARGO_MANIFEST_DIR"));
        let source = fs::read_to_string(&path).unwrap();
        let source = if file.ends_with("cluster_hub.rs") || file.ends_with("sentinel_hub.rs") {
            // The run under load is shared, and the servers started, in the
            // support crate.
            let support = |name: &str| {
                fs::read_to_string(format!(
                    "{}/tests/support/src/{name}",
                    env!("CARGO_MANIFEST_DIR")
                ))
                .unwrap()
            };
            source + &support("failover.rs") + &support("redis_sentinel.rs")
        } else if file.ends_with("redis_hub.rs") {
            // The persistence flags live with the server the test starts.
            source
                + &fs::read_to_string(format!(
                    "{}/tests/support/src/redis.rs",
                    env!("CARGO_MANIFEST_DIR")
                ))
                .unwrap()
        } else {
            source
        };
        for line in *lines {
            assert!(
                source.contains(line),
                "README says {claim:?} of {file}, which no longer has `{line}`: say what the \
                 test does now"
            );
        }
    }
}

/// Each backend in README's "Which backend" table runs the hub's contract,
/// with the outage case where the table says how it behaves while away.
#[test]
fn the_readmes_backends_are_the_contracts() {
    let readme = readme();
    let contract = fs::read_to_string(format!(
        "{}/tests/hub_contract.rs",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let rows: Vec<&str> = readme
        .lines()
        .skip_while(|line| !line.starts_with("Which backend"))
        // The sentence (three lines), a blank line, the header and its rule.
        .skip(6)
        .take_while(|line| line.starts_with('|'))
        .collect();
    let backends = [
        (
            "memory, `Hub::new()`",
            "contract!(in_memory, memory);",
            "Hub::with_config(config)",
        ),
        (
            "Redis, `Hub::redis(url, config)`",
            "contract!(on_redis, redis, outage);",
            "Hub::redis(&",
        ),
        (
            "Redis Cluster, `Hub::redis_cluster(&nodes, config)`",
            "contract!(on_redis_cluster, redis_cluster);",
            "Hub::redis_cluster(&nodes, config)",
        ),
        (
            "PostgreSQL, `Hub::postgres(pool, config)`",
            "contract!(on_postgres, postgres, outage);",
            "Hub::postgres(pool, config)",
        ),
    ];
    assert_eq!(rows.len(), backends.len(), "{rows:#?}");
    for (row, (name, line, constructor)) in rows.iter().zip(backends) {
        assert!(row.starts_with(&format!("| {name} |")), "{row}");
        assert!(
            contract.contains(line),
            "the contract runs {name}: `{line}`"
        );
        assert!(contract.contains(constructor), "built by {constructor}");
        let away = row.split(" | ").nth(3).unwrap();
        assert_eq!(
            line.contains("outage"),
            away.contains("backend_timeout") || away.starts_with("as Redis"),
            "{name}: what the table says of an outage is what the contract tests"
        );
    }
}

/// Every example in README's table is run as a process by some test.
#[test]
fn every_example_the_readme_lists_is_run_by_a_test() {
    let readme = readme();
    let table = readme
        .split("## Examples")
        .nth(1)
        .and_then(|section| section.split("\n## ").next())
        .expect("README's Examples section");
    let examples: Vec<&str> = table
        .lines()
        .filter_map(|line| line.strip_prefix("| `"))
        .filter_map(|rest| rest.split('`').next())
        .collect();
    assert!(examples.len() >= 10, "{examples:?}");
    let tests: String = fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/tests"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "rs"))
        .map(|path| fs::read_to_string(path).unwrap())
        .collect();
    for example in examples {
        let started = [
            format!("Example::start(\"{example}\")"),
            format!("Example::start_with(\"{example}\""),
            format!("Example::start_with(\n        \"{example}\""),
            format!("Example::binary(\"{example}\")"),
        ];
        assert!(
            started.iter().any(|call| tests.contains(call.as_str())),
            "README lists the example `{example}`, which no test under tests/ starts"
        );
    }
}

/// README's minimum Rust is the workspace's `rust-version`.
#[test]
fn the_readmes_minimum_rust_is_the_workspaces() {
    let manifest = include_str!("../Cargo.toml");
    let version = manifest
        .lines()
        .find_map(|line| line.strip_prefix("rust-version = \""))
        .and_then(|rest| rest.strip_suffix('"'))
        .expect("Cargo.toml's rust-version");
    let claim = format!("(Rust {version} or later)");
    assert!(readme().contains(&claim), "README should say {claim:?}");
}

/// README's compression figures are BENCHMARKS.md's "HTTP/2 and
/// compression" rows: each encoding's share of identity's bytes when each
/// event is flushed alone, the server's CPU per event, the worst p99 from
/// made to decoded; and every event of those rows arrived.
#[test]
fn the_readmes_compression_figures_are_the_benchmarks() {
    let readme = readme().split_whitespace().collect::<Vec<_>>().join(" ");
    let fast = |encoding: &str| {
        benchmark_cell(
            &format!("`{encoding}`: 100000 chat events as fast as they are taken"),
            "measured",
        )
    };
    let paced = |encoding: &str| {
        benchmark_cell(
            &format!("`{encoding}`: 500 chat events 2 ms apart"),
            "measured",
        )
    };
    // "12.1 (11.5–12.2) B (5.9% of identity); 3.998 (2.755–4.037) µs"
    let cpu = |encoding: &str| median(fast(encoding).split("; ").nth(1).unwrap());
    // "39.9 (..) B (19.8% of identity); p50 0.177 (..) ms, p99 0.332 (..) ms (301500/301500 ..)"
    let share = |encoding: &str| {
        let cell = paced(encoding);
        let (_, rest) = cell.split_once("B (").unwrap();
        rest.split('%').next().unwrap().to_owned()
    };
    let p99 = |encoding: &str| median(paced(encoding).split("p99 ").nth(1).unwrap());
    let encodings = ["identity", "gzip", "br", "zstd"];
    for encoding in encodings {
        nothing_lost(&paced(encoding), &format!("compression {encoding}"));
    }
    let worst = encodings.map(p99).into_iter().fold(0.0, f64::max);
    let claims = [
        format!(
            "take {}% of their identity bytes with gzip, {}% with br and {}% with zstd",
            share("gzip"),
            share("br"),
            share("zstd")
        ),
        format!(
            "{:.1} µs of server CPU per event for gzip, {:.1} µs for br, {:.1} µs for zstd and \
             {:.1} µs for identity",
            cpu("gzip"),
            cpu("br"),
            cpu("zstd"),
            cpu("identity")
        ),
        format!("at most {worst:.2} ms at p99 in every encoding"),
    ];
    for claim in claims {
        assert!(readme.contains(&claim), "README should say {claim:?}");
    }
}

/// README's lean-stream figures are BENCHMARKS.md's, with nothing lost, and
/// lean streams hold the bound they were built for: at most 3 KiB an idle
/// stream, at 10,000 streams and at every many-streams row (100,000 streams
/// among them), well under hyper's path.
#[test]
fn the_readmes_lean_stream_figures_are_the_benchmarks_and_hold() {
    let readme = readme().split_whitespace().collect::<Vec<_>>().join(" ");
    let benchmarks = benchmarks();
    let medians = |scenario: &str| -> [f64; 3] {
        ["axum Sse", "sse-runtime", "sse-runtime, lean streams"].map(|column| {
            let cell = benchmark_cell(scenario, column);
            nothing_lost(&cell, &format!("{scenario}, {column}"));
            median(&cell)
        })
    };
    // "idle memory at 100000 streams over 6 server processes": 100000 and
    // "streams over 6 server processes", once each (the rows repeat in the
    // isolation table; `benchmark_row` reads the first).
    let mut rows: Vec<(usize, String)> = benchmarks
        .lines()
        .filter_map(|line| line.strip_prefix("| idle memory at "))
        .filter_map(|rest| {
            let (count, what) = rest.split_once(' ')?;
            Some((count.parse().ok()?, what.split(" |").next()?.to_owned()))
        })
        .collect();
    rows.sort();
    rows.dedup();
    let (most, spread) = rows.last().cloned().expect("idle-memory rows");
    assert!(
        most >= 100_000,
        "BENCHMARKS.md measures 100,000 idle streams: {rows:?}"
    );
    for (streams, what) in rows.iter().filter(|&&(streams, _)| streams >= 10_000) {
        let [axum, ours, lean] = medians(&format!("idle memory at {streams} {what}"));
        assert!(
            lean <= 3.0 && lean < ours / 3.0,
            "at {streams} {what} a lean stream costs {lean} KiB, hyper's path {ours}"
        );
        let mut claims = Vec::new();
        if *streams == 10_000 {
            claims.push(format!(
                "at 10,000 idle streams {lean:.1} KiB each with lean streams, against {ours:.1} \
                 KiB on hyper's path and {axum:.1} KiB under `axum::serve`"
            ));
            claims.push(format!(
                "Kept in hyper's connection, one costs about {ours:.1} KiB"
            ));
        } else {
            claims.push(format!(
                "at {} {what}, {lean:.1} KiB against {ours:.1} and {axum:.1}",
                thousands(*streams)
            ));
        }
        for claim in claims {
            assert!(readme.contains(&claim), "README should say {claim:?}");
        }
    }
    // "streams over 6 server processes", and the limit that made it 6.
    let processes: usize = spread
        .strip_prefix("streams over ")
        .and_then(|rest| rest.split(' ').next()?.parse().ok())
        .expect("the 100,000 streams are spread over server processes");
    let limit: usize = benchmarks
        .split("a process may open at most ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next()?.parse().ok())
        .expect("the many-streams table says the limit on open files");
    let claim = format!(
        "a process may open only {} files on the machine measured, so there the box's {} \
         streams are {processes} processes' worth",
        thousands(limit),
        thousands(most)
    );
    assert!(readme.contains(&claim), "README should say {claim:?}");
}

/// README's heap figure for an idle lean stream is `bench/heap-profile`'s,
/// from its section of BENCHMARKS.md.
#[test]
fn the_readmes_heap_figure_is_the_heap_profiles() {
    let readme = readme().split_whitespace().collect::<Vec<_>>().join(" ");
    let (_, profile) = generated_sections(&benchmarks())
        .into_iter()
        .find(|(name, _)| name == "heap-profile-our-serve-lean")
        .expect("BENCHMARKS.md has bench/heap-profile --write our-serve-lean's section");
    // "heap still allocated: 1,811 bytes per stream (3.62 MB in all)"
    let bytes: f64 = profile
        .split("heap still allocated: ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .map(|bytes| bytes.replace(',', ""))
        .and_then(|bytes| bytes.parse().ok())
        .expect("the profile's heap per stream");
    let claim = format!("about {:.1} KiB of heap", bytes / 1024.0);
    assert!(readme.contains(&claim), "README should say {claim:?}");
}

/// The defaults README states are the runtime's constants: a changed
/// default fails here until the README says the new one.
#[test]
fn the_readmes_defaults_are_the_runtimes() {
    let readme = readme().split_whitespace().collect::<Vec<_>>().join(" ");
    let seconds = |duration: std::time::Duration| duration.as_secs();
    let claims = [
        format!(
            "default {} s of idleness",
            seconds(sse_runtime::DEFAULT_KEEP_ALIVE)
        ),
        format!(
            "the default {} s keep-alive",
            seconds(sse_runtime::DEFAULT_KEEP_ALIVE)
        ),
        format!(
            "`.send_timeout(..)`, {} s by default",
            seconds(sse_runtime::DEFAULT_SEND_TIMEOUT)
        ),
        format!(
            "// Ctrl-C / SIGTERM, {} s grace",
            seconds(sse_runtime::DEFAULT_GRACE_PERIOD)
        ),
        format!(
            "let shutdown = Shutdown::new(); // {} s grace",
            seconds(sse_runtime::DEFAULT_GRACE_PERIOD)
        ),
        format!(
            "A TLS handshake must finish within {} s (`TLS_HANDSHAKE_TIMEOUT`)",
            seconds(sse_runtime::serve::TLS_HANDSHAKE_TIMEOUT)
        ),
        format!(
            "must then send a request within {} s (`Serve::header_read_timeout`)",
            seconds(sse_runtime::DEFAULT_HEADER_READ_TIMEOUT)
        ),
    ];
    for claim in claims {
        assert!(readme.contains(&claim), "README should say {claim:?}");
    }
    // The crate's own README (its crates.io page), and the attribute table
    // rendered from the macro's keys.
    let crate_readme = one_line(include_str!("../sse-runtime/README.md"));
    let claim = format!(
        "// Ctrl-C / SIGTERM, {} s grace",
        seconds(sse_runtime::DEFAULT_GRACE_PERIOD)
    );
    assert!(
        crate_readme.contains(&claim),
        "sse-runtime/README.md should say {claim:?}"
    );
    let keys = include_str!("../sse-macros/src/endpoint/keys.rs");
    for claim in [
        format!(
            "keep-alive interval (default {} s)",
            seconds(sse_runtime::DEFAULT_KEEP_ALIVE)
        ),
        format!(
            "drops a client whose writes wait that long (default {} s;",
            seconds(sse_runtime::DEFAULT_SEND_TIMEOUT)
        ),
    ] {
        assert!(
            keys.contains(&claim),
            "sse-macros/src/endpoint/keys.rs should say {claim:?}"
        );
    }
}

/// The value of `const NAME: TYPE = VALUE;` in `source`, underscores gone.
fn constant(source: &str, name: &str) -> u64 {
    let line = source
        .lines()
        .find(|line| line.contains(&format!("const {name}:")))
        .unwrap_or_else(|| panic!("const {name} in the source"));
    let value = line.split('=').nth(1).expect("a value").trim();
    let digits: String = value.chars().filter(char::is_ascii_digit).collect();
    digits
        .parse()
        .unwrap_or_else(|_| panic!("a number in {line:?}"))
}

/// README's account of the MCP example's limits is its constants, and its
/// conformance table is the one the last `interop/run` wrote into
/// INTEROP.md.
#[test]
fn the_readmes_mcp_figures_are_the_examples_and_the_runs() {
    let readme = readme();
    let sessions = include_str!("../examples/mcp/sessions.rs");
    let claim = format!(
        "a session opens at most {} streams per five-minute resumption window (then `429`), \
         one standalone stream at a time (then `409`), and resumes only streams it opened; \
         a full session table ({}) ends the session idle longest",
        thousands(constant(sessions, "MAX_STREAMS_PER_WINDOW") as usize),
        thousands(constant(sessions, "MAX_SESSIONS") as usize),
    );
    assert!(
        one_line(&readme).contains(&claim),
        "README should say {claim:?}"
    );
    let window = sessions
        .lines()
        .find(|line| line.contains("const STREAM_WINDOW"))
        .expect("STREAM_WINDOW");
    assert!(window.contains("from_secs(300)"), "five minutes: {window}");

    let interop = fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/INTEROP.md")).unwrap();
    let table = |text: &str, whose: &str| -> String {
        let start = text
            .find("| scenario | stable")
            .unwrap_or_else(|| panic!("{whose}'s MCP conformance table"));
        let rest = &text[start..];
        rest[..rest.find("\n\n").unwrap_or(rest.len())].to_owned()
    };
    let generated = table(&interop, "INTEROP.md");
    assert!(
        !generated.contains('✗'),
        "INTEROP.md's MCP conformance table has a failure:\n{generated}"
    );
    assert_eq!(
        table(&readme, "README"),
        generated,
        "README's MCP conformance table must be INTEROP.md's; copy it again"
    );
}

/// The cells of the c1m section's table that follows `heading`, as (header,
/// cell) pairs, for the row whose first cell is `first` (the largest
/// streams when `None`).
fn c1m_row(heading: &str, first: Option<&str>) -> Vec<(String, String)> {
    let benchmarks = benchmarks();
    let section = generated_sections(&benchmarks)
        .into_iter()
        .find(|(name, _)| name == "c1m")
        .map(|(_, text)| text)
        .expect("BENCHMARKS.md has a c1m section: bench/run --only c1m --write");
    let rows = table_after(&section, heading)
        .unwrap_or_else(|| panic!("the c1m section has no {heading:?}"));
    let streams = |row: &Vec<String>| row[0].replace(',', "").parse::<u64>().unwrap_or(0);
    let row = match first {
        Some(first) => rows[1..].iter().find(|row| row[0] == first),
        None => rows[1..].iter().max_by_key(|row| streams(row)),
    }
    .unwrap_or_else(|| panic!("no c1m row {first:?} after {heading:?}"))
    .clone();
    rows[0].iter().cloned().zip(row).collect()
}

fn cell(row: &[(String, String)], header: &str) -> String {
    row.iter()
        .find(|(name, _)| name == header)
        .map(|(_, cell)| cell.clone())
        .unwrap_or_else(|| panic!("no c1m column {header:?} in {row:?}"))
}

/// README's million-streams figures are the c1m section's, for its largest
/// size, and that size opened every stream it wanted and delivered every
/// publish to every one of them.
#[test]
fn the_readmes_million_streams_figures_are_the_benchmarks() {
    let readme = one_line(&readme());
    let bytes = c1m_row("### Every byte of an open stream", None);
    let streams = cell(&bytes, "streams");
    let opened = cell(&bytes, "opened (failed, retries)");
    let (held, failed) = opened.split_once(" (").unwrap();
    assert_eq!(held, streams, "every stream of the largest size opened");
    assert!(failed.starts_with("0,"), "none failed: {opened}");
    let delivery = c1m_row("### A publish to every stream", Some(&streams));
    let reached = cell(&delivery, "delivered of expected");
    let (got, of) = reached.split_once(" of ").unwrap();
    assert_eq!(
        got, of,
        "one publish at a time reached every stream: {reached}"
    );
    let steady = c1m_row("At a steady rate:", Some(&streams));
    let delivered = cell(&steady, "delivered of expected");
    let claims = [
        format!(
            "held {held} streams at once, over {} server processes",
            cell(&bytes, "server processes")
        ),
        format!(
            "{} KiB in its server process, {} KiB in its client, and {} bytes of kernel memory \
             a socket",
            cell(&bytes, "server KiB"),
            cell(&bytes, "client KiB"),
            cell(&bytes, "kernel B a socket")
        ),
        format!(
            "the last delivery after {} ms",
            cell(&delivery, "last delivery (each publish)").trim_end_matches(" ms")
        ),
        format!("({}): {delivered} deliveries", cell(&steady, "steady rate")),
    ];
    for claim in claims {
        assert!(
            readme.contains(&claim),
            "README.md says, from BENCHMARKS.md's c1m section: {claim:?}"
        );
    }
}
