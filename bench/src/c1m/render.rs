//! The `c1m` run as BENCHMARKS.md shows it: what was run, every byte of a
//! stream, memory per stream by server and size (the table the memory chart
//! draws), delivery, and the plan for ten million it supports.

use std::fmt::Write as _;

use super::{C1m, LINEUP, plan};
use crate::scenario_list::thousands;

/// The section, stamped with the run.
pub fn section(run: &C1m) -> String {
    let stamp = &run.stamp;
    let mut out = format!(
        "`bench/run --only c1m --write`, run on {} at commit {}, on {} with {:.1} GiB of \
         memory; the run took {} s.\n\n\
         Every stream follows the hub topic `bench` through the same `#[sse_endpoint]`, served \
         by `sse_runtime::serve` with lean streams, on hyper's path, or by `axum::serve` (each \
         table says which), at most {} in a server process (the open-files limit is {}), one Redis for all; a \
         client process per server holds its share, each stream from its own source address.\n",
        stamp.date,
        stamp.commit,
        stamp.machine,
        run.memory as f64 / f64::from(1 << 30),
        run.wall_seconds,
        thousands(run.sizes.per_process as u64),
        stamp.open_files_limit.map_or("none".to_owned(), thousands),
    );
    out.push_str(&accounting(run));
    out.push_str(&memory_table(run));
    out.push_str(&delivery(run));
    out.push_str(&plan::plan(run));
    out
}

fn kib(value: f64) -> String {
    format!("{value:.2}")
}

/// The lean rows: every byte.
fn accounting(run: &C1m) -> String {
    let mut out = String::from(
        "\n### Every byte of an open stream\n\n\
         Lean streams. Per stream: the servers' and the clients' resident memory growth; per \
         socket (a stream is two, both on this machine): the kernel's slab caches (`/proc/\
         slabinfo`, active objects × size) and TCP buffer pages (`/proc/net/sockstat`); and \
         what the processes and the kernel hold (`MemTotal` − `MemFree` − `Buffers` − \
         `Cached`) grew by, per stream. Measured from a warm start \
         (each client with one stream open) to all open.\n\n\
         | streams | server processes | opened (failed, retries) | opening | server KiB | \
         client KiB |",
    );
    let caches: Vec<String> = run
        .rows
        .first()
        .map(|row| row.kernel.iter().map(|(cache, _)| cache.clone()).collect())
        .unwrap_or_default();
    for cache in &caches {
        let _ = write!(out, " `{cache}` B |");
    }
    out.push_str(" TCP buffers B | kernel B a socket | machine KiB |\n|");
    for _ in 0..(caches.len() + 9) {
        out.push_str("---:|");
    }
    out.push('\n');
    for row in run.lean_rows() {
        let _ = write!(
            out,
            "| {} | {} | {} ({}, {}) | {:.0}/s in {:.1} s | {} | {} |",
            thousands(row.streams as u64),
            row.servers,
            thousands(row.opened),
            row.failed,
            row.retries,
            row.opened as f64 / row.open_seconds,
            row.open_seconds,
            kib(row.server_kib),
            kib(row.client_kib),
        );
        for (_, bytes) in &row.kernel {
            let _ = write!(out, " {bytes:.0} |");
        }
        let _ = writeln!(
            out,
            " {:.0} | {:.0} | {} |",
            row.tcp_buffers,
            row.kernel_per_socket() + row.tcp_buffers,
            kib(row.machine_kib)
        );
    }
    out
}

/// Server KiB per stream, by server and size: the memory chart's table.
fn memory_table(run: &C1m) -> String {
    let mut out = String::from(
        "\n### Memory per stream, by server\n\n\
         The servers' resident memory growth per open stream, in KiB (the chart \
         `bench/charts/c1m-memory.svg` draws this table).\n\n| server |",
    );
    for streams in &run.sizes.streams {
        let _ = write!(out, " {} |", thousands(*streams as u64));
    }
    out.push_str("\n|---|");
    for _ in &run.sizes.streams {
        out.push_str("---:|");
    }
    out.push('\n');
    let mut why = Vec::new();
    for implementation in LINEUP {
        let _ = write!(out, "| {} |", implementation.name());
        for &streams in &run.sizes.streams {
            let row = run
                .rows
                .iter()
                .find(|row| row.implementation == implementation && row.streams == streams);
            let not = run
                .not_run
                .iter()
                .find(|not| not.implementation == implementation && not.streams == streams);
            match (row, not) {
                (Some(row), _) => {
                    let _ = write!(out, " {} |", kib(row.server_kib));
                }
                (None, Some(not)) => {
                    why.push(format!(
                        "{} at {}: {}",
                        implementation.name(),
                        thousands(streams as u64),
                        not.why
                    ));
                    let _ = write!(out, " not run ({}) |", why.len());
                }
                (None, None) => out.push_str(" – |"),
            }
        }
        out.push('\n');
    }
    for (at, why) in why.iter().enumerate() {
        let _ = writeln!(out, "\n({}) {why}.", at + 1);
    }
    out
}

