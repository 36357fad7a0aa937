//! Bearer authentication of workspace API calls, and tokens minted through the control plane.

mod common;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::{ALICE_TOKEN, ME_PATH, client, control_post, get_with_token, json_of, mint, start};
use serde_json::{Value, json};

const EXPIRING_MESSAGE: &str = "Token is expiring within 30 seconds. (token expired)";

async fn assert_forbidden(response: reqwest::Response, message: &str) {
    assert_eq!(response.status(), 403);
    let reason = response
        .headers()
        .get("x-databricks-reason-phrase")
        .expect("reason phrase header")
        .to_str()
        .expect("ASCII")
        .to_owned();
    assert_eq!(reason, message);
    let body = json_of(response).await;
    assert_eq!(body["error_code"], 403);
    assert_eq!(body["message"], message);
}

#[tokio::test]
async fn missing_credential_is_401_with_request_id() {
    let emulator = start().await;
    let response = client()
        .get(format!("{}{ME_PATH}", emulator.base_url()))
        .send()
        .await
        .expect("answer");
    assert_eq!(response.status(), 401);
    let request_id = response.headers()["x-request-id"]
        .to_str()
        .expect("ASCII")
        .to_owned();
    let body = json_of(response).await;
    assert_eq!(body["error_code"], 401);
    assert_eq!(
        body["message"],
        format!(
            "Credential was not sent or was of an unsupported type for this API. [ReqId: {request_id}]"
        )
    );
    emulator.shutdown().await;
}

#[tokio::test]
async fn basic_credential_is_unsupported_type() {
    let emulator = start().await;
    let response = client()
        .get(format!("{}{ME_PATH}", emulator.base_url()))
        .basic_auth("alice@example.com", Some("password"))
        .send()
        .await
        .expect("answer");
    assert_eq!(response.status(), 401);
    assert_eq!(json_of(response).await["error_code"], 401);
    emulator.shutdown().await;
}

#[tokio::test]
async fn unknown_token_is_invalid() {
    let emulator = start().await;
    let response = get_with_token(&emulator, ME_PATH, "dapi-not-issued").await;
    assert_forbidden(response, "Invalid access token.").await;
    emulator.shutdown().await;
}

#[tokio::test]
async fn deactivated_user_token_is_rejected() {
    let emulator = start().await;
    let response = get_with_token(&emulator, ME_PATH, "dapi-dave-dev").await;
    assert_forbidden(response, "Invalid access token.").await;
    emulator.shutdown().await;
}

#[tokio::test]
async fn deactivate_and_activate_switch_access() {
    let emulator = start().await;
    let (status, body) = control_post(
        &emulator,
        "/users/alice@example.com/deactivate",
        &Value::Null,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        body,
        json!({"user_name": "alice@example.com", "active": false})
    );
    let response = get_with_token(&emulator, ME_PATH, ALICE_TOKEN).await;
    assert_eq!(response.status(), 403);

    let (status, _) =
        control_post(&emulator, "/users/alice@example.com/activate", &Value::Null).await;
    assert_eq!(status, 200);
    let response = get_with_token(&emulator, ME_PATH, ALICE_TOKEN).await;
    assert_eq!(response.status(), 200);
    emulator.shutdown().await;
}

#[tokio::test]
async fn minted_token_authenticates_and_is_jwt_shaped() {
    let emulator = start().await;
    let (status, body) = control_post(
        &emulator,
        "/tokens",
        &json!({"user_name": "bob@example.com", "ttl_seconds": 600, "scopes": ["sql", "iam.current-user:read"]}),
    )
    .await;
    assert_eq!(status, 200);
    let token = body["token"].as_str().expect("token");
    let expires_at = body["expires_at"].as_str().expect("expires_at");

    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts.len(), 3);
    let claims: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).expect("base64url"))
            .expect("JSON payload");
    assert_eq!(claims["sub"], "bob@example.com");
    assert_eq!(claims["scope"], "sql iam.current-user:read");
    assert_eq!(
        claims["exp"].as_i64().expect("exp") - claims["iat"].as_i64().expect("iat"),
        600
    );
    assert!(claims["jti"].is_string());
    let exp = chrono::DateTime::parse_from_rfc3339(expires_at).expect("RFC 3339");
    assert_eq!(exp.timestamp(), claims["exp"].as_i64().expect("exp"));

    let response = get_with_token(&emulator, ME_PATH, token).await;
    assert_eq!(response.status(), 200);
    assert_eq!(json_of(response).await["userName"], "bob@example.com");
    emulator.shutdown().await;
}

