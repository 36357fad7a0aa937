//! The control plane: call counts, reset, request ids, unknown paths and concurrent instances.

mod common;

use common::{
    ALICE_TOKEN, ME_PATH, call_counts, client, control_post, get_with_token, json_of, mint, start,
};
use serde_json::{Value, json};
use workspace_emulator::{DEFAULT_SERVICE_PRINCIPAL_ID, DEFAULT_SERVICE_PRINCIPAL_SECRET};

#[tokio::test]
async fn calls_are_counted_by_route_template() {
    let emulator = start().await;
    for _ in 0..3 {
        get_with_token(&emulator, ME_PATH, ALICE_TOKEN).await;
    }
    get_with_token(&emulator, ME_PATH, "dapi-not-issued").await;
    get_with_token(
        &emulator,
        "/api/2.0/preview/scim/v2/Users/1000000000000002",
        ALICE_TOKEN,
    )
    .await;
    get_with_token(&emulator, "/api/2.0/preview/scim/v2/Users/42", ALICE_TOKEN).await;
    client()
        .post(format!("{}/oidc/v1/token", emulator.base_url()))
        .basic_auth(
            DEFAULT_SERVICE_PRINCIPAL_ID,
            Some(DEFAULT_SERVICE_PRINCIPAL_SECRET),
        )
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .expect("answer");

    let counts = call_counts(&emulator).await;
    assert_eq!(
        counts,
        json!({
            "GET /api/2.0/preview/scim/v2/Me": 4,
            "GET /api/2.0/preview/scim/v2/Users/{id}": 2,
            "POST /oidc/v1/token": 1,
        })
    );
    emulator.shutdown().await;
}

#[tokio::test]
async fn unknown_path_is_404_and_counted_by_path() {
    let emulator = start().await;
    let response = get_with_token(&emulator, "/api/2.0/clusters/list", ALICE_TOKEN).await;
    assert_eq!(response.status(), 404);
    let body = json_of(response).await;
    assert_eq!(body["error_code"], "ENDPOINT_NOT_FOUND");
    assert_eq!(
        call_counts(&emulator).await["GET /api/2.0/clusters/list"],
        1
    );
    emulator.shutdown().await;
}

#[tokio::test]
async fn wrong_method_is_405_json() {
    let emulator = start().await;
    let response = client()
        .delete(format!("{}{ME_PATH}", emulator.base_url()))
        .bearer_auth(ALICE_TOKEN)
        .send()
        .await
        .expect("answer");
    assert_eq!(response.status(), 405);
    assert_eq!(json_of(response).await["error_code"], "METHOD_NOT_ALLOWED");
    emulator.shutdown().await;
}

#[tokio::test]
async fn clearing_calls_resets_counts() {
    let emulator = start().await;
    get_with_token(&emulator, ME_PATH, ALICE_TOKEN).await;
    let response = client()
        .delete(format!("{}/__emulator/calls", emulator.base_url()))
        .send()
        .await
        .expect("answer");
    assert_eq!(response.status(), 204);
    assert_eq!(call_counts(&emulator).await, json!({}));
    get_with_token(&emulator, ME_PATH, ALICE_TOKEN).await;
    assert_eq!(
        call_counts(&emulator).await,
        json!({"GET /api/2.0/preview/scim/v2/Me": 1})
    );
    emulator.shutdown().await;
}

#[tokio::test]
async fn reset_restores_the_fixture() {
    let emulator = start().await;
    let minted = mint(
        &emulator,
        json!({"user_name": "bob@example.com", "ttl_seconds": 600}),
    )
    .await;
    let deleted = client()
        .delete(format!(
            "{}/__emulator/users/alice@example.com",
            emulator.base_url()
        ))
        .send()
        .await
        .expect("answer");
    assert_eq!(deleted.status(), 204);
    let (status, _) = control_post(
        &emulator,
        "/users/carol@example.com/deactivate",
        &Value::Null,
    )
    .await;
    assert_eq!(status, 200);
    let (status, _) = control_post(
        &emulator,
        "/faults",
        &json!({"path_prefix": "/api/2.0/preview/scim/v2/Users", "status": 503, "times": null}),
    )
    .await;
    assert_eq!(status, 201);
    get_with_token(&emulator, ME_PATH, ALICE_TOKEN).await;

    let (status, _) = control_post(&emulator, "/reset", &Value::Null).await;
    assert_eq!(status, 204);

    assert_eq!(call_counts(&emulator).await, json!({}));
    assert_eq!(
        get_with_token(&emulator, ME_PATH, ALICE_TOKEN)
            .await
            .status(),
        200
    );
    assert_eq!(
        get_with_token(&emulator, ME_PATH, "dapi-carol-dev")
            .await
            .status(),
        200
    );
    assert_eq!(
        get_with_token(&emulator, ME_PATH, &minted).await.status(),
        403
    );
    let users = get_with_token(&emulator, "/api/2.0/preview/scim/v2/Users", ALICE_TOKEN).await;
    assert_eq!(users.status(), 200);
    emulator.shutdown().await;
}

