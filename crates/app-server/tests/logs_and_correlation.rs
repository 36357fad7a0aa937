//! Correlation IDs on responses and log lines, and no secret in any log line.
//!
//! One test binary shares one global log capture, so each test finds its own lines by its own
//! correlation ID.

mod common;

use std::sync::OnceLock;

use common::logs::CapturedLogs;
use common::{TestApp, assert_error};
use serde_json::Value;

fn logs() -> &'static CapturedLogs {
    static LOGS: OnceLock<CapturedLogs> = OnceLock::new();
    LOGS.get_or_init(CapturedLogs::install_global)
}

fn lines_with_correlation_id(id: &str) -> Vec<Value> {
    logs()
        .lines()
        .into_iter()
        .filter(|line| line["span"]["correlation_id"] == id)
        .collect()
}

fn correlation_header(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("x-correlation-id")
        .expect("X-Correlation-ID on the response")
        .to_str()
        .expect("ASCII correlation ID")
        .to_owned()
}

#[tokio::test]
async fn generated_id_is_uuid_v4() {
    logs();
    let app = TestApp::start().await;

    let response = app.get("/api/health", None).await;

    let id = correlation_header(&response);
    let uuid = uuid::Uuid::parse_str(&id).expect("a UUID");
    assert_eq!(uuid.get_version_num(), 4);
}

#[tokio::test]
async fn valid_id_is_kept_and_invalid_replaced() {
    logs();
    let app = TestApp::start().await;
    let too_long = "a".repeat(129);

    let cases = [
        ("req-123:abc.DEF_9", true),
        (&"b".repeat(128)[..], true),
        (too_long.as_str(), false),
        ("has space", false),
        ("semi;colon", false),
        ("<script>", false),
    ];
    for (sent, kept) in cases {
        let response = app
            .http
            .get(app.url("/api/health"))
            .header("x-correlation-id", sent)
            .send()
            .await
            .expect("request");
        let id = correlation_header(&response);
        if kept {
            assert_eq!(id, sent);
        } else {
            assert_ne!(id, sent);
            assert!(
                uuid::Uuid::parse_str(&id).is_ok(),
                "replacement {id} is a UUID"
            );
        }
    }
}

#[test]
fn newline_is_never_a_safe_id() {
    assert!(!app_server::http::correlation::is_safe("abc\ndef"));
    assert!(!app_server::http::correlation::is_safe("abc\r"));
    assert!(!app_server::http::correlation::is_safe(""));
    assert!(app_server::http::correlation::is_safe("abc-1"));
}

#[tokio::test]
async fn platform_request_id_is_adopted() {
    logs();
    let app = TestApp::start().await;
    let request_id = "6c5d8e1a-9f0b-4a4e-8f43-2d1f0e7b9a11";

    let response = app
        .http
        .get(app.url("/api/health"))
        .header("x-request-id", request_id)
        .send()
        .await
        .expect("request");
    assert_eq!(correlation_header(&response), request_id);

    let both = app
        .http
        .get(app.url("/api/health"))
        .header("x-request-id", request_id)
        .header("x-correlation-id", "client-chosen")
        .send()
        .await
        .expect("request");
    assert_eq!(correlation_header(&both), "client-chosen");
}

#[tokio::test]
async fn error_body_and_header_carry_the_id() {
    logs();
    let app = TestApp::start().await;

    let response = app
        .http
        .get(app.url("/api/preferences"))
        .header("x-correlation-id", "error-case-1")
        .send()
        .await
        .expect("request");

    assert_eq!(correlation_header(&response), "error-case-1");
    let body = assert_error(response, 401, "AUTH_MISSING").await;
    assert_eq!(body["correlation_id"], "error-case-1");
}

#[tokio::test]
async fn every_log_line_of_a_request_carries_id_and_mode() {
    logs();
    let app = TestApp::start().await;

    let response = app
        .http
        .get(app.url("/api/user/me"))
        .header("x-correlation-id", "log-lines-sp-1")
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 200);

    let lines = lines_with_correlation_id("log-lines-sp-1");
    assert!(
        lines.len() >= 2,
        "expected the fallback line and the access line, got {lines:?}"
    );
    for line in &lines {
        assert_eq!(line["span"]["auth.mode"], "service_principal", "{line}");
    }
    assert!(
        lines
            .iter()
            .any(|line| line["message"] == "request completed"),
        "{lines:?}"
    );
    assert!(
        lines.iter().any(|line| line["message"]
            .as_str()
            .is_some_and(|m| m.contains("service principal"))),
        "{lines:?}"
    );

    let completed_without_id = logs()
        .lines()
        .into_iter()
        .filter(|line| line["message"] == "request completed")
        .filter(|line| !line["span"]["correlation_id"].is_string())
        .count();
    assert_eq!(completed_without_id, 0);
}

#[tokio::test]
async fn obo_request_logs_obo_mode() {
    logs();
    let app = TestApp::start().await;

    let response = app
        .http
        .get(app.url("/api/user/me"))
        .header("x-correlation-id", "log-lines-obo-1")
        .header("x-forwarded-access-token", "dapi-alice-dev")
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 200);

    let lines = lines_with_correlation_id("log-lines-obo-1");
    assert!(!lines.is_empty());
    for line in &lines {
        assert_eq!(line["span"]["auth.mode"], "obo", "{line}");
    }
}

#[tokio::test]
async fn no_secret_appears_in_logs() {
    logs();
    let app = TestApp::start().await;
    let minted = app.mint_token("alice@example.com", 600).await;
    let expired = app.mint_token("bob@example.com", -10).await;

    for token in [
        Some("dapi-alice-dev"),
        Some("dapi-unknown-secret"),
        Some(minted.as_str()),
        Some(expired.as_str()),
        None,
    ] {
        app.get("/api/user/me", token).await;
        app.get("/api/preferences", token).await;
        app.post_json(
            "/api/preferences",
            token,
            &serde_json::json!({"preference_key": "k", "preference_value": "v"}),
        )
        .await;
    }

    let text = logs().text();
    assert!(!text.is_empty(), "the capture must have seen log lines");
    for secret in [
        "dapi-alice-dev",
        "dapi-unknown-secret",
        minted.as_str(),
        expired.as_str(),
        workspace_emulator::DEFAULT_SERVICE_PRINCIPAL_SECRET,
    ] {
        assert!(!text.contains(secret), "a secret leaked into the logs");
    }
    let jwt_lines: Vec<&str> = text.lines().filter(|line| line.contains("eyJ")).collect();
    assert!(
        jwt_lines.is_empty(),
        "a JWT-shaped value leaked into the logs: {jwt_lines:?}"
    );
}
