//! Delivery latencies by the million without keeping each: a log-linear
//! histogram in microseconds, eight buckets to each power of two (within
//! 12.5% of the value), small enough for a client to send one per publish
//! on a line of text, merged by the coordinator.

/// Counts of latencies by bucket.
#[derive(Clone, Default, Debug, PartialEq)]
pub struct Histogram {
    counts: Vec<u64>,
}

/// The bucket of `micros`: exact below 8, then eight per power of two.
fn bucket(micros: u64) -> usize {
    if micros < 8 {
        return micros as usize;
    }
    let power = 63 - micros.leading_zeros() as usize;
    let mantissa = ((micros >> (power - 3)) & 7) as usize;
    8 + (power - 3) * 8 + mantissa
}

/// The smallest latency in bucket `index`.
fn floor(index: usize) -> u64 {
    if index < 8 {
        return index as u64;
    }
    let (power, mantissa) = ((index - 8) / 8 + 3, (index - 8) % 8);
    (8 + mantissa as u64) << (power - 3)
}

impl Histogram {
    pub fn record(&mut self, micros: u64) {
        let at = bucket(micros);
        if self.counts.len() <= at {
            self.counts.resize(at + 1, 0);
        }
        self.counts[at] += 1;
    }

    pub fn merge(&mut self, other: &Histogram) {
        if self.counts.len() < other.counts.len() {
            self.counts.resize(other.counts.len(), 0);
        }
        for (mine, theirs) in self.counts.iter_mut().zip(&other.counts) {
            *mine += theirs;
        }
    }

    pub fn count(&self) -> u64 {
        self.counts.iter().sum()
    }

    /// The `p`th percentile (0 to 100) in milliseconds: the middle of the
    /// bucket it falls in; NaN when empty.
    pub fn percentile_ms(&self, p: f64) -> f64 {
        let total = self.count();
        if total == 0 {
            return f64::NAN;
        }
        let rank = ((p / 100.0) * total as f64).ceil().max(1.0) as u64;
        let mut seen = 0;
        for (index, &count) in self.counts.iter().enumerate() {
            seen += count;
            if seen >= rank {
                let (low, high) = (floor(index), floor(index + 1));
                return (low + high) as f64 / 2.0 / 1000.0;
            }
        }
        f64::NAN
    }

    /// The `p`th percentile in ms of `total` values of which this holds
    /// those that arrived, the rest counting as later than any: NaN when
    /// the rank falls among the rest.
    pub fn percentile_of_ms(&self, p: f64, total: u64) -> f64 {
        let rank = ((p / 100.0) * total as f64).ceil().max(1.0) as u64;
        if rank > self.count() {
            return f64::NAN;
        }
        let mut seen = 0;
        for (index, &count) in self.counts.iter().enumerate() {
            seen += count;
            if seen >= rank {
                return (floor(index) + floor(index + 1)) as f64 / 2.0 / 1000.0;
            }
        }
        f64::NAN
    }

    /// (upper bound in ms, share of deliveries at or below it) for each
    /// bucket that holds any: the distribution a chart draws.
    pub fn cumulative(&self) -> Vec<(f64, f64)> {
        let total = self.count() as f64;
        let mut seen = 0;
        let mut points = Vec::new();
        for (index, &count) in self.counts.iter().enumerate() {
            if count == 0 {
                continue;
            }
            seen += count;
            points.push((floor(index + 1) as f64 / 1000.0, seen as f64 / total));
        }
        points
    }

    /// `index:count,…` for the buckets that hold any (`-` for none).
    pub fn encode(&self) -> String {
        let pairs: Vec<String> = self
            .counts
            .iter()
            .enumerate()
            .filter(|(_, count)| **count > 0)
            .map(|(index, count)| format!("{index}:{count}"))
            .collect();
        if pairs.is_empty() {
            "-".to_owned()
        } else {
            pairs.join(",")
        }
    }

    pub fn decode(text: &str) -> Option<Histogram> {
        let mut histogram = Histogram::default();
        if text == "-" {
            return Some(histogram);
        }
        for pair in text.split(',') {
            let (index, count) = pair.split_once(':')?;
            let (index, count): (usize, u64) = (index.parse().ok()?, count.parse().ok()?);
            if index > 512 {
                return None;
            }
            if histogram.counts.len() <= index {
                histogram.counts.resize(index + 1, 0);
            }
            histogram.counts[index] += count;
        }
        Some(histogram)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_hold_their_values_within_an_eighth() {
        for micros in (0..100_000u64).chain([1 << 30, u32::MAX as u64, 60_000_000]) {
            let at = bucket(micros);
            assert!(floor(at) <= micros && micros < floor(at + 1), "{micros}");
            assert!(
                floor(at + 1) - floor(at) <= floor(at).max(8) / 8 + 1,
                "{micros}"
            );
        }
    }

    #[test]
    fn percentiles_and_the_wire_form() {
        let mut histogram = Histogram::default();
        for micros in 1..=1000 {
            histogram.record(micros * 1000);
        }
        let p50 = histogram.percentile_ms(50.0);
        let p99 = histogram.percentile_ms(99.0);
        assert!((p50 - 500.0).abs() < 500.0 / 8.0, "{p50}");
        assert!((p99 - 990.0).abs() < 990.0 / 8.0, "{p99}");
        let again = Histogram::decode(&histogram.encode()).unwrap();
        assert_eq!(again, histogram);
        let mut twice = again.clone();
        twice.merge(&histogram);
        assert_eq!(twice.count(), 2000);
        assert_eq!(twice.cumulative().last().unwrap().1, 1.0);
        assert!(Histogram::decode("x").is_none());
        // Of 2,000 expected, the 1,000 that arrived are the fastest half.
        assert_eq!(histogram.percentile_of_ms(25.0, 2000), p50);
        assert_eq!(
            histogram.percentile_of_ms(50.0, 2000),
            histogram.percentile_ms(100.0)
        );
        assert!(histogram.percentile_of_ms(51.0, 2000).is_nan());
        assert_eq!(Histogram::decode("-").unwrap().count(), 0);
    }
}
