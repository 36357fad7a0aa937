//! `user_status` against the workspace emulator: active, deactivated, deleted and unknown users.

mod common;

use common::{ALICE, TestEmulator};
use databricks_client::UserStatus;
use serde_json::{Value, json};

const DAVE: &str = "dave@example.com";

/// Sends a control-plane request to the emulator and checks that it succeeded.
async fn control(emulator: &TestEmulator, method: reqwest::Method, path: &str) {
    let response = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("control-plane client builds")
        .request(method, format!("{}{path}", emulator.base_url()))
        .send()
        .await
        .expect("control plane answers");
    assert!(
        response.status().is_success(),
        "{path}: {}",
        response.status()
    );
}

#[tokio::test]
async fn active_user_is_active() {
    let emulator = TestEmulator::start();
    let client = emulator.service_principal();

    let status = client.user_status(ALICE).await.expect("lookup succeeds");

    assert_eq!(status, UserStatus::Active);
}

#[tokio::test]
async fn fixture_inactive_user_is_inactive() {
    let emulator = TestEmulator::start();
    let client = emulator.service_principal();

    let status = client.user_status(DAVE).await.expect("lookup succeeds");

    assert_eq!(status, UserStatus::Inactive);
}

#[tokio::test]
async fn unknown_user_is_not_found() {
    let emulator = TestEmulator::start();
    let client = emulator.service_principal();

    let status = client
        .user_status("nobody@example.com")
        .await
        .expect("lookup succeeds");

    assert_eq!(status, UserStatus::NotFound);
}

#[tokio::test]
async fn deactivation_and_reactivation_show() {
    let emulator = TestEmulator::start();
    let client = emulator.service_principal();

    control(
        &emulator,
        reqwest::Method::POST,
        "/__emulator/users/alice@example.com/deactivate",
    )
    .await;
    let deactivated = client.user_status(ALICE).await.expect("lookup succeeds");
    control(
        &emulator,
        reqwest::Method::POST,
        "/__emulator/users/alice@example.com/activate",
    )
    .await;
    let reactivated = client.user_status(ALICE).await.expect("lookup succeeds");

    assert_eq!(deactivated, UserStatus::Inactive);
    assert_eq!(reactivated, UserStatus::Active);
}

#[tokio::test]
async fn deleted_user_is_not_found() {
    let emulator = TestEmulator::start();
    let client = emulator.service_principal();

    control(
        &emulator,
        reqwest::Method::DELETE,
        "/__emulator/users/alice@example.com",
    )
    .await;
    let status = client.user_status(ALICE).await.expect("lookup succeeds");

    assert_eq!(status, UserStatus::NotFound);
}

#[tokio::test]
async fn scim_404_is_not_found() {
    let emulator = TestEmulator::start();
    let client = emulator.service_principal();
    emulator
        .add_fault(json!({
            "path_prefix": "/api/2.0/preview/scim/v2/Users",
            "status": 404,
            "body": {
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
                "detail": "User not found.",
                "status": "404"
            },
            "times": 1
        }))
        .await;

    let status = client.user_status(ALICE).await.expect("404 is an answer");

    assert_eq!(status, UserStatus::NotFound);
}

#[tokio::test]
async fn server_error_is_an_error() {
    let emulator = TestEmulator::start();
    let client = emulator.service_principal();
    emulator
        .add_fault(json!({
            "path_prefix": "/api/2.0/preview/scim/v2/Users",
            "status": 500,
            "body": {"error_code": "INTERNAL_ERROR", "message": "boom"},
            "times": 1
        }))
        .await;

    let error = client
        .user_status(ALICE)
        .await
        .expect_err("a 500 is no answer about the user");

    assert_eq!(error.status.map(|status| status.as_u16()), Some(500));
}

#[tokio::test]
async fn token_without_scope_is_denied() {
    let emulator = TestEmulator::start();
    let response = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("control-plane client builds")
        .post(format!("{}/__emulator/tokens", emulator.base_url()))
        .json(&json!({"user_name": ALICE, "scopes": ["unity-catalog"]}))
        .send()
        .await
        .expect("control plane answers");
    let minted: Value = response.json().await.expect("minted token is JSON");
    let token = minted["token"].as_str().expect("token is a string");
    let client = emulator.user_client(token);

    let error = client
        .user_status(ALICE)
        .await
        .expect_err("the token lacks the SCIM scope");

    assert_eq!(error.status.map(|status| status.as_u16()), Some(403));
}
