//! What the tables say, written from the same results as the tables: what
//! was lost, where each target stands, and the comparisons "Reading the
//! results" quotes. Every figure here is a cell of the tables (or a ratio or
//! difference of cells, said so); every "overlaps" is computed.

use std::fmt::Write as _;

use crate::metric;
use crate::results::{Summary, format_value};
use crate::run::Run;
use crate::scenarios::SHUTDOWN_LIMIT;
use crate::target::Implementation::{self, *};

/// A target met when the idle memory of a stream on hyper's path is at most
/// this, in KiB (the target).
const IDLE_TARGET_KIB: f64 = 11.0;
/// Issue 19's target for a lean stream, in KiB, at 10,000 streams and more.
const LEAN_TARGET_KIB: f64 = 3.0;
/// The fan-out target at the largest fan-out: p99 under this, in ms.
const FAN_OUT_P99_MS: f64 = 100.0;
/// The firehose targets: this many times axum `Sse`, and sse-starlette.
const FIREHOSE_OVER_AXUM: f64 = 5.0;
const FIREHOSE_OVER_STARLETTE: f64 = 40.0;
/// Shutdown: exit within the grace period and this much more, in ms.
const SHUTDOWN_SLACK_MS: f64 = 1000.0;

/// A cell of the main, isolation or many-streams rows.
fn cell(run: &Run, metric: &str, implementation: Implementation) -> Option<Summary> {
    run.results
        .summary(metric, implementation)
        .or_else(|| run.many.summary(metric, implementation))
}

/// The many-streams rows whose names start with `prefix`, in order.
fn many_rows<'a>(run: &'a Run, prefix: &'a str) -> impl Iterator<Item = &'a str> {
    run.many
        .metrics()
        .map(|(metric, _)| metric)
        .filter(move |metric| metric.starts_with(prefix))
}

/// The largest of `sizes`.
fn largest(sizes: &[usize]) -> usize {
    sizes.iter().copied().max().unwrap_or(0)
}

/// Whether a higher value is better in a row of `unit`.
fn higher_is_better(unit: &str) -> bool {
    matches!(unit, "events/s" | "MB/s" | "per s")
}

/// A short name for the statements.
fn short(implementation: Implementation) -> &'static str {
    match implementation {
        Axum => "axum `Sse`",
        Runtime => "hyper's path",
        RuntimeLean => "lean streams",
        Macro => "`#[sse_endpoint]`",
        Starlette => "sse-starlette",
        HubOnAxumServe => "the hub on plain `axum::serve`",
        other => other.name(),
    }
}

/// "what was lost": every cell short of its attempts, with why (where the
/// scenario said) and the rounds that finished; or that nothing was.
pub fn lost(run: &Run) -> String {
    let mut lines = Vec::new();
    for loss in run.results.losses().into_iter().chain(run.many.losses()) {
        let mut line = format!(
            "{}, {}: {}/{} ({} of {} rounds short)",
            loss.scenario,
            loss.implementation.name(),
            loss.succeeded,
            loss.attempted,
            loss.rounds_short,
            loss.rounds
        );
        if loss.failures.is_empty() {
            line.push_str("; why was not recorded");
        } else {
            let _ = write!(line, "; why: {}", loss.failures.join("; "));
        }
        let finished: Vec<String> = loss
            .finished
            .iter()
            .filter(|(_, _, values)| !values.is_empty())
            .map(|(what, unit, values)| {
                let values: Vec<String> = values.iter().map(|&v| format_value(v)).collect();
                format!("{what} {} {unit}", values.join(" and "))
            })
            .collect();
        if !finished.is_empty() {
            let _ = write!(line, "; the rounds that finished: {}", finished.join(", "));
        }
        lines.push(line);
    }
    for (row, succeeded, attempted) in run
        .rooms
        .counts(&run.sizes)
        .into_iter()
        .chain(run.llm.counts(&run.sizes))
        .chain(run.transport.counts())
    {
        if succeeded < attempted {
            lines.push(format!("{row}: {succeeded}/{attempted}"));
        }
    }
    if lines.is_empty() {
        return "**What was lost:** nothing. Every connection, event and delivery that any \
                round attempted succeeded, in every table."
            .to_owned();
    }
    let mut out = String::from(
        "**What was lost** (a fan-out round that does not finish counts every delivery of \
         that round as lost):\n\n",
    );
    for line in lines {
        let _ = writeln!(out, "- {line}");
    }
    out
}

