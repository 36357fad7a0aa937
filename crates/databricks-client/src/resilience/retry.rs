//! The retry loop of one logical call: exponential backoff with bounded jitter, a time budget,
//! and a log line and metric per retry.

use std::future::Future;
use std::time::Duration;

use backon::{ExponentialBuilder, Retryable};
use http::StatusCode;
use tokio::time::Instant;

use super::classify::{CallPolicy, RetryReason};
use crate::error::ApiError;

/// Retry settings of workspace calls.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryOptions {
    /// The maximum number of retries after the first attempt. Zero turns retries off.
    pub max_retries: u32,
    /// The wait before the first retry. Each later wait doubles, and each is scaled by a random
    /// factor between 0.9 and 1.1.
    pub initial_backoff: Duration,
    /// The maximum time from the start of a call to the end of its last wait: a retry whose wait
    /// would end later is not made, and the call fails with its last error.
    pub max_retry_time: Duration,
}

impl Default for RetryOptions {
    /// Returns 3 retries after waits of about 100, 200 and 400 ms, within 5 seconds.
    fn default() -> Self {
        RetryOptions {
            max_retries: 3,
            initial_backoff: Duration::from_millis(100),
            max_retry_time: Duration::from_secs(5),
        }
    }
}

/// The maximum deviation of a wait from its backoff step, as a fraction of the step.
const JITTER: f64 = 0.1;

/// The inputs of the retry loop of one call.
#[derive(Debug)]
pub(crate) struct RetryPlan<'a> {
    pub(crate) options: &'a RetryOptions,
    pub(crate) policy: CallPolicy,
    /// `"<METHOD> <route template>"`, the label of logs and metrics.
    pub(crate) route: &'a str,
    /// False while the circuit breaker is not closed: the call makes a single attempt.
    pub(crate) retries_allowed: bool,
    /// The call's overall deadline. No wait is started that would end after it.
    pub(crate) deadline: Instant,
}

/// Runs `attempt` until it succeeds, fails with an error the policy does not retry, or the plan
/// allows no further retry. Returns the last attempt's result.
pub(crate) async fn run_with_retries<T, F, Fut>(
    plan: &RetryPlan<'_>,
    attempt: F,
) -> Result<T, ApiError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, ApiError>>,
{
    let retry_end = (Instant::now() + plan.options.max_retry_time).min(plan.deadline);
    let max_retries = if plan.retries_allowed {
        plan.options.max_retries
    } else {
        0
    };
    let backoff = ExponentialBuilder::new()
        .with_min_delay(plan.options.initial_backoff)
        .with_factor(2.0)
        .without_max_delay()
        .with_max_times(usize::try_from(max_retries).unwrap_or(usize::MAX));

    let mut retry_number: u32 = 0;
    attempt
        .retry(backoff)
        .sleep(tokio::time::sleep)
        .when(|error| plan.policy.retry_reason(error).is_some())
        .adjust(|error, step| {
            let wait = wait_before_retry(error, step?);
            let within_budget = Instant::now() + wait <= retry_end;
            if !within_budget {
                tracing::debug!(
                    route = plan.route,
                    wait_ms = millis(wait),
                    "not retrying workspace call: the wait would pass the retry time limit or the request timeout"
                );
            }
            within_budget.then_some(wait)
        })
        .notify(|error, wait| {
            retry_number += 1;
            record_retry(plan, error, retry_number, wait);
        })
        .await
}

/// Returns the wait before a retry: the backoff step with jitter, or the `Retry-After` of a 503
/// when that is longer.
fn wait_before_retry(error: &ApiError, step: Duration) -> Duration {
    let factor = rand::random_range((1.0 - JITTER)..=(1.0 + JITTER));
    let wait = step.mul_f64(factor);
    match error.retry_after {
        Some(retry_after) if error.status == Some(StatusCode::SERVICE_UNAVAILABLE) => {
            wait.max(retry_after)
        }
        _ => wait,
    }
}

