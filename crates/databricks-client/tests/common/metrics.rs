//! A `metrics` recorder for the current thread that keeps counter and gauge values.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use metrics::{Counter, Gauge, Histogram, Key, KeyName, Metadata, Recorder, SharedString, Unit};

/// Counters and gauges by `name{label=value,...}`, labels sorted by name.
#[derive(Clone, Default)]
pub struct CapturedMetrics {
    values: Arc<Mutex<BTreeMap<String, Arc<AtomicU64>>>>,
}

impl CapturedMetrics {
    /// Returns the value of a counter, or 0 when it was never incremented.
    pub fn counter(&self, name: &str, labels: &[(&str, &str)]) -> u64 {
        self.handle(&render(name, labels)).load(Ordering::SeqCst)
    }

    /// Returns the last value of a gauge, or `None` when it was never set.
    pub fn gauge(&self, name: &str) -> Option<f64> {
        let values = self.values.lock().unwrap_or_else(PoisonError::into_inner);
        values
            .get(name)
            .map(|bits| f64::from_bits(bits.load(Ordering::SeqCst)))
    }

    /// Returns every metric name with its labels, for failure messages.
    pub fn keys(&self) -> Vec<String> {
        let values = self.values.lock().unwrap_or_else(PoisonError::into_inner);
        values.keys().cloned().collect()
    }

    fn handle(&self, rendered: &str) -> Arc<AtomicU64> {
        let mut values = self.values.lock().unwrap_or_else(PoisonError::into_inner);
        Arc::clone(values.entry(rendered.to_owned()).or_default())
    }

    fn handle_for(&self, key: &Key) -> Arc<AtomicU64> {
        let labels: Vec<(&str, &str)> = key
            .labels()
            .map(|label| (label.key(), label.value()))
            .collect();
        self.handle(&render(key.name(), &labels))
    }
}

fn render(name: &str, labels: &[(&str, &str)]) -> String {
    if labels.is_empty() {
        return name.to_owned();
    }
    let mut sorted = labels.to_vec();
    sorted.sort_unstable();
    let pairs: Vec<String> = sorted
        .iter()
        .map(|(key, value)| format!("{key}={value}"))
        .collect();
    format!("{name}{{{}}}", pairs.join(","))
}

impl Recorder for CapturedMetrics {
    fn describe_counter(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}

    fn describe_gauge(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}

    fn describe_histogram(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}

    fn register_counter(&self, key: &Key, _: &Metadata<'_>) -> Counter {
        Counter::from_arc(self.handle_for(key))
    }

    fn register_gauge(&self, key: &Key, _: &Metadata<'_>) -> Gauge {
        Gauge::from_arc(self.handle_for(key))
    }

    fn register_histogram(&self, _: &Key, _: &Metadata<'_>) -> Histogram {
        Histogram::noop()
    }
}
