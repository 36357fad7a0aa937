//! `current_user` over HTTP against a stub server: request shape, error mapping and transport
//! failures.

use std::time::Duration;

use databricks_client::{
    AuthType, Credentials, ErrorKind, SecretString, Workspace, WorkspaceClient, WorkspaceOptions,
};
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const ME_PATH: &str = "/api/2.0/preview/scim/v2/Me";

fn user_client(base_url: &str, token: &str, options: WorkspaceOptions) -> WorkspaceClient {
    Workspace::new(base_url, options)
        .expect("stub server URL is a valid host")
        .client(Credentials::UserToken(SecretString::from(token)))
}

fn me_body() -> serde_json::Value {
    json!({
        "id": "1000012345",
        "userName": "alice@example.com",
        "displayName": "Alice Example",
        "active": true,
        "emails": [{"type": "work", "value": "alice@example.com", "primary": true}],
        "groups": [{"display": "users", "value": "11"}]
    })
}

async fn stub_me(server: &MockServer, response: ResponseTemplate) {
    Mock::given(method("GET"))
        .and(path(ME_PATH))
        .respond_with(response)
        .mount(server)
        .await;
}

#[tokio::test]
async fn current_user_parses_body_and_org_id() {
    let server = MockServer::start().await;
    stub_me(
        &server,
        ResponseTemplate::new(200)
            .set_body_json(me_body())
            .insert_header("X-Databricks-Org-Id", "900800700600"),
    )
    .await;
    let client = user_client(&server.uri(), "dapi-stub", WorkspaceOptions::default());

    let user = client.current_user().await.expect("stub returns a user");

    assert_eq!(client.auth_type(), AuthType::Pat);
    assert_eq!(user.id, "1000012345");
    assert_eq!(user.user_name, "alice@example.com");
    assert_eq!(user.display_name.as_deref(), Some("Alice Example"));
    assert_eq!(user.emails, ["alice@example.com"]);
    assert_eq!(user.groups, ["users"]);
    assert_eq!(user.workspace_id.as_deref(), Some("900800700600"));
}

#[tokio::test]
async fn user_token_request_headers() {
    let server = MockServer::start().await;
    stub_me(&server, ResponseTemplate::new(200).set_body_json(me_body())).await;
    let client = user_client(&server.uri(), "dapi-stub", WorkspaceOptions::default());

    client.current_user().await.expect("stub returns a user");

    let requests = server.received_requests().await.expect("recording is on");
    assert_eq!(requests.len(), 1);
    let headers = &requests[0].headers;
    let authorizations: Vec<_> = headers.get_all("authorization").iter().collect();
    assert_eq!(authorizations, ["Bearer dapi-stub"]);
    let user_agent = headers
        .get("user-agent")
        .and_then(|value| value.to_str().ok())
        .expect("User-Agent is sent");
    assert_eq!(
        user_agent,
        format!("databricks-obo-app-rs/{}", env!("CARGO_PKG_VERSION"))
    );
    assert_eq!(
        headers.get("accept").and_then(|value| value.to_str().ok()),
        Some("application/json")
    );
}

#[tokio::test]
async fn invalid_token_maps_to_403() {
    let server = MockServer::start().await;
    stub_me(
        &server,
        ResponseTemplate::new(403)
            .set_body_json(json!({"error_code": 403, "message": "Invalid access token."})),
    )
    .await;
    let client = user_client(&server.uri(), "dapi-unknown", WorkspaceOptions::default());

    let error = client
        .current_user()
        .await
        .expect_err("stub rejects the token");

    assert_eq!(error.kind, ErrorKind::Http);
    assert_eq!(error.status.map(|status| status.as_u16()), Some(403));
    assert_eq!(error.error_code.as_deref(), Some("403"));
    assert_eq!(error.message, "Invalid access token.");
    assert_eq!(error.to_string(), "403 403: Invalid access token.");
    assert!(!error.to_string().contains("dapi-unknown"));
}