/// One row of the targets table.
struct Target {
    target: String,
    result: String,
    status: String,
}

fn met() -> String {
    "met".to_owned()
}

fn missed(why: &str) -> String {
    format!("**missed**: {why}")
}

fn not_measured() -> String {
    "not measured in this run".to_owned()
}

/// The targets table, each status computed from the results.
pub fn targets(run: &Run) -> String {
    let rows = [
        firehose_over_axum(run),
        macro_within_noise(run),
        firehose_over_starlette(run),
        idle_on_hypers_path(run),
        lean_idle(run),
        many_streams(run),
        lean_no_regression(run),
        fan_out_p99(run),
        first_byte(run),
        shutdown(run),
    ];
    let mut out = String::from(
        "Computed from the results above by `sse-bench` (figures are medians with the range \
         of the rounds, as in the tables).\n\n\
         | target (issue) | result | status |\n|---|---|---|\n",
    );
    for row in rows {
        let _ = writeln!(out, "| {} | {} | {} |", row.target, row.result, row.status);
    }
    out
}

fn firehose_over_axum(run: &Run) -> Target {
    let target = format!("firehose ≥ {FIREHOSE_OVER_AXUM}× axum `Sse`");
    let Some(base) = cell(run, metric::FIREHOSE, Axum) else {
        return Target {
            target,
            result: "n/a".into(),
            status: not_measured(),
        };
    };
    let mut parts = Vec::new();
    let (mut all_above, mut overlapping) = (true, Vec::new());
    for implementation in [Runtime, Macro, RuntimeLean] {
        let Some(ours) = cell(run, metric::FIREHOSE, implementation) else {
            continue;
        };
        let ratio = ours.median / base.median;
        all_above &= ours.finished() && ratio >= FIREHOSE_OVER_AXUM;
        if ours.overlaps(&base) {
            overlapping.push(short(implementation));
        }
        parts.push(format!("{ratio:.2}× ({})", short(implementation)));
    }
    let noise = if overlapping.is_empty() {
        "no range overlaps axum's".to_owned()
    } else {
        format!("the range of {} overlaps axum's", overlapping.join(", "))
    };
    let status = if parts.is_empty() {
        not_measured()
    } else if all_above && overlapping.is_empty() {
        met()
    } else {
        missed("below the ratio or within noise")
    };
    Target {
        target,
        result: format!("{}; {noise}", parts.join(", ")),
        status,
    }
}

fn macro_within_noise(run: &Run) -> Target {
    let target = "`#[sse_endpoint]` within noise of the runtime by hand".to_owned();
    let (Some(macros), Some(ours)) = (
        cell(run, metric::FIREHOSE, Macro),
        cell(run, metric::FIREHOSE, Runtime),
    ) else {
        return Target {
            target,
            result: "n/a".into(),
            status: not_measured(),
        };
    };
    let loopback_ok = macros.overlaps(&ours) || macros.median >= ours.median;
    let mut result = format!(
        "firehose over loopback: {} against {} events/s, ranges {}",
        macros.range(),
        ours.range(),
        overlap_word(macros.overlaps(&ours))
    );
    let mut in_process_ok = true;
    let in_process = run.encoding.as_ref().and_then(|table| {
        Some((
            table.row("JSON: #[sse_endpoint] yield_!(T)")?,
            table.row("JSON: sse-runtime Json<T>")?,
        ))
    });
    if let Some((yielded, json)) = in_process
        && let (Some(y), Some(j)) = (yielded.rate, json.rate)
    {
        let overlaps = y.0 <= j.2 && j.0 <= y.2;
        in_process_ok = overlaps || y.1 >= j.1;
        let _ = write!(
            result,
            "; in-process (criterion): `yield_!(T)` {} against `Json<T>` {} M events/s, \
             intervals {}",
            yielded.rate_text(),
            json.rate_text(),
            overlap_word(overlaps)
        );
    }
    let status = match (loopback_ok, in_process_ok) {
        (true, true) => met(),
        (false, _) => missed("slower over loopback, outside noise"),
        (true, false) => missed("slower in-process, outside criterion's intervals"),
    };
    Target {
        target,
        result,
        status,
    }
}

