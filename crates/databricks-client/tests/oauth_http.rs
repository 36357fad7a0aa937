//! OAuth M2M against a stub server: discovery order, the token request and token caching.

use databricks_client::{
    AuthType, Credentials, ErrorKind, SecretString, Workspace, WorkspaceClient, WorkspaceOptions,
};
use serde_json::json;
use wiremock::matchers::{basic_auth, bearer_token, body_string, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const CLIENT_ID: &str = "6f1c2a3e-0000-4000-8000-00000000abcd";
const CLIENT_SECRET: &str = "stub-secret";
const ME_PATH: &str = "/api/2.0/preview/scim/v2/Me";

fn service_principal(server: &MockServer) -> WorkspaceClient {
    Workspace::new(&server.uri(), WorkspaceOptions::default())
        .expect("stub server URL is a valid host")
        .client(Credentials::ServicePrincipal {
            client_id: CLIENT_ID.to_owned(),
            client_secret: SecretString::from(CLIENT_SECRET),
        })
}

fn token_response(token: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "access_token": token,
        "token_type": "Bearer",
        "expires_in": 3600,
        "scope": "all-apis"
    }))
}

/// Mounts a client-credentials token endpoint at `token_path` that checks the request shape.
async fn stub_token_endpoint(server: &MockServer, token_path: &str, response: ResponseTemplate) {
    Mock::given(method("POST"))
        .and(path(token_path))
        .and(basic_auth(CLIENT_ID, CLIENT_SECRET))
        .and(header("content-type", "application/x-www-form-urlencoded"))
        .and(body_string("grant_type=client_credentials&scope=all-apis"))
        .respond_with(response)
        .mount(server)
        .await;
}

async fn stub_me_for_token(server: &MockServer, token: &str) {
    Mock::given(method("GET"))
        .and(path(ME_PATH))
        .and(bearer_token(token))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": "77",
            "userName": CLIENT_ID,
            "active": true
        })))
        .mount(server)
        .await;
}

async fn stub_not_found(server: &MockServer, not_found_path: &str) {
    Mock::given(method("GET"))
        .and(path(not_found_path))
        .respond_with(ResponseTemplate::new(404))
        .mount(server)
        .await;
}

async fn count_requests(server: &MockServer, request_method: &str, request_path: &str) -> usize {
    server
        .received_requests()
        .await
        .expect("recording is on")
        .iter()
        .filter(|request| {
            request.method.as_str() == request_method && request.url.path() == request_path
        })
        .count()
}

#[tokio::test]
async fn discovery_through_host_metadata() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/.well-known/databricks-config"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "oidc_endpoint": format!("{}/custom-oidc", server.uri()),
            "workspace_id": "111111111111111"
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/custom-oidc/.well-known/oauth-authorization-server"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "authorization_endpoint": format!("{}/custom-oidc/v1/authorize", server.uri()),
            "token_endpoint": format!("{}/custom-oidc/v1/token", server.uri())
        })))
        .mount(&server)
        .await;
    stub_token_endpoint(
        &server,
        "/custom-oidc/v1/token",
        token_response("sp-token-1"),
    )
    .await;
    stub_me_for_token(&server, "sp-token-1").await;
    let client = service_principal(&server);

    let user = client.current_user().await.expect("token and Me succeed");

    assert_eq!(client.auth_type(), AuthType::OAuthM2m);
    assert_eq!(user.user_name, CLIENT_ID);
    assert_eq!(
        count_requests(&server, "POST", "/custom-oidc/v1/token").await,
        1
    );
    assert_eq!(count_requests(&server, "POST", "/oidc/v1/token").await, 0);
}

#[tokio::test]
async fn discovery_falls_back_to_workspace_oidc() {
    let server = MockServer::start().await;
    stub_not_found(&server, "/.well-known/databricks-config").await;
    Mock::given(method("GET"))
        .and(path("/oidc/.well-known/oauth-authorization-server"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "token_endpoint": format!("{}/oidc/v2/token", server.uri())
        })))
        .mount(&server)
        .await;
    stub_token_endpoint(&server, "/oidc/v2/token", token_response("sp-token-2")).await;
    stub_me_for_token(&server, "sp-token-2").await;

    let user = service_principal(&server)
        .current_user()
        .await
        .expect("token and Me succeed");

    assert_eq!(user.user_name, CLIENT_ID);
    assert_eq!(count_requests(&server, "POST", "/oidc/v2/token").await, 1);
}

#[tokio::test]
async fn discovery_falls_back_to_default_token_path() {
    let server = MockServer::start().await;
    stub_not_found(&server, "/.well-known/databricks-config").await;
    stub_not_found(&server, "/oidc/.well-known/oauth-authorization-server").await;
    stub_token_endpoint(&server, "/oidc/v1/token", token_response("sp-token-3")).await;
    stub_me_for_token(&server, "sp-token-3").await;

    let user = service_principal(&server)
        .current_user()
        .await
        .expect("token and Me succeed");

    assert_eq!(user.user_name, CLIENT_ID);
    assert_eq!(count_requests(&server, "POST", "/oidc/v1/token").await, 1);
}

