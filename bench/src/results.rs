//! What the rounds measured, and the tables made from it.
//!
//! Every sample carries how many of its attempts succeeded (connections that
//! got their first byte, streams opened, events delivered), so a run that lost
//! connections is marked in the table instead of quietly measuring fewer.
//! A cell shows the median over the rounds with the range (lowest–highest)
//! and the ratio to the baseline's median; `≈` marks a ratio whose range
//! overlaps the baseline's, i.e. a difference within this machine's noise.
//!
//! The samples are kept as they were measured (`bench/results.json`), so the
//! tables can be rendered again without running anything.

use std::fmt::Write as _;

use serde::{Deserialize, Deserializer, Serialize};

use crate::load::percentile;
use crate::target::Implementation;

/// One measurement and how complete it was.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Sample {
    /// Not-a-number when the run did not finish (`null` in the JSON).
    #[serde(deserialize_with = "null_as_nan")]
    pub value: f64,
    pub succeeded: u64,
    pub attempted: u64,
    /// Why a round did not finish, when the scenario knows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<String>,
}

fn null_as_nan<'de, D: Deserializer<'de>>(deserializer: D) -> Result<f64, D::Error> {
    Ok(Option::<f64>::deserialize(deserializer)?.unwrap_or(f64::NAN))
}

impl Sample {
    /// `value` over `succeeded` of `attempted`.
    pub fn new(value: f64, succeeded: u64, attempted: u64) -> Self {
        Sample {
            value,
            succeeded,
            attempted,
            failure: None,
        }
    }

    /// A timing in ms (`None`: it did not finish) over `succeeded` of
    /// `attempted` streams.
    pub fn timing(took: Option<f64>, succeeded: u64, attempted: usize) -> Self {
        Sample::new(took.unwrap_or(f64::NAN), succeeded, attempted as u64)
    }
}

/// Metric → implementation → samples, in the order the rows were first seen.
#[derive(Default, Serialize, Deserialize)]
pub struct Results {
    rows: Vec<Row>,
}

/// One metric: its samples, by implementation.
#[derive(Serialize, Deserialize)]
struct Row {
    metric: String,
    unit: String,
    cells: Vec<Cell>,
}

#[derive(Serialize, Deserialize)]
struct Cell {
    implementation: Implementation,
    samples: Vec<Sample>,
}

/// Median and range of a cell's samples, and their completeness.
#[derive(Clone, Copy, Debug)]
pub struct Summary {
    /// Not-a-number when a round did not finish.
    pub median: f64,
    pub low: f64,
    pub high: f64,
    pub succeeded: u64,
    pub attempted: u64,
}

impl Summary {
    fn of(samples: &[Sample]) -> Summary {
        let mut values: Vec<f64> = samples.iter().map(|s| s.value).collect();
        // A round that did not finish makes the cell "did not finish".
        let unfinished = values.iter().any(|v| v.is_nan());
        values.sort_by(f64::total_cmp);
        Summary {
            median: if unfinished {
                f64::NAN
            } else {
                percentile(&values, 50.0)
            },
            low: values[0],
            high: values[values.len() - 1],
            succeeded: samples.iter().map(|s| s.succeeded).sum(),
            attempted: samples.iter().map(|s| s.attempted).sum(),
        }
    }

    /// Whether every round finished.
    pub fn finished(&self) -> bool {
        !self.median.is_nan()
    }

    /// Whether the two ranges overlap: a difference within noise.
    pub fn overlaps(&self, other: &Summary) -> bool {
        self.low <= other.high && other.low <= self.high
    }

    /// `median (low–high)`, as the tables print it.
    pub fn range(&self) -> String {
        if !self.finished() {
            "did not finish".to_owned()
        } else if self.low == self.high {
            format_value(self.median)
        } else {
            format!(
                "{} ({}–{})",
                format_value(self.median),
                format_value(self.low),
                format_value(self.high)
            )
        }
    }

    /// The ratio of this median to `base`'s, as the tables print it (`≈`
    /// when the ranges overlap); `None` where either did not finish.
    pub fn ratio_to(&self, base: &Summary) -> Option<String> {
        (self.finished() && base.finished() && base.median > 0.0).then(|| {
            let noise = if self.overlaps(base) { " ≈" } else { "" };
            format!("{:.2}×{noise}", self.median / base.median)
        })
    }
}

