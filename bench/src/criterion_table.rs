//! The encoding microbenchmark's table, read from criterion's estimates.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};
use sse_bench::encoding::{Case, EVENTS_PER_ITERATION, drain};

/// The encoding rows: criterion's mean rate with its confidence interval,
/// and the bytes each event takes on the wire.
#[derive(Serialize, Deserialize)]
pub struct EncodingTable {
    pub events_per_iteration: u64,
    /// The level of criterion's intervals, as its estimates record it.
    #[serde(default = "criterions_default_level")]
    pub confidence_level: f64,
    pub rows: Vec<EncodingRow>,
    /// Why criterion did not run, where it did not.
    pub error: Option<String>,
}

#[derive(Serialize, Deserialize)]
pub struct EncodingRow {
    pub case: String,
    /// Events per second: low, mean, high.
    pub rate: Option<(f64, f64, f64)>,
    pub bytes_per_event: f64,
}

/// Criterion's own default level (`Criterion::default()`), which
/// `benches/encoding.rs` keeps: that of the runs recorded before the level
/// was.
fn criterions_default_level() -> f64 {
    0.95
}

impl EncodingTable {
    /// The intervals' level as a percentage: `95%`.
    pub fn level(&self) -> String {
        format!("{}%", (self.confidence_level * 100.0).round())
    }

    pub fn table(&self) -> String {
        if let Some(error) = &self.error {
            return format!("(criterion did not run: {error})\n");
        }
        let mut table = format!(
            "| encoding (in-process, criterion, {} events per iteration) | M events/s ({} interval) | bytes/event |\n|---|---|---|\n",
            self.events_per_iteration,
            self.level()
        );
        for row in &self.rows {
            let _ = writeln!(
                table,
                "| {} | {} | {:.1} |",
                row.case,
                row.rate_text(),
                row.bytes_per_event
            );
        }
        table
    }

    /// The row of `case`.
    pub fn row(&self, case: &str) -> Option<&EncodingRow> {
        self.rows.iter().find(|row| row.case == case)
    }
}

impl EncodingRow {
    /// `mean (low–high)` in M events/s, as the table prints it.
    pub fn rate_text(&self) -> String {
        self.rate.map_or("n/a".into(), |(low, mean, high)| {
            format!("{:.2} ({:.2}–{:.2})", mean / 1e6, low / 1e6, high / 1e6)
        })
    }
}

/// Runs the criterion encoding benchmark (`benches/encoding.rs`) and reads
/// its results.
pub async fn encode_table(quick: bool) -> EncodingTable {
    let mut table = EncodingTable {
        events_per_iteration: EVENTS_PER_ITERATION,
        confidence_level: criterions_default_level(),
        rows: Vec::new(),
        error: None,
    };
    // This binary lives in <target>/release; criterion writes to <target>/criterion.
    let exe = std::env::current_exe().expect("own path");
    let Some(target) = exe.parent().and_then(|release| release.parent()) else {
        table.error = Some("no target directory for criterion".into());
        return table;
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
        other => {
            table.error = Some(format!("{other:?}"));
            return table;
        }
    }
    for case in Case::ALL {
        let bytes = drain(case.body(EVENTS_PER_ITERATION).await).await;
        let estimate = criterion_rate(&target.join("criterion"), case.id());
        if let Some((_, level)) = estimate {
            table.confidence_level = level;
        }
        table.rows.push(EncodingRow {
            case: case.name().to_owned(),
            rate: estimate.map(|(rate, _)| rate),
            bytes_per_event: bytes as f64 / EVENTS_PER_ITERATION as f64,
        });
    }
    table
}

/// Events per second (low, mean, high) from criterion's estimate for
/// `(group, function)`, found by the ids it records beside it, and the
/// level of that interval.
fn criterion_rate(
    root: &std::path::Path,
    (group, function): (&str, &str),
) -> Option<((f64, f64, f64), f64)> {
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
            let interval = &mean["confidence_interval"];
            // A longer time per iteration is a lower rate.
            return Some((
                (
                    per_iteration(&interval["upper_bound"])?,
                    per_iteration(&mean["point_estimate"])?,
                    per_iteration(&interval["lower_bound"])?,
                ),
                interval["confidence_level"].as_f64()?,
            ));
        }
    }
    None
}
