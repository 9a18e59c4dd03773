//! One run of the suite as it was measured: its stamp, its sizes and every
//! sample. `bench/run --write` keeps it in `bench/results.json` and renders
//! BENCHMARKS.md's generated sections from it; `bench/run --render` renders
//! them again from the file, without running anything (after a change to
//! how they are written, say).

use std::path::PathBuf;
use std::process::Command;

use serde::{Deserialize, Serialize};

use crate::criterion_table::EncodingTable;
use crate::results::Results;
use crate::target::Implementation;
use crate::{LlmRows, RoomRows, TransportRows};

/// How big each scenario is.
#[derive(Clone, Serialize, Deserialize)]
pub struct Sizes {
    pub rounds: usize,
    pub firehose_events: u64,
    pub firehose_events_starlette: u64,
    pub idle: Vec<usize>,
    pub fanout: Vec<usize>,
    pub publishes: usize,
    pub connects: Vec<usize>,
    pub drain: Vec<usize>,
    /// Distinct rooms subscribed once and left (in memory), and rooms held
    /// at once (on Redis).
    pub rooms: (usize, usize),
    /// Tokens streamed for the cost per token, and aborts timed.
    pub llm: (usize, usize),
    /// HTTP/2: streams on one connection, events each; idle connections
    /// and streams on each.
    pub h2: (usize, u64, usize, usize),
    /// Compression: chat events unpaced, then paced.
    pub compression: (u64, u64),
    /// Many streams: idle ones, then hub subscribers for this many
    /// publishes.
    pub many: (usize, usize),
}

impl Sizes {
    pub fn full() -> Self {
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

    pub fn quick() -> Self {
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

/// When, where and on what a run was measured.
#[derive(Serialize, Deserialize)]
pub struct Stamp {
    /// `YYYY-MM-DD`, UTC.
    pub date: String,
    /// The commit measured, `-dirty` when the code measured differed from it.
    pub commit: String,
    /// `2 cores, <CPU>, <kernel>`.
    pub machine: String,
    /// The open-files limit of one process (what the many-streams rows split
    /// by), where there is one.
    pub open_files_limit: Option<u64>,
    /// What sse-starlette ran on, where it ran.
    pub starlette: Option<String>,
    /// Anything a reader of the tables must know about how this record was
    /// made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl Stamp {
    /// Now, on this machine, at this checkout.
    pub fn now(starlette: Option<String>, open_files_limit: Option<u64>) -> Stamp {
        Stamp {
            date: shell("date -u +%Y-%m-%d"),
            commit: commit(),
            machine: machine(),
            open_files_limit,
            starlette,
            note: None,
        }
    }

    /// `Run on DATE at commit C, on MACHINE.`
    pub fn line(&self) -> String {
        format!(
            "Run on {} at commit {}, on {}.",
            self.date, self.commit, self.machine
        )
    }
}

/// The output of `sh -c command`, trimmed; empty if it could not run.
fn shell(command: &str) -> String {
    Command::new("sh")
        .args(["-c", command])
        .output()
        .map(|out| String::from_utf8_lossy(&out.stdout).trim().to_owned())
        .unwrap_or_default()
}

/// `2 cores, AMD EPYC 7B13, Linux 6.1.0`.
fn machine() -> String {
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let cpu = shell("grep -m1 'model name' /proc/cpuinfo | cut -d: -f2");
    let kernel = shell("uname -sr");
    format!("{cores} cores, {cpu}, {kernel}")
}

/// The short hash of HEAD, with `-dirty` when the files that build what is
/// measured (the crates, the examples, the bench) differ from it; an edit to
/// the docs does not make a run dirty.
fn commit() -> String {
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let git = |args: &[&str]| {
        Command::new("git")
            .arg("-C")
            .arg(&repo)
            .args(args)
            .output()
            .map(|out| String::from_utf8_lossy(&out.stdout).trim().to_owned())
            .unwrap_or_default()
    };
    let head = git(&["rev-parse", "--short", "HEAD"]);
    let changed = git(&[
        "status",
        "--porcelain",
        "--",
        "sse-runtime",
        "sse-macros",
        "examples",
        "Cargo.toml",
        "Cargo.lock",
        "bench",
        ":(exclude)bench/results.json",
        ":(exclude)bench/c1m.json",
        ":(exclude)bench/charts",
    ]);
    if changed.is_empty() {
        head
    } else {
        format!("{head}-dirty")
    }
}

/// Everything one run measured.
#[derive(Serialize, Deserialize)]
pub struct Run {
    pub stamp: Stamp,
    pub sizes: Sizes,
    /// The main table's servers (sse-starlette is left out where it could
    /// not run).
    pub main: Vec<Implementation>,
    /// The main and the isolation tables' rows.
    pub results: Results,
    /// The many-streams rows.
    pub many: Results,
    pub rooms: RoomRows,
    pub llm: LlmRows,
    pub transport: TransportRows,
    pub encoding: Option<EncodingTable>,
    /// How long the whole run took, in seconds of wall time (runs recorded
    /// before it was kept have none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wall_seconds: Option<u64>,
}

/// The many-streams table's servers: `axum::serve`, then ours.
pub const MANY_COLUMNS: [Implementation; 4] = [
    Implementation::Axum,
    Implementation::HubOnAxumServe,
    Implementation::Runtime,
    Implementation::RuntimeLean,
];

impl Run {
    /// Where `--write` keeps it.
    pub fn path() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("results.json")
    }

    pub fn save(&self) {
        let json = serde_json::to_string_pretty(self).expect("a run is JSON");
        std::fs::write(Self::path(), json + "\n").expect("write bench/results.json");
        eprintln!("saved {}", Self::path().display());
    }

    pub fn load() -> Result<Run, String> {
        let path = Self::path();
        let json = std::fs::read_to_string(&path)
            .map_err(|error| format!("{}: {error}", path.display()))?;
        serde_json::from_str(&json).map_err(|error| format!("{}: {error}", path.display()))
    }
}
