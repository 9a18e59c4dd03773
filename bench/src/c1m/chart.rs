//! The `c1m` charts, drawn as SVG from the same run as the section's tables
//! (`bench/charts/`): memory per stream against open streams for every
//! server, and the distribution of delivery latency at each size. Each
//! carries the run's stamp and every point's value as attributes
//! (`data-run`, `data-streams`, `data-kib`, `data-p50`), which
//! `tests/benchmarks_md.rs` compares with the section: a chart and its
//! table come from one run.

use std::fmt::Write as _;
use std::path::PathBuf;

use super::{C1m, LINEUP};

const WIDTH: f64 = 820.0;
const HEIGHT: f64 = 360.0;
const LEFT: f64 = 60.0;
const RIGHT: f64 = 300.0;
const TOP: f64 = 40.0;
const BOTTOM: f64 = 50.0;
const COLOURS: [&str; 4] = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd"];

pub fn directory() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("charts")
}

pub fn write(run: &C1m) {
    let dir = directory();
    std::fs::create_dir_all(&dir).expect("create bench/charts");
    for (name, svg) in [
        ("c1m-memory.svg", memory(run)),
        ("c1m-latency.svg", latency(run)),
    ] {
        std::fs::write(dir.join(name), svg).expect("write a chart");
        eprintln!("drew {}", dir.join(name).display());
    }
}

/// The run a chart comes from, as its `data-run` says it.
fn stamp(run: &C1m) -> String {
    format!("{} {}", run.stamp.date, run.stamp.commit)
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A log-scale position in `[from, to]` for `value` in `[low, high]`.
fn log_at(value: f64, (low, high): (f64, f64), (from, to): (f64, f64)) -> f64 {
    from + (value.max(low).ln() - low.ln()) / (high.ln() - low.ln()) * (to - from)
}

fn linear_at(value: f64, (low, high): (f64, f64), (from, to): (f64, f64)) -> f64 {
    from + (value - low) / (high - low) * (to - from)
}

fn frame(run: &C1m, title: &str, x_label: &str, y_label: &str) -> String {
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" height=\"{HEIGHT}\" \
         viewBox=\"0 0 {WIDTH} {HEIGHT}\" font-family=\"sans-serif\" font-size=\"12\" \
         data-run=\"{}\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n\
         <text x=\"{LEFT}\" y=\"22\" font-size=\"14\" font-weight=\"bold\">{}</text>\n\
         <text x=\"{:.0}\" y=\"{:.0}\" text-anchor=\"middle\">{}</text>\n\
         <text transform=\"translate(16 {:.0}) rotate(-90)\" text-anchor=\"middle\">{}</text>\n\
         <line x1=\"{LEFT}\" y1=\"{:.0}\" x2=\"{:.0}\" y2=\"{:.0}\" stroke=\"black\"/>\n\
         <line x1=\"{LEFT}\" y1=\"{TOP}\" x2=\"{LEFT}\" y2=\"{:.0}\" stroke=\"black\"/>\n",
        escape(&stamp(run)),
        escape(title),
        (LEFT + WIDTH - RIGHT) / 2.0,
        HEIGHT - 12.0,
        escape(x_label),
        (TOP + HEIGHT - BOTTOM) / 2.0,
        escape(y_label),
        HEIGHT - BOTTOM,
        WIDTH - RIGHT,
        HEIGHT - BOTTOM,
        HEIGHT - BOTTOM,
    )
}

fn legend(out: &mut String, at: usize, colour: &str, text: &str) {
    let y = TOP + 10.0 + at as f64 * 18.0;
    let x = WIDTH - RIGHT + 12.0;
    let _ = writeln!(
        out,
        "<rect x=\"{x:.0}\" y=\"{:.0}\" width=\"12\" height=\"3\" fill=\"{colour}\"/>\
         <text x=\"{:.0}\" y=\"{:.0}\">{}</text>",
        y - 4.0,
        x + 18.0,
        y,
        escape(text)
    );
}

