//! Progress log lines of a long run, at most one per interval.

use std::time::{Duration, Instant};

/// Time between two progress lines.
const PROGRESS_INTERVAL: Duration = Duration::from_secs(10);

/// Logs how far a phase of the run is, every [`PROGRESS_INTERVAL`] at most.
pub(super) struct Progress {
    phase: &'static str,
    total: usize,
    last_logged: Instant,
}

impl Progress {
    pub(super) fn new(phase: &'static str, total: usize) -> Self {
        Self {
            phase,
            total,
            last_logged: Instant::now(),
        }
    }

    /// Logs `done` of the phase's total when the interval has passed since the last line.
    pub(super) fn update(&mut self, done: usize) {
        if self.last_logged.elapsed() < PROGRESS_INTERVAL {
            return;
        }
        self.last_logged = Instant::now();
        tracing::info!(
            event = "retention.progress",
            phase = self.phase,
            done,
            total = self.total,
            "retention job in progress"
        );
    }
}
