//! Model Serving: endpoint lists and details per user, invocations of each model kind, their
//! errors and the invocation counts.

mod common;

use common::{ALICE_TOKEN, client, get_with_token, json_of, mint, start};
use serde_json::{Value, json};
use workspace_emulator::{DEFAULT_SERVICE_PRINCIPAL_ID, Emulator};

const ENDPOINTS: &str = "/api/2.0/serving-endpoints";
const BOB_TOKEN: &str = "dapi-bob-dev";
const CAROL_TOKEN: &str = "dapi-carol-dev";

async fn invoke(emulator: &Emulator, endpoint: &str, token: &str, body: &str) -> reqwest::Response {
    client()
        .post(format!(
            "{}/serving-endpoints/{endpoint}/invocations",
            emulator.base_url()
        ))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body(body.to_owned())
        .send()
        .await
        .expect("emulator answers")
}

/// Invokes and returns status and JSON body.
async fn invoke_json(emulator: &Emulator, endpoint: &str, token: &str, body: &str) -> (u16, Value) {
    let response = invoke(emulator, endpoint, token, body).await;
    let status = response.status().as_u16();
    (status, json_of(response).await)
}

async fn calls(emulator: &Emulator) -> Value {
    let response = client()
        .get(format!("{}/__emulator/calls", emulator.base_url()))
        .send()
        .await
        .expect("control plane answers");
    json_of(response).await
}

fn endpoint_names(list: &Value) -> Vec<&str> {
    list["endpoints"]
        .as_array()
        .expect("endpoints")
        .iter()
        .map(|endpoint| endpoint["name"].as_str().expect("name"))
        .collect()
}

#[tokio::test]
async fn list_shows_viewable_endpoints_per_user() {
    let emulator = start().await;
    let sp_token = mint(
        &emulator,
        json!({"user_name": DEFAULT_SERVICE_PRINCIPAL_ID}),
    )
    .await;
    let everything = vec!["broken", "chat", "echo", "sentiment"];
    let cases = [
        (ALICE_TOKEN, everything.clone()),
        (BOB_TOKEN, everything.clone()),
        (CAROL_TOKEN, everything),
        (sp_token.as_str(), vec!["broken", "chat", "echo"]),
    ];
    for (token, expected) in cases {
        let response = get_with_token(&emulator, ENDPOINTS, token).await;
        assert_eq!(response.status(), 200);
        assert_eq!(endpoint_names(&json_of(response).await), expected);
    }
    emulator.shutdown().await;
}

#[tokio::test]
async fn list_items_have_platform_fields() {
    let emulator = start().await;
    let list = json_of(get_with_token(&emulator, ENDPOINTS, ALICE_TOKEN).await).await;
    let chat = &list["endpoints"][1];
    assert_eq!(chat["name"], "chat");
    assert_eq!(chat["task"], "llm/v1/chat");
    assert_eq!(chat["creator"], "carol@example.com");
    assert_eq!(
        chat["state"],
        json!({"ready": "READY", "config_update": "NOT_UPDATING"})
    );
    assert!(chat["creation_timestamp"].is_i64(), "{chat}");
    assert_eq!(chat["id"].as_str().map(str::len), Some(32));
    assert_eq!(
        chat["config"]["served_entities"][0]["entity_name"],
        "databricks-meta-llama-3-3-70b-instruct"
    );
    let broken = &list["endpoints"][0];
    assert_eq!(broken["state"]["ready"], "NOT_READY");
    assert!(broken.get("task").is_none(), "{broken}");
    let sentiment = &list["endpoints"][3];
    assert_eq!(
        sentiment["tags"],
        json!([{"key": "team", "value": "analytics"}])
    );
    emulator.shutdown().await;
}