/// Server KiB per stream against streams, log-scaled streams.
pub fn memory(run: &C1m) -> String {
    let streams = (
        *run.sizes.streams.iter().min().unwrap_or(&1) as f64,
        *run.sizes.streams.iter().max().unwrap_or(&1) as f64,
    );
    let top = run
        .rows
        .iter()
        .map(|row| row.server_kib)
        .fold(1.0f64, f64::max)
        .ceil();
    let (x_span, y_span) = ((LEFT, WIDTH - RIGHT), (HEIGHT - BOTTOM, TOP));
    let mut out = frame(
        run,
        "Server memory per open stream",
        "open streams (log scale)",
        "KiB per stream",
    );
    for &size in &run.sizes.streams {
        let x = log_at(size as f64, streams, x_span);
        let _ = writeln!(
            out,
            "<text x=\"{x:.0}\" y=\"{:.0}\" text-anchor=\"middle\">{}</text>",
            HEIGHT - BOTTOM + 16.0,
            crate::scenario_list::thousands(size as u64)
        );
    }
    for step in 0..=4 {
        let value = top * f64::from(step) / 4.0;
        let y = linear_at(value, (0.0, top), y_span);
        let _ = writeln!(
            out,
            "<text x=\"{:.0}\" y=\"{:.0}\" text-anchor=\"end\">{value:.1}</text>",
            LEFT - 6.0,
            y + 4.0
        );
    }
    for (at, implementation) in LINEUP.into_iter().enumerate() {
        let colour = COLOURS[at % COLOURS.len()];
        let mut points = Vec::new();
        for row in run
            .rows
            .iter()
            .filter(|row| row.implementation == implementation)
        {
            let x = log_at(row.streams as f64, streams, x_span);
            let y = linear_at(row.server_kib, (0.0, top), y_span);
            points.push(format!("{x:.1},{y:.1}"));
            let _ = writeln!(
                out,
                "<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"3\" fill=\"{colour}\" \
                 data-server=\"{}\" data-streams=\"{}\" data-kib=\"{:.2}\"><title>{}: {:.2} KiB \
                 at {} streams</title></circle>",
                escape(implementation.name()),
                row.streams,
                row.server_kib,
                escape(implementation.name()),
                row.server_kib,
                row.streams
            );
        }
        let _ = writeln!(
            out,
            "<polyline fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\" points=\"{}\"/>",
            points.join(" ")
        );
        legend(&mut out, at, colour, implementation.name());
    }
    out.push_str("</svg>\n");
    out
}

/// The share of deliveries within each latency, a curve per size, log-scaled
/// latency.
pub fn latency(run: &C1m) -> String {
    let rows: Vec<_> = run
        .lean_rows()
        .filter(|row| row.delivery.is_some())
        .collect();
    let highest = rows
        .iter()
        .filter_map(|row| row.delivery.as_ref()?.cumulative.last().map(|(ms, _)| *ms))
        .fold(1.0f64, f64::max);
    let lowest = rows
        .iter()
        .filter_map(|row| row.delivery.as_ref()?.cumulative.first().map(|(ms, _)| *ms))
        .fold(highest, f64::min);
    // From the power of ten below the fastest delivery.
    let span = (
        10f64.powf(lowest.max(0.001).log10().floor()),
        highest.max(1.0),
    );
    let (x_span, y_span) = ((LEFT, WIDTH - RIGHT), (HEIGHT - BOTTOM, TOP));
    let mut out = frame(
        run,
        "Publish → delivery latency, lean streams",
        "milliseconds (log scale)",
        "share of deliveries",
    );
    let mut tick = span.0;
    while tick <= span.1 * 1.0001 {
        let x = log_at(tick, span, x_span);
        let _ = writeln!(
            out,
            "<text x=\"{x:.0}\" y=\"{:.0}\" text-anchor=\"middle\">{tick}</text>",
            HEIGHT - BOTTOM + 16.0,
        );
        tick *= 10.0;
    }
    for share in [0.0, 0.25, 0.5, 0.75, 1.0] {
        let y = linear_at(share, (0.0, 1.0), y_span);
        let _ = writeln!(
            out,
            "<text x=\"{:.0}\" y=\"{:.0}\" text-anchor=\"end\">{share}</text>",
            LEFT - 6.0,
            y + 4.0
        );
    }
    for (at, row) in rows.iter().enumerate() {
        let delivery = row.delivery.as_ref().expect("filtered");
        let colour = COLOURS[at % COLOURS.len()];
        let points: Vec<String> = delivery
            .cumulative
            .iter()
            .map(|&(ms, share)| {
                format!(
                    "{:.1},{:.1}",
                    log_at(ms, span, x_span),
                    linear_at(share, (0.0, 1.0), y_span)
                )
            })
            .collect();
        let _ = writeln!(
            out,
            "<polyline fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\" points=\"{}\" \
             data-streams=\"{}\" data-p50=\"{:.1}\" data-p99=\"{:.1}\"/>",
            points.join(" "),
            row.streams,
            delivery.p50_ms,
            delivery.p99_ms
        );
        legend(
            &mut out,
            at,
            colour,
            &format!(
                "{} streams: p50 {:.1} ms",
                crate::scenario_list::thousands(row.streams as u64),
                delivery.p50_ms
            ),
        );
    }
    out.push_str("</svg>\n");
    out
}
