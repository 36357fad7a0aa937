//! Discovery documents and the OAuth client-credentials token endpoint.

mod common;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::{ME_PATH, WORKSPACE_ID, client, get_with_token, json_of, start, start_with};
use serde_json::Value;
use workspace_emulator::{
    DEFAULT_SERVICE_PRINCIPAL_ID, DEFAULT_SERVICE_PRINCIPAL_SECRET, Emulator, Fixture,
};

async fn send(request: reqwest::RequestBuilder) -> reqwest::Response {
    request.send().await.expect("token endpoint answers")
}

fn token_url(emulator: &Emulator) -> String {
    format!("{}/oidc/v1/token", emulator.base_url())
}

fn jwt_claims(token: &str) -> Value {
    let payload = token.split('.').nth(1).expect("JWT has a payload");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).expect("base64url")).expect("JSON")
}

fn content_type(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("content-type")
        .expect("Content-Type is always sent")
        .to_str()
        .expect("ASCII")
        .to_owned()
}

#[tokio::test]
async fn host_metadata_points_at_request_host() {
    let emulator = start().await;
    let response = client()
        .get(format!(
            "{}/.well-known/databricks-config",
            emulator.base_url()
        ))
        .send()
        .await
        .expect("answer");
    assert_eq!(response.status(), 200);
    let body = json_of(response).await;
    assert_eq!(
        body["oidc_endpoint"],
        format!("{}/oidc", emulator.base_url())
    );
    assert_eq!(body["workspace_id"], WORKSPACE_ID);
    assert_eq!(body["cloud"], "AWS");
    assert!(body["account_id"].is_string());
    emulator.shutdown().await;
}

#[tokio::test]
async fn authorization_server_lists_token_endpoint() {
    let emulator = start().await;
    let response = client()
        .get(format!(
            "{}/oidc/.well-known/oauth-authorization-server",
            emulator.base_url()
        ))
        .send()
        .await
        .expect("answer");
    assert_eq!(response.status(), 200);
    let body = json_of(response).await;
    assert_eq!(body["token_endpoint"], token_url(&emulator));
    assert_eq!(
        body["authorization_endpoint"],
        format!("{}/oidc/v1/authorize", emulator.base_url())
    );
    emulator.shutdown().await;
}

#[tokio::test]
async fn basic_auth_issues_service_principal_token() {
    let emulator = start().await;
    let response = send(
        client()
            .post(token_url(&emulator))
            .basic_auth(
                DEFAULT_SERVICE_PRINCIPAL_ID,
                Some(DEFAULT_SERVICE_PRINCIPAL_SECRET),
            )
            .form(&[("grant_type", "client_credentials"), ("scope", "all-apis")]),
    )
    .await;
    assert_eq!(response.status(), 200);
    assert!(content_type(&response).starts_with("application/json"));
    let body = json_of(response).await;
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3600);
    assert_eq!(body["scope"], "all-apis");
    let token = body["access_token"].as_str().expect("access_token");

    let claims = jwt_claims(token);
    assert_eq!(claims["sub"], DEFAULT_SERVICE_PRINCIPAL_ID);
    assert_eq!(claims["iss"], format!("{}/oidc", emulator.base_url()));
    assert_eq!(claims["scope"], "all-apis");

    let me = get_with_token(&emulator, ME_PATH, token).await;
    assert_eq!(me.status(), 200);
    let me = json_of(me).await;
    assert_eq!(me["userName"], DEFAULT_SERVICE_PRINCIPAL_ID);
    assert_eq!(me["applicationId"], DEFAULT_SERVICE_PRINCIPAL_ID);
    assert_eq!(me["displayName"], "Dev App Service Principal");
    emulator.shutdown().await;
}

#[tokio::test]
async fn form_credentials_issue_token_with_default_scope() {
    let emulator = start().await;
    let response = send(client().post(token_url(&emulator)).form(&[
        ("grant_type", "client_credentials"),
        ("client_id", DEFAULT_SERVICE_PRINCIPAL_ID),
        ("client_secret", DEFAULT_SERVICE_PRINCIPAL_SECRET),
    ]))
    .await;
    assert_eq!(response.status(), 200);
    let body = json_of(response).await;
    assert_eq!(body["scope"], "all-apis");
    let token = body["access_token"].as_str().expect("access_token");
    assert_eq!(jwt_claims(token)["scope"], "all-apis");
    emulator.shutdown().await;
}

#[tokio::test]
async fn two_issued_tokens_differ() {
    let emulator = start().await;
    let mut tokens = Vec::new();
    for _ in 0..2 {
        let response = send(
            client()
                .post(token_url(&emulator))
                .basic_auth(
                    DEFAULT_SERVICE_PRINCIPAL_ID,
                    Some(DEFAULT_SERVICE_PRINCIPAL_SECRET),
                )
                .form(&[("grant_type", "client_credentials")]),
        )
        .await;
        tokens.push(json_of(response).await["access_token"].clone());
    }
    assert_ne!(tokens[0], tokens[1]);
    emulator.shutdown().await;
}

