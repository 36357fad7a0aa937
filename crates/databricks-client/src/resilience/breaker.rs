//! The circuit breaker of one [`crate::Workspace`]: after a run of failed calls it stops retries
//! for a cool-down, so that an unhealthy workspace gets one attempt per call instead of four.
//!
//! An open breaker never rejects a call. Calls still run with a single attempt, so a burst of
//! invalid user tokens that opens it cannot lock other users out.

use std::fmt;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

/// Circuit breaker settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BreakerOptions {
    /// The number of consecutive failed calls that opens the breaker. Must be at least 1.
    pub failure_threshold: u32,
    /// How long the breaker stays open before the next call probes the workspace.
    pub cooldown: Duration,
}

impl Default for BreakerOptions {
    /// Returns a threshold of 10 failed calls and a 30-second cool-down.
    fn default() -> Self {
        BreakerOptions {
            failure_threshold: 10,
            cooldown: Duration::from_secs(30),
        }
    }
}

/// The state of a circuit breaker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreakerState {
    /// Calls are retried.
    Closed,
    /// Calls make a single attempt until the cool-down ends.
    Open,
    /// The cool-down ended and one call (the probe) decides whether the breaker closes. Calls
    /// make a single attempt meanwhile.
    HalfOpen,
}

impl BreakerState {
    /// Returns `"closed"`, `"open"` or `"half_open"`.
    pub fn as_str(self) -> &'static str {
        match self {
            BreakerState::Closed => "closed",
            BreakerState::Open => "open",
            BreakerState::HalfOpen => "half_open",
        }
    }

    /// Returns the value of the `circuit_breaker_state` gauge: 0 closed, 1 open, 2 half-open.
    fn gauge_value(self) -> f64 {
        match self {
            BreakerState::Closed => 0.0,
            BreakerState::Open => 1.0,
            BreakerState::HalfOpen => 2.0,
        }
    }
}

impl fmt::Display for BreakerState {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

/// The result of a finished call, as the breaker counts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CallOutcome {
    Success,
    /// A transient error or a 5xx.
    Failure,
    /// An error that does not indicate the workspace's health, such as 404 or 429.
    Neutral,
}

pub(crate) struct CircuitBreaker {
    options: BreakerOptions,
    inner: Mutex<Inner>,
}

#[derive(Debug)]
struct Inner {
    state: BreakerState,
    consecutive_failures: u32,
    /// When an open breaker lets the next call probe.
    open_until: Instant,
    probe_in_flight: bool,
}

/// A state change, logged once the lock is released.
struct Transition {
    old_state: BreakerState,
    new_state: BreakerState,
    consecutive_failures: u32,
}

impl CircuitBreaker {
    /// Builds a closed breaker and sets the state gauge to closed.
    pub(crate) fn new(options: BreakerOptions) -> CircuitBreaker {
        metrics::gauge!("circuit_breaker_state").set(BreakerState::Closed.gauge_value());
        CircuitBreaker {
            options,
            inner: Mutex::new(Inner {
                state: BreakerState::Closed,
                consecutive_failures: 0,
                open_until: Instant::now(),
                probe_in_flight: false,
            }),
        }
    }

    /// Returns the current state. An open breaker turns half-open when the first call after
    /// the cool-down starts, not when the cool-down ends.
    pub(crate) fn state(&self) -> BreakerState {
        self.lock().state
    }

