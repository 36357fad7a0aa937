//! The workspace failing under concurrent load: 5xx, 429, connection resets and hangs. Every
//! request gets the right error code within a bounded time, and the circuit breaker's state shows
//! in `/metrics`.

mod common;

use std::time::{Duration, Instant};

use app_server::telemetry::exposition::Exposition;
use common::{TestApp, json_body};
use futures::future::join_all;
use serde_json::json;

const CATALOGS_PATH: &str = "/api/2.1/unity-catalog/catalogs";
const CATALOGS_ROUTE: &str = "GET /api/2.1/unity-catalog/catalogs";
const ROUTE: &str = "/api/unity-catalog/catalogs";

/// Concurrent requests per scenario: more than the 10 consecutive failures that open the breaker.
const CONCURRENCY: usize = 24;

/// What one request of the load got.
#[derive(Debug)]
struct Outcome {
    status: u16,
    error_code: Option<String>,
    retry_after: Option<String>,
    elapsed: Duration,
}

/// Sends `CONCURRENCY` requests for the catalog list at once, as alice.
async fn concurrent_load(app: &TestApp) -> Vec<Outcome> {
    join_all((0..CONCURRENCY).map(|_| async {
        let started = Instant::now();
        let response = app.get(ROUTE, Some("dapi-alice-dev")).await;
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get("retry-after")
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned);
        let body = json_body(response).await;
        Outcome {
            status,
            error_code: body["error_code"].as_str().map(str::to_owned),
            retry_after,
            elapsed: started.elapsed(),
        }
    }))
    .await
}

fn assert_all(outcomes: &[Outcome], statuses: &[u16], code: &str, max_latency: Duration) {
    for outcome in outcomes {
        assert!(statuses.contains(&outcome.status), "{outcome:?}");
        assert_eq!(outcome.error_code.as_deref(), Some(code), "{outcome:?}");
        assert!(outcome.elapsed < max_latency, "{outcome:?}");
    }
}

async fn breaker_gauge(app: &TestApp) -> Option<f64> {
    let text = app
        .get("/metrics", None)
        .await
        .text()
        .await
        .expect("metrics text");
    let exposition: Exposition = text.parse().expect("the Prometheus text format");
    exposition.sum("circuit_breaker_state", &[])
}

#[tokio::test]
async fn server_errors_open_the_breaker() {
    let app = TestApp::start().await;
    app.inject_fault(json!({"path_prefix": CATALOGS_PATH, "status": 503, "times": null}))
        .await;

    let outcomes = concurrent_load(&app).await;

    // Retries of one call stop after 5 s in total.
    assert_all(
        &outcomes,
        &[503],
        "UPSTREAM_UNAVAILABLE",
        Duration::from_secs(8),
    );
    assert_eq!(breaker_gauge(&app).await, Some(1.0), "the breaker is open");

    let calls_before = app.upstream_calls(CATALOGS_ROUTE).await;
    let started = Instant::now();
    let response = app.get(ROUTE, Some("dapi-alice-dev")).await;
    assert_eq!(response.status(), 503);
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "an open breaker fails fast, took {:?}",
        started.elapsed()
    );
    assert_eq!(
        app.upstream_calls(CATALOGS_ROUTE).await - calls_before,
        1,
        "an open breaker makes one attempt without retries"
    );
}

#[tokio::test]
async fn rate_limits_pass_through_without_retries() {
    let app = TestApp::start().await;
    app.inject_fault(json!({
        "path_prefix": CATALOGS_PATH,
        "status": 429,
        "headers": {"Retry-After": "7"},
        "times": null
    }))
    .await;

    let outcomes = concurrent_load(&app).await;

    assert_all(&outcomes, &[429], "RATE_LIMITED", Duration::from_secs(3));
    for outcome in &outcomes {
        assert_eq!(outcome.retry_after.as_deref(), Some("7"), "{outcome:?}");
    }
    assert_eq!(
        app.upstream_calls(CATALOGS_ROUTE).await,
        u64::try_from(CONCURRENCY).expect("small number"),
        "a 429 is not retried"
    );
}

#[tokio::test]
async fn connection_resets_become_unavailable() {
    let app = TestApp::start().await;
    app.inject_fault(json!({"path_prefix": CATALOGS_PATH, "drop_connection": true, "times": null}))
        .await;

    let outcomes = concurrent_load(&app).await;

    assert_all(
        &outcomes,
        &[502, 503],
        "UPSTREAM_UNAVAILABLE",
        Duration::from_secs(8),
    );
}

#[tokio::test]
async fn hangs_end_at_the_upstream_timeout() {
    let app = TestApp::builder()
        .env("UPSTREAM_TIMEOUT_SECONDS", "2")
        .start()
        .await;
    app.inject_fault(json!({"path_prefix": CATALOGS_PATH, "hang": true, "times": null}))
        .await;

    let outcomes = concurrent_load(&app).await;

    assert_all(
        &outcomes,
        &[504],
        "UPSTREAM_TIMEOUT",
        Duration::from_secs(5),
    );
}

#[tokio::test]
async fn healthy_routes_keep_serving_during_faults() {
    let app = TestApp::builder()
        .env("UPSTREAM_TIMEOUT_SECONDS", "3")
        .start()
        .await;
    app.inject_fault(json!({"path_prefix": CATALOGS_PATH, "hang": true, "times": null}))
        .await;

    let load = concurrent_load(&app);
    let other = async {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let started = Instant::now();
        let preferences = app.get("/api/preferences", Some("dapi-bob-dev")).await;
        (preferences.status().as_u16(), started.elapsed())
    };
    let (_, (status, elapsed)) =
        tokio::time::timeout(Duration::from_secs(20), async { tokio::join!(load, other) })
            .await
            .expect("the load ends within the upstream timeout");

    assert_eq!(status, 200);
    assert!(elapsed < Duration::from_secs(2), "took {elapsed:?}");
}
