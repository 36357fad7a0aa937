//! Model Serving under each user's permissions, and one audit row per invocation.

mod common;

use std::time::Duration;

use common::{TestApp, assert_error, json_body};
use serde_json::{Value, json};

const ALICE: &str = "dapi-alice-dev";
const BOB: &str = "dapi-bob-dev";
const INVOCATIONS: &str = "POST /serving-endpoints/{name}/invocations";

async fn invoke(app: &TestApp, token: &str, body: Value) -> reqwest::Response {
    app.post_json("/api/model-serving/invoke", Some(token), &body)
        .await
}

async fn logs(app: &TestApp, token: &str) -> Value {
    let response = app.get("/api/model-serving/logs", Some(token)).await;
    assert_eq!(response.status(), 200);
    json_body(response).await
}

fn endpoint_names(list: &Value) -> Vec<String> {
    let mut names: Vec<String> = list
        .as_array()
        .expect("array")
        .iter()
        .map(|endpoint| endpoint["name"].as_str().expect("name").to_owned())
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn endpoints_are_listed_per_user() {
    let app = TestApp::start().await;

    let alice = json_body(app.get("/api/model-serving/endpoints", Some(ALICE)).await).await;
    let service_principal = json_body(app.get("/api/model-serving/endpoints", None).await).await;

    assert_eq!(
        endpoint_names(&alice),
        ["broken", "chat", "echo", "sentiment"]
    );
    assert_eq!(
        endpoint_names(&service_principal),
        ["broken", "chat", "echo"]
    );
    let chat = alice
        .as_array()
        .expect("array")
        .iter()
        .find(|e| e["name"] == "chat")
        .expect("chat");
    assert_eq!(chat["task"], "llm/v1/chat");
    assert_eq!(chat["state"], "READY");
}

#[tokio::test]
async fn endpoint_detail_has_permission_level() {
    let app = TestApp::start().await;

    let bob = json_body(
        app.get("/api/model-serving/endpoints/sentiment", Some(BOB))
            .await,
    )
    .await;

    assert_eq!(bob["permission_level"], "CAN_VIEW");
    let missing = app
        .get("/api/model-serving/endpoints/nope", Some(BOB))
        .await;
    assert_error(missing, 404, "NOT_FOUND").await;
}

#[tokio::test]
async fn echo_returns_rows_and_logs_one_row() {
    let app = TestApp::start().await;
    let rows = json!([{"a": 1}, {"a": 2}]);

    let response = invoke(
        &app,
        ALICE,
        json!({"endpoint_name": "echo", "inputs": {"dataframe_records": rows}}),
    )
    .await;

    assert_eq!(response.status(), 200);
    let body = json_body(response).await;
    assert_eq!(body["predictions"], rows);
    assert_eq!(body["status"], "success");
    let request_id = body["request_id"].as_str().expect("request_id").to_owned();

    let history = logs(&app, ALICE).await;
    assert_eq!(history["total_count"], 1);
    assert_eq!(history["logs"][0]["request_id"], request_id);
    assert_eq!(history["logs"][0]["status"], "success");
    assert_eq!(history["logs"][0]["endpoint_name"], "echo");
}

#[tokio::test]
async fn sentiment_as_bob_is_denied_and_logged() {
    let app = TestApp::start().await;

    let response = invoke(
        &app,
        BOB,
        json!({"endpoint_name": "sentiment", "inputs": {"inputs": ["good day"]}}),
    )
    .await;

    assert_error(response, 403, "PERMISSION_DENIED").await;
    let history = logs(&app, BOB).await;
    assert_eq!(history["total_count"], 1);
    assert_eq!(history["logs"][0]["status"], "error");
    assert_eq!(history["logs"][0]["http_status"], 403);
}

#[tokio::test]
async fn broken_endpoint_is_unavailable_with_error_row() {
    let app = TestApp::start().await;

    let response = invoke(
        &app,
        ALICE,
        json!({"endpoint_name": "broken", "inputs": {"instances": [[1]]}}),
    )
    .await;

    let body = assert_error(response, 503, "UPSTREAM_UNAVAILABLE").await;
    let detail = body["detail"].as_str().unwrap_or_default();
    assert!(detail.contains("'broken' is not ready"), "{detail}");
    let history = logs(&app, ALICE).await;
    assert_eq!(history["total_count"], 1);
    assert_eq!(history["logs"][0]["status"], "error");
    assert_eq!(history["logs"][0]["http_status"], 503);
}

#[tokio::test]
async fn wrong_chat_shape_fails_before_invocation() {
    let app = TestApp::start().await;

    let response = invoke(
        &app,
        ALICE,
        json!({"endpoint_name": "chat", "inputs": {"dataframe_records": [{"a": 1}]}}),
    )
    .await;

    assert_error(response, 400, "VALIDATION_ERROR").await;
    assert_eq!(app.upstream_calls(INVOCATIONS).await, 0);
    assert_eq!(logs(&app, ALICE).await["total_count"], 0);
}

#[tokio::test]
async fn chat_answers_with_choices() {
    let app = TestApp::start().await;

    let response = invoke(
        &app,
        ALICE,
        json!({"endpoint_name": "chat", "inputs": {"messages": [{"role": "user", "content": "hello"}]}}),
    )
    .await;

    assert_eq!(response.status(), 200);
    let body = json_body(response).await;
    assert!(body["predictions"]["choices"].is_array(), "{body}");
}

#[tokio::test]
async fn token_without_serving_scope_names_the_scope() {
    let app = TestApp::start().await;
    let token: Value = app
        .http
        .post(format!("{}/__emulator/tokens", app.emulator.base_url()))
        .json(&json!({"user_name": "alice@example.com", "ttl_seconds": 600, "scopes": ["unity-catalog"]}))
        .send()
        .await
        .expect("mint")
        .json()
        .await
        .expect("mint JSON");
    let token = token["token"].as_str().expect("token");

    let response = app.get("/api/model-serving/endpoints", Some(token)).await;

    let body = assert_error(response, 403, "PERMISSION_DENIED").await;
    assert!(
        body["detail"]
            .as_str()
            .expect("detail")
            .contains("model-serving"),
        "{body}"
    );
}

#[tokio::test]
async fn upstream_502_is_not_retried_and_logged_once() {
    let app = TestApp::start().await;
    app.inject_fault(json!({"path_prefix": "/serving-endpoints/echo/invocations", "status": 502}))
        .await;

    let response = invoke(
        &app,
        ALICE,
        json!({"endpoint_name": "echo", "inputs": {"instances": [[1]]}}),
    )
    .await;

    assert_eq!(response.status(), 503);
    assert_eq!(
        app.upstream_calls(INVOCATIONS).await,
        1,
        "an invocation is never replayed"
    );
    let history = logs(&app, ALICE).await;
    assert_eq!(history["total_count"], 1);
    assert_eq!(history["logs"][0]["http_status"], 502);
}

#[tokio::test]
async fn disconnect_mid_call_still_logs_one_row() {
    let app = TestApp::start().await;
    app.inject_fault(
        json!({"path_prefix": "/serving-endpoints/echo/invocations", "delay_ms": 1500}),
    )
    .await;
    let impatient = reqwest::Client::builder()
        .timeout(Duration::from_millis(300))
        .build()
        .expect("client");

    let result = impatient
        .post(app.url("/api/model-serving/invoke"))
        .header("x-forwarded-access-token", ALICE)
        .json(&json!({"endpoint_name": "echo", "inputs": {"instances": [[1]]}}))
        .send()
        .await;
    assert!(result.is_err(), "the client gave up before the answer");
    tokio::time::sleep(Duration::from_millis(2_500)).await;

    let history = logs(&app, ALICE).await;
    assert_eq!(history["total_count"], 1);
    assert_eq!(history["logs"][0]["status"], "success");
}

#[tokio::test]
async fn slow_model_times_out_with_timeout_row() {
    let app = TestApp::start().await;
    app.inject_fault(json!({"path_prefix": "/serving-endpoints/echo/invocations", "hang": true}))
        .await;

    let response = invoke(
        &app,
        ALICE,
        json!({"endpoint_name": "echo", "inputs": {"instances": [[1]]}, "timeout_seconds": 1}),
    )
    .await;

    assert_error(response, 504, "UPSTREAM_TIMEOUT").await;
    let history = logs(&app, ALICE).await;
    assert_eq!(history["logs"][0]["status"], "timeout");
    assert_eq!(app.upstream_calls(INVOCATIONS).await, 1);
}

#[tokio::test]
async fn history_is_private_to_its_owner() {
    let app = TestApp::start().await;
    invoke(
        &app,
        ALICE,
        json!({"endpoint_name": "echo", "inputs": {"instances": [[1]]}}),
    )
    .await;
    invoke(
        &app,
        ALICE,
        json!({"endpoint_name": "echo", "inputs": {"instances": [[2]]}}),
    )
    .await;

    let bob = logs(&app, BOB).await;
    let alice = logs(&app, ALICE).await;

    assert_eq!(bob["total_count"], 0);
    assert_eq!(bob["logs"], json!([]));
    assert_eq!(alice["total_count"], 2);
    assert_eq!(
        alice["logs"][0]["request_payload"],
        json!({"instances": [[2]]}),
        "newest first"
    );
}

#[tokio::test]
async fn invoke_needs_a_user() {
    let app = TestApp::start().await;

    let response = app
        .post_json(
            "/api/model-serving/invoke",
            None,
            &json!({"endpoint_name": "echo", "inputs": {"instances": [[1]]}}),
        )
        .await;

    assert_error(response, 401, "AUTH_MISSING").await;
    assert_eq!(app.upstream_calls(INVOCATIONS).await, 0);
}

#[tokio::test]
async fn invalid_invoke_requests_are_rejected() {
    let app = TestApp::start().await;

    for body in [
        json!({"endpoint_name": "", "inputs": {"instances": [[1]]}}),
        json!({"endpoint_name": "bad name", "inputs": {"instances": [[1]]}}),
        json!({"endpoint_name": "echo", "inputs": {"instances": [[1]]}, "timeout_seconds": 0}),
        json!({"endpoint_name": "echo", "inputs": {"instances": [[1]]}, "timeout_seconds": 301}),
        json!({"endpoint_name": "echo", "inputs": {"instances": [[1]]}, "extra": 1}),
        json!({"endpoint_name": "echo", "inputs": []}),
    ] {
        let response = invoke(&app, ALICE, body.clone()).await;
        assert!(matches!(response.status().as_u16(), 400 | 422), "{body}");
        assert_eq!(
            json_body(response).await["error_code"],
            "VALIDATION_ERROR",
            "{body}"
        );
    }
    let bad_limit = app
        .get("/api/model-serving/logs?limit=0", Some(ALICE))
        .await;
    assert_error(bad_limit, 400, "VALIDATION_ERROR").await;
    assert_eq!(app.upstream_calls(INVOCATIONS).await, 0);
}