fn overlap_word(overlaps: bool) -> &'static str {
    if overlaps {
        "overlap"
    } else {
        "do not overlap"
    }
}

fn firehose_over_starlette(run: &Run) -> Target {
    let target = format!("firehose ≥ {FIREHOSE_OVER_STARLETTE}× sse-starlette");
    let Some(theirs) = cell(run, metric::FIREHOSE, Starlette) else {
        return Target {
            target,
            result: "n/a".into(),
            status: not_measured(),
        };
    };
    let mut parts = Vec::new();
    let mut all_above = true;
    for implementation in [Runtime, Macro, RuntimeLean] {
        if let Some(ours) = cell(run, metric::FIREHOSE, implementation) {
            let ratio = ours.median / theirs.median;
            all_above &= ratio >= FIREHOSE_OVER_STARLETTE && !ours.overlaps(&theirs);
            parts.push(format!("{ratio:.0}× ({})", short(implementation)));
        }
    }
    Target {
        target,
        result: format!(
            "{}: medians over sse-starlette's {} events/s",
            parts.join(", "),
            format_value(theirs.median)
        ),
        status: if all_above && !parts.is_empty() {
            met()
        } else {
            missed("below the ratio")
        },
    }
}

fn idle_on_hypers_path(run: &Run) -> Target {
    let streams = largest(&run.sizes.idle);
    let target = format!("idle ≤ {IDLE_TARGET_KIB} KiB per stream");
    let row = metric::idle_memory(&format!("{streams} streams"));
    let (Some(ours), lean) = (cell(run, &row, Runtime), cell(run, &row, RuntimeLean)) else {
        return Target {
            target,
            result: "n/a".into(),
            status: not_measured(),
        };
    };
    let mut result = format!("{streams} streams: {} KiB on hyper's path", ours.range());
    if let Some(lean) = lean {
        let _ = write!(result, ", {} with lean streams", lean.range());
    }
    let status = if ours.median <= IDLE_TARGET_KIB {
        met()
    } else {
        let by = format!("{:.2}", ours.median - IDLE_TARGET_KIB);
        match lean {
            Some(lean) if lean.median <= IDLE_TARGET_KIB => format!(
                "**missed** on hyper's path, by {by} KiB; met with lean streams, `serve`'s default"
            ),
            _ => missed(&format!("by {by} KiB")),
        }
    };
    Target {
        target,
        result,
        status,
    }
}

/// The idle-memory rows at 10,000 streams or more: the main table's, then
/// the many-streams ones.
fn large_idle_rows(run: &Run) -> Vec<String> {
    let mut rows: Vec<String> = run
        .sizes
        .idle
        .iter()
        .filter(|&&streams| streams >= 10_000)
        .map(|streams| metric::idle_memory(&format!("{streams} streams")))
        .collect();
    rows.extend(many_rows(run, &metric::idle_memory("")).map(str::to_owned));
    rows
}

