//! The identity cache: one SCIM call per token per TTL, shared by concurrent first requests.

mod common;

use std::time::Duration;

use common::{TestApp, assert_error};
use futures::future::join_all;

const SCIM_ME: &str = "GET /api/2.0/preview/scim/v2/Me";

#[tokio::test]
async fn concurrent_first_requests_make_one_scim_call() {
    let app = TestApp::start().await;

    let responses =
        join_all((0..100).map(|_| app.get("/api/user/me", Some("dapi-alice-dev")))).await;

    for response in responses {
        assert_eq!(response.status(), 200);
    }
    assert_eq!(app.upstream_calls(SCIM_ME).await, 1);
}

#[tokio::test]
async fn same_token_within_ttl_is_not_looked_up_again() {
    let app = TestApp::start().await;

    app.get("/api/user/me", Some("dapi-alice-dev")).await;
    app.get("/api/preferences", Some("dapi-alice-dev")).await;
    app.get("/api/auth/status", Some("dapi-alice-dev")).await;

    assert_eq!(app.upstream_calls(SCIM_ME).await, 1);
    app.get("/api/user/me", Some("dapi-bob-dev")).await;
    assert_eq!(
        app.upstream_calls(SCIM_ME).await,
        2,
        "another token is another lookup"
    );
}

#[tokio::test]
async fn entry_expires_after_ttl() {
    let app = TestApp::builder()
        .env("IDENTITY_CACHE_TTL_SECONDS", "1")
        .start()
        .await;

    app.get("/api/user/me", Some("dapi-alice-dev")).await;
    tokio::time::sleep(Duration::from_millis(1_300)).await;
    app.get("/api/user/me", Some("dapi-alice-dev")).await;

    assert_eq!(app.upstream_calls(SCIM_ME).await, 2);
}

#[tokio::test]
async fn ttl_zero_looks_up_every_request() {
    let app = TestApp::builder()
        .env("IDENTITY_CACHE_TTL_SECONDS", "0")
        .start()
        .await;

    for _ in 0..3 {
        let response = app.get("/api/user/me", Some("dapi-alice-dev")).await;
        assert_eq!(response.status(), 200);
    }

    assert_eq!(app.upstream_calls(SCIM_ME).await, 3);
}

#[tokio::test]
async fn failures_are_not_cached() {
    let app = TestApp::start().await;
    app.inject_fault(serde_json::json!({
        "path_prefix": "/api/2.0/preview/scim/v2/Me", "status": 429, "headers": {"Retry-After": "1"}
    }))
    .await;

    let limited = app.get("/api/user/me", Some("dapi-alice-dev")).await;
    assert_error(limited, 429, "AUTH_RATE_LIMITED").await;
    let retried = app.get("/api/user/me", Some("dapi-alice-dev")).await;

    assert_eq!(retried.status(), 200);
    assert_eq!(app.upstream_calls(SCIM_ME).await, 2);
}
