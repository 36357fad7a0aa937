//! Structured logs, Prometheus metrics and the `metrics-summary` report.

pub mod exposition;
mod logs;
pub mod metrics;
pub mod summary;

pub use logs::{LogFormat, json_subscriber};

/// Installs the global log subscriber writing to stdout and the process's metrics recorder.
///
/// The recorder is installed here, before any workspace client or database pool exists, so that
/// the metrics those emit while the app starts are kept.
pub fn init(format: LogFormat) {
    logs::init_logs(format);
    metrics::install();
}