#[tokio::test]
async fn token_and_discovery_are_cached() {
    let server = MockServer::start().await;
    stub_not_found(&server, "/.well-known/databricks-config").await;
    stub_not_found(&server, "/oidc/.well-known/oauth-authorization-server").await;
    stub_token_endpoint(&server, "/oidc/v1/token", token_response("sp-token-4")).await;
    stub_me_for_token(&server, "sp-token-4").await;
    let client = service_principal(&server);
    let clone = client.clone();

    client.current_user().await.expect("first call succeeds");
    clone.current_user().await.expect("second call succeeds");
    client.current_user().await.expect("third call succeeds");

    assert_eq!(count_requests(&server, "POST", "/oidc/v1/token").await, 1);
    assert_eq!(
        count_requests(&server, "GET", "/.well-known/databricks-config").await,
        1
    );
    assert_eq!(count_requests(&server, "GET", ME_PATH).await, 3);
}

#[tokio::test]
async fn string_expires_in_is_accepted() {
    let server = MockServer::start().await;
    stub_not_found(&server, "/.well-known/databricks-config").await;
    stub_not_found(&server, "/oidc/.well-known/oauth-authorization-server").await;
    let response = ResponseTemplate::new(200).set_body_json(json!({
        "access_token": "sp-token-5",
        "expires_in": "3600",
        "scope": "all-apis",
        "token_type": "Bearer"
    }));
    stub_token_endpoint(&server, "/oidc/v1/token", response).await;
    stub_me_for_token(&server, "sp-token-5").await;
    let client = service_principal(&server);

    client.current_user().await.expect("first call succeeds");
    client.current_user().await.expect("second call succeeds");

    assert_eq!(count_requests(&server, "POST", "/oidc/v1/token").await, 1);
}

#[tokio::test]
async fn rejected_client_is_token_endpoint_error() {
    let server = MockServer::start().await;
    stub_not_found(&server, "/.well-known/databricks-config").await;
    stub_not_found(&server, "/oidc/.well-known/oauth-authorization-server").await;
    let response = ResponseTemplate::new(401).set_body_json(json!({
        "error": "invalid_client",
        "error_description": "Client authentication failed"
    }));
    stub_token_endpoint(&server, "/oidc/v1/token", response).await;

    let error = service_principal(&server)
        .current_user()
        .await
        .expect_err("client is rejected");

    assert_eq!(error.kind, ErrorKind::TokenEndpoint);
    assert_eq!(error.status.map(|status| status.as_u16()), Some(401));
    assert_eq!(error.error_code.as_deref(), Some("invalid_client"));
    assert!(
        error.message.contains("Client authentication failed"),
        "{}",
        error.message
    );
    assert!(!error.to_string().contains(CLIENT_SECRET), "{error}");
    assert_eq!(count_requests(&server, "GET", ME_PATH).await, 0);
}

#[tokio::test]
async fn unusable_token_response_is_token_endpoint_error() {
    let server = MockServer::start().await;
    stub_not_found(&server, "/.well-known/databricks-config").await;
    stub_not_found(&server, "/oidc/.well-known/oauth-authorization-server").await;
    let response = ResponseTemplate::new(200)
        .set_body_json(json!({"token_type": "Bearer", "expires_in": 3600}));
    stub_token_endpoint(&server, "/oidc/v1/token", response).await;

    let error = service_principal(&server)
        .current_user()
        .await
        .expect_err("no access_token");

    assert_eq!(error.kind, ErrorKind::TokenEndpoint);
    assert!(
        error.message.contains("access_token is missing"),
        "{}",
        error.message
    );
}

/// Mounts a token endpoint that returns `status` once, then `token`.
async fn stub_token_failing_once(server: &MockServer, status: u16, token: &str) {
    Mock::given(method("POST"))
        .and(path("/oidc/v1/token"))
        .respond_with(ResponseTemplate::new(status).set_body_string("unavailable"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(server)
        .await;
    stub_token_endpoint(server, "/oidc/v1/token", token_response(token)).await;
}

#[tokio::test]
async fn failed_token_request_is_retried_next_call() {
    let server = MockServer::start().await;
    stub_not_found(&server, "/.well-known/databricks-config").await;
    stub_not_found(&server, "/oidc/.well-known/oauth-authorization-server").await;
    stub_token_failing_once(&server, 500, "sp-token-6").await;
    stub_me_for_token(&server, "sp-token-6").await;
    let client = service_principal(&server);

    let error = client
        .current_user()
        .await
        .expect_err("first token request fails");
    let user = client
        .current_user()
        .await
        .expect("second token request succeeds");

    assert_eq!(error.status.map(|status| status.as_u16()), Some(500));
    assert_eq!(user.user_name, CLIENT_ID);
    assert_eq!(count_requests(&server, "POST", "/oidc/v1/token").await, 2);
}

#[tokio::test]
async fn unavailable_token_endpoint_is_retried_within_call() {
    let server = MockServer::start().await;
    stub_not_found(&server, "/.well-known/databricks-config").await;
    stub_not_found(&server, "/oidc/.well-known/oauth-authorization-server").await;
    stub_token_failing_once(&server, 503, "sp-token-7").await;
    stub_me_for_token(&server, "sp-token-7").await;

    let user = service_principal(&server)
        .current_user()
        .await
        .expect("the retry gets a token");

    assert_eq!(user.user_name, CLIENT_ID);
    assert_eq!(count_requests(&server, "POST", "/oidc/v1/token").await, 2);
}
