//! The steady-rate loop and its reports: requests, failures, latency percentiles and the server's
//! resident memory per interval.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{Semaphore, mpsc};
use tokio::time::MissedTickBehavior;

use crate::app_process::resident_kib;
use crate::workload::{Load, Outcome};

/// Maximum number of requests waiting for a response at once. A request beyond it is not sent and
/// counts as a failure, because the server is not keeping up with the rate.
const MAX_IN_FLIGHT: u32 = 1_024;

/// How long the end of the run waits for requests still in flight.
const DRAIN_TIMEOUT: Duration = Duration::from_mins(1);

#[derive(Debug)]
pub struct RunSettings {
    pub duration: Duration,
    pub interval: Duration,
    pub rate: u32,
    pub users: usize,
}

/// One interval of the run.
#[derive(Debug)]
pub struct Window {
    /// Seconds from the start of the run to the end of the interval.
    pub end_seconds: u64,
    pub requests: usize,
    pub failures: usize,
    /// Latency percentiles in milliseconds: p50, p95, p99 and the maximum.
    pub latency_ms: [f64; 4],
    pub rss_mib: Option<f64>,
}

#[derive(Debug, Default)]
pub struct Summary {
    pub windows: Vec<Window>,
    /// Failed requests by route and cause.
    pub failures: BTreeMap<String, u64>,
}

/// Sends requests at `settings.rate` per second for `settings.duration` rounded up to whole
/// intervals, and reports every `settings.interval` on standard output.
pub async fn run(load: &Load, pid: u32, settings: &RunSettings) -> Summary {
    let (sender, mut receiver) = mpsc::unbounded_channel::<Outcome>();
    let in_flight = Arc::new(Semaphore::new(MAX_IN_FLIGHT as usize));
    let started = Instant::now();
    let mut ticks = tokio::time::interval(Duration::from_secs_f64(1.0 / f64::from(settings.rate)));
    ticks.set_missed_tick_behavior(MissedTickBehavior::Burst);
    let mut reports = tokio::time::interval_at(
        tokio::time::Instant::now() + settings.interval,
        settings.interval,
    );
    let mut summary = Summary::default();
    let mut window: Vec<Outcome> = Vec::new();
    let mut sequence = 0_u64;

    // The last report closes the run: requests still in flight then count in its window.
    let report_count = settings
        .duration
        .as_secs()
        .div_ceil(settings.interval.as_secs())
        .max(1);
    let mut reports_made = 0_u64;

    println!("| seconds | requests | failures | p50 ms | p95 ms | p99 ms | max ms | RSS MiB |");
    loop {
        tokio::select! {
            _ = ticks.tick() => {
                sequence += 1;
                start_request(load, sequence, &in_flight, &sender, &mut window);
            }
            _ = reports.tick() => {
                reports_made += 1;
                if reports_made == report_count {
                    break;
                }
                close_window(&mut summary, &mut window, started, pid);
                let load = load.clone();
                let sender = sender.clone();
                tokio::spawn(async move { let _ = sender.send(load.cleanup_dry_run().await); });
            }
            Some(outcome) = receiver.recv() => window.push(outcome),
        }
    }

    drop(sender);
    let _ = tokio::time::timeout(DRAIN_TIMEOUT, async {
        while let Some(outcome) = receiver.recv().await {
            window.push(outcome);
        }
    })
    .await;
    close_window(&mut summary, &mut window, started, pid);
    summary
}

fn start_request(
    load: &Load,
    sequence: u64,
    in_flight: &Arc<Semaphore>,
    sender: &mpsc::UnboundedSender<Outcome>,
    window: &mut Vec<Outcome>,
) {
    let Ok(permit) = Arc::clone(in_flight).try_acquire_owned() else {
        window.push(Outcome {
            operation: crate::workload::Operation::nth(sequence),
            latency: Duration::ZERO,
            failure: Some(format!("not started: {MAX_IN_FLIGHT} requests in flight")),
        });
        return;
    };
    let load = load.clone();
    let sender = sender.clone();
    tokio::spawn(async move {
        let outcome = load.run(sequence).await;
        drop(permit);
        let _ = sender.send(outcome);
    });
}