#[tokio::test]
async fn minted_token_defaults_to_all_apis() {
    let emulator = start().await;
    let token = mint(
        &emulator,
        json!({"user_name": "carol@example.com", "ttl_seconds": 120}),
    )
    .await;
    let payload = token.split('.').nth(1).expect("payload");
    let claims: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).expect("base64url")).expect("JSON");
    assert_eq!(claims["scope"], "all-apis");
    emulator.shutdown().await;
}

#[tokio::test]
async fn expired_token_is_rejected() {
    let emulator = start().await;
    let token = mint(
        &emulator,
        json!({"user_name": "alice@example.com", "ttl_seconds": -5}),
    )
    .await;
    let response = get_with_token(&emulator, ME_PATH, &token).await;
    assert_forbidden(response, EXPIRING_MESSAGE).await;
    emulator.shutdown().await;
}

#[tokio::test]
async fn token_expiring_within_30_seconds_is_rejected() {
    let emulator = start().await;
    let token = mint(
        &emulator,
        json!({"user_name": "alice@example.com", "ttl_seconds": 20}),
    )
    .await;
    let response = get_with_token(&emulator, ME_PATH, &token).await;
    assert_forbidden(response, EXPIRING_MESSAGE).await;

    let token = mint(
        &emulator,
        json!({"user_name": "alice@example.com", "ttl_seconds": 45}),
    )
    .await;
    let response = get_with_token(&emulator, ME_PATH, &token).await;
    assert_eq!(response.status(), 200);
    emulator.shutdown().await;
}

#[tokio::test]
async fn minting_for_unknown_user_is_404() {
    let emulator = start().await;
    let (status, body) = control_post(
        &emulator,
        "/tokens",
        &json!({"user_name": "nobody@example.com", "ttl_seconds": 60}),
    )
    .await;
    assert_eq!(status, 404);
    assert!(
        body["message"]
            .as_str()
            .expect("message")
            .contains("nobody@example.com")
    );
    emulator.shutdown().await;
}

#[tokio::test]
async fn mint_request_with_bad_fields_is_400() {
    let emulator = start().await;
    for body in [
        json!({"ttl_seconds": 60}),
        json!({"user_name": "alice@example.com", "scopes": []}),
        json!({"user_name": "alice@example.com", "scopes": ["a b"]}),
        json!({"user_name": "alice@example.com", "ttl_seconds": 99_999_999_999_i64}),
        json!({"user_name": "alice@example.com", "unknown": 1}),
    ] {
        let (status, answer) = control_post(&emulator, "/tokens", &body).await;
        assert_eq!(status, 400, "{body} gave {answer}");
        assert!(answer["message"].is_string(), "{answer}");
    }
    emulator.shutdown().await;
}

#[tokio::test]
async fn deleted_user_token_is_rejected() {
    let emulator = start().await;
    let response = client()
        .delete(format!(
            "{}/__emulator/users/alice@example.com",
            emulator.base_url()
        ))
        .send()
        .await
        .expect("answer");
    assert_eq!(response.status(), 204);
    let response = get_with_token(&emulator, ME_PATH, ALICE_TOKEN).await;
    assert_forbidden(response, "Invalid access token.").await;
    emulator.shutdown().await;
}

#[tokio::test]
async fn service_principal_token_can_be_minted() {
    let emulator = start().await;
    let token = mint(
        &emulator,
        json!({"user_name": workspace_emulator::DEFAULT_SERVICE_PRINCIPAL_ID, "ttl_seconds": 300}),
    )
    .await;
    let response = get_with_token(&emulator, ME_PATH, &token).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        json_of(response).await["userName"],
        workspace_emulator::DEFAULT_SERVICE_PRINCIPAL_ID
    );
    emulator.shutdown().await;
}
