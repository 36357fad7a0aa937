//! Retries, the circuit breaker and the overall deadline that every workspace call goes through.
//!
//! One logical call runs under its deadline (`request_timeout`), inside one circuit-breaker
//! permit, and its attempts run in the retry loop. The breaker therefore counts a call once,
//! however many attempts it made.

mod breaker;
mod classify;
mod retry;

use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;

pub use breaker::{BreakerOptions, BreakerState};
pub use retry::RetryOptions;

use crate::error::{ApiError, ErrorKind};
use crate::request::ApiRequest;
use breaker::CircuitBreaker;
use classify::CallPolicy;
use retry::{RetryPlan, run_with_retries};

/// The resilience settings and the circuit breaker of one workspace.
#[derive(Debug)]
pub(crate) struct Resilience {
    request_timeout: Duration,
    retry: RetryOptions,
    breaker: CircuitBreaker,
}

impl Resilience {
    pub(crate) fn new(
        request_timeout: Duration,
        retry: RetryOptions,
        breaker: BreakerOptions,
    ) -> Resilience {
        Resilience {
            request_timeout,
            retry,
            breaker: CircuitBreaker::new(breaker),
        }
    }

    pub(crate) fn breaker_state(&self) -> BreakerState {
        self.breaker.state()
    }

    /// Runs one logical call: `attempt` sends `request` once, and is repeated as the retry policy
    /// and the breaker allow until the request timeout. `user_token` is true when the call
    /// authenticates with a user's token, which makes 401 and 403 of identity lookups retryable.
    ///
    /// When the deadline passes, the call fails with [`ErrorKind::Timeout`] and the attempt in
    /// progress is dropped, which closes its connection. Dropping the returned future does the
    /// same.
    pub(crate) async fn call<T, F, Fut>(
        &self,
        request: &ApiRequest,
        user_token: bool,
        attempt: F,
    ) -> Result<T, ApiError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, ApiError>>,
    {
        let deadline = Instant::now() + request.timeout.unwrap_or(self.request_timeout);
        let policy = CallPolicy::new(request, user_token);
        let permit = self.breaker.admit();
        let route = request.route_label();
        let plan = RetryPlan {
            options: &self.retry,
            policy,
            route: &route,
            retries_allowed: permit.retries_allowed(),
            deadline,
        };

        let attempts = run_with_retries(&plan, attempt);
        let result = match tokio::time::timeout_at(deadline, attempts).await {
            Ok(result) => result,
            Err(_elapsed) => Err(self.deadline_error(request)),
        };
        permit.finish(policy.outcome(&result));
        result
    }

    fn deadline_error(&self, request: &ApiRequest) -> ApiError {
        ApiError::without_response(
            ErrorKind::Timeout,
            format!(
                "{}: no response within the request timeout of {} ms, retries included",
                request.describe(),
                request.timeout.unwrap_or(self.request_timeout).as_millis()
            ),
        )
    }
}