fn lean_idle(run: &Run) -> Target {
    let target =
        format!("idle ≤ {LEAN_TARGET_KIB} KiB per stream at 10,000 and 100,000 streams (issue 19)");
    let mut parts = Vec::new();
    let (mut all_under, mut reached) = (true, 0);
    for row in large_idle_rows(run) {
        let Some(lean) = cell(run, &row, RuntimeLean) else {
            continue;
        };
        all_under &= lean.finished() && lean.median <= LEAN_TARGET_KIB;
        let at = row.trim_start_matches(&metric::idle_memory(""));
        reached = reached.max(
            at.split(' ')
                .next()
                .and_then(|n| n.parse().ok())
                .unwrap_or(0),
        );
        let mut part = format!("{at}: {} KiB with lean streams", lean.range());
        if let Some(ours) = cell(run, &row, Runtime) {
            let _ = write!(part, ", {} on hyper's path", format_value(ours.median));
        }
        if let Some(axum) = cell(run, &row, Axum) {
            let _ = write!(part, ", {} axum `Sse`", format_value(axum.median));
        }
        parts.push(part);
    }
    let status = if parts.is_empty() {
        not_measured()
    } else if !all_under {
        missed("above the bound")
    } else if reached < 100_000 {
        format!("met up to {reached} streams; 100,000 not measured in this run")
    } else {
        met()
    };
    Target {
        target,
        result: parts.join("; "),
        status,
    }
}

fn many_streams(run: &Run) -> Target {
    let target =
        "many streams opened faster than today's path; one hub publish to all, p50/p99".to_owned();
    let Some(open) = many_rows(run, "idle: open ").last() else {
        return Target {
            target,
            result: "n/a".into(),
            status: not_measured(),
        };
    };
    let mut result = format!("{open}:");
    for implementation in [RuntimeLean, Runtime, Axum] {
        if let Some(summary) = cell(run, open, implementation) {
            let _ = write!(result, " {} s {},", summary.range(), short(implementation));
        }
    }
    result.pop();
    if let Some(hub) = many_rows(run, "hub (Redis) fan-out to ")
        .filter_map(|row| row.strip_suffix(", p50"))
        .last()
    {
        let _ = write!(result, "; {hub}:");
        for implementation in [RuntimeLean, Runtime, HubOnAxumServe] {
            let p50 = cell(run, &metric::at(hub, "p50"), implementation);
            let p99 = cell(run, &metric::at(hub, "p99"), implementation);
            if let (Some(p50), Some(p99)) = (p50, p99) {
                let _ = write!(
                    result,
                    " p50 {} ms, p99 {} ms {};",
                    p50.range(),
                    p99.range(),
                    short(implementation)
                );
            }
        }
        result.pop();
    }
    let status = match (cell(run, open, RuntimeLean), cell(run, open, Runtime)) {
        (Some(lean), Some(ours)) if lean.overlaps(&ours) => {
            "**not shown**: opening with lean streams is within noise of hyper's path (the \
             ranges overlap)"
                .to_owned()
        }
        (Some(lean), Some(ours)) if lean.median < ours.median => met(),
        (Some(_), Some(_)) => missed("slower than hyper's path, outside noise"),
        _ => not_measured(),
    };
    Target {
        target,
        result,
        status,
    }
}

fn lean_no_regression(run: &Run) -> Target {
    let target = "lean streams: no regression elsewhere".to_owned();
    let (mut noise, mut better, mut worse) = (0, Vec::new(), Vec::new());
    for (metric, unit) in run.results.metrics() {
        let (Some(lean), Some(ours)) = (cell(run, metric, RuntimeLean), cell(run, metric, Runtime))
        else {
            continue;
        };
        if !lean.finished() || !ours.finished() {
            continue;
        }
        let text = format!("{metric}: {} against {} {unit}", lean.range(), ours.range());
        if lean.overlaps(&ours) {
            noise += 1;
        } else if (lean.median > ours.median) == higher_is_better(unit) {
            better.push(text);
        } else {
            worse.push(text);
        }
    }
    let compared = noise + better.len() + worse.len();
    let mut result = format!(
        "against hyper's path in the {compared} rows both finished: {noise} within noise, {} \
         better, {} worse",
        better.len(),
        worse.len()
    );
    for (label, rows) in [("better", &better), ("worse", &worse)] {
        if !rows.is_empty() {
            let _ = write!(result, "; {label}: {}", rows.join("; "));
        }
    }
    Target {
        target,
        result,
        status: if compared == 0 {
            not_measured()
        } else if worse.is_empty() {
            met()
        } else {
            missed("worse outside noise in the rows named")
        },
    }
}