#[tokio::test]
async fn every_response_has_a_request_id() {
    let emulator = start().await;
    let base = emulator.base_url();
    let http = client();
    let requests = [
        http.get(format!("{base}{ME_PATH}"))
            .bearer_auth(ALICE_TOKEN),
        http.get(format!("{base}{ME_PATH}")),
        http.get(format!("{base}{ME_PATH}"))
            .bearer_auth("dapi-not-issued"),
        http.get(format!("{base}/api/2.0/preview/scim/v2/Users/5"))
            .bearer_auth(ALICE_TOKEN),
        http.get(format!("{base}/no/such/path")),
        http.get(format!("{base}/.well-known/databricks-config")),
        http.post(format!("{base}/oidc/v1/token"))
            .form(&[("grant_type", "x")]),
        http.get(format!("{base}/__emulator/calls")),
        http.post(format!("{base}/__emulator/tokens"))
            .json(&json!({})),
        http.post(format!("{base}/__emulator/users/nobody/activate")),
    ];
    let mut seen = Vec::new();
    for request in requests {
        let response = request.send().await.expect("answer");
        let id = response
            .headers()
            .get("x-request-id")
            .unwrap_or_else(|| panic!("no X-Request-Id on {}", response.url()))
            .to_str()
            .expect("ASCII");
        let id = uuid::Uuid::parse_str(id).expect("X-Request-Id is a UUID");
        assert!(!seen.contains(&id), "request id {id} repeated");
        seen.push(id);
    }
    emulator.shutdown().await;
}

#[tokio::test]
async fn control_plane_is_not_counted() {
    let emulator = start().await;
    control_post(&emulator, "/users/alice@example.com/activate", &Value::Null).await;
    call_counts(&emulator).await;
    assert_eq!(call_counts(&emulator).await, json!({}));
    emulator.shutdown().await;
}

#[tokio::test]
async fn malformed_control_json_is_400() {
    let emulator = start().await;
    let response = client()
        .post(format!("{}/__emulator/faults", emulator.base_url()))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .expect("answer");
    assert_eq!(response.status(), 400);
    let body = json_of(response).await;
    assert_eq!(body["error_code"], "INVALID_PARAMETER_VALUE");
    assert!(body["message"].is_string());
    emulator.shutdown().await;
}

#[tokio::test]
async fn unknown_principal_in_control_plane_is_404() {
    let emulator = start().await;
    let (status, body) = control_post(
        &emulator,
        "/users/nobody@example.com/deactivate",
        &Value::Null,
    )
    .await;
    assert_eq!(status, 404);
    assert_eq!(body["error_code"], "RESOURCE_DOES_NOT_EXIST");
    let response = client()
        .delete(format!(
            "{}/__emulator/users/nobody@example.com",
            emulator.base_url()
        ))
        .send()
        .await
        .expect("answer");
    assert_eq!(response.status(), 404);
    emulator.shutdown().await;
}

#[tokio::test]
async fn instances_run_side_by_side() {
    let first = start().await;
    let second = start().await;
    assert_ne!(first.local_addr(), second.local_addr());
    assert!(first.base_url().starts_with("http://127.0.0.1:"));
    assert!(!first.base_url().ends_with('/'));

    let deleted = client()
        .delete(format!(
            "{}/__emulator/users/alice@example.com",
            first.base_url()
        ))
        .send()
        .await
        .expect("answer");
    assert_eq!(deleted.status(), 204);
    assert_eq!(
        get_with_token(&first, ME_PATH, ALICE_TOKEN).await.status(),
        403
    );
    assert_eq!(
        get_with_token(&second, ME_PATH, ALICE_TOKEN).await.status(),
        200
    );

    let first_addr = first.local_addr();
    first.shutdown().await;
    let after_shutdown = client()
        .get(format!("http://{first_addr}{ME_PATH}"))
        .send()
        .await;
    assert!(after_shutdown.is_err(), "stopped emulator still answers");
    second.shutdown().await;
}

#[tokio::test]
async fn out_of_range_ttl_is_400() {
    let emulator = start().await;

    for ttl_seconds in [i64::MIN, i64::MAX] {
        let response = client()
            .post(format!("{}/__emulator/tokens", emulator.base_url()))
            .json(&json!({"user_name": "alice@example.com", "ttl_seconds": ttl_seconds}))
            .send()
            .await
            .expect("the emulator answers");
        assert_eq!(response.status(), 400, "ttl_seconds {ttl_seconds}");
    }
}