#[tokio::test]
async fn get_reports_callers_permission_level() {
    let emulator = start().await;
    let sp_token = mint(
        &emulator,
        json!({"user_name": DEFAULT_SERVICE_PRINCIPAL_ID}),
    )
    .await;
    let cases = [
        ("sentiment", ALICE_TOKEN, "CAN_MANAGE"),
        ("sentiment", BOB_TOKEN, "CAN_VIEW"),
        ("sentiment", CAROL_TOKEN, "CAN_MANAGE"),
        ("echo", BOB_TOKEN, "CAN_QUERY"),
        ("echo", sp_token.as_str(), "CAN_QUERY"),
    ];
    for (endpoint, token, level) in cases {
        let response = get_with_token(&emulator, &format!("{ENDPOINTS}/{endpoint}"), token).await;
        assert_eq!(response.status(), 200);
        let detail = json_of(response).await;
        assert_eq!(detail["permission_level"], level, "{endpoint}");
        assert_eq!(detail["name"], endpoint);
    }
    emulator.shutdown().await;
}

#[tokio::test]
async fn get_detail_has_served_entity_state() {
    let emulator = start().await;
    let response = get_with_token(&emulator, &format!("{ENDPOINTS}/broken"), ALICE_TOKEN).await;
    let detail = json_of(response).await;
    let entity = &detail["config"]["served_entities"][0];
    assert_eq!(entity["name"], "broken-1");
    assert_eq!(entity["state"]["deployment"], "DEPLOYMENT_FAILED");
    assert_eq!(
        detail["config"]["traffic_config"]["routes"][0],
        json!({"served_entity_name": "broken-1", "traffic_percentage": 100})
    );
    emulator.shutdown().await;
}

#[tokio::test]
async fn get_errors() {
    let emulator = start().await;
    let sp_token = mint(
        &emulator,
        json!({"user_name": DEFAULT_SERVICE_PRINCIPAL_ID}),
    )
    .await;

    let unknown = get_with_token(&emulator, &format!("{ENDPOINTS}/nope"), ALICE_TOKEN).await;
    assert_eq!(unknown.status(), 404);
    let body = json_of(unknown).await;
    assert_eq!(body["error_code"], "RESOURCE_DOES_NOT_EXIST");
    assert_eq!(body["message"], "Endpoint with name 'nope' not found");

    let hidden = get_with_token(&emulator, &format!("{ENDPOINTS}/sentiment"), &sp_token).await;
    assert_eq!(hidden.status(), 403);
    assert_eq!(json_of(hidden).await["error_code"], "PERMISSION_DENIED");
    emulator.shutdown().await;
}