#[tokio::test]
async fn requested_scopes_are_echoed() {
    let emulator = start().await;
    let response = send(
        client()
            .post(token_url(&emulator))
            .basic_auth(
                DEFAULT_SERVICE_PRINCIPAL_ID,
                Some(DEFAULT_SERVICE_PRINCIPAL_SECRET),
            )
            .form(&[
                ("grant_type", "client_credentials"),
                ("scope", "clusters  unity-catalog:read"),
            ]),
    )
    .await;
    let body = json_of(response).await;
    assert_eq!(body["scope"], "clusters unity-catalog:read");
    let token = body["access_token"].as_str().expect("access_token");
    assert_eq!(jwt_claims(token)["scope"], "clusters unity-catalog:read");
    emulator.shutdown().await;
}

#[tokio::test]
async fn token_lifetime_comes_from_fixture() {
    let mut fixture = Fixture::default_fixture();
    fixture.workspace.oauth_token_ttl_seconds = 120;
    let emulator = start_with(fixture).await;
    let response = send(
        client()
            .post(token_url(&emulator))
            .basic_auth(
                DEFAULT_SERVICE_PRINCIPAL_ID,
                Some(DEFAULT_SERVICE_PRINCIPAL_SECRET),
            )
            .form(&[("grant_type", "client_credentials")]),
    )
    .await;
    let body = json_of(response).await;
    assert_eq!(body["expires_in"], 120);
    let claims = jwt_claims(body["access_token"].as_str().expect("access_token"));
    let lifetime = claims["exp"].as_i64().expect("exp") - claims["iat"].as_i64().expect("iat");
    assert_eq!(lifetime, 120);
    emulator.shutdown().await;
}

#[tokio::test]
async fn percent_encoded_basic_credentials_are_accepted() {
    let fixture = Fixture::from_toml_str(
        r#"
        [workspace]
        workspace_id = "42"
        [[service_principals]]
        application_id = "0b7a5d52-0000-4000-8000-000000000002"
        display_name = "Encoded"
        id = "9"
        secret = "s3c+r/t=x"
        "#,
    )
    .expect("valid fixture");
    let emulator = start_with(fixture).await;
    for secret in ["s3c+r/t=x", "s3c%2Br%2Ft%3Dx"] {
        let response = send(
            client()
                .post(token_url(&emulator))
                .basic_auth("0b7a5d52-0000-4000-8000-000000000002", Some(secret))
                .form(&[("grant_type", "client_credentials")]),
        )
        .await;
        assert_eq!(response.status(), 200, "secret sent as {secret}");
    }
    emulator.shutdown().await;
}

#[tokio::test]
async fn wrong_secret_is_invalid_client() {
    let emulator = start().await;
    let response = send(
        client()
            .post(token_url(&emulator))
            .basic_auth(DEFAULT_SERVICE_PRINCIPAL_ID, Some("wrong-secret"))
            .form(&[("grant_type", "client_credentials")]),
    )
    .await;
    assert_eq!(response.status(), 401);
    assert!(content_type(&response).starts_with("application/json"));
    let body = json_of(response).await;
    assert_eq!(body["error"], "invalid_client");
    assert_eq!(body["error_description"], "Client authentication failed");
    emulator.shutdown().await;
}

#[tokio::test]
async fn missing_client_credentials_are_invalid_client() {
    let emulator = start().await;
    let response = send(client().post(token_url(&emulator)).form(&[
        ("grant_type", "client_credentials"),
        ("client_id", DEFAULT_SERVICE_PRINCIPAL_ID),
    ]))
    .await;
    assert_eq!(response.status(), 401);
    assert_eq!(json_of(response).await["error"], "invalid_client");
    emulator.shutdown().await;
}

#[tokio::test]
async fn deactivated_service_principal_is_invalid_client() {
    let emulator = start().await;
    let (status, _) = common::control_post(
        &emulator,
        &format!("/users/{DEFAULT_SERVICE_PRINCIPAL_ID}/deactivate"),
        &Value::Null,
    )
    .await;
    assert_eq!(status, 200);
    let response = send(
        client()
            .post(token_url(&emulator))
            .basic_auth(
                DEFAULT_SERVICE_PRINCIPAL_ID,
                Some(DEFAULT_SERVICE_PRINCIPAL_SECRET),
            )
            .form(&[("grant_type", "client_credentials")]),
    )
    .await;
    assert_eq!(response.status(), 401);
    emulator.shutdown().await;
}

#[tokio::test]
async fn other_grant_type_is_unsupported() {
    let emulator = start().await;
    let response = send(
        client()
            .post(token_url(&emulator))
            .basic_auth(
                DEFAULT_SERVICE_PRINCIPAL_ID,
                Some(DEFAULT_SERVICE_PRINCIPAL_SECRET),
            )
            .form(&[("grant_type", "password")]),
    )
    .await;
    assert_eq!(response.status(), 400);
    assert!(content_type(&response).starts_with("application/json"));
    assert_eq!(json_of(response).await["error"], "unsupported_grant_type");
    emulator.shutdown().await;
}

#[tokio::test]
async fn missing_grant_type_is_invalid_request() {
    let emulator = start().await;
    let response = send(
        client()
            .post(token_url(&emulator))
            .basic_auth(
                DEFAULT_SERVICE_PRINCIPAL_ID,
                Some(DEFAULT_SERVICE_PRINCIPAL_SECRET),
            )
            .form(&[("scope", "all-apis")]),
    )
    .await;
    assert_eq!(response.status(), 400);
    let body = json_of(response).await;
    assert_eq!(body["error"], "invalid_request");
    assert!(body["error_description"].is_string());
    emulator.shutdown().await;
}
