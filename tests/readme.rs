//! The README's code excerpts are the examples' code: each `rust,ignore`
//! block that names its source file must appear there, line for line.
//!
//! No hand-typed figure: BENCHMARKS.md's figures are generated (by
//! `bench/run`, or by a profiling command that writes its own stamped
//! section) or stand in blocks stamped with the date and commit they were
//! measured at; the README's benchmark figures are each pinned here to
//! BENCHMARKS.md's tables.

use std::fs;

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

/// `text` with every run of whitespace made one space, so that a claim may
/// be wrapped anywhere.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
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
        let source = if file.ends_with("redis_hub.rs") {
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

/// BENCHMARKS.md's sections between `<!-- NAME:begin -->` and `<!-- NAME:end
/// fnv1a=HASH -->`: (name, text, hash as written).
fn generated_sections(document: &str) -> Vec<(String, String)> {
    sections(document)
        .into_iter()
        .map(|(name, text, _)| (name, text))
        .collect()
}

fn sections(document: &str) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    let mut rest = document;
    while let Some(at) = rest.find("\n<!-- ") {
        let line = &rest[at + 1..];
        let marker = line.lines().next().unwrap_or_default();
        rest = line;
        let Some(name) = marker
            .strip_prefix("<!-- ")
            .and_then(|m| m.strip_suffix(":begin -->"))
        else {
            continue;
        };
        let body_start = marker.len() + 1;
        let end = format!("<!-- {name}:end");
        let body_end = line[body_start..]
            .find(&end)
            .map(|at| body_start + at)
            .unwrap_or_else(|| panic!("BENCHMARKS.md's section {name} has no end marker"));
        let close = &line[body_end..];
        let hash = close
            .lines()
            .next()
            .unwrap_or_default()
            .split("fnv1a=")
            .nth(1)
            .map(|h| h.trim_end_matches(" -->").to_owned())
            .unwrap_or_default();
        out.push((name.to_owned(), line[body_start..body_end].to_owned(), hash));
        rest = &line[body_end..];
    }
    out
}

/// FNV-1a, 64 bits, as `bench/src/benchmarks_md.rs` writes it.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Every generated section of BENCHMARKS.md is as its command wrote it: a
/// figure edited by hand changes the section's hash.
#[test]
fn the_benchmarks_generated_sections_are_as_generated() {
    let benchmarks = benchmarks();
    let sections = sections(&benchmarks);
    let names: Vec<&str> = sections.iter().map(|(name, _, _)| name.as_str()).collect();
    for wanted in [
        "scenarios",
        "results",
        "targets",
        "reading",
        "heap-profile-our-serve",
        "heap-profile-our-serve-lean",
        "instructions",
        "open-cost",
    ] {
        assert!(
            names.contains(&wanted),
            "BENCHMARKS.md has no section {wanted}: {names:?}"
        );
    }
    for (name, text, hash) in sections {
        if name == "measured-once" {
            continue;
        }
        assert_eq!(
            format!("{:016x}", fnv1a(text.as_bytes())),
            hash,
            "BENCHMARKS.md's section {name} differs from what its command wrote: its figures \
             come from bench/results.json (bench/run --render writes the scenarios, results, \
             targets and reading sections again) or from the command its stamp names; change \
             the code that writes them, not the text"
        );
    }
}

/// A figure measured once by hand stands in a block that says when and at
/// which commit, and that it was not rerun.
#[test]
fn the_benchmarks_one_off_figures_are_stamped() {
    let blocks: Vec<String> = sections(&benchmarks())
        .into_iter()
        .filter(|(name, _, _)| name == "measured-once")
        .map(|(_, text, _)| text)
        .collect();
    assert!(!blocks.is_empty());
    for block in blocks {
        let stamp = block.trim_start().trim_start_matches('*');
        let date = stamp.strip_prefix("Measured once, ").unwrap_or_default();
        let is_date = date.len() >= 10
            && date[..10].chars().enumerate().all(|(at, c)| {
                if at == 4 || at == 7 {
                    c == '-'
                } else {
                    c.is_ascii_digit()
                }
            });
        let head: String = block.chars().take(300).collect();
        let head = head.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(
            is_date && head.contains("commit") && head.contains("not rerun since"),
            "a measured-once block starts with \"*Measured once, YYYY-MM-DD at commit C, and \
             not rerun since:*\":\n{block}"
        );
    }
}