fn fan_out_p99(run: &Run) -> Target {
    let subscribers = largest(&run.sizes.fanout);
    let target = format!("fan-out p99 < {FAN_OUT_P99_MS} ms at {subscribers} subscribers");
    let mut rows: Vec<(String, Implementation, String)> = [RuntimeLean, Runtime, Macro]
        .into_iter()
        .map(|i| {
            let row = metric::at(&metric::last_delivery(&metric::fan_out(subscribers)), "p99");
            (row, i, short(i).to_owned())
        })
        .collect();
    for backend in ["in memory", "Redis"] {
        let fan_out = metric::hub_fan_out(backend, &subscribers.to_string());
        rows.push((
            metric::at(&metric::last_delivery(&fan_out), "p99"),
            Macro,
            format!("hub ({backend})"),
        ));
    }
    let (mut parts, mut all_under, mut measured) = (Vec::new(), true, false);
    for (row, implementation, label) in rows {
        let Some(summary) = cell(run, &row, implementation) else {
            continue;
        };
        measured = true;
        if summary.finished() {
            all_under &= summary.median < FAN_OUT_P99_MS;
            parts.push(format!("{} ms {label}", summary.range()));
        } else {
            all_under = false;
            parts.push(format!("{label} did not finish (see \"What was lost\")"));
        }
    }
    if let Some(axum) = cell(
        run,
        &metric::at(&metric::last_delivery(&metric::fan_out(subscribers)), "p99"),
        Axum,
    ) {
        parts.push(format!("axum `Sse` {}", axum.range()));
    }
    Target {
        target,
        result: parts.join(", "),
        status: if !measured {
            not_measured()
        } else if all_under {
            met()
        } else {
            missed("above the bound or not finished")
        },
    }
}

fn first_byte(run: &Run) -> Target {
    let connects = run.sizes.connects.iter().copied().min().unwrap_or(0);
    let target = format!("time to first byte, {connects} simultaneous connects");
    let row = metric::at(&metric::first_byte(connects), "p50");
    let Some(axum) = cell(run, &row, Axum) else {
        return Target {
            target,
            result: "n/a".into(),
            status: not_measured(),
        };
    };
    let mut parts = Vec::new();
    let mut within_noise = true;
    for implementation in [Runtime, RuntimeLean, Macro, Axum, Starlette] {
        if let Some(summary) = cell(run, &row, implementation) {
            if implementation != Starlette {
                within_noise &= summary.overlaps(&axum);
            }
            parts.push(format!("{} ms {}", summary.range(), short(implementation)));
        }
    }
    let noise = if within_noise {
        "every Rust server's range overlaps axum `Sse`'s"
    } else {
        "not every Rust server's range overlaps axum `Sse`'s"
    };
    Target {
        target,
        result: format!("p50: {}; {noise}", parts.join(", ")),
        status: "measured (no bound set)".to_owned(),
    }
}

fn shutdown(run: &Run) -> Target {
    let grace = sse_bench::GRACE_PERIOD.as_secs_f64() * 1000.0;
    let target = "shutdown within grace + 1 s".to_owned();
    let (mut parts, mut all_within, mut measured) = (Vec::new(), true, false);
    for &streams in &run.sizes.drain {
        let row = metric::shutdown(streams);
        let mut part = format!("{streams} streams: grace ({} s)", grace / 1000.0);
        for implementation in [Runtime, RuntimeLean, Macro] {
            let Some(summary) = cell(run, &row, implementation) else {
                continue;
            };
            measured = true;
            if summary.finished() {
                all_within &= summary.high <= grace + SHUTDOWN_SLACK_MS;
                let _ = write!(
                    part,
                    " + {:.0} ms {} (slowest round + {:.0}),",
                    summary.median - grace,
                    short(implementation),
                    summary.high - grace
                );
            } else {
                all_within = false;
                let _ = write!(part, " {} did not exit,", short(implementation));
            }
        }
        part.pop();
        parts.push(part);
    }
    if let Some(axum) = run.sizes.drain.first().and_then(|&streams| {
        let row = metric::shutdown(streams);
        cell(run, &row, Axum)
    }) && !axum.finished()
    {
        parts.push(format!(
            "axum `Sse`: did not exit within {} s",
            SHUTDOWN_LIMIT.as_secs()
        ));
    }
    Target {
        target,
        result: parts.join("; "),
        status: if !measured {
            not_measured()
        } else if all_within {
            met()
        } else {
            missed("a round exited later")
        },
    }
}

