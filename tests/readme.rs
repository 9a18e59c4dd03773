//! The README's code excerpts are the examples' code: each `rust,ignore`
//! block that names its source file must appear there, line for line.

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

/// The cells of BENCHMARKS.md's row that starts with `scenario`.
fn benchmark_row(scenario: &str) -> Vec<String> {
    let benchmarks =
        fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/BENCHMARKS.md")).unwrap();
    let line = benchmarks
        .lines()
        .find(|line| line.starts_with(&format!("| {scenario}")))
        .unwrap_or_else(|| panic!("BENCHMARKS.md has no row {scenario:?}; run bench/run --write"));
    line.split('|').map(|cell| cell.trim().to_owned()).collect()
}

#[test]
fn the_readmes_topic_figures_are_the_benchmarks_and_hold() {
    let readme = fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    // | scenario | 7.0 MiB of server memory grown (..) | topics held | subscribed |
    let row = benchmark_row("100000 rooms subscribed once and left, in memory");
    let grown: f64 = row[2].split(' ').next().unwrap().parse().unwrap();
    assert!(
        grown < 10.0,
        "the hub keeps {grown} MiB after 100,000 rooms left"
    );
    assert_eq!(row[3], "0", "topics held after the clients left");
    let (subscribed, attempted) = row[4].split_once('/').unwrap();
    assert_eq!(subscribed, attempted, "every room subscribed");
    let claim = format!("100,000 rooms subscribed once and left: +{:.1} MiB", grown);
    assert!(readme.contains(&claim), "README should say {claim:?}");

    let row = benchmark_row("10000 rooms with a subscriber each, on Redis");
    assert!(row[2].starts_with("2.0 Redis connections"), "{}", row[2]);
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

/// README's HTTP/2 idle-memory figures are BENCHMARKS.md's, and HTTP/2's
/// shared connection is the smaller.
#[test]
fn the_readmes_http2_figures_are_the_benchmarks_and_hold() {
    let readme = fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let median = |scenario: &str| -> f64 {
        benchmark_row(scenario)[3]
            .split(' ')
            .next()
            .unwrap()
            .parse()
            .unwrap()
    };
    let h2 = median("idle memory: 10000 streams, 100 on each of 100 HTTP/2 connections");
    let h1 = median("idle memory: 10000 streams, one HTTP/1.1 connection each");
    assert!(
        h2 < h1 / 2.0,
        "HTTP/2 {h2} KiB/stream against HTTP/1.1 {h1}"
    );
    let claim = format!("cost about {h2:.1} KiB each, against\n{h1:.1} KiB");
    assert!(readme.contains(&claim), "README should say {claim:?}");
}

/// README's lean-stream figures are BENCHMARKS.md's main table's, and lean
/// streams hold the bound they were built for: at most 3 KiB an idle stream,
/// at 10,000 streams and at every many-streams row (100,000 streams among
/// them), well under hyper's path.
#[test]
fn the_readmes_lean_stream_figures_are_the_benchmarks_and_hold() {
    let readme = fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let readme = readme.split_whitespace().collect::<Vec<_>>().join(" ");
    let benchmarks =
        fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/BENCHMARKS.md")).unwrap();
    let header: Vec<String> = benchmarks
        .lines()
        .find(|line| line.starts_with("| scenario |") && line.contains("lean streams"))
        .expect("BENCHMARKS.md's main table has a lean-streams column; run bench/run --write")
        .split('|')
        .map(|cell| cell.trim().to_owned())
        .collect();
    let column = |name: &str| header.iter().position(|cell| cell == name).unwrap();
    let (axum, ours, lean) = (
        column("axum Sse"),
        column("sse-runtime"),
        column("sse-runtime, lean streams"),
    );
    let medians = |scenario: &str| -> [f64; 3] {
        let row = benchmark_row(scenario);
        [axum, ours, lean].map(|at| row[at].split(' ').next().unwrap().parse().unwrap())
    };
    // "idle memory at 100000 streams over 6 server processes": 100000 and
    // "streams over 6 server processes", once each (the rows repeat in every
    // table; `benchmark_row` reads the main one).
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
    assert!(
        rows.iter().any(|&(streams, _)| streams >= 100_000),
        "BENCHMARKS.md measures 100,000 idle streams: {rows:?}"
    );
    for (streams, what) in rows.iter().filter(|&&(streams, _)| streams >= 10_000) {
        let [axum, ours, lean] = medians(&format!("idle memory at {streams} {what}"));
        assert!(
            lean <= 3.0 && lean < ours / 3.0,
            "at {streams} {what} a lean stream costs {lean} KiB, hyper's path {ours}"
        );
        let claim = if *streams == 10_000 {
            format!(
                "at 10,000 idle streams {lean:.1} KiB each with lean streams, against {ours:.1} \
                 KiB on hyper's path and {axum:.1} KiB under `axum::serve`"
            )
        } else {
            format!(
                "at {} {what}, {lean:.1} KiB against {ours:.1} and {axum:.1}",
                thousands(*streams)
            )
        };
        assert!(readme.contains(&claim), "README should say {claim:?}");
    }
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