#[tokio::test]
async fn rate_limit_carries_retry_after() {
    let server = MockServer::start().await;
    stub_me(
        &server,
        ResponseTemplate::new(429)
            .insert_header("Retry-After", "3")
            .set_body_json(json!({
                "error_code": "REQUEST_LIMIT_EXCEEDED",
                "message": "RPC token bucket limit has been exceeded."
            })),
    )
    .await;
    let client = user_client(&server.uri(), "dapi-stub", WorkspaceOptions::default());

    let error = client.current_user().await.expect_err("stub rate-limits");

    assert_eq!(error.error_code.as_deref(), Some("REQUEST_LIMIT_EXCEEDED"));
    assert_eq!(error.retry_after, Some(Duration::from_secs(3)));
}

#[tokio::test]
async fn scim_error_body_maps_to_scim_code() {
    let server = MockServer::start().await;
    stub_me(
        &server,
        ResponseTemplate::new(404).set_body_json(json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
            "detail": "User not found",
            "status": "404"
        })),
    )
    .await;
    let client = user_client(&server.uri(), "dapi-stub", WorkspaceOptions::default());

    let error = client.current_user().await.expect_err("stub returns 404");

    assert_eq!(error.error_code.as_deref(), Some("SCIM_404"));
    assert_eq!(error.message, "User not found");
}

#[tokio::test]
async fn empty_token_fails_without_request() {
    let server = MockServer::start().await;
    stub_me(&server, ResponseTemplate::new(200).set_body_json(me_body())).await;
    let client = user_client(&server.uri(), " ", WorkspaceOptions::default());

    let error = client.current_user().await.expect_err("empty token");

    assert_eq!(error.kind, ErrorKind::InvalidCredentials);
    assert_eq!(error.status, None);
    let requests = server.received_requests().await.expect("recording is on");
    assert!(requests.is_empty(), "{} requests sent", requests.len());
}

#[tokio::test]
async fn unexpected_success_body_is_decode_error() {
    let server = MockServer::start().await;
    stub_me(
        &server,
        ResponseTemplate::new(200).set_body_json(json!({"id": "1"})),
    )
    .await;
    let client = user_client(&server.uri(), "dapi-stub", WorkspaceOptions::default());

    let error = client
        .current_user()
        .await
        .expect_err("body lacks userName");

    assert_eq!(error.kind, ErrorKind::Decode);
    assert!(error.message.contains("userName"), "{}", error.message);
}

#[tokio::test]
async fn slow_response_is_timeout() {
    let server = MockServer::start().await;
    stub_me(
        &server,
        ResponseTemplate::new(200)
            .set_body_json(me_body())
            .set_delay(Duration::from_secs(5)),
    )
    .await;
    let options = WorkspaceOptions {
        request_timeout: Duration::from_millis(200),
        ..WorkspaceOptions::default()
    };
    let client = user_client(&server.uri(), "dapi-stub", options);

    let error = client.current_user().await.expect_err("stub is too slow");

    assert_eq!(error.kind, ErrorKind::Timeout);
    assert_eq!(error.status, None);
    assert!(error.message.contains(ME_PATH), "{}", error.message);
}

#[tokio::test]
async fn refused_connection_is_connect_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let address = listener.local_addr().expect("bound address");
    drop(listener);
    let client = user_client(
        &format!("http://{address}"),
        "dapi-stub",
        WorkspaceOptions::default(),
    );

    let error = client.current_user().await.expect_err("nothing listens");

    assert_eq!(error.kind, ErrorKind::Connect);
    assert!(error.to_string().starts_with("connect: "), "{error}");
}

#[tokio::test]
async fn redirect_is_not_followed() {
    let server = MockServer::start().await;
    stub_me(
        &server,
        ResponseTemplate::new(302).insert_header(
            "Location",
            "/login.html?error=private-link-validation-error",
        ),
    )
    .await;
    let client = user_client(&server.uri(), "dapi-stub", WorkspaceOptions::default());

    let error = client
        .current_user()
        .await
        .expect_err("redirect is an error");

    assert_eq!(error.status.map(|status| status.as_u16()), Some(302));
    let requests = server.received_requests().await.expect("recording is on");
    assert_eq!(requests.len(), 1);
}