fn delivery(run: &C1m) -> String {
    let drain = run
        .lean_rows()
        .find_map(|row| row.sustained.as_ref())
        .map_or(0, |steady| steady.drain_seconds);
    let mut out = format!(
        "\n### A publish to every stream\n\n\
         Lean streams. One publish at a time: every delivery's latency (publish request → the \
         client has the event; the chart `bench/charts/c1m-latency.svg` draws their \
         distribution), the last delivery's, deliveries per second to the last, and the CPU \
         seconds each side spent over those publishes (soft interrupts run the loopback's TCP, \
         partly in the processes' system time too: the columns overlap, and do not add up to \
         the machine's busy time). Then the steady rate: every delivery counted, those that had \
         not arrived {} s after the last publish as late; its percentiles are over every \
         delivery expected, what did not arrive counting as later than any (\"not arrived\" \
         where the percentile falls among those).\n\n\
         | streams | publishes | delivered of expected | delivery p50 / p99 | last delivery (each \
         publish) | deliveries/s | CPU s: servers (user+sys) | clients | Redis | soft interrupts \
         | machine busy / wall |\n\
         |---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|\n",
        drain
    );
    for row in run.lean_rows() {
        let Some(delivery) = &row.delivery else {
            continue;
        };
        let cpu = &delivery.cpu;
        let lasts: Vec<String> = delivery
            .last_ms
            .iter()
            .map(|ms| format!("{ms:.0}"))
            .collect();
        let _ = writeln!(
            out,
            "| {} | {} | {} of {} | {:.1} / {:.1} ms | {} ms | {:.2} M | {:.1} + {:.1} | {:.1} + \
             {:.1} | {:.1} + {:.1} | {:.1} | {:.1} / {:.1} |",
            thousands(row.streams as u64),
            delivery.last_ms.len(),
            thousands(delivery.delivered),
            thousands(delivery.expected),
            delivery.p50_ms,
            delivery.p99_ms,
            lasts.join(", "),
            delivery.per_second / 1e6,
            cpu.servers.0,
            cpu.servers.1,
            cpu.clients.0,
            cpu.clients.1,
            cpu.redis.0,
            cpu.redis.1,
            cpu.softirq,
            cpu.machine,
            cpu.wall,
        );
    }
    out.push_str(
        "\nAt a steady rate:\n\n| streams | steady rate | published (refused) | delivered of \
         expected | late | gap notices | streams ended | delivery p50 / p99 / max |\n\
         |---:|---|---:|---:|---:|---:|---:|---:|\n",
    );
    for row in run.lean_rows() {
        let Some(steady) = &row.sustained else {
            continue;
        };
        let _ = writeln!(
            out,
            "| {} | {}/s asked, {:.2}/s sent, for {} s | {} ({}) | {} of {} | {} | {} | {} | {} / \
             {} / {:.1} ms |",
            thousands(row.streams as u64),
            steady.rate,
            steady.sent_rate(),
            steady.seconds,
            steady.published,
            steady.refused,
            thousands(steady.delivered),
            thousands(steady.expected),
            thousands(steady.late),
            steady.gap_notices,
            steady.ended,
            arrived(steady.p50_ms),
            arrived(steady.p99_ms),
            steady.max_ms,
        );
    }
    out
}

/// A percentile of deliveries expected: in ms, or "not arrived".
fn arrived(ms: Option<f64>) -> String {
    ms.map_or("not arrived".to_owned(), |ms| format!("{ms:.1} ms"))
}
