//! The process's Prometheus recorder: installed once, with histogram buckets and help texts.

use std::sync::OnceLock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use metrics::Unit;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use super::{
    ACTIVE_USERS, APP_START_TIME_SECONDS, AUTH_FALLBACK_TOTAL, AUTH_OVERHEAD_SECONDS,
    AUTH_REQUESTS_TOTAL, AUTH_RETRY_TOTAL, CIRCUIT_BREAKER_STATE, DB_POOL_ACQUIRE_SECONDS,
    DB_POOL_CONNECTIONS, DB_POOL_IDLE_CONNECTIONS, DB_POOL_MAX_CONNECTIONS,
    IDENTITY_CACHE_HITS_TOTAL, IDENTITY_CACHE_MISSES_TOTAL, LAKEBASE_CREDENTIAL_REFRESHES_TOTAL,
    MODEL_INVOCATIONS_TOTAL, REQUEST_DURATION_SECONDS, UPSTREAM_API_DURATION_SECONDS,
};

/// Buckets of request and workspace call latencies, in seconds: 1 ms to 5 min, the longest
/// model invocation timeout.
const LATENCY_BUCKETS: [f64; 17] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
    120.0, 300.0,
];

/// Buckets of authentication time, in seconds: from 1 µs, because a cached identity or a
/// service-principal fallback takes microseconds, to 10 s, a workspace lookup with retries.
const AUTH_OVERHEAD_BUCKETS: [f64; 22] = [
    0.000_001,
    0.000_002_5,
    0.000_005,
    0.000_01,
    0.000_025,
    0.000_05,
    0.000_1,
    0.000_25,
    0.000_5,
    0.001,
    0.002_5,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
];

/// Buckets of the wait for a pooled database connection, in seconds, up to the 5 s default
/// acquire timeout and beyond.
const ACQUIRE_BUCKETS: [f64; 12] = [
    0.000_1, 0.000_5, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// How often histogram samples are folded into their buckets between scrapes, which bounds the
/// memory they take.
const UPKEEP_INTERVAL: Duration = Duration::from_secs(5);

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// Installs the Prometheus recorder as the process's `metrics` recorder, once, and returns its
/// handle. Later calls return the same handle.
///
/// When another recorder was installed first, metrics go to that one, this recorder stays empty
/// and a warning is logged.
pub fn install() -> &'static PrometheusHandle {
    HANDLE.get_or_init(|| {
        let recorder = builder().build_recorder();
        let handle = recorder.handle();
        if let Err(error) = metrics::set_global_recorder(recorder) {
            tracing::warn!(
                error = %error,
                "another metrics recorder is already installed: GET /metrics reports no metrics"
            );
        }
        describe();
        metrics::gauge!(APP_START_TIME_SECONDS).set(unix_time_seconds());
        start_upkeep(handle.clone());
        handle
    })
}

fn builder() -> PrometheusBuilder {
    let histograms: [(&str, &[f64]); 4] = [
        (REQUEST_DURATION_SECONDS, &LATENCY_BUCKETS),
        (UPSTREAM_API_DURATION_SECONDS, &LATENCY_BUCKETS),
        (AUTH_OVERHEAD_SECONDS, &AUTH_OVERHEAD_BUCKETS),
        (DB_POOL_ACQUIRE_SECONDS, &ACQUIRE_BUCKETS),
    ];
    histograms
        .into_iter()
        .fold(PrometheusBuilder::new(), |builder, (name, buckets)| {
            builder
                .set_buckets_for_metric(Matcher::Full(name.to_owned()), buckets)
                .expect("every bucket list is non-empty")
        })
}

/// Registers the help text of every metric, which the exposition prints as `# HELP`.
fn describe() {
    let counters = [
        (
            AUTH_REQUESTS_TOTAL,
            "Requests to authenticated API routes by route template, authentication mode and outcome class.",
        ),
        (
            AUTH_RETRY_TOTAL,
            "Retries of workspace API calls by method and route template, and retry number.",
        ),
        (
            AUTH_FALLBACK_TOTAL,
            "Requests that acted as the app's service principal, by reason.",
        ),
        (
            IDENTITY_CACHE_HITS_TOTAL,
            "User identity lookups served from the cache.",
        ),
        (
            IDENTITY_CACHE_MISSES_TOTAL,
            "User identity lookups that called the workspace.",
        ),
        (
            LAKEBASE_CREDENTIAL_REFRESHES_TOTAL,
            "Lakebase database credential refreshes by result.",
        ),
        (
            MODEL_INVOCATIONS_TOTAL,
            "Model Serving invocations by endpoint and status.",
        ),
    ];
    for (name, help) in counters {
        metrics::describe_counter!(name, help);
    }

    let histograms = [
        (
            REQUEST_DURATION_SECONDS,
            "Time to answer a request, by route template, method and status code.",
        ),
        (
            AUTH_OVERHEAD_SECONDS,
            "Time spent authenticating a request, by authentication mode.",
        ),
        (
            UPSTREAM_API_DURATION_SECONDS,
            "Time of workspace API calls, retries included, by service, operation and outcome class.",
        ),
        (
            DB_POOL_ACQUIRE_SECONDS,
            "Wait for a connection from the database pool.",
        ),
    ];
    for (name, help) in histograms {
        metrics::describe_histogram!(name, Unit::Seconds, help);
    }

    let gauges = [
        (
            ACTIVE_USERS,
            "Distinct users verified in the last five minutes.",
        ),
        (
            CIRCUIT_BREAKER_STATE,
            "Workspace circuit breaker state: 0 closed, 1 open, 2 half-open.",
        ),
        (
            DB_POOL_CONNECTIONS,
            "Open connections of the database pool.",
        ),
        (
            DB_POOL_IDLE_CONNECTIONS,
            "Idle connections of the database pool.",
        ),
        (
            DB_POOL_MAX_CONNECTIONS,
            "Maximum connections of the database pool.",
        ),
        (
            APP_START_TIME_SECONDS,
            "Unix time at which the app started recording metrics.",
        ),
    ];
    for (name, help) in gauges {
        metrics::describe_gauge!(name, help);
    }
}

/// Folds histogram samples into buckets every [`UPKEEP_INTERVAL`] on a thread of its own, so that
/// an app that is never scraped does not keep every sample.
fn start_upkeep(handle: PrometheusHandle) {
    let spawned = std::thread::Builder::new()
        .name("metrics-upkeep".to_owned())
        .spawn(move || {
            loop {
                std::thread::sleep(UPKEEP_INTERVAL);
                handle.run_upkeep();
            }
        });
    if let Err(error) = spawned {
        tracing::warn!(
            error = %error,
            "failed to start the metrics upkeep thread: histogram samples are folded only when /metrics is scraped"
        );
    }
}

fn unix_time_seconds() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |elapsed| elapsed.as_secs_f64())
}
