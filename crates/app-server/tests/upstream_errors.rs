//! How workspace failures reach the client: rate limits, outages and deadlines.

mod common;

use std::time::{Duration, Instant};

use common::{TestApp, assert_error};
use serde_json::json;

const SCIM_ME: &str = "GET /api/2.0/preview/scim/v2/Me";
const SCIM_ME_PATH: &str = "/api/2.0/preview/scim/v2/Me";

#[tokio::test]
async fn identity_429_with_seconds_is_auth_rate_limited() {
    let app = TestApp::start().await;
    app.inject_fault(
        json!({"path_prefix": SCIM_ME_PATH, "status": 429, "headers": {"Retry-After": "7"}}),
    )
    .await;

    let response = app.get("/api/preferences", Some("dapi-alice-dev")).await;

    assert_eq!(response.headers()["retry-after"], "7");
    let body = assert_error(response, 429, "AUTH_RATE_LIMITED").await;
    assert_eq!(body["retry_after"], 7);
    assert_eq!(app.upstream_calls(SCIM_ME).await, 1, "429 is never retried");
}

#[tokio::test]
async fn identity_429_with_http_date_is_converted_to_seconds() {
    let app = TestApp::start().await;
    let retry_at = httpdate::fmt_http_date(std::time::SystemTime::now() + Duration::from_secs(20));
    app.inject_fault(
        json!({"path_prefix": SCIM_ME_PATH, "status": 429, "headers": {"Retry-After": retry_at}}),
    )
    .await;

    let response = app.get("/api/preferences", Some("dapi-alice-dev")).await;

    let body = assert_error(response, 429, "AUTH_RATE_LIMITED").await;
    let seconds = body["retry_after"].as_u64().expect("retry_after seconds");
    assert!((17..=21).contains(&seconds), "retry_after {seconds}");
    assert_eq!(app.upstream_calls(SCIM_ME).await, 1);
}

#[tokio::test]
async fn identity_429_without_header_defaults_to_60() {
    let app = TestApp::start().await;
    app.inject_fault(json!({"path_prefix": SCIM_ME_PATH, "status": 429}))
        .await;

    let response = app.get("/api/preferences", Some("dapi-alice-dev")).await;

    let body = assert_error(response, 429, "AUTH_RATE_LIMITED").await;
    assert_eq!(body["retry_after"], 60);
}

#[tokio::test]
async fn service_principal_429_is_rate_limited() {
    let app = TestApp::start().await;
    app.inject_fault(
        json!({"path_prefix": SCIM_ME_PATH, "status": 429, "headers": {"Retry-After": "3"}}),
    )
    .await;

    let response = app.get("/api/user/me", None).await;

    let body = assert_error(response, 429, "RATE_LIMITED").await;
    assert_eq!(body["retry_after"], 3);
}

#[tokio::test]
async fn hang_becomes_upstream_timeout_at_deadline() {
    let app = TestApp::builder()
        .env("UPSTREAM_TIMEOUT_SECONDS", "1")
        .start()
        .await;
    app.inject_fault(json!({"path_prefix": SCIM_ME_PATH, "hang": true, "times": null}))
        .await;

    let started = Instant::now();
    let response = app.get("/api/user/me", Some("dapi-alice-dev")).await;
    let elapsed = started.elapsed();

    assert_error(response, 504, "UPSTREAM_TIMEOUT").await;
    assert!(
        elapsed >= Duration::from_millis(900),
        "answered after {elapsed:?}"
    );
    assert!(
        elapsed < Duration::from_secs(5),
        "answered after {elapsed:?}"
    );
}

#[test]
fn default_upstream_timeout_is_30_seconds() {
    let config = app_server::config::Config::from_lookup(|name| {
        (name == "DATABRICKS_HOST").then(|| "https://example.cloud.databricks.com".to_owned())
    })
    .expect("minimal configuration");

    assert_eq!(config.upstream_timeout, Duration::from_secs(30));
}

#[tokio::test]
async fn workspace_outage_is_upstream_unavailable() {
    let app = TestApp::start().await;
    app.inject_fault(json!({"path_prefix": SCIM_ME_PATH, "status": 503, "times": null}))
        .await;

    let response = app.get("/api/user/me", Some("dapi-alice-dev")).await;

    assert_error(response, 503, "UPSTREAM_UNAVAILABLE").await;
}
