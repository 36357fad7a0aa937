//! A reader of the Prometheus text exposition format (version 0.0.4): the samples of one scrape,
//! with sums over label filters and histograms merged across series.

use std::collections::{BTreeMap, BTreeSet};
use std::str::FromStr;

/// One sample line: a metric name, its labels and its value.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub name: String,
    pub labels: BTreeMap<String, String>,
    pub value: f64,
}

impl Sample {
    /// Checks that the sample has every `(label, value)` pair of `filter`.
    pub fn matches(&self, filter: &[(&str, &str)]) -> bool {
        filter
            .iter()
            .all(|(label, value)| self.labels.get(*label).is_some_and(|own| own == value))
    }
}

/// A line that is not valid in the text format.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line} of the metrics text is invalid: {reason}")]
pub struct ParseError {
    /// The line number, from 1.
    pub line: usize,
    pub reason: String,
}

/// Every sample of one scrape, in the order of the text.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Exposition {
    pub samples: Vec<Sample>,
}

impl FromStr for Exposition {
    type Err = ParseError;

    /// Parses the text format. Comment lines (`# HELP`, `# TYPE`) and blank lines are skipped,
    /// and timestamps are read but dropped.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let mut samples = Vec::new();
        for (index, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let sample = parse_sample(line).map_err(|reason| ParseError {
                line: index + 1,
                reason,
            })?;
            samples.push(sample);
        }
        Ok(Self { samples })
    }
}

impl Exposition {
    /// Returns the number of sample lines, which is the number of series.
    pub fn series_count(&self) -> usize {
        self.samples.len()
    }

    /// Returns the samples of metric `name` that match `filter`.
    pub fn select<'a>(
        &'a self,
        name: &'a str,
        filter: &'a [(&'a str, &'a str)],
    ) -> impl Iterator<Item = &'a Sample> + 'a {
        self.samples
            .iter()
            .filter(move |sample| sample.name == name && sample.matches(filter))
    }

    /// Returns the sum of the samples of `name` that match `filter`, or `None` when none does.
    pub fn sum(&self, name: &str, filter: &[(&str, &str)]) -> Option<f64> {
        self.select(name, filter)
            .map(|sample| sample.value)
            .reduce(|total, value| total + value)
    }

    /// Returns the distinct values of `label` among the samples of `name`.
    pub fn label_values(&self, name: &str, label: &str) -> BTreeSet<String> {
        self.select(name, &[])
            .filter_map(|sample| sample.labels.get(label).cloned())
            .collect()
    }

    /// Returns the histogram `name` summed over every series that matches `filter`, or `None`
    /// when no series matches.
    pub fn histogram(&self, name: &str, filter: &[(&str, &str)]) -> Option<Histogram> {
        let bucket_name = format!("{name}_bucket");
        let mut buckets: BTreeMap<Bound, f64> = BTreeMap::new();
        for sample in self.select(&bucket_name, filter) {
            let Some(upper) = sample.labels.get("le").and_then(|le| parse_value(le).ok()) else {
                continue;
            };
            *buckets.entry(Bound(upper)).or_default() += sample.value;
        }
        if buckets.is_empty() {
            return None;
        }
        Some(Histogram {
            buckets: buckets
                .into_iter()
                .map(|(Bound(upper), count)| (upper, count))
                .collect(),
            count: self.sum(&format!("{name}_count"), filter).unwrap_or(0.0),
            sum: self.sum(&format!("{name}_sum"), filter).unwrap_or(0.0),
        })
    }
}

/// A histogram: cumulative bucket counts by upper bound (ascending, `+Inf` last), the number of
/// observations and their sum.
#[derive(Debug, Clone, PartialEq)]
pub struct Histogram {
    pub buckets: Vec<(f64, f64)>,
    pub count: f64,
    pub sum: f64,
}

impl Histogram {
    /// Returns the observations made since `earlier`, a scrape of the same histogram with the
    /// same bucket bounds. A bound missing from `earlier` counts as empty there.
    #[must_use]
    pub fn since(&self, earlier: &Histogram) -> Histogram {
        let earlier_count = |upper: f64| {
            earlier
                .buckets
                .iter()
                .find(|(bound, _)| bound.total_cmp(&upper).is_eq())
                .map_or(0.0, |(_, count)| *count)
        };
        Histogram {
            buckets: self
                .buckets
                .iter()
                .map(|(upper, count)| (*upper, count - earlier_count(*upper)))
                .collect(),
            count: self.count - earlier.count,
            sum: self.sum - earlier.sum,
        }
    }