#[tokio::test]
async fn echo_accepts_each_shape() {
    let emulator = start().await;
    let cases = [
        (
            r#"{"dataframe_records": [{"a": 1, "b": "x"}, {"a": 2, "b": "y"}]}"#,
            json!([{"a": 1, "b": "x"}, {"a": 2, "b": "y"}]),
        ),
        (
            r#"{"dataframe_split": {"index": [0, 1], "columns": ["a", "b"], "data": [[1, "x"], [2, "y"]]}}"#,
            json!([{"a": 1, "b": "x"}, {"a": 2, "b": "y"}]),
        ),
        (
            r#"{"instances": [[1, 2], [3, 4]]}"#,
            json!([[1, 2], [3, 4]]),
        ),
        (
            r#"{"inputs": {"a": [1, 2], "b": ["x", "y"]}}"#,
            json!([{"a": 1, "b": "x"}, {"a": 2, "b": "y"}]),
        ),
        (r#"{"inputs": [5, 6], "params": {"k": 1}}"#, json!([5, 6])),
    ];
    for (body, predictions) in cases {
        let response = invoke(&emulator, "echo", ALICE_TOKEN, body).await;
        assert_eq!(response.status(), 200, "{body}");
        assert_eq!(response.headers()["served-model-name"], "echo-1");
        assert_eq!(
            json_of(response).await,
            json!({"predictions": predictions}),
            "{body}"
        );
    }
    emulator.shutdown().await;
}

#[tokio::test]
async fn custom_models_reject_wrong_shapes() {
    let emulator = start().await;
    let cases = [
        ("{}", "Received dictionary with input fields: []"),
        (
            r#"{"messages": [{"role": "user", "content": "hi"}]}"#,
            "Received dictionary with input fields: ['messages']",
        ),
        (
            r#"{"instances": [1], "inputs": [1]}"#,
            "Received dictionary with input fields: ['inputs', 'instances']",
        ),
        ("[1, 2]", "Received a list"),
        ("\"text\"", "Received unexpected input type"),
        ("not json", "Failed to parse input from JSON"),
        (
            r#"{"dataframe_records": {"a": 1}}"#,
            "dataframe_records must be a list",
        ),
        (
            r#"{"dataframe_records": [1, 2]}"#,
            "dataframe_records must be a list",
        ),
        (
            r#"{"dataframe_split": {"columns": ["a"], "data": [[1, 2]]}}"#,
            "dataframe_split must be",
        ),
        (
            r#"{"dataframe_split": {"data": [[1]]}}"#,
            "dataframe_split must be",
        ),
        (r#"{"instances": {"a": 1}}"#, "instances must be a list"),
        (r#"{"inputs": null}"#, "inputs must not be null"),
    ];
    for endpoint in ["echo", "sentiment"] {
        for (body, message) in cases {
            let (status, error) = invoke_json(&emulator, endpoint, ALICE_TOKEN, body).await;
            assert_eq!(status, 400, "{endpoint} {body}: {error}");
            assert_eq!(error["error_code"], "BAD_REQUEST", "{endpoint} {body}");
            let text = error["message"].as_str().expect("message");
            assert!(text.contains(message), "{endpoint} {body}: {text}");
        }
    }
    emulator.shutdown().await;
}

#[tokio::test]
async fn shape_error_names_the_accepted_fields() {
    let emulator = start().await;
    let (_, error) = invoke_json(&emulator, "echo", ALICE_TOKEN, r#"{"rows": []}"#).await;
    assert_eq!(
        error["message"],
        "The input must be a JSON dictionary with exactly one of the input fields \
         {'dataframe_split', 'dataframe_records', 'instances', 'inputs'}. \
         Received dictionary with input fields: ['rows']."
    );
    emulator.shutdown().await;
}

#[tokio::test]
async fn sentiment_scores_each_text() {
    let emulator = start().await;
    let expected = json!({"predictions": [
        {"text": "Great product, love it", "score": 1.0},
        {"text": "awful and slow but good", "score": -1.0 / 3.0},
        {"text": "a table", "score": 0.0},
    ]});
    let bodies = [
        r#"{"dataframe_records": [{"text": "Great product, love it"}, {"text": "awful and slow but good"}, {"text": "a table"}]}"#,
        r#"{"dataframe_split": {"columns": ["text"], "data": [["Great product, love it"], ["awful and slow but good"], ["a table"]]}}"#,
        r#"{"instances": ["Great product, love it", "awful and slow but good", "a table"]}"#,
        r#"{"inputs": {"text": ["Great product, love it", "awful and slow but good", "a table"]}}"#,
    ];
    for body in bodies {
        let response = invoke(&emulator, "sentiment", ALICE_TOKEN, body).await;
        assert_eq!(response.status(), 200, "{body}");
        assert_eq!(response.headers()["served-model-name"], "sentiment-3");
        assert_eq!(json_of(response).await, expected, "{body}");
    }
    emulator.shutdown().await;
}

#[tokio::test]
async fn sentiment_needs_text_column() {
    let emulator = start().await;
    let cases = [
        (
            r#"{"dataframe_records": [{"review": "good"}]}"#,
            "Model is missing inputs ['text'].",
        ),
        (r#"{"instances": [1]}"#, "Model is missing inputs ['text']."),
        (
            r#"{"dataframe_records": [{"text": 5}]}"#,
            "Column 'text' must contain strings",
        ),
    ];
    for (body, message) in cases {
        let (status, error) = invoke_json(&emulator, "sentiment", CAROL_TOKEN, body).await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(error["error_code"], "BAD_REQUEST");
        let text = error["message"].as_str().expect("message");
        assert!(text.starts_with(message), "{body}: {text}");
    }
    emulator.shutdown().await;
}

#[tokio::test]
async fn chat_completes_last_user_message() {
    let emulator = start().await;
    let body = r#"{"messages": [{"role": "system", "content": "Be brief."},
        {"role": "user", "content": "What is MLflow?"}], "max_tokens": 256, "temperature": 0.1}"#;
    let response = invoke(&emulator, "chat", BOB_TOKEN, body).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["served-model-name"], "chat-model");

    let completion = json_of(response).await;
    assert_eq!(completion["object"], "chat.completion");
    assert_eq!(
        completion["model"],
        "databricks-meta-llama-3-3-70b-instruct"
    );
    assert!(
        completion["id"]
            .as_str()
            .is_some_and(|id| id.starts_with("chatcmpl-"))
    );
    assert!(completion["created"].is_i64());
    assert_eq!(
        completion["choices"],
        json!([{"index": 0, "finish_reason": "stop",
                "message": {"role": "assistant", "content": "Emulated reply to: What is MLflow?"}}])
    );
    assert_eq!(
        completion["usage"],
        json!({"prompt_tokens": 5, "completion_tokens": 6, "total_tokens": 11})
    );

    let again = json_of(invoke(&emulator, "chat", ALICE_TOKEN, body).await).await;
    assert_eq!(again["choices"], completion["choices"]);
    emulator.shutdown().await;
}

#[tokio::test]
async fn chat_honours_max_tokens_and_n() {
    let emulator = start().await;
    let body = r#"{"messages": [{"role": "user", "content": "tell me a long story"}], "max_tokens": 3, "n": 2}"#;
    let (status, completion) = invoke_json(&emulator, "chat", ALICE_TOKEN, body).await;
    assert_eq!(status, 200, "{completion}");
    let choices = completion["choices"].as_array().expect("choices");
    assert_eq!(choices.len(), 2);
    assert_eq!(choices[1]["index"], 1);
    assert_eq!(choices[0]["message"]["content"], "Emulated reply to:");
    assert_eq!(choices[0]["finish_reason"], "length");
    emulator.shutdown().await;
}

#[tokio::test]
async fn chat_rejects_wrong_shapes() {
    let emulator = start().await;
    let user = r#"[{"role": "user", "content": "hi"}]"#;
    let cases = [
        (
            r#"{"dataframe_records": [{"a": 1}]}"#.to_owned(),
            "BAD_REQUEST",
        ),
        (r#"{"messages": []}"#.to_owned(), "BAD_REQUEST"),
        (r#"{"messages": "hi"}"#.to_owned(), "BAD_REQUEST"),
        (
            r#"{"messages": [{"content": "hi"}]}"#.to_owned(),
            "BAD_REQUEST",
        ),
        (
            r#"{"messages": [{"role": "user", "content": 7}]}"#.to_owned(),
            "BAD_REQUEST",
        ),
        ("[]".to_owned(), "BAD_REQUEST"),
        ("{".to_owned(), "BAD_REQUEST"),
        (
            format!(r#"{{"messages": {user}, "stream": true}}"#),
            "BAD_REQUEST",
        ),
        (
            r#"{"messages": [{"role": "robot", "content": "hi"}]}"#.to_owned(),
            "INVALID_PARAMETER_VALUE",
        ),
        (
            r#"{"messages": [{"role": "system", "content": "hi"}]}"#.to_owned(),
            "INVALID_PARAMETER_VALUE",
        ),
        (
            format!(r#"{{"messages": {user}, "temperature": 3}}"#),
            "INVALID_PARAMETER_VALUE",
        ),
        (
            format!(r#"{{"messages": {user}, "max_tokens": 0}}"#),
            "INVALID_PARAMETER_VALUE",
        ),
        (
            format!(r#"{{"messages": {user}, "n": 6}}"#),
            "INVALID_PARAMETER_VALUE",
        ),
    ];
    for (body, code) in cases {
        let (status, error) = invoke_json(&emulator, "chat", ALICE_TOKEN, &body).await;
        assert_eq!(status, 400, "{body}: {error}");
        assert_eq!(error["error_code"], code, "{body}: {error}");
    }
    emulator.shutdown().await;
}

#[tokio::test]
async fn invocation_errors() {
    let emulator = start().await;
    let sp_token = mint(
        &emulator,
        json!({"user_name": DEFAULT_SERVICE_PRINCIPAL_ID}),
    )
    .await;
    let rows = r#"{"dataframe_records": [{"text": "good"}]}"#;

    let (status, body) = invoke_json(&emulator, "sentiment", BOB_TOKEN, rows).await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["error_code"], "PERMISSION_DENIED");
    let (status, _) = invoke_json(&emulator, "sentiment", &sp_token, rows).await;
    assert_eq!(status, 403);

    let (status, body) = invoke_json(&emulator, "nope", ALICE_TOKEN, rows).await;
    assert_eq!(status, 404);
    assert_eq!(body["error_code"], "RESOURCE_DOES_NOT_EXIST");

    let response = invoke(&emulator, "broken", ALICE_TOKEN, rows).await;
    assert_eq!(response.status(), 503);
    assert!(response.headers().get("served-model-name").is_none());
    let body = json_of(response).await;
    assert_eq!(body["error_code"], "TEMPORARILY_UNAVAILABLE");
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.contains("NOT_READY")),
        "{body}"
    );
    emulator.shutdown().await;
}

#[tokio::test]
async fn invocations_are_counted_per_endpoint() {
    let emulator = start().await;
    let rows = r#"{"instances": [1]}"#;
    let chat = r#"{"messages": [{"role": "user", "content": "hi"}]}"#;
    assert_eq!(
        invoke(&emulator, "echo", ALICE_TOKEN, rows).await.status(),
        200
    );
    assert_eq!(
        invoke(&emulator, "echo", BOB_TOKEN, rows).await.status(),
        200
    );
    assert_eq!(
        invoke(&emulator, "chat", BOB_TOKEN, chat).await.status(),
        200
    );
    assert_eq!(
        invoke(&emulator, "echo", ALICE_TOKEN, "{}").await.status(),
        400
    );
    assert_eq!(
        invoke(&emulator, "broken", ALICE_TOKEN, rows)
            .await
            .status(),
        503
    );

    let calls = calls(&emulator).await;
    assert_eq!(calls["invocations"], json!({"echo": 2, "chat": 1}));
    assert_eq!(
        calls["counts"]["POST /serving-endpoints/{name}/invocations"],
        5
    );

    let cleared = client()
        .delete(format!("{}/__emulator/calls", emulator.base_url()))
        .send()
        .await
        .expect("control plane answers");
    assert_eq!(cleared.status(), 204);
    assert_eq!(calls_after_clear(&emulator).await, json!({}));
    emulator.shutdown().await;
}

async fn calls_after_clear(emulator: &Emulator) -> Value {
    calls(emulator).await["invocations"].clone()
}

#[tokio::test]
async fn reset_clears_invocation_counts() {
    let emulator = start().await;
    assert_eq!(
        invoke(&emulator, "echo", ALICE_TOKEN, r#"{"inputs": [1]}"#)
            .await
            .status(),
        200
    );
    let reset = client()
        .post(format!("{}/__emulator/reset", emulator.base_url()))
        .send()
        .await
        .expect("control plane answers");
    assert_eq!(reset.status(), 204);
    assert_eq!(calls(&emulator).await["invocations"], json!({}));
    emulator.shutdown().await;
}