    /// Admits one logical call. The first call after the cool-down becomes the probe.
    pub(crate) fn admit(&self) -> Permit<'_> {
        let now = Instant::now();
        let mut inner = self.lock();
        let (probe, transition) = match inner.state {
            BreakerState::Closed => {
                return Permit::new(self, false, true);
            }
            BreakerState::Open if now >= inner.open_until => {
                inner.probe_in_flight = true;
                (true, Some(inner.change(BreakerState::HalfOpen)))
            }
            BreakerState::HalfOpen if !inner.probe_in_flight => {
                inner.probe_in_flight = true;
                (true, None)
            }
            BreakerState::Open | BreakerState::HalfOpen => (false, None),
        };
        drop(inner);
        self.log(transition);
        Permit::new(self, probe, false)
    }

    fn finish(&self, probe: bool, outcome: CallOutcome) {
        let mut inner = self.lock();
        if probe {
            inner.probe_in_flight = false;
        }
        let transition = match outcome {
            CallOutcome::Success => {
                inner.consecutive_failures = 0;
                probe.then(|| inner.change(BreakerState::Closed))
            }
            CallOutcome::Failure => {
                inner.consecutive_failures = inner.consecutive_failures.saturating_add(1);
                let reached = inner.consecutive_failures >= self.options.failure_threshold;
                let opens = probe || (inner.state == BreakerState::Closed && reached);
                opens.then(|| {
                    inner.open_until = Instant::now() + self.options.cooldown;
                    inner.change(BreakerState::Open)
                })
            }
            // An inconclusive probe leaves the breaker half-open, so the next call probes.
            CallOutcome::Neutral => None,
        };
        drop(inner);
        self.log(transition);
    }

    /// Releases the probe of a call whose future was dropped before it finished.
    fn abandon(&self, probe: bool) {
        if probe {
            self.lock().probe_in_flight = false;
        }
    }

    fn log(&self, transition: Option<Transition>) {
        let Some(transition) = transition else {
            return;
        };
        tracing::warn!(
            event = "auth.circuit_breaker_state_change",
            old_state = transition.old_state.as_str(),
            new_state = transition.new_state.as_str(),
            consecutive_failures = transition.consecutive_failures,
            cooldown_seconds = self.options.cooldown.as_secs_f64(),
            "workspace circuit breaker changed state"
        );
        metrics::gauge!("circuit_breaker_state").set(transition.new_state.gauge_value());
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // Every critical section leaves the fields consistent, even if a holder panicked.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Inner {
    fn change(&mut self, new_state: BreakerState) -> Transition {
        let old_state = self.state;
        self.state = new_state;
        Transition {
            old_state,
            new_state,
            consecutive_failures: self.consecutive_failures,
        }
    }
}

impl fmt::Debug for CircuitBreaker {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("CircuitBreaker")
            .field("options", &self.options)
            .field("state", &self.state())
            .finish_non_exhaustive()
    }
}

/// One admitted call. Report its outcome with [`Permit::finish`]. A permit dropped without it
/// (the caller dropped the call's future) counts as neither success nor failure.
#[must_use = "report the call's outcome with `finish`"]
pub(crate) struct Permit<'a> {
    breaker: &'a CircuitBreaker,
    probe: bool,
    retries_allowed: bool,
    finished: bool,
}

