//! No hand-typed figure in BENCHMARKS.md: its figures are generated (by
//! `bench/run`, or by a profiling command that writes its own stamped
//! section, between markers whose hash is checked here), or stand in blocks
//! stamped with the date and commit they were measured at, and the prose
//! around them quotes only figures derived here from their sources.

use std::fs;

use sse_test_support::docs::{generated_sections, one_line, sections, table_after, thousands};

fn benchmarks() -> String {
    fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/BENCHMARKS.md")).unwrap()
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
        "ceilings",
        "c1m",
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

/// The `c1m` charts come from the run of the section's tables: the same
/// stamp, a point for every figure of the memory table and no other, and
/// each latency curve's median and 99th percentile those of the delivery
/// table.
#[test]
fn the_c1m_charts_come_from_the_run_of_its_tables() {
    let benchmarks = benchmarks();
    let (_, section, _) = sections(&benchmarks)
        .into_iter()
        .find(|(name, _, _)| name == "c1m")
        .expect("BENCHMARKS.md has a c1m section");
    let run = {
        let after = section.split_once("run on ").expect("stamped").1;
        let (date, rest) = after.split_once(" at commit ").expect("a commit");
        let commit = rest.split([',', ' ']).next().unwrap();
        format!("{date} {commit}")
    };
    let chart = |name: &str| {
        let path = format!("{}/bench/charts/{name}", env!("CARGO_MANIFEST_DIR"));
        let svg = fs::read_to_string(&path)
            .unwrap_or_else(|_| panic!("{path}: run bench/run --only c1m --write"));
        assert!(
            svg.contains(&format!("data-run=\"{run}\"")),
            "{name} is not from the run the c1m section shows ({run})"
        );
        svg
    };
    let attribute = |element: &str, name: &str| -> String {
        let start = element.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
        element[start..]
            .split('"')
            .next()
            .unwrap()
            .replace("&amp;", "&")
    };

    // The memory table: server → (streams column → KiB).
    let rows = table_after(&section, "### Memory per stream, by server").expect("a memory table");
    let header = &rows[0];
    let mut figures = Vec::new();
    for row in &rows[1..] {
        for (column, cell) in row.iter().enumerate().skip(1) {
            if cell.parse::<f64>().is_ok() {
                let streams = header[column].replace(',', "");
                figures.push((row[0].clone(), streams, cell.clone()));
            }
        }
    }
    let memory = chart("c1m-memory.svg");
    let mut points: Vec<(String, String, String)> = memory
        .split("<circle ")
        .skip(1)
        .map(|circle| {
            (
                attribute(circle, "data-server"),
                attribute(circle, "data-streams"),
                attribute(circle, "data-kib"),
            )
        })
        .collect();
    points.sort();
    figures.sort();
    assert!(!figures.is_empty(), "the memory table has figures");
    assert_eq!(points, figures, "the memory chart draws the memory table");

    // The delivery table: streams → "p50 / p99 ms".
    let latency = chart("c1m-latency.svg");
    let curves: Vec<&str> = latency.split("<polyline ").skip(1).collect();
    assert!(!curves.is_empty(), "the latency chart has curves");
    let delivery = section
        .split("### A publish to every stream")
        .nth(1)
        .expect("a delivery table");
    let rows = delivery
        .split("At a steady rate")
        .next()
        .unwrap()
        .lines()
        .filter(|line| line.starts_with("| ") && line.as_bytes()[2].is_ascii_digit())
        .count();
    assert_eq!(curves.len(), rows, "a latency curve for every delivery row");
    for curve in &curves {
        let streams: usize = attribute(curve, "data-streams").parse().unwrap();
        let cell = format!("| {} | ", thousands(streams));
        let line = delivery
            .lines()
            .find(|line| line.starts_with(&cell))
            .unwrap_or_else(|| panic!("no delivery row for {streams} streams"));
        let quantiles = format!(
            "| {} / {} ms |",
            attribute(curve, "data-p50"),
            attribute(curve, "data-p99")
        );
        assert!(
            line.contains(&quantiles),
            "the latency curve at {streams} streams ({quantiles}) is the delivery row's: {line}"
        );
    }
}
