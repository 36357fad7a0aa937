//! Fault injection: injected statuses, sequences, delays, hangs, dropped connections.

mod common;

use std::time::{Duration, Instant};

use common::{
    ALICE_TOKEN, ME_PATH, call_counts, client, control_post, get_with_token, json_of, start,
};
use serde_json::{Value, json};
use workspace_emulator::Emulator;

async fn add_fault(emulator: &Emulator, fault: Value) {
    let (status, body) = control_post(emulator, "/faults", &fault).await;
    assert_eq!(status, 201, "fault {fault} rejected: {body}");
    assert!(uuid::Uuid::parse_str(body["id"].as_str().expect("id")).is_ok());
}

async fn me_status(emulator: &Emulator) -> u16 {
    get_with_token(emulator, ME_PATH, ALICE_TOKEN)
        .await
        .status()
        .as_u16()
}

#[tokio::test]
async fn status_fault_sends_retry_after() {
    let emulator = start().await;
    add_fault(
        &emulator,
        json!({"path_prefix": ME_PATH, "status": 429, "headers": {"Retry-After": "7"}}),
    )
    .await;
    let response = get_with_token(&emulator, ME_PATH, ALICE_TOKEN).await;
    assert_eq!(response.status(), 429);
    assert_eq!(response.headers()["retry-after"], "7");
    assert!(response.headers().contains_key("x-request-id"));
    let body = json_of(response).await;
    assert_eq!(body["error_code"], "REQUEST_LIMIT_EXCEEDED");
    assert!(body["message"].is_string());
    emulator.shutdown().await;
}

#[tokio::test]
async fn retry_after_can_be_an_http_date() {
    let emulator = start().await;
    let date = httpdate::fmt_http_date(std::time::SystemTime::now() + Duration::from_secs(5));
    add_fault(
        &emulator,
        json!({"path_prefix": "/api", "status": 503, "headers": {"Retry-After": date}}),
    )
    .await;
    let response = get_with_token(&emulator, ME_PATH, ALICE_TOKEN).await;
    assert_eq!(response.status(), 503);
    assert_eq!(response.headers()["retry-after"], date.as_str());
    emulator.shutdown().await;
}

#[tokio::test]
async fn custom_body_replaces_the_answer() {
    let emulator = start().await;
    add_fault(
        &emulator,
        json!({"path_prefix": "/api", "status": 500, "body": {"error_code": 500, "message": "boom"}}),
    )
    .await;
    add_fault(
        &emulator,
        json!({"path_prefix": "/api", "status": 502, "body": "<html><title>Bad Gateway</title></html>",
               "headers": {"content-type": "text/html"}}),
    )
    .await;
    let response = get_with_token(&emulator, ME_PATH, ALICE_TOKEN).await;
    assert_eq!(response.status(), 500);
    assert_eq!(
        json_of(response).await,
        json!({"error_code": 500, "message": "boom"})
    );
    let response = get_with_token(&emulator, ME_PATH, ALICE_TOKEN).await;
    assert_eq!(response.status(), 502);
    assert_eq!(response.headers()["content-type"], "text/html");
    assert_eq!(
        response.text().await.expect("body"),
        "<html><title>Bad Gateway</title></html>"
    );
    emulator.shutdown().await;
}

#[tokio::test]
async fn faults_queue_in_order() {
    let emulator = start().await;
    add_fault(&emulator, json!({"path_prefix": ME_PATH, "status": 503})).await;
    add_fault(&emulator, json!({"path_prefix": ME_PATH, "status": 503})).await;
    let statuses = [
        me_status(&emulator).await,
        me_status(&emulator).await,
        me_status(&emulator).await,
    ];
    assert_eq!(statuses, [503, 503, 200]);
    assert_eq!(
        call_counts(&emulator).await["GET /api/2.0/preview/scim/v2/Me"],
        3
    );
    emulator.shutdown().await;
}

#[tokio::test]
async fn times_applies_a_fault_repeatedly() {
    let emulator = start().await;
    add_fault(
        &emulator,
        json!({"path_prefix": ME_PATH, "status": 503, "times": 2}),
    )
    .await;
    let statuses = [
        me_status(&emulator).await,
        me_status(&emulator).await,
        me_status(&emulator).await,
    ];
    assert_eq!(statuses, [503, 503, 200]);
    emulator.shutdown().await;
}

