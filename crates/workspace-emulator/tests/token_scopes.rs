//! Token scopes: each API family needs one of its scopes, and `all-apis` grants every one.

mod common;

use common::{ALICE_TOKEN, ME_PATH, USERS_PATH, client, get_with_token, json_of, mint, start};
use serde_json::{Value, json};
use workspace_emulator::{
    DEFAULT_SERVICE_PRINCIPAL_ID, DEFAULT_SERVICE_PRINCIPAL_SECRET, Emulator,
};

const CATALOGS: &str = "/api/2.1/unity-catalog/catalogs";
const SCHEMAS: &str = "/api/2.1/unity-catalog/schemas?catalog_name=main";
const TABLES: &str = "/api/2.1/unity-catalog/tables?catalog_name=main&schema_name=sales";
const TABLE: &str = "/api/2.1/unity-catalog/tables/main.sales.orders";
const ENDPOINTS: &str = "/api/2.0/serving-endpoints";
const ECHO: &str = "/api/2.0/serving-endpoints/echo";

async fn alice_with(emulator: &Emulator, scopes: &[&str]) -> String {
    mint(
        emulator,
        json!({"user_name": "alice@example.com", "scopes": scopes}),
    )
    .await
}

async fn invoke_echo(emulator: &Emulator, token: &str) -> reqwest::Response {
    client()
        .post(format!(
            "{}/serving-endpoints/echo/invocations",
            emulator.base_url()
        ))
        .bearer_auth(token)
        .json(&json!({"inputs": [1]}))
        .send()
        .await
        .expect("emulator answers")
}

async fn status_of(emulator: &Emulator, path: &str, token: &str) -> u16 {
    get_with_token(emulator, path, token)
        .await
        .status()
        .as_u16()
}

fn assert_scope_denied(body: &Value, scope: &str) {
    assert_eq!(
        *body,
        json!({
            "error_code": "PERMISSION_DENIED",
            "message": format!("Provided OAuth token does not have required scopes: {scope}"),
        })
    );
}

#[tokio::test]
async fn unity_catalog_needs_its_scope() {
    let emulator = start().await;
    let token = alice_with(&emulator, &["sql", "model-serving"]).await;
    for path in [CATALOGS, SCHEMAS, TABLES, TABLE] {
        let response = get_with_token(&emulator, path, &token).await;
        assert_eq!(response.status(), 403, "{path}");
        assert_scope_denied(&json_of(response).await, "unity-catalog");
    }
    emulator.shutdown().await;
}

#[tokio::test]
async fn serving_needs_its_scope() {
    let emulator = start().await;
    let token = alice_with(&emulator, &["sql", "unity-catalog"]).await;
    for path in [ENDPOINTS, ECHO] {
        let response = get_with_token(&emulator, path, &token).await;
        assert_eq!(response.status(), 403, "{path}");
        assert_scope_denied(&json_of(response).await, "model-serving");
    }
    let response = invoke_echo(&emulator, &token).await;
    assert_eq!(response.status(), 403);
    assert_scope_denied(&json_of(response).await, "model-serving");

    let calls = client()
        .get(format!("{}/__emulator/calls", emulator.base_url()))
        .send()
        .await
        .expect("control plane answers");
    assert_eq!(json_of(calls).await["invocations"], json!({}));
    emulator.shutdown().await;
}

#[tokio::test]
async fn family_scopes_grant_only_their_family() {
    let emulator = start().await;
    let unity_catalog = alice_with(&emulator, &["unity-catalog"]).await;
    for path in [CATALOGS, SCHEMAS, TABLES, TABLE] {
        assert_eq!(
            status_of(&emulator, path, &unity_catalog).await,
            200,
            "{path}"
        );
    }
    assert_eq!(status_of(&emulator, ENDPOINTS, &unity_catalog).await, 403);

    let inference = alice_with(&emulator, &["model-serving-inference"]).await;
    assert_eq!(invoke_echo(&emulator, &inference).await.status(), 200);
    assert_eq!(status_of(&emulator, ENDPOINTS, &inference).await, 403);

    let serving = alice_with(&emulator, &["model-serving"]).await;
    assert_eq!(status_of(&emulator, ENDPOINTS, &serving).await, 200);
    assert_eq!(invoke_echo(&emulator, &serving).await.status(), 200);
    assert_eq!(status_of(&emulator, CATALOGS, &serving).await, 403);
    emulator.shutdown().await;
}