    /// Estimates quantile `q` (0 to 1) the way PromQL's `histogram_quantile` does: linear
    /// interpolation inside the bucket that contains it, from 0 for the first bucket. A quantile
    /// in the `+Inf` bucket returns the highest finite bound. `None` without observations.
    pub fn quantile(&self, q: f64) -> Option<f64> {
        let total = self.buckets.last().map(|(_, count)| *count)?;
        if total <= 0.0 || !(0.0..=1.0).contains(&q) {
            return None;
        }
        let rank = q * total;
        let mut lower_bound = 0.0;
        let mut lower_count = 0.0;
        for (upper, count) in &self.buckets {
            if *count >= rank {
                if upper.is_infinite() {
                    return Some(lower_bound);
                }
                let in_bucket = count - lower_count;
                if in_bucket <= 0.0 {
                    return Some(*upper);
                }
                return Some(
                    lower_bound + (upper - lower_bound) * (rank - lower_count) / in_bucket,
                );
            }
            lower_bound = *upper;
            lower_count = *count;
        }
        Some(lower_bound)
    }
}

/// A bucket bound ordered by `f64::total_cmp`, so that `+Inf` sorts last.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Bound(f64);

impl Eq for Bound {}

impl PartialOrd for Bound {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Bound {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&other.0)
    }
}

/// Parses `name{label="value",…} value [timestamp]`.
fn parse_sample(line: &str) -> Result<Sample, String> {
    let name_end = line
        .find(|c: char| c == '{' || c.is_whitespace())
        .ok_or("a sample needs a value after the metric name")?;
    let name = &line[..name_end];
    if !is_metric_name(name) {
        return Err(format!("invalid metric name {name:?}"));
    }

    let mut rest = &line[name_end..];
    let mut labels = BTreeMap::new();
    if let Some(after_brace) = rest.strip_prefix('{') {
        rest = parse_labels(after_brace, &mut labels)?;
    }

    let mut fields = rest.split_whitespace();
    let value = fields
        .next()
        .ok_or_else(|| format!("metric {name} has no value"))?;
    let value = parse_value(value)?;
    if let Some(timestamp) = fields.next() {
        timestamp
            .parse::<i64>()
            .map_err(|_| format!("invalid timestamp {timestamp:?}"))?;
    }
    if fields.next().is_some() {
        return Err("unexpected text after the timestamp".to_owned());
    }
    Ok(Sample {
        name: name.to_owned(),
        labels,
        value,
    })
}

/// Parses `label="value",…}` into `labels` and returns the text after the closing brace.
fn parse_labels<'a>(
    mut text: &'a str,
    labels: &mut BTreeMap<String, String>,
) -> Result<&'a str, String> {
    loop {
        text = text.trim_start();
        if let Some(rest) = text.strip_prefix('}') {
            return Ok(rest);
        }
        let (label, after_equals) = text
            .split_once('=')
            .ok_or("a label needs `=` and a quoted value")?;
        let label = label.trim();
        if !is_label_name(label) {
            return Err(format!("invalid label name {label:?}"));
        }
        let quoted = after_equals
            .trim_start()
            .strip_prefix('"')
            .ok_or_else(|| format!("the value of label {label} must be quoted"))?;
        let (value, after_value) = unescape_label_value(quoted)?;
        labels.insert(label.to_owned(), value);

        text = after_value.trim_start();
        if let Some(rest) = text.strip_prefix(',') {
            text = rest;
        } else if !text.starts_with('}') {
            return Err("labels must be separated by `,` and closed by `}`".to_owned());
        }
    }
}

/// Reads a label value up to its closing quote, resolving `\\`, `\"` and `\n`. Returns the value
/// and the text after the quote.
fn unescape_label_value(text: &str) -> Result<(String, &str), String> {
    let mut value = String::new();
    let mut chars = text.char_indices();
    while let Some((index, c)) = chars.next() {
        match c {
            '"' => return Ok((value, &text[index + 1..])),
            '\\' => match chars.next() {
                Some((_, '\\')) => value.push('\\'),
                Some((_, '"')) => value.push('"'),
                Some((_, 'n')) => value.push('\n'),
                other => {
                    return Err(format!(
                        "invalid escape in a label value: \\{}",
                        other.map_or(String::new(), |(_, c)| c.to_string())
                    ));
                }
            },
            _ => value.push(c),
        }
    }
    Err("a label value has no closing quote".to_owned())
}

/// Parses a sample value: a float, `NaN`, `+Inf` or `-Inf`.
fn parse_value(text: &str) -> Result<f64, String> {
    match text {
        "+Inf" | "Inf" => Ok(f64::INFINITY),
        "-Inf" => Ok(f64::NEG_INFINITY),
        "NaN" => Ok(f64::NAN),
        _ => text
            .parse::<f64>()
            .map_err(|_| format!("invalid sample value {text:?}")),
    }
}

/// Checks `[a-zA-Z_:][a-zA-Z0-9_:]*`.
fn is_metric_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

/// Checks `[a-zA-Z_][a-zA-Z0-9_]*`.
fn is_label_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
#[expect(
    clippy::float_cmp,
    reason = "the expected values are exact: counts and binary fractions"
)]
mod tests {
    use super::*;