fn close_window(summary: &mut Summary, window: &mut Vec<Outcome>, started: Instant, pid: u32) {
    let mut latencies: Vec<Duration> = window.iter().map(|outcome| outcome.latency).collect();
    latencies.sort_unstable();
    let mut failures = 0;
    for outcome in window.drain(..) {
        if let Some(failure) = outcome.failure {
            failures += 1;
            *summary
                .failures
                .entry(format!("{}: {failure}", outcome.operation.label()))
                .or_default() += 1;
        }
    }
    let report = Window {
        end_seconds: started.elapsed().as_secs(),
        requests: latencies.len(),
        failures,
        latency_ms: [
            percentile(&latencies, 500),
            percentile(&latencies, 950),
            percentile(&latencies, 990),
            percentile(&latencies, 1000),
        ],
        rss_mib: resident_kib(pid)
            .and_then(|kib| u32::try_from(kib).ok())
            .map(|kib| f64::from(kib) / 1024.0),
    };
    println!("{}", row(&report));
    summary.windows.push(report);
}

/// Returns the quantile `per_mille / 1000` of sorted `values` in milliseconds (nearest rank), or 0
/// without values.
fn percentile(values: &[Duration], per_mille: usize) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    let rank = (per_mille * values.len())
        .div_ceil(1000)
        .clamp(1, values.len());
    values[rank - 1].as_secs_f64() * 1000.0
}

fn row(window: &Window) -> String {
    let [p50, p95, p99, max] = window.latency_ms;
    let rss = window
        .rss_mib
        .map_or_else(|| "n/a".to_owned(), |mib| format!("{mib:.1}"));
    format!(
        "| {} | {} | {} | {p50:.1} | {p95:.1} | {p99:.1} | {max:.1} | {rss} |",
        window.end_seconds, window.requests, window.failures
    )
}

impl Summary {
    fn total_requests(&self) -> usize {
        self.windows.iter().map(|window| window.requests).sum()
    }

    fn total_failures(&self) -> usize {
        self.windows.iter().map(|window| window.failures).sum()
    }

    /// Growth of the resident memory from the first report to the last, in MiB.
    fn rss_growth_mib(&self) -> Option<f64> {
        let first = self.windows.first()?.rss_mib?;
        let last = self.windows.last()?.rss_mib?;
        Some(last - first)
    }

    /// Formats the run as a Markdown table with its settings and failures.
    pub fn markdown(&self, settings: &RunSettings) -> String {
        let mut text = format!(
            "{} s at {} requests/s from {} users; {} requests, {} failed; resident memory grew \
             {} MiB from the first report to the last.\n\n",
            settings.duration.as_secs(),
            settings.rate,
            settings.users,
            self.total_requests(),
            self.total_failures(),
            self.rss_growth_mib()
                .map_or_else(|| "n/a".to_owned(), |mib| format!("{mib:.1}")),
        );
        text.push_str(
            "| seconds | requests | failures | p50 ms | p95 ms | p99 ms | max ms | RSS MiB |\n",
        );
        text.push_str("|---|---|---|---|---|---|---|---|\n");
        for window in &self.windows {
            let _ = writeln!(text, "{}", row(window));
        }
        for (failure, count) in &self.failures {
            let _ = writeln!(text, "\n- {count} × {failure}");
        }
        text
    }

    /// Fails when a request failed or memory grew more than `max_growth_mib`.
    pub fn verdict(&self, max_growth_mib: u32) -> anyhow::Result<()> {
        let failures = self.total_failures();
        anyhow::ensure!(failures == 0, "{failures} requests failed");
        if let Some(growth) = self.rss_growth_mib() {
            anyhow::ensure!(
                growth <= f64::from(max_growth_mib),
                "resident memory grew {growth:.1} MiB, more than the {max_growth_mib} MiB allowed"
            );
        }
        Ok(())
    }
}