/// Logs a retry and counts it in `auth_retry_total`. `retry_number` is 1 for the first retry.
fn record_retry(plan: &RetryPlan<'_>, error: &ApiError, retry_number: u32, wait: Duration) {
    let reason = plan
        .policy
        .retry_reason(error)
        .map_or("unknown", RetryReason::as_str);
    tracing::warn!(
        event = "auth.retry_attempt",
        attempt = retry_number,
        reason,
        route = plan.route,
        http.status_code = error.status.map(|status| status.as_u16()),
        error.kind = %error.kind,
        error.code = error.error_code.as_deref(),
        delay_ms = millis(wait),
        "retrying workspace call"
    );
    metrics::counter!(
        "auth_retry_total",
        "endpoint" => plan.route.to_owned(),
        "attempt_number" => retry_number.to_string()
    )
    .increment(1);
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use http::{HeaderMap, HeaderValue};

    use super::*;
    use crate::request::ApiRequest;

    const ROUTE: &str = "GET /api/2.1/unity-catalog/catalogs";

    fn error(code: u16) -> ApiError {
        let status = StatusCode::from_u16(code).expect("valid status");
        ApiError::from_response(status, &HeaderMap::new(), b"{}")
    }

    fn error_with_retry_after(code: u16, seconds: &str) -> ApiError {
        let status = StatusCode::from_u16(code).expect("valid status");
        let mut headers = HeaderMap::new();
        headers.insert(
            http::header::RETRY_AFTER,
            HeaderValue::from_str(seconds).expect("valid header"),
        );
        ApiError::from_response(status, &headers, b"{}")
    }

    fn plan(options: &RetryOptions, retries_allowed: bool) -> RetryPlan<'_> {
        RetryPlan {
            options,
            policy: CallPolicy::new(&ApiRequest::get("/api/2.1/unity-catalog/catalogs"), true),
            route: ROUTE,
            retries_allowed,
            deadline: Instant::now() + Duration::from_secs(30),
        }
    }

    /// Runs the loop against attempts that fail with `errors` in turn and then succeed, and
    /// returns the result and the number of attempts.
    async fn run(plan: &RetryPlan<'_>, errors: Vec<ApiError>) -> (Result<(), ApiError>, u32) {
        let attempts = AtomicU32::new(0);
        let errors = std::sync::Mutex::new(errors.into_iter());
        let result = run_with_retries(plan, || {
            attempts.fetch_add(1, Ordering::SeqCst);
            let next = errors.lock().expect("not poisoned").next();
            async move { next.map_or(Ok(()), Err) }
        })
        .await;
        (result, attempts.load(Ordering::SeqCst))
    }

    #[test]
    fn retry_defaults() {
        let options = RetryOptions::default();
        assert_eq!(options.max_retries, 3);
        assert_eq!(options.initial_backoff, Duration::from_millis(100));
        assert_eq!(options.max_retry_time, Duration::from_secs(5));
    }

    #[test]
    fn wait_stays_within_jitter_bounds() {
        let step = Duration::from_millis(400);
        for _ in 0..1_000 {
            let wait = wait_before_retry(&error(503), step);
            assert!(wait >= Duration::from_millis(360), "{wait:?}");
            assert!(wait <= Duration::from_millis(440), "{wait:?}");
        }
    }

    #[test]
    fn wait_honours_longer_retry_after_of_503() {
        let wait = wait_before_retry(
            &error_with_retry_after(503, "2"),
            Duration::from_millis(100),
        );
        assert_eq!(wait, Duration::from_secs(2));
    }

    #[tokio::test(start_paused = true)]
    async fn waits_double_from_initial_backoff() {
        let options = RetryOptions::default();
        let plan = plan(&options, true);
        let started = Instant::now();

        let (result, attempts) = run(&plan, vec![error(503), error(503), error(503)]).await;

        assert!(result.is_ok());
        assert_eq!(attempts, 4);
        let waited = started.elapsed();
        assert!(waited >= Duration::from_millis(630), "{waited:?}");
        assert!(waited <= Duration::from_millis(770), "{waited:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn gives_up_after_max_retries() {
        let options = RetryOptions::default();
        let plan = plan(&options, true);

        let (result, attempts) = run(&plan, (0..5).map(|_| error(503)).collect()).await;

        let error = result.expect_err("every attempt fails");
        assert_eq!(error.status, Some(StatusCode::SERVICE_UNAVAILABLE));
        assert_eq!(attempts, 4);
    }

    #[tokio::test(start_paused = true)]
    async fn stops_when_next_wait_passes_retry_time() {
        let options = RetryOptions {
            max_retries: 10,
            initial_backoff: Duration::from_secs(1),
            max_retry_time: Duration::from_secs(5),
        };
        let plan = plan(&options, true);
        let started = Instant::now();

        let (result, attempts) = run(&plan, (0..10).map(|_| error(503)).collect()).await;

        assert!(result.is_err());
        // Waits of about 1, 2 and 4 s: the third would end after 5 s.
        assert_eq!(attempts, 3);
        assert!(started.elapsed() <= Duration::from_secs(5));
    }

    #[tokio::test(start_paused = true)]
    async fn stops_when_next_wait_passes_deadline() {
        let options = RetryOptions::default();
        let mut plan = plan(&options, true);
        plan.deadline = Instant::now() + Duration::from_millis(250);

        let (result, attempts) = run(&plan, (0..4).map(|_| error(503)).collect()).await;

        assert!(result.is_err());
        assert_eq!(attempts, 2, "the second wait would end after the deadline");
    }

    #[tokio::test(start_paused = true)]
    async fn retry_after_beyond_budget_stops_at_once() {
        let options = RetryOptions::default();
        let plan = plan(&options, true);

        let (result, attempts) = run(&plan, vec![error_with_retry_after(503, "30")]).await;

        assert_eq!(
            result.expect_err("no retry").retry_after,
            Some(Duration::from_secs(30))
        );
        assert_eq!(attempts, 1);
    }

    #[tokio::test(start_paused = true)]
    async fn single_attempt_when_retries_not_allowed() {
        let options = RetryOptions::default();
        let plan = plan(&options, false);

        let (result, attempts) = run(&plan, vec![error(503)]).await;

        assert!(result.is_err());
        assert_eq!(attempts, 1);
    }

    #[tokio::test(start_paused = true)]
    async fn non_retryable_error_returns_at_once() {
        let options = RetryOptions::default();
        let plan = plan(&options, true);

        for code in [400, 404, 429] {
            let (result, attempts) = run(&plan, vec![error(code)]).await;
            assert_eq!(
                result
                    .expect_err("fails")
                    .status
                    .map(|status| status.as_u16()),
                Some(code)
            );
            assert_eq!(attempts, 1, "status {code}");
        }
    }
}