#[tokio::test]
async fn null_times_lasts_until_cleared() {
    let emulator = start().await;
    add_fault(
        &emulator,
        json!({"path_prefix": "/", "status": 500, "times": null}),
    )
    .await;
    for _ in 0..4 {
        assert_eq!(me_status(&emulator).await, 500);
    }
    let listed = client()
        .get(format!("{}/__emulator/faults", emulator.base_url()))
        .send()
        .await
        .expect("answer");
    let listed = json_of(listed).await;
    assert_eq!(listed["faults"][0]["remaining"], Value::Null);

    let cleared = client()
        .delete(format!("{}/__emulator/faults", emulator.base_url()))
        .send()
        .await
        .expect("answer");
    assert_eq!(cleared.status(), 204);
    assert_eq!(me_status(&emulator).await, 200);
    emulator.shutdown().await;
}

#[tokio::test]
async fn method_limits_a_fault() {
    let emulator = start().await;
    add_fault(
        &emulator,
        json!({"path_prefix": "/", "method": "POST", "status": 503}),
    )
    .await;
    assert_eq!(me_status(&emulator).await, 200);
    let response = client()
        .post(format!("{}/oidc/v1/token", emulator.base_url()))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .expect("answer");
    assert_eq!(response.status(), 503);
    emulator.shutdown().await;
}

#[tokio::test]
async fn delay_comes_before_the_normal_answer() {
    let emulator = start().await;
    add_fault(&emulator, json!({"path_prefix": ME_PATH, "delay_ms": 400})).await;
    let started = Instant::now();
    let response = get_with_token(&emulator, ME_PATH, ALICE_TOKEN).await;
    let elapsed = started.elapsed();
    assert_eq!(response.status(), 200);
    assert_eq!(json_of(response).await["userName"], "alice@example.com");
    assert!(
        elapsed >= Duration::from_millis(400),
        "answered after {elapsed:?}"
    );

    let started = Instant::now();
    assert_eq!(me_status(&emulator).await, 200);
    assert!(
        started.elapsed() < Duration::from_millis(400),
        "delay applied twice"
    );
    emulator.shutdown().await;
}

#[tokio::test]
async fn hang_is_seen_as_a_client_timeout() {
    let emulator = start().await;
    add_fault(&emulator, json!({"path_prefix": ME_PATH, "hang": true})).await;
    let result = client()
        .get(format!("{}{ME_PATH}", emulator.base_url()))
        .bearer_auth(ALICE_TOKEN)
        .timeout(Duration::from_millis(500))
        .send()
        .await;
    let error = result.expect_err("a hanging request must not be answered");
    assert!(error.is_timeout(), "expected a timeout, got {error:?}");
    assert_eq!(
        call_counts(&emulator).await["GET /api/2.0/preview/scim/v2/Me"],
        1
    );
    assert_eq!(me_status(&emulator).await, 200);

    tokio::time::timeout(Duration::from_secs(5), emulator.shutdown())
        .await
        .expect("shutdown ends hanging requests");
}

#[tokio::test]
async fn dropped_connection_is_a_connection_error() {
    let emulator = start().await;
    add_fault(
        &emulator,
        json!({"path_prefix": ME_PATH, "drop_connection": true}),
    )
    .await;
    let result = client()
        .get(format!("{}{ME_PATH}", emulator.base_url()))
        .bearer_auth(ALICE_TOKEN)
        .timeout(Duration::from_secs(5))
        .send()
        .await;
    let error = result.expect_err("a dropped connection gives no response");
    assert!(
        !error.is_timeout(),
        "expected a connection error, got a timeout: {error:?}"
    );
    assert!(error.status().is_none());
    assert!(
        error.is_request(),
        "expected a request error, got {error:?}"
    );
    assert_eq!(me_status(&emulator).await, 200);
    emulator.shutdown().await;
}

#[tokio::test]
async fn invalid_fault_is_400() {
    let emulator = start().await;
    let (status, body) = control_post(
        &emulator,
        "/faults",
        &json!({"path_prefix": "/api", "status": 503, "drop_connection": true}),
    )
    .await;
    assert_eq!(status, 400);
    assert!(
        body["message"]
            .as_str()
            .expect("message")
            .contains("only one")
    );
    emulator.shutdown().await;
}
