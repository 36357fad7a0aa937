//! Retries, the circuit breaker and cancellation, seen through the app's routes.

mod common;

use std::time::Duration;

use common::{TestApp, assert_error, json_body};
use futures::future::join_all;
use serde_json::{Value, json};

const SCIM_ME: &str = "GET /api/2.0/preview/scim/v2/Me";
const SCIM_ME_PATH: &str = "/api/2.0/preview/scim/v2/Me";

#[tokio::test]
async fn transient_503s_are_retried_to_success() {
    let app = TestApp::start().await;
    for _ in 0..2 {
        app.inject_fault(json!({"path_prefix": SCIM_ME_PATH, "status": 503}))
            .await;
    }

    let response = app.get("/api/user/me", Some("dapi-alice-dev")).await;

    assert_eq!(response.status(), 200);
    assert_eq!(app.upstream_calls(SCIM_ME).await, 3);
}

#[tokio::test]
async fn invalid_tokens_do_not_lock_out_valid_users() {
    let app = TestApp::start().await;

    let floods = (0..15).map(|index| {
        let token = format!("dapi-invalid-{index}");
        let app = &app;
        async move {
            app.get("/api/user/me", Some(&token))
                .await
                .status()
                .as_u16()
        }
    });
    let statuses = join_all(floods).await;
    assert!(statuses.iter().all(|status| *status == 401), "{statuses:?}");

    let valid = app.get("/api/user/me", Some("dapi-bob-dev")).await;
    assert_eq!(valid.status(), 200);
    assert_eq!(json_body(valid).await["user_id"], "bob@example.com");
}

#[tokio::test]
async fn client_disconnect_cancels_the_upstream_call() {
    let app = TestApp::start().await;
    app.inject_fault(json!({"path_prefix": SCIM_ME_PATH, "hang": true}))
        .await;
    let impatient = reqwest::Client::builder()
        .timeout(Duration::from_millis(300))
        .build()
        .expect("client");

    let result = impatient
        .get(app.url("/api/user/me"))
        .header("x-forwarded-access-token", "dapi-alice-dev")
        .send()
        .await;
    assert!(result.is_err(), "the client gave up before the answer");

    let mut in_flight = u64::MAX;
    for _ in 0..50 {
        in_flight = in_flight_calls(&app, SCIM_ME).await;
        if in_flight == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(in_flight, 0, "the hanging SCIM call was not cancelled");
    assert_eq!(app.upstream_calls(SCIM_ME).await, 1);
}

#[tokio::test]
async fn rate_limit_is_not_retried_by_concurrent_requests() {
    let app = TestApp::start().await;
    app.inject_fault(json!({"path_prefix": SCIM_ME_PATH, "status": 429, "times": null}))
        .await;

    let responses = join_all((0..5).map(|index| {
        let token = format!("dapi-limited-{index}");
        let app = &app;
        async move { app.get("/api/user/me", Some(&token)).await }
    }))
    .await;

    for response in responses {
        assert_error(response, 429, "AUTH_RATE_LIMITED").await;
    }
    assert_eq!(app.upstream_calls(SCIM_ME).await, 5);
}

async fn in_flight_calls(app: &TestApp, route: &str) -> u64 {
    let body: Value = app
        .http
        .get(format!("{}/__emulator/calls", app.emulator.base_url()))
        .send()
        .await
        .expect("emulator calls")
        .json()
        .await
        .expect("calls JSON");
    let in_flight = body["in_flight"]
        .as_object()
        .expect("the emulator reports in_flight calls");
    in_flight.get(route).and_then(Value::as_u64).unwrap_or(0)
}