impl<'a> Permit<'a> {
    fn new(breaker: &'a CircuitBreaker, probe: bool, retries_allowed: bool) -> Permit<'a> {
        Permit {
            breaker,
            probe,
            retries_allowed,
            finished: false,
        }
    }

    /// Returns whether the call may retry: only while the breaker is closed.
    pub(crate) fn retries_allowed(&self) -> bool {
        self.retries_allowed
    }

    pub(crate) fn finish(mut self, outcome: CallOutcome) {
        self.finished = true;
        self.breaker.finish(self.probe, outcome);
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        if !self.finished {
            self.breaker.abandon(self.probe);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const COOLDOWN: Duration = Duration::from_secs(30);
    const JUST_BEFORE_COOLDOWN_ENDS: Duration = Duration::from_millis(29_999);

    fn breaker(failure_threshold: u32) -> CircuitBreaker {
        CircuitBreaker::new(BreakerOptions {
            failure_threshold,
            cooldown: COOLDOWN,
        })
    }

    /// Runs one call that ends with `outcome` and returns whether it was allowed to retry.
    fn call(breaker: &CircuitBreaker, outcome: CallOutcome) -> bool {
        let permit = breaker.admit();
        let retries_allowed = permit.retries_allowed();
        permit.finish(outcome);
        retries_allowed
    }

    fn open(breaker: &CircuitBreaker, failure_threshold: u32) {
        for _ in 0..failure_threshold {
            call(breaker, CallOutcome::Failure);
        }
        assert_eq!(breaker.state(), BreakerState::Open);
    }

    #[test]
    fn defaults_are_ten_failures_and_thirty_seconds() {
        let options = BreakerOptions::default();
        assert_eq!(options.failure_threshold, 10);
        assert_eq!(options.cooldown, Duration::from_secs(30));
    }

    #[tokio::test(start_paused = true)]
    async fn opens_after_threshold_failures() {
        let breaker = breaker(3);
        assert!(call(&breaker, CallOutcome::Failure));
        assert!(call(&breaker, CallOutcome::Failure));
        assert_eq!(breaker.state(), BreakerState::Closed);

        assert!(call(&breaker, CallOutcome::Failure));

        assert_eq!(breaker.state(), BreakerState::Open);
        assert!(!call(&breaker, CallOutcome::Failure), "open: no retries");
    }

    #[tokio::test(start_paused = true)]
    async fn success_resets_failure_count() {
        let breaker = breaker(3);
        call(&breaker, CallOutcome::Failure);
        call(&breaker, CallOutcome::Failure);
        call(&breaker, CallOutcome::Success);
        call(&breaker, CallOutcome::Failure);
        call(&breaker, CallOutcome::Failure);

        assert_eq!(breaker.state(), BreakerState::Closed);
    }

    #[tokio::test(start_paused = true)]
    async fn neutral_outcomes_neither_count_nor_reset() {
        let breaker = breaker(3);
        call(&breaker, CallOutcome::Failure);
        call(&breaker, CallOutcome::Neutral);
        call(&breaker, CallOutcome::Failure);
        assert_eq!(breaker.state(), BreakerState::Closed);

        call(&breaker, CallOutcome::Failure);

        assert_eq!(breaker.state(), BreakerState::Open);
    }

    #[tokio::test(start_paused = true)]
    async fn stays_open_until_cooldown_ends() {
        let breaker = breaker(1);
        open(&breaker, 1);

        tokio::time::advance(JUST_BEFORE_COOLDOWN_ENDS).await;
        assert!(!call(&breaker, CallOutcome::Success));

        assert_eq!(breaker.state(), BreakerState::Open);
    }

    #[tokio::test(start_paused = true)]
    async fn probe_success_closes() {
        let breaker = breaker(2);
        open(&breaker, 2);
        tokio::time::advance(COOLDOWN).await;

        let probe = breaker.admit();
        assert_eq!(breaker.state(), BreakerState::HalfOpen);
        assert!(!probe.retries_allowed(), "the probe makes a single attempt");
        probe.finish(CallOutcome::Success);

        assert_eq!(breaker.state(), BreakerState::Closed);
        assert!(
            call(&breaker, CallOutcome::Failure),
            "closed: retries again"
        );
        assert_eq!(
            breaker.state(),
            BreakerState::Closed,
            "the failure count restarted at zero"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn probe_failure_reopens_for_another_cooldown() {
        let breaker = breaker(2);
        open(&breaker, 2);
        tokio::time::advance(COOLDOWN).await;

        call(&breaker, CallOutcome::Failure);

        assert_eq!(breaker.state(), BreakerState::Open);
        tokio::time::advance(JUST_BEFORE_COOLDOWN_ENDS).await;
        call(&breaker, CallOutcome::Success);
        assert_eq!(breaker.state(), BreakerState::Open);
        tokio::time::advance(Duration::from_millis(1)).await;
        call(&breaker, CallOutcome::Success);
        assert_eq!(breaker.state(), BreakerState::Closed);
    }

    #[tokio::test(start_paused = true)]
    async fn calls_during_probe_make_single_attempts() {
        let breaker = breaker(1);
        open(&breaker, 1);
        tokio::time::advance(COOLDOWN).await;
        let probe = breaker.admit();

        let other = breaker.admit();
        assert!(!other.retries_allowed());
        other.finish(CallOutcome::Success);
        assert_eq!(
            breaker.state(),
            BreakerState::HalfOpen,
            "only the probe closes the breaker"
        );

        probe.finish(CallOutcome::Success);
        assert_eq!(breaker.state(), BreakerState::Closed);
    }

    #[tokio::test(start_paused = true)]
    async fn dropped_or_neutral_probe_lets_next_call_probe() {
        let breaker = breaker(1);
        open(&breaker, 1);
        tokio::time::advance(COOLDOWN).await;

        drop(breaker.admit());
        call(&breaker, CallOutcome::Neutral);
        assert_eq!(breaker.state(), BreakerState::HalfOpen);

        call(&breaker, CallOutcome::Success);
        assert_eq!(breaker.state(), BreakerState::Closed);
    }

    #[test]
    fn state_names() {
        assert_eq!(BreakerState::Closed.to_string(), "closed");
        assert_eq!(BreakerState::Open.as_str(), "open");
        assert_eq!(BreakerState::HalfOpen.as_str(), "half_open");
    }
}