/// A cell whose rounds lost connections or events: what the "what was lost"
/// line says of it.
pub struct Loss {
    /// The scenario, without the `, p50`/`, p99` of a latency.
    pub scenario: String,
    pub implementation: Implementation,
    pub succeeded: u64,
    pub attempted: u64,
    /// Rounds short of their attempts, of all rounds.
    pub rounds_short: usize,
    pub rounds: usize,
    /// Why rounds did not finish, where the scenario said.
    pub failures: Vec<String>,
    /// The rounds that did finish, per metric of the scenario: `(metric,
    /// unit, values)`.
    pub finished: Vec<(String, String, Vec<f64>)>,
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
        let at = match self.rows.iter().position(|row| row.metric == metric) {
            Some(at) => at,
            None => {
                self.rows.push(Row {
                    metric: metric.to_owned(),
                    unit: unit.to_owned(),
                    cells: Vec::new(),
                });
                self.rows.len() - 1
            }
        };
        let cells = &mut self.rows[at].cells;
        match cells
            .iter_mut()
            .find(|cell| cell.implementation == implementation)
        {
            Some(cell) => cell.samples.push(sample),
            None => cells.push(Cell {
                implementation,
                samples: vec![sample],
            }),
        }
    }

    /// Records a p50 and a p99 in milliseconds, as `<metric>, p50` and `, p99`.
    pub fn add_latency(
        &mut self,
        metric: &str,
        implementation: Implementation,
        (p50, p99): (f64, f64),
        (succeeded, attempted): (u64, u64),
        failure: Option<&str>,
    ) {
        for (suffix, value) in [("p50", p50), ("p99", p99)] {
            let mut sample = Sample::new(value, succeeded, attempted);
            sample.failure = failure.map(str::to_owned);
            self.add(
                &crate::metric::at(metric, suffix),
                "ms",
                implementation,
                sample,
            );
        }
    }

    fn samples(&self, metric: &str, implementation: Implementation) -> Option<&[Sample]> {
        let row = self.rows.iter().find(|row| row.metric == metric)?;
        let cell = row
            .cells
            .iter()
            .find(|cell| cell.implementation == implementation)?;
        Some(&cell.samples)
    }

    /// The median, range and completeness of a cell.
    pub fn summary(&self, metric: &str, implementation: Implementation) -> Option<Summary> {
        self.samples(metric, implementation).map(Summary::of)
    }

    /// The metrics measured, in order, with their units.
    pub fn metrics(&self) -> impl Iterator<Item = (&str, &str)> {
        self.rows
            .iter()
            .map(|row| (row.metric.as_str(), row.unit.as_str()))
    }

    /// The results table for `implementations`, over the rows in which any
    /// of them has samples. Each ratio is to the row's first of `baselines`
    /// that has samples in it.
    pub fn table(
        &self,
        implementations: &[Implementation],
        baselines: &[Implementation],
    ) -> String {
        let mut out = header(implementations);
        for row in &self.rows {
            if !implementations
                .iter()
                .any(|&i| self.summary(&row.metric, i).is_some())
            {
                continue;
            }
            let base = baselines
                .iter()
                .find_map(|&b| Some((b, self.summary(&row.metric, b)?)));
            let _ = write!(out, "| {} | {} |", row.metric, row.unit);
            for &implementation in implementations {
                out.push(' ');
                out.push_str(&self.cell(&row.metric, implementation, base));
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
        base: Option<(Implementation, Summary)>,
    ) -> String {
        let Some(summary) = self.summary(metric, implementation) else {
            return "n/a".into();
        };
        let mut cell = summary.range();
        if let Some(ratio) = base
            .filter(|&(baseline, _)| baseline != implementation)
            .and_then(|(_, base)| summary.ratio_to(&base))
        {
            let _ = write!(cell, " {ratio}");
        }
        if summary.succeeded < summary.attempted {
            let _ = write!(cell, " ⚠ {}/{}", summary.succeeded, summary.attempted);
        }
        cell
    }

    /// Successes over attempts, summed over the rounds, for every row of
    /// every one of `results`: what each cell of [`Results::table`] rests on.
    pub fn completeness(results: &[&Results], implementations: &[Implementation]) -> String {
        let mut out = header(implementations);
        for results in results {
            for (name, counts) in results.scenarios(implementations) {
                let _ = write!(out, "| {name} | succeeded/attempted |");
                for summary in counts {
                    match summary {
                        None => out.push_str(" n/a |"),
                        Some((succeeded, attempted)) => {
                            let mark = if succeeded < attempted { " ⚠" } else { "" };
                            let _ = write!(out, " {succeeded}/{attempted}{mark} |");
                        }
                    }
                }
                out.push('\n');
            }
        }
        out
    }

    /// The rows with their counts per implementation, where rows measured
    /// on the same connections (a latency's p50 and p99, the firehose's
    /// events and bytes) are listed once, under the scenario's name.
    fn scenarios(&self, implementations: &[Implementation]) -> Vec<(String, Vec<Option<Counts>>)> {
        let mut out: Vec<(String, Vec<Option<Counts>>)> = Vec::new();
        let mut previous: Option<&str> = None;
        for row in &self.rows {
            let counts: Vec<_> = implementations
                .iter()
                .map(|&i| {
                    self.summary(&row.metric, i)
                        .map(|s| (s.succeeded, s.attempted))
                })
                .collect();
            if counts.iter().all(Option::is_none) {
                continue;
            }
            let scenario = scenario_of(&row.metric);
            if previous == Some(scenario) && out.last().is_some_and(|(_, seen)| *seen == counts) {
                continue;
            }
            previous = Some(scenario);
            out.push((name_of(&row.metric).to_owned(), counts));
        }
        out
    }

    /// Every cell that lost connections or events, by scenario (the rows
    /// measured on the same connections together).
    pub fn losses(&self) -> Vec<Loss> {
        let mut losses: Vec<Loss> = Vec::new();
        for row in &self.rows {
            for cell in &row.cells {
                let summary = Summary::of(&cell.samples);
                if summary.succeeded >= summary.attempted {
                    continue;
                }
                let name = name_of(&row.metric);
                let finished: Vec<f64> = cell
                    .samples
                    .iter()
                    .filter(|s| s.succeeded >= s.attempted && !s.value.is_nan())
                    .map(|s| s.value)
                    .collect();
                let what = row
                    .metric
                    .rsplit([':', ','])
                    .next()
                    .unwrap_or(&row.metric)
                    .trim()
                    .to_owned();
                if let Some(loss) = losses.iter_mut().find(|loss| {
                    scenario_of(&loss.scenario) == scenario_of(&row.metric)
                        && loss.implementation == cell.implementation
                        && (loss.succeeded, loss.attempted)
                            == (summary.succeeded, summary.attempted)
                }) {
                    loss.finished.push((what, row.unit.clone(), finished));
                    continue;
                }
                let mut failures: Vec<String> = cell
                    .samples
                    .iter()
                    .filter_map(|s| s.failure.clone())
                    .collect();
                failures.dedup();
                losses.push(Loss {
                    scenario: name.to_owned(),
                    implementation: cell.implementation,
                    succeeded: summary.succeeded,
                    attempted: summary.attempted,
                    rounds_short: cell
                        .samples
                        .iter()
                        .filter(|s| s.succeeded < s.attempted)
                        .count(),
                    rounds: cell.samples.len(),
                    failures,
                    finished: vec![(what, row.unit.clone(), finished)],
                });
            }
        }
        losses
    }
}

/// A metric's scenario: what comes before its first `:` or `,`.
fn scenario_of(metric: &str) -> &str {
    metric.split([':', ',']).next().unwrap_or(metric)
}

/// A metric without the `, p50` or `, p99` of a latency.
fn name_of(metric: &str) -> &str {
    metric
        .strip_suffix(", p50")
        .or_else(|| metric.strip_suffix(", p99"))
        .unwrap_or(metric)
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

/// A figure as the tables print it: three significant figures or so.
pub fn format_value(value: f64) -> String {
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
        Sample::new(value, succeeded, 10)
    }

    fn results(axum: &[Sample], ours: &[Sample]) -> Results {
        let mut results = Results::default();
        for (implementation, samples) in [
            (Implementation::Axum, axum),
            (Implementation::Runtime, ours),
        ] {
            for s in samples {
                results.add("row", "ms", implementation, s.clone());
            }
        }
        results
    }

    fn row(results: &Results) -> String {
        let table = results.table(
            &[Implementation::Axum, Implementation::Runtime],
            &[Implementation::Axum],
        );
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
        let counts = Results::completeness(&[&r], &[Implementation::Axum, Implementation::Runtime]);
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

    #[test]
    fn a_ratio_is_to_the_rows_first_baseline_that_has_samples() {
        let mut r = Results::default();
        r.add(
            "hub",
            "ms",
            Implementation::HubOnAxumServe,
            sample(10.0, 10),
        );
        r.add("hub", "ms", Implementation::Runtime, sample(5.0, 10));
        let table = r.table(
            &[
                Implementation::Axum,
                Implementation::HubOnAxumServe,
                Implementation::Runtime,
            ],
            &[Implementation::Axum, Implementation::HubOnAxumServe],
        );
        assert!(
            table.ends_with("| hub | ms | n/a | 10.00 | 5.00 0.50× |\n"),
            "{table}"
        );
    }

    #[test]
    fn a_loss_names_its_rounds_their_failure_and_the_rounds_that_finished() {
        let mut r = Results::default();
        r.add_latency(
            "fan-out",
            Implementation::Runtime,
            (1.0, 2.0),
            (10, 10),
            None,
        );
        r.add_latency(
            "fan-out",
            Implementation::Runtime,
            (f64::NAN, f64::NAN),
            (0, 10),
            Some("stream 3 ended"),
        );
        let losses = r.losses();
        assert_eq!(losses.len(), 1);
        let loss = &losses[0];
        assert_eq!(
            (loss.scenario.as_str(), loss.succeeded, loss.attempted),
            ("fan-out", 10, 20)
        );
        assert_eq!((loss.rounds_short, loss.rounds), (1, 2));
        assert_eq!(loss.failures, ["stream 3 ended"]);
        assert_eq!(
            loss.finished,
            [
                ("p50".to_owned(), "ms".to_owned(), vec![1.0]),
                ("p99".to_owned(), "ms".to_owned(), vec![2.0])
            ]
        );
    }

    #[test]
    fn samples_survive_json_with_a_round_that_did_not_finish() {
        let r = results(&[sample(10.0, 10)], &[sample(f64::NAN, 0)]);
        let json = serde_json::to_string(&r).unwrap();
        let back: Results = serde_json::from_str(&json).unwrap();
        assert_eq!(row(&back), row(&r));
    }
}
