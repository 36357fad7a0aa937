//! Authentication of requests: missing, malformed, unknown, expired and deactivated tokens.

mod common;

use common::{TestApp, assert_error, json_body};

const SCIM_ME: &str = "GET /api/2.0/preview/scim/v2/Me";
const TOKEN_ENDPOINT: &str = "POST /oidc/v1/token";

#[tokio::test]
async fn preferences_without_token_is_auth_missing() {
    let app = TestApp::start().await;

    for token in [None, Some(""), Some("   "), Some("\t")] {
        let response = app.get("/api/preferences", token).await;
        assert_error(response, 401, "AUTH_MISSING").await;
    }
    assert_eq!(app.upstream_calls(SCIM_ME).await, 0);
}

#[tokio::test]
async fn unknown_token_is_auth_invalid() {
    let app = TestApp::start().await;

    let response = app.get("/api/preferences", Some("dapi-nobody")).await;

    let body = assert_error(response, 401, "AUTH_INVALID").await;
    assert!(
        !body.to_string().contains("dapi-nobody"),
        "the token must not be echoed: {body}"
    );
}

#[tokio::test]
async fn expired_jwt_is_rejected_without_scim_call() {
    let app = TestApp::start().await;
    let token = app.mint_token("alice@example.com", -60).await;

    let response = app.get("/api/preferences", Some(&token)).await;

    assert_error(response, 401, "AUTH_EXPIRED").await;
    assert_eq!(
        app.upstream_calls(SCIM_ME).await,
        0,
        "expiry is decided locally"
    );
}

#[tokio::test]
async fn minted_jwt_within_lifetime_is_accepted() {
    let app = TestApp::start().await;
    let token = app.mint_token("bob@example.com", 600).await;

    let response = app.get("/api/user/me", Some(&token)).await;

    assert_eq!(response.status(), 200);
    assert_eq!(json_body(response).await["user_id"], "bob@example.com");
}

#[tokio::test]
async fn malformed_token_is_rejected_without_upstream_call() {
    let app = TestApp::start().await;
    let too_long = "a".repeat(16 * 1024 + 1);

    for token in ["dapi\talice", "two words", too_long.as_str()] {
        let response = app.get("/api/preferences", Some(token)).await;
        assert_error(response, 401, "AUTH_MALFORMED").await;
    }
    let non_ascii =
        reqwest::header::HeaderValue::from_bytes(b"dapi-\xc3\xa9").expect("obs-text header value");
    let response = app
        .http
        .get(app.url("/api/user/me"))
        .header("x-forwarded-access-token", non_ascii)
        .send()
        .await
        .expect("request");
    assert_error(response, 401, "AUTH_MALFORMED").await;
    assert_eq!(app.upstream_calls(SCIM_ME).await, 0);
}

#[tokio::test]
async fn token_of_16_kib_is_not_malformed() {
    let app = TestApp::start().await;
    let long = "a".repeat(16 * 1024);

    let response = app.get("/api/preferences", Some(&long)).await;

    assert_error(response, 401, "AUTH_INVALID").await;
}

#[tokio::test]
async fn deactivated_user_is_rejected() {
    let app = TestApp::start().await;

    let response = app.get("/api/preferences", Some("dapi-dave-dev")).await;

    assert_eq!(response.status(), 401);
}

#[tokio::test]
async fn user_deactivated_after_minting_is_rejected() {
    let app = TestApp::start().await;
    app.http
        .post(format!(
            "{}/__emulator/users/bob@example.com/deactivate",
            app.emulator.base_url()
        ))
        .send()
        .await
        .expect("deactivate bob");

    let response = app.get("/api/user/me", Some("dapi-bob-dev")).await;

    assert_eq!(response.status(), 401);
}

#[tokio::test]
async fn user_token_call_mints_no_service_principal_token() {
    let app = TestApp::start().await;

    let response = app.get("/api/user/me", Some("dapi-alice-dev")).await;

    assert_eq!(response.status(), 200);
    let body = json_body(response).await;
    assert_eq!(body["user_id"], "alice@example.com");
    assert_eq!(body["display_name"], "Alice Example");
    assert_eq!(app.upstream_calls(SCIM_ME).await, 1);
    assert_eq!(
        app.upstream_calls(TOKEN_ENDPOINT).await,
        0,
        "no service-principal token for a user call"
    );
}

#[tokio::test]
async fn no_token_falls_back_to_service_principal() {
    let app = TestApp::start().await;

    let response = app.get("/api/user/me", None).await;

    assert_eq!(response.status(), 200);
    let body = json_body(response).await;
    assert_eq!(
        body["user_id"],
        workspace_emulator::DEFAULT_SERVICE_PRINCIPAL_ID
    );
    assert_eq!(app.upstream_calls(TOKEN_ENDPOINT).await, 1);
}

#[tokio::test]
async fn no_token_and_no_service_principal_is_auth_missing() {
    let app = TestApp::builder().without_service_principal().start().await;

    let response = app.get("/api/user/me", None).await;

    assert_error(response, 401, "AUTH_MISSING").await;
}

#[tokio::test]
async fn auth_status_reports_mode() {
    let app = TestApp::start().await;

    let with_token = json_body(app.get("/api/auth/status", Some("dapi-carol-dev")).await).await;
    assert_eq!(with_token["auth_mode"], "obo");
    assert_eq!(with_token["has_user_identity"], true);
    assert_eq!(with_token["user_id"], "carol@example.com");

    let without = json_body(app.get("/api/auth/status", None).await).await;
    assert_eq!(without["auth_mode"], "service_principal");
    assert_eq!(without["has_user_identity"], false);
    assert!(without["user_id"].is_null());

    let rejected = app.get("/api/auth/status", Some("dapi-nobody")).await;
    assert_error(rejected, 401, "AUTH_INVALID").await;
}

#[tokio::test]
async fn workspace_info_for_user_and_service_principal() {
    let app = TestApp::start().await;

    for token in [Some("dapi-alice-dev"), None] {
        let response = app.get("/api/user/me/workspace", token).await;
        assert_eq!(response.status(), 200);
        let body = json_body(response).await;
        let workspace_id = body["workspace_id"].as_str().expect("workspace_id");
        assert!(
            !workspace_id.is_empty() && workspace_id.bytes().all(|b| b.is_ascii_digit()),
            "{body}"
        );
        assert_eq!(body["workspace_url"], app.emulator.base_url());
    }
}

#[tokio::test]
async fn auth_status_lists_granted_and_missing_scopes() {
    let app = TestApp::start().await;
    let body: serde_json::Value = app
        .http
        .post(format!("{}/__emulator/tokens", app.emulator.base_url()))
        .json(&serde_json::json!({"user_name": "alice@example.com", "ttl_seconds": 600, "scopes": ["unity-catalog"]}))
        .send()
        .await
        .expect("mint")
        .json()
        .await
        .expect("mint JSON");
    let token = body["token"].as_str().expect("token");

    let status = json_body(app.get("/api/auth/status", Some(token)).await).await;

    assert_eq!(status["scopes"], serde_json::json!(["unity-catalog"]));
    assert_eq!(
        status["missing_scopes"],
        serde_json::json!(["model-serving"])
    );
    let opaque = json_body(app.get("/api/auth/status", Some("dapi-alice-dev")).await).await;
    assert!(opaque["scopes"].is_null());
    assert!(opaque["missing_scopes"].is_null());
}