    const TEXT: &str = r#"
# HELP requests_total Requests.
# TYPE requests_total counter
requests_total{mode="obo",status="success"} 7
requests_total{mode="obo",status="unauthorized"} 1
requests_total{mode="service_principal",status="success"} 2 1712345678000
up 1
# TYPE latency_seconds histogram
latency_seconds_bucket{route="/a",le="0.1"} 2
latency_seconds_bucket{route="/a",le="1"} 4
latency_seconds_bucket{route="/a",le="+Inf"} 5
latency_seconds_sum{route="/a"} 3.5
latency_seconds_count{route="/a"} 5
latency_seconds_bucket{route="/b",le="0.1"} 0
latency_seconds_bucket{route="/b",le="1"} 5
latency_seconds_bucket{route="/b",le="+Inf"} 5
latency_seconds_sum{route="/b"} 2.5
latency_seconds_count{route="/b"} 5
"#;

    fn exposition() -> Exposition {
        TEXT.parse().expect("valid text")
    }

    #[test]
    fn sums_over_label_filters() {
        let exposition = exposition();
        assert_eq!(exposition.sum("requests_total", &[]), Some(10.0));
        assert_eq!(
            exposition.sum("requests_total", &[("mode", "obo")]),
            Some(8.0)
        );
        assert_eq!(
            exposition.sum("requests_total", &[("mode", "obo"), ("status", "success")]),
            Some(7.0)
        );
        assert_eq!(exposition.sum("requests_total", &[("mode", "none")]), None);
        assert_eq!(exposition.sum("up", &[]), Some(1.0));
    }

    #[test]
    fn counts_series_and_label_values() {
        let exposition = exposition();
        assert_eq!(exposition.series_count(), 14);
        let modes: Vec<String> = exposition
            .label_values("requests_total", "mode")
            .into_iter()
            .collect();
        assert_eq!(modes, ["obo", "service_principal"]);
    }

    #[test]
    fn merges_histogram_series() {
        let histogram = exposition()
            .histogram("latency_seconds", &[])
            .expect("histogram");
        assert_eq!(
            histogram.buckets,
            [(0.1, 2.0), (1.0, 9.0), (f64::INFINITY, 10.0)]
        );
        assert_eq!(histogram.count, 10.0);
        assert_eq!(histogram.sum, 6.0);
    }

    #[test]
    fn quantiles_interpolate_like_promql() {
        let histogram = exposition()
            .histogram("latency_seconds", &[("route", "/a")])
            .expect("histogram");

        // Rank 2.5 of 5 lies in (0.1, 1] holding ranks 2 to 4: 0.1 + 0.9 * 0.5 / 2.
        let median = histogram.quantile(0.5).expect("median");
        assert!((median - 0.325).abs() < 1e-9, "{median}");
        // Rank 1 lies in the first bucket, interpolated from 0.
        let low = histogram.quantile(0.2).expect("p20");
        assert!((low - 0.05).abs() < 1e-9, "{low}");
        // Rank 4.95 lies in +Inf: the highest finite bound.
        assert_eq!(histogram.quantile(0.99), Some(1.0));
    }

    #[test]
    fn quantile_of_empty_histogram_is_none() {
        let empty = Histogram {
            buckets: vec![(0.1, 0.0), (f64::INFINITY, 0.0)],
            count: 0.0,
            sum: 0.0,
        };
        assert_eq!(empty.quantile(0.95), None);
    }

    #[test]
    fn histogram_since_subtracts_earlier_scrape() {
        let earlier = Histogram {
            buckets: vec![(0.1, 1.0), (f64::INFINITY, 2.0)],
            count: 2.0,
            sum: 0.5,
        };
        let later = Histogram {
            buckets: vec![(0.1, 3.0), (f64::INFINITY, 5.0)],
            count: 5.0,
            sum: 2.0,
        };
        let delta = later.since(&earlier);
        assert_eq!(delta.buckets, [(0.1, 2.0), (f64::INFINITY, 3.0)]);
        assert_eq!(delta.count, 3.0);
        assert_eq!(delta.sum, 1.5);
    }

    #[test]
    fn label_values_are_unescaped() {
        let exposition: Exposition = r#"m{a="x\"y",b="back\\slash",c="new\nline",d="{,}"} 1"#
            .parse()
            .expect("valid text");
        let labels = &exposition.samples[0].labels;
        assert_eq!(labels["a"], "x\"y");
        assert_eq!(labels["b"], "back\\slash");
        assert_eq!(labels["c"], "new\nline");
        assert_eq!(labels["d"], "{,}");
    }

    #[test]
    fn invalid_lines_name_their_number() {
        for (text, line) in [
            ("ok 1\nbad{a=1} 2", 2),
            ("m{a=\"unclosed} 1", 1),
            ("1bad 1", 1),
            ("m not-a-number", 1),
            ("\n\nm", 3),
        ] {
            let error = text.parse::<Exposition>().expect_err(text);
            assert_eq!(error.line, line, "{text:?}: {error}");
        }
    }
}
