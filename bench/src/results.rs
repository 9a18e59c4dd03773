//! What the rounds measured, and the tables made from it.
//!
//! Every sample carries how many of its attempts succeeded (connections that
//! got their first byte, streams opened, events delivered), so a run that lost
//! connections is marked in the table instead of quietly measuring fewer.
//! A cell shows the median over the rounds with the range (lowest–highest)
//! and the ratio to axum `Sse`'s median; `≈` marks a ratio whose range
//! overlaps the baseline's, i.e. a difference within this machine's noise.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::load::percentile;
use crate::target::Implementation;

/// One measurement and how complete it was.
#[derive(Clone, Copy, Debug)]
pub struct Sample {
    /// Not-a-number when the run did not finish.
    pub value: f64,
    pub succeeded: u64,
    pub attempted: u64,
}

impl Sample {
    /// A timing in ms (`None`: it did not finish) over `succeeded` of
    /// `attempted` streams.
    pub fn timing(took: Option<f64>, succeeded: u64, attempted: usize) -> Self {
        Sample {
            value: took.unwrap_or(f64::NAN),
            succeeded,
            attempted: attempted as u64,
        }
    }
}

/// Metric → implementation → samples, in the order the rows were first seen.
#[derive(Default)]
pub struct Results {
    rows: Vec<(String, &'static str)>,
    samples: BTreeMap<(String, &'static str), Vec<Sample>>,
}

/// Median and range of a cell's samples, and their completeness.
struct Summary {
    median: f64,
    low: f64,
    high: f64,
    succeeded: u64,
    attempted: u64,
}

impl Results {
    /// Records a sample.
    pub fn add(
        &mut self,
        metric: &str,
        unit: &'static str,
        implementation: Implementation,
        sample: Sample,
    ) {
        if !self.rows.iter().any(|(name, _)| name == metric) {
            self.rows.push((metric.to_owned(), unit));
        }
        self.samples
            .entry((metric.to_owned(), implementation.name()))
            .or_default()
            .push(sample);
    }

    /// Records a p50 and a p99 in milliseconds, as `<metric>, p50` and `, p99`.
    pub fn add_latency(
        &mut self,
        metric: &str,
        implementation: Implementation,
        (p50, p99): (f64, f64),
        (succeeded, attempted): (u64, u64),
    ) {
        for (suffix, value) in [("p50", p50), ("p99", p99)] {
            self.add(
                &format!("{metric}, {suffix}"),
                "ms",
                implementation,
                Sample {
                    value,
                    succeeded,
                    attempted,
                },
            );
        }
    }

    fn summary(&self, metric: &str, implementation: Implementation) -> Option<Summary> {
        let samples = self
            .samples
            .get(&(metric.to_owned(), implementation.name()))?;
        let mut values: Vec<f64> = samples.iter().map(|s| s.value).collect();
        // A round that did not finish makes the cell "did not finish".
        let unfinished = values.iter().any(|v| v.is_nan());
        values.sort_by(f64::total_cmp);
        let (low, high) = (values[0], values[values.len() - 1]);
        Some(Summary {
            median: if unfinished {
                f64::NAN
            } else {
                percentile(&values, 50.0)
            },
            low,
            high,
            succeeded: samples.iter().map(|s| s.succeeded).sum(),
            attempted: samples.iter().map(|s| s.attempted).sum(),
        })
    }

    /// Whether `implementation` has any sample in `metric`.
    fn has(&self, metric: &str, implementation: Implementation) -> bool {
        self.samples
            .contains_key(&(metric.to_owned(), implementation.name()))
    }

    /// The results table for `implementations`, over the rows in which any
    /// of them has samples.
    pub fn table(&self, implementations: &[Implementation]) -> String {
        let rows: Vec<_> = self
            .rows
            .iter()
            .filter(|(metric, _)| implementations.iter().any(|&i| self.has(metric, i)))
            .collect();
        let mut out = header(implementations);
        for (metric, unit) in &rows {
            let _ = write!(out, "| {metric} | {unit} |");
            let baseline = self.summary(metric, Implementation::Axum);
            for &implementation in implementations {
                out.push(' ');
                out.push_str(&self.cell(metric, implementation, baseline.as_ref()));
                out.push_str(" |");
            }
            out.push('\n');
        }
        out
    }

    fn cell(
        &self,
        metric: &str,
        implementation: Implementation,
        baseline: Option<&Summary>,
    ) -> String {
        let Some(summary) = self.summary(metric, implementation) else {
            return "n/a".into();
        };
        let mut cell = if summary.median.is_nan() {
            "did not finish".to_owned()
        } else if summary.low == summary.high {
            format_value(summary.median)
        } else {
            format!(
                "{} ({}–{})",
                format_value(summary.median),
                format_value(summary.low),
                format_value(summary.high)
            )
        };
        if let Some(base) = baseline.filter(|base| {
            implementation != Implementation::Axum && base.median > 0.0 && !base.median.is_nan()
        }) && !summary.median.is_nan()
        {
            let overlaps = summary.low <= base.high && base.low <= summary.high;
            let noise = if overlaps { " ≈" } else { "" };
            let _ = write!(cell, " {:.2}×{noise}", summary.median / base.median);
        }
        if summary.succeeded < summary.attempted {
            let _ = write!(cell, " ⚠ {}/{}", summary.succeeded, summary.attempted);
        }
        cell
    }

    /// Successes over attempts, summed over the rounds, for every row: what
    /// each cell of [`Results::table`] rests on.
    pub fn completeness(&self, implementations: &[Implementation]) -> String {
        let mut out = header(implementations);
        let mut previous: Option<(&str, Vec<Option<Counts>>)> = None;
        for (metric, _) in &self.rows {
            if !implementations.iter().any(|&i| self.has(metric, i)) {
                continue;
            }
            let counts: Vec<_> = implementations
                .iter()
                .map(|&i| self.summary(metric, i).map(|s| (s.succeeded, s.attempted)))
                .collect();
            // Rows measured on the same connections (a latency's p50 and p99,
            // the firehose's events and bytes) are listed once.
            let scenario = metric.split([':', ',']).next().unwrap_or(metric);
            let name = metric
                .strip_suffix(", p50")
                .or_else(|| metric.strip_suffix(", p99"))
                .unwrap_or(metric);
            if previous
                .as_ref()
                .is_some_and(|(before, seen)| *before == scenario && *seen == counts)
            {
                continue;
            }
            previous = Some((scenario, counts));
            let _ = write!(out, "| {name} | succeeded/attempted |");
            for &implementation in implementations {
                match self.summary(metric, implementation) {
                    None => out.push_str(" n/a |"),
                    Some(s) => {
                        let mark = if s.succeeded < s.attempted {
                            " ⚠"
                        } else {
                            ""
                        };
                        let _ = write!(out, " {}/{}{mark} |", s.succeeded, s.attempted);
                    }
                }
            }
            out.push('\n');
        }
        out
    }
}

/// Succeeded and attempted, summed over a cell's rounds.
type Counts = (u64, u64);

fn header(implementations: &[Implementation]) -> String {
    let mut out = String::from("| scenario | unit |");
    for implementation in implementations {
        let _ = write!(out, " {} |", implementation.name());
    }
    out.push_str("\n|---|---|");
    for _ in implementations {
        out.push_str("---|");
    }
    out.push('\n');
    out
}

fn format_value(value: f64) -> String {
    if value >= 100_000.0 {
        format!("{:.2} M", value / 1e6)
    } else if value >= 100.0 {
        format!("{value:.0}")
    } else {
        format!("{value:.2}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(value: f64, succeeded: u64) -> Sample {
        Sample {
            value,
            succeeded,
            attempted: 10,
        }
    }

    fn results(axum: &[Sample], ours: &[Sample]) -> Results {
        let mut results = Results::default();
        for (implementation, samples) in [
            (Implementation::Axum, axum),
            (Implementation::Runtime, ours),
        ] {
            for &s in samples {
                results.add("row", "ms", implementation, s);
            }
        }
        results
    }

    fn row(results: &Results) -> String {
        let table = results.table(&[Implementation::Axum, Implementation::Runtime]);
        table.lines().last().unwrap().to_owned()
    }

    #[test]
    fn a_cell_gives_median_range_and_ratio() {
        let r = results(
            &[sample(10.0, 10), sample(11.0, 10), sample(12.0, 10)],
            &[sample(20.0, 10), sample(24.0, 10), sample(22.0, 10)],
        );
        assert_eq!(
            row(&r),
            "| row | ms | 11.00 (10.00–12.00) | 22.00 (20.00–24.00) 2.00× |"
        );
    }

    #[test]
    fn overlapping_ranges_are_marked_as_noise() {
        let r = results(
            &[sample(10.0, 10), sample(14.0, 10)],
            &[sample(13.0, 10), sample(15.0, 10)],
        );
        assert!(row(&r).ends_with(" 1.07× ≈ |"), "{}", row(&r));
    }

    #[test]
    fn lost_connections_are_marked_in_the_cell_and_counted() {
        let r = results(&[sample(10.0, 10)], &[sample(5.0, 10), sample(6.0, 7)]);
        assert!(row(&r).ends_with(" ⚠ 17/20 |"), "{}", row(&r));
        let counts = r.completeness(&[Implementation::Axum, Implementation::Runtime]);
        assert!(
            counts.contains("| row | succeeded/attempted | 10/10 | 17/20 ⚠ |"),
            "{counts}"
        );
    }

    #[test]
    fn a_round_that_did_not_finish_makes_the_cell_say_so() {
        let r = results(
            &[sample(10.0, 10)],
            &[sample(5.0, 10), sample(f64::NAN, 10)],
        );
        assert!(row(&r).ends_with("| did not finish |"), "{}", row(&r));
    }
}