#[tokio::test]
async fn apps_scope_names_are_accepted() {
    let emulator = start().await;
    let serving = alice_with(&emulator, &["serving.serving-endpoints"]).await;
    assert_eq!(status_of(&emulator, ENDPOINTS, &serving).await, 200);
    assert_eq!(invoke_echo(&emulator, &serving).await.status(), 200);

    let catalogs_only = alice_with(&emulator, &["catalog.catalogs"]).await;
    assert_eq!(status_of(&emulator, CATALOGS, &catalogs_only).await, 200);
    assert_eq!(status_of(&emulator, SCHEMAS, &catalogs_only).await, 403);
    emulator.shutdown().await;
}

#[tokio::test]
async fn all_apis_passes_every_family() {
    let emulator = start().await;
    let minted = mint(&emulator, json!({"user_name": "alice@example.com"})).await;
    for token in [minted.as_str(), ALICE_TOKEN] {
        for path in [CATALOGS, TABLE, ENDPOINTS, ECHO, ME_PATH, USERS_PATH] {
            assert_eq!(status_of(&emulator, path, token).await, 200, "{path}");
        }
        assert_eq!(invoke_echo(&emulator, token).await.status(), 200);
    }
    emulator.shutdown().await;
}

#[tokio::test]
async fn me_accepts_any_scope_but_users_needs_one() {
    let emulator = start().await;
    let token = alice_with(&emulator, &["iam.current-user:read"]).await;
    assert_eq!(status_of(&emulator, ME_PATH, &token).await, 200);
    let response = get_with_token(&emulator, USERS_PATH, &token).await;
    assert_eq!(response.status(), 403);
    assert_scope_denied(&json_of(response).await, "access-management");

    let admin = alice_with(&emulator, &["access-management"]).await;
    assert_eq!(status_of(&emulator, USERS_PATH, &admin).await, 200);
    emulator.shutdown().await;
}

#[tokio::test]
async fn m2m_token_scope_is_enforced() {
    let emulator = start().await;
    let mut tokens = Vec::new();
    for scope in ["sql", "all-apis"] {
        let response = client()
            .post(format!("{}/oidc/v1/token", emulator.base_url()))
            .basic_auth(
                DEFAULT_SERVICE_PRINCIPAL_ID,
                Some(DEFAULT_SERVICE_PRINCIPAL_SECRET),
            )
            .form(&[("grant_type", "client_credentials"), ("scope", scope)])
            .send()
            .await
            .expect("token endpoint answers");
        let body = json_of(response).await;
        tokens.push(
            body["access_token"]
                .as_str()
                .expect("access_token")
                .to_owned(),
        );
    }
    assert_eq!(status_of(&emulator, CATALOGS, &tokens[0]).await, 403);
    assert_eq!(status_of(&emulator, CATALOGS, &tokens[1]).await, 200);
    emulator.shutdown().await;
}

#[tokio::test]
async fn authentication_errors_come_before_scope_checks() {
    let emulator = start().await;
    let expired = mint(
        &emulator,
        json!({"user_name": "alice@example.com", "ttl_seconds": -60, "scopes": ["sql"]}),
    )
    .await;
    let response = get_with_token(&emulator, CATALOGS, &expired).await;
    assert_eq!(response.status(), 403);
    assert_eq!(json_of(response).await["error_code"], 403);
    emulator.shutdown().await;
}