/// The value of `const NAME: usize = EXPRESSION;` in `source` (read from
/// `file`), where the expression is a sum of products of integers
/// (`32 * 1024`, `8192 + 4096 * 100`).
fn constant(source: &str, file: &str, name: &str) -> u64 {
    let declaration = format!("const {name}: usize = ");
    let expression = source
        .lines()
        .find_map(|line| line.split_once(&declaration).map(|(_, rest)| rest))
        .and_then(|rest| rest.split_once(';').map(|(expression, _)| expression))
        .unwrap_or_else(|| panic!("{file} no longer declares `{declaration}…;`"));
    let product = |term: &str| -> Option<u64> {
        term.split('*')
            .map(|factor| factor.trim().replace('_', "").parse::<u64>().ok())
            .product()
    };
    expression
        .split('+')
        .map(product)
        .sum::<Option<u64>>()
        .unwrap_or_else(|| panic!("{file}'s {name} is not a sum of products: {expression}"))
}

/// `bytes` as BENCHMARKS.md writes a size: `32 KiB`.
fn kib(bytes: u64) -> String {
    if bytes.is_multiple_of(1024) {
        format!("{} KiB", bytes / 1024)
    } else {
        format!("{:.1} KiB", bytes as f64 / 1024.0)
    }
}

/// The source directory of the dependency `name` as cargo resolved it for
/// this workspace (`cargo metadata`, offline, for this host).
fn dependency_dir(name: &str) -> std::path::PathBuf {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let run = |args: &[&str]| {
        let out = std::process::Command::new(&cargo)
            .args(args)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .unwrap_or_else(|error| panic!("{cargo} {args:?}: {error}"));
        assert!(
            out.status.success(),
            "{cargo} {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("cargo's output is UTF-8")
    };
    let version = run(&["-vV"]);
    let host = version
        .lines()
        .find_map(|line| line.strip_prefix("host: "))
        .expect("`cargo -vV` names the host");
    let metadata: serde_json::Value = serde_json::from_str(&run(&[
        "metadata",
        "--format-version",
        "1",
        "--offline",
        "--filter-platform",
        host,
    ]))
    .expect("cargo metadata is JSON");
    let manifests: Vec<&str> = metadata["packages"]
        .as_array()
        .expect("cargo metadata lists packages")
        .iter()
        .filter(|package| package["name"] == name)
        .filter_map(|package| package["manifest_path"].as_str())
        .collect();
    let [manifest] = manifests[..] else {
        panic!("the workspace should resolve one {name}: {manifests:?}");
    };
    std::path::Path::new(manifest)
        .parent()
        .expect("a manifest's directory")
        .to_owned()
}

/// The figures BENCHMARKS.md's prose may state, each derived here from its
/// source, with that source: the run's sizes and machine
/// (`bench/results.json`, which the generated sections are rendered from),
/// the heap profiles' sections, and constants read from their declarations
/// in this repository and in hyper. A change at the source changes the
/// figure derived here, and the prose that still says the old one fails
/// `the_benchmarks_prose_quotes_no_figure`.
fn sourced_figures() -> Vec<(String, String)> {
    let root = env!("CARGO_MANIFEST_DIR");
    let results = fs::read_to_string(format!("{root}/bench/results.json")).unwrap();
    let run: serde_json::Value = serde_json::from_str(&results).expect("results.json is JSON");
    let size = |pointer: &str| {
        run.pointer(pointer)
            .and_then(serde_json::Value::as_u64)
            .unwrap_or_else(|| panic!("bench/results.json has no size {pointer}"))
    };
    let largest_fan_out = run["sizes"]["fanout"]
        .as_array()
        .and_then(|sizes| sizes.iter().filter_map(serde_json::Value::as_u64).max())
        .expect("bench/results.json's sizes.fanout");
    let cores = run["stamp"]["machine"]
        .as_str()
        .and_then(|machine| machine.split(" cores").next())
        .expect("bench/results.json's stamp.machine: \"N cores, …\"");
    let mut figures = vec![
        (
            format!("{} rounds", size("/sizes/rounds")),
            "bench/results.json's sizes.rounds".to_owned(),
        ),
        (
            format!("{} subscribers", thousands(largest_fan_out as usize)),
            "the largest of bench/results.json's sizes.fanout".to_owned(),
        ),
        (
            format!("{} streams", thousands(size("/sizes/many/0") as usize)),
            "bench/results.json's sizes.many".to_owned(),
        ),
        (
            format!("{cores} cores"),
            "bench/results.json's stamp.machine".to_owned(),
        ),
    ];
    // "bench-server runtime our-serve: 2000 idle streams held"
    for (name, text) in generated_sections(&benchmarks()) {
        if let Some(held) = name
            .strip_prefix("heap-profile-")
            .and_then(|_| text.split(" idle streams held").next())
            .and_then(|line| line.rsplit(' ').next())
            .and_then(|count| count.parse::<usize>().ok())
        {
            figures.push((
                format!("{} idle streams", thousands(held)),
                format!("BENCHMARKS.md's section {name}"),
            ));
        }
    }
    let file = |path: &str| {
        let full = format!("{root}/{path}");
        (
            fs::read_to_string(&full).unwrap_or_else(|error| panic!("{full}: {error}")),
            path.to_owned(),
        )
    };
    let (streaming, streaming_path) = file("sse-runtime/src/response/streaming.rs");
    let (scenarios, scenarios_path) = file("bench/src/scenarios.rs");
    let hyper_dir = dependency_dir("hyper");
    let hyper_io = hyper_dir.join("src/proto/h1/io.rs");
    let hyper = fs::read_to_string(&hyper_io)
        .unwrap_or_else(|error| panic!("{}: {error}", hyper_io.display()));
    let hyper_path = format!(
        "{}/src/proto/h1/io.rs",
        hyper_dir.file_name().unwrap_or_default().to_string_lossy()
    );
    for (figure, source, path, name) in [
        // The body's frame.
        (
            kib as fn(u64) -> String,
            &streaming,
            &streaming_path,
            "FRAME_BUDGET",
        ),
        // How many idle streams the load opens at once.
        (
            |n| format!("{n} at a time"),
            &scenarios,
            &scenarios_path,
            "OPEN_AT_ONCE",
        ),
        // hyper's read and header buffers, and the least `max_buf_size`.
        (kib, &hyper, &hyper_path, "INIT_BUFFER_SIZE"),
        // hyper's default `max_buf_size`.
        (kib, &hyper, &hyper_path, "DEFAULT_MAX_BUFFER_SIZE"),
    ] {
        figures.push((
            figure(constant(source, path, name)),
            format!("{path}'s {name}"),
        ));
    }
    figures
}

/// Words that are numbers; "one" is left out, as BENCHMARKS.md says it for
/// "a single" ("one stream", "one process per core").
const NUMBER_WORDS: [&str; 27] = [
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
    "twenty",
    "thirty",
    "forty",
    "fifty",
    "sixty",
    "seventy",
    "eighty",
    "ninety",
    "hundred",
];

/// The figures of `text`: a number (or a range, or a number in words)
/// followed by a unit or a count of something ("3 rounds", "500 at a
/// time"), and any number of four digits or more on its own ("1,000 and
/// 10,000 streams" gives "1,000" and "10,000 streams").
fn figures(text: &str) -> Vec<String> {
    const UNITS: [&str; 37] = [
        "×",
        "%",
        "KiB",
        "MiB",
        "KB",
        "MB",
        "µs",
        "ms",
        "s",
        "B",
        "bytes",
        "M events",
        "events/s",
        "events",
        "rounds",
        "minutes",
        "hours",
        "seconds",
        "cores",
        "-core",
        "streams",
        "idle streams",
        "open streams",
        "subscribers",
        "publishes",
        "clients",
        "connects",
        "connections",
        "servers",
        "server processes",
        "processes",
        "isolation variants",
        "variants",
        "tokens",
        "rooms",
        "files",
        "at a time",
    ];
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut at = 0;
    while at < chars.len() {
        let starts_word =
            at == 0 || !(chars[at - 1].is_alphanumeric() || "_-./`#".contains(chars[at - 1]));
        let word: String = chars[at..]
            .iter()
            .take_while(|c| c.is_alphabetic())
            .collect::<String>()
            .to_lowercase();
        let begin = at;
        if starts_word && chars[at].is_ascii_digit() {
            while at < chars.len() && (chars[at].is_ascii_digit() || ",.–".contains(chars[at])) {
                at += 1;
            }
        } else if starts_word && NUMBER_WORDS.contains(&word.as_str()) {
            at += word.chars().count();
        } else {
            at += 1;
            continue;
        }
        let number: String = chars[begin..at].iter().collect();
        let number = number.trim_end_matches([',', '.', '–']);
        if chars.get(at).is_some_and(|c| c.is_alphanumeric()) {
            continue; // part of a word: `h2`, a commit's hash
        }
        let after: String = chars[at..].iter().take(20).collect();
        let after = after.strip_prefix(' ').unwrap_or(&after);
        let unit = UNITS.iter().find(|unit| {
            after
                .strip_prefix(**unit)
                .is_some_and(|next| next.chars().next().is_none_or(|c| !c.is_alphanumeric()))
        });
        let digits = number.chars().filter(char::is_ascii_digit).count();
        match unit {
            Some(unit) if ["×", "%", "-core"].contains(unit) => {
                out.push(format!("{number}{unit}"))
            }
            Some(unit) => out.push(format!("{number} {unit}")),
            None if digits >= 4 && !number.contains('.') => out.push(number.to_owned()),
            None => {}
        }
    }
    out
}

/// BENCHMARKS.md's hand-written prose (its commands' comments included)
/// quotes no figure but those derived from their sources
/// (`sourced_figures`): measured figures come from the generated sections,
/// or from the stamped measured-once blocks.
#[test]
fn the_benchmarks_prose_quotes_no_figure() {
    let benchmarks = benchmarks();
    let mut prose = benchmarks.clone();
    for (_, text, _) in sections(&benchmarks) {
        prose = prose.replacen(&text, "\n", 1);
    }
    // The markers' own words (a section's hash) are no figures.
    let prose: String = prose
        .split("<!--")
        .enumerate()
        .map(|(at, text)| {
            if at == 0 {
                text
            } else {
                text.split_once("-->").map_or("", |(_, after)| after)
            }
        })
        .collect();
    let prose = one_line(&prose);
    let sourced = sourced_figures();
    let typed: Vec<String> = figures(&prose)
        .into_iter()
        .filter(|figure| !sourced.iter().any(|(sourced, _)| sourced == figure))
        .collect();
    let sourced: Vec<String> = sourced
        .iter()
        .map(|(figure, source)| format!("{figure} ({source})"))
        .collect();
    assert!(
        typed.is_empty(),
        "BENCHMARKS.md's prose quotes figures by hand: {typed:?}; let `sse-bench` write them \
         (bench/src/scenario_list.rs for the scenarios' sizes, bench/src/findings.rs for what \
         the results show), point at a row, or stamp a one-off measurement in a measured-once \
         block. The figures the prose may state are those derived from their sources (if one \
         of these moved, say the new one): {sourced:#?}"
    );
}

#[test]
fn figures_are_numbers_with_units() {
    assert_eq!(
        figures("7.5× and 24.2 KiB, 11.2–11.3 KiB; 1,000 streams, h2 2 s, 3.2 µs, v1.2 ms"),
        [
            "7.5×",
            "24.2 KiB",
            "11.2–11.3 KiB",
            "1,000 streams",
            "2 s",
            "3.2 µs"
        ]
    );
    assert_eq!(
        figures("1,000 and 10,000 open streams; 20 publishes, 500 at a time, in 3 rounds"),
        [
            "1,000",
            "10,000 open streams",
            "20 publishes",
            "500 at a time",
            "3 rounds"
        ]
    );
    assert_eq!(
        figures("about twenty minutes against five servers (and three isolation variants)"),
        ["twenty minutes", "five servers", "three isolation variants"]
    );
    assert_eq!(
        figures("on 2 cores, a 2-core VM, 2000`, 100000 streams over 6 server processes"),
        [
            "2 cores",
            "2-core",
            "2000",
            "100000 streams",
            "6 server processes"
        ]
    );
    // Names, versions and hashes are not figures.
    assert!(
        figures(
            "axum #2673, issue 19, hyper 1, HTTP/1.1, 127.0.x.y, commit 01b0070, one stream, \
             two 8-byte words, h2 at 10, `{\"n\":1}`"
        )
        .is_empty()
    );
}

/// 19000 as 19,000.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (at, digit) in digits.chars().enumerate() {
        if at > 0 && (digits.len() - at).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
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
