//! Workspace call metrics: latency by service and operation, and Model Serving invocations.

use std::future::Future;
use std::sync::LazyLock;
use std::time::{Duration, Instant};

use databricks_client::{ApiError, BreakerState};

use super::labels::{EndpointLabels, upstream_status};
use super::{CIRCUIT_BREAKER_STATE, MODEL_INVOCATIONS_TOTAL, UPSTREAM_API_DURATION_SECONDS};

/// The `service` label of SCIM calls (identity lookups).
pub const SCIM: &str = "scim";
/// The `service` label of Unity Catalog calls.
pub const UNITY_CATALOG: &str = "unity_catalog";
/// The `service` label of Model Serving calls.
pub const MODEL_SERVING: &str = "model_serving";
/// The `service` label of Lakebase calls (database credentials).
pub const LAKEBASE: &str = "lakebase";

static ENDPOINT_LABELS: LazyLock<EndpointLabels> = LazyLock::new(EndpointLabels::default);

/// Runs one workspace call and records its time, retries included, under `service` and
/// `operation`, which must be fixed words.
pub async fn observe<T, F>(
    service: &'static str,
    operation: &'static str,
    call: F,
) -> Result<T, ApiError>
where
    F: Future<Output = Result<T, ApiError>>,
{
    let started = Instant::now();
    let result = call.await;
    record(
        service,
        operation,
        upstream_status(&result),
        started.elapsed(),
    );
    result
}

/// Records the time of one workspace call.
pub fn record(
    service: &'static str,
    operation: &'static str,
    status: &'static str,
    elapsed: Duration,
) {
    metrics::histogram!(
        UPSTREAM_API_DURATION_SECONDS,
        "service" => service,
        "operation" => operation,
        "status" => status
    )
    .record(elapsed);
}

/// Counts one Model Serving invocation by endpoint and outcome class and records its time.
///
/// `endpoint_name` must be a name the workspace returned, as the invoke route checks before it
/// invokes. At most [`super::labels::MAX_ENDPOINT_LABELS`] names become labels, later ones
/// `other`.
pub fn record_model_invocation<T>(
    endpoint_name: &str,
    result: &Result<T, ApiError>,
    elapsed: Duration,
) {
    let status = upstream_status(result);
    metrics::counter!(
        MODEL_INVOCATIONS_TOTAL,
        "endpoint" => ENDPOINT_LABELS.label(endpoint_name),
        "status" => status
    )
    .increment(1);
    record(MODEL_SERVING, "invoke", status, elapsed);
}

/// Sets `circuit_breaker_state` to the breaker's state: 0 closed, 1 open, 2 half-open, the values
/// the workspace client sets on each change.
pub fn record_breaker_state(state: BreakerState) {
    let value = match state {
        BreakerState::Closed => 0.0,
        BreakerState::Open => 1.0,
        BreakerState::HalfOpen => 2.0,
    };
    metrics::gauge!(CIRCUIT_BREAKER_STATE).set(value);
}