/// The comparisons "Reading the results" refers to.
pub fn reading(run: &Run) -> String {
    let mut out = String::from("Computed from the results above by `sse-bench`:\n\n");
    // The isolation rows: whose share a firehose difference is.
    if let Some(base) = cell(run, metric::FIREHOSE, Axum) {
        let mut parts = Vec::new();
        for (implementation, what) in [
            (AxumOnOurServe, "axum's `Sse` under `sse_runtime::serve`"),
            (RuntimeOnAxumServe, "our responses under `axum::serve`"),
            (RuntimeOneEventPerFrame, "ours with one event per frame"),
        ] {
            if let Some(ratio) =
                cell(run, metric::FIREHOSE, implementation).and_then(|s| s.ratio_to(&base))
            {
                parts.push(format!("{what} {ratio}"));
            }
        }
        if !parts.is_empty() {
            let _ = writeln!(
                out,
                "- Firehose, against axum's own `Sse` under `axum::serve` (≈: within noise): {}.",
                parts.join("; ")
            );
        }
    }
    // Idle memory by server and response, at the largest one-process count.
    let streams = largest(&run.sizes.idle);
    let row = metric::idle_memory(&format!("{streams} streams"));
    let mut parts = Vec::new();
    for (implementation, what) in [
        (Axum, "axum `Sse` under `axum::serve`"),
        (RuntimeOnAxumServe, "ours under `axum::serve`"),
        (AxumOnOurServe, "axum `Sse` under our server"),
        (Runtime, "ours on hyper's path"),
        (Macro, "`#[sse_endpoint]` on hyper's path"),
        (RuntimeLean, "ours with lean streams"),
        (Starlette, "sse-starlette"),
    ] {
        if let Some(summary) = cell(run, &row, implementation) {
            parts.push(format!("{what} {}", summary.range()));
        }
    }
    if !parts.is_empty() {
        let _ = writeln!(
            out,
            "- Idle memory at {streams} streams, KiB per stream: {}.",
            parts.join("; ")
        );
    }
    // A lean stream's resident memory as the count grows.
    let mut rows: Vec<String> = run
        .sizes
        .idle
        .iter()
        .map(|streams| metric::idle_memory(&format!("{streams} streams")))
        .collect();
    rows.extend(many_rows(run, &metric::idle_memory("")).map(str::to_owned));
    let lean: Vec<String> = rows
        .iter()
        .filter_map(|row| {
            let summary = cell(run, row, RuntimeLean)?;
            let at = row.trim_start_matches(&metric::idle_memory(""));
            Some(format!("{} at {at}", summary.range()))
        })
        .collect();
    if !lean.is_empty() {
        let _ = writeln!(
            out,
            "- A lean stream's resident memory, KiB per stream: {}.",
            lean.join("; ")
        );
    }
    // The rows where every Rust server is within noise of axum `Sse`.
    let rust: Vec<Implementation> = run
        .main
        .iter()
        .copied()
        .filter(|&i| i != Axum && i != Starlette)
        .collect();
    let noise: Vec<&str> = run
        .results
        .metrics()
        .map(|(metric, _)| metric)
        .filter(|metric| {
            let Some(base) = cell(run, metric, Axum).filter(Summary::finished) else {
                return false;
            };
            rust.iter()
                .all(|&i| cell(run, metric, i).is_some_and(|s| s.finished() && s.overlaps(&base)))
        })
        .collect();
    if !noise.is_empty() {
        let _ = writeln!(
            out,
            "- Rows where every Rust server's range overlaps axum `Sse`'s (no difference \
             shown): {}.",
            noise.join("; ")
        );
    }
    // The in-process pair the macro's target names.
    if let Some(table) = &run.encoding
        && let (Some(yielded), Some(json)) = (
            table.row("JSON: #[sse_endpoint] yield_!(T)"),
            table.row("JSON: sse-runtime Json<T>"),
        )
        && let (Some(y), Some(j)) = (yielded.rate, json.rate)
    {
        let _ = writeln!(
            out,
            "- In-process (criterion): `yield_!(T)` {} and `Json<T>` {} M events/s: the \
             intervals {}.",
            yielded.rate_text(),
            json.rate_text(),
            overlap_word(y.0 <= j.2 && j.0 <= y.2)
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::{Results, Sample};
    use crate::run::{Sizes, Stamp};

    fn run(results: Results) -> Run {
        Run {
            stamp: Stamp {
                date: "2026-01-01".into(),
                commit: "abc1234".into(),
                machine: "2 cores, CPU, Linux".into(),
                open_files_limit: None,
                starlette: None,
                note: None,
            },
            sizes: Sizes::full(),
            main: vec![Axum, Runtime, RuntimeLean],
            results,
            many: Results::default(),
            rooms: Default::default(),
            llm: Default::default(),
            transport: Default::default(),
            encoding: None,
            wall_seconds: None,
        }
    }

    #[test]
    fn nothing_lost_is_said_only_when_nothing_was() {
        let mut results = Results::default();
        results.add("row", "ms", Runtime, Sample::new(1.0, 10, 10));
        assert!(lost(&run(results)).contains("nothing"));

        let mut results = Results::default();
        let fan_out = metric::fan_out(10_000);
        let row = metric::last_delivery(&fan_out);
        results.add_latency(&row, Runtime, (120.0, 150.0), (10, 10), None);
        results.add_latency(
            &row,
            Runtime,
            (f64::NAN, f64::NAN),
            (0, 10),
            Some("stream 7 ended: reset"),
        );
        let said = lost(&run(results));
        assert!(
            said.contains(
                "fan-out to 10000: publish → last subscriber, sse-runtime: 10/20 (1 of 2 rounds \
                 short); why: stream 7 ended: reset; the rounds that finished: p50 120 ms, p99 \
                 150 ms"
            ),
            "{said}"
        );
    }

    #[test]
    fn a_target_is_met_or_missed_by_the_results() {
        let idle = metric::idle_memory("10000 streams");
        let mut results = Results::default();
        results.add(&idle, "KiB/stream", Runtime, Sample::new(11.5, 1, 1));
        results.add(&idle, "KiB/stream", RuntimeLean, Sample::new(2.4, 1, 1));
        let target = idle_on_hypers_path(&run(results));
        assert!(
            target
                .status
                .starts_with("**missed** on hyper's path, by 0.50 KiB"),
            "{}",
            target.status
        );

        let mut results = Results::default();
        results.add(&idle, "KiB/stream", Runtime, Sample::new(10.5, 1, 1));
        assert_eq!(idle_on_hypers_path(&run(results)).status, "met");
    }

    #[test]
    fn no_regression_compares_each_row_the_way_it_improves() {
        let mut results = Results::default();
        for (implementation, rate, ms) in [(Runtime, 100.0, 10.0), (RuntimeLean, 50.0, 5.0)] {
            results.add("rate", "events/s", implementation, Sample::new(rate, 1, 1));
            results.add("time", "ms", implementation, Sample::new(ms, 1, 1));
        }
        let target = lean_no_regression(&run(results));
        assert!(
            target.result.contains("1 better, 1 worse") && target.result.contains("worse: rate"),
            "{}",
            target.result
        );
        assert!(target.status.starts_with("**missed**"), "{}", target.status);
    }
}
