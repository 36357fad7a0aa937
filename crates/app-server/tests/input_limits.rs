//! Limits on headers, URIs and bodies, over HTTP/1.1 and h2c: what is served and what gets a
//! clear 4xx.

mod common;

use app_server::http::limits::{MAX_HEADER_BYTES, MAX_URI_BYTES};
use common::{TestApp, assert_error, json_body};
use reqwest::header::{CONTENT_TYPE, COOKIE};
use serde_json::json;

/// Returns a 12 KiB token in the JWT shape: three base64url parts.
fn large_token() -> String {
    format!("eyJhbGciOiJSUzI1NiJ9.{}.c2ln", "A".repeat(12 * 1024))
}

/// About 4 KiB of cookies, as a browser sends for the workspace's domain.
fn cookies() -> String {
    (0..8)
        .map(|i| format!("cookie{i}={}", "v".repeat(500)))
        .collect::<Vec<_>>()
        .join("; ")
}

fn clients() -> [(&'static str, reqwest::Client); 2] {
    [
        (
            "HTTP/1.1",
            reqwest::Client::builder()
                .http1_only()
                .build()
                .expect("client"),
        ),
        (
            "h2c",
            reqwest::Client::builder()
                .http2_prior_knowledge()
                .build()
                .expect("client"),
        ),
    ]
}

#[tokio::test]
async fn large_token_and_cookies_are_served() {
    let app = TestApp::start().await;

    for (protocol, client) in clients() {
        let health = client
            .get(app.url("/api/health"))
            .header("x-forwarded-access-token", large_token())
            .header(COOKIE, cookies())
            .send()
            .await
            .expect("request to the app");
        assert_eq!(health.status(), 200, "{protocol}");

        let status = client
            .get(app.url("/api/auth/status"))
            .header("x-forwarded-access-token", large_token())
            .header(COOKIE, cookies())
            .send()
            .await
            .expect("request to the app");
        assert_error(status, 401, "AUTH_INVALID").await;
    }
}

#[tokio::test]
async fn header_block_over_limit_gets_json_431() {
    let app = TestApp::start().await;
    let cookie_header = format!("big={}", "c".repeat(MAX_HEADER_BYTES));

    for (protocol, client) in clients() {
        let response = client
            .get(app.url("/api/health"))
            .header(COOKIE, &cookie_header)
            .send()
            .await
            .expect("request to the app");
        let body = assert_error(response, 431, "HEADERS_TOO_LARGE").await;
        assert!(
            body["detail"]
                .as_str()
                .is_some_and(|d| d.contains("cookies")),
            "{protocol}: {body}"
        );
    }
}

#[tokio::test]
async fn absurd_header_block_gets_empty_431() {
    let app = TestApp::start().await;
    let client = reqwest::Client::builder()
        .http1_only()
        .build()
        .expect("client");

    let response = client
        .get(app.url("/api/health"))
        .header(COOKIE, format!("huge={}", "x".repeat(512 * 1024)))
        .send()
        .await
        .expect("request to the app");

    assert_eq!(response.status(), 431);
    assert_eq!(response.text().await.expect("body"), "");
}

#[tokio::test]
async fn too_many_headers_get_431() {
    let app = TestApp::start().await;
    let mut request = app.http.get(app.url("/api/health"));
    for i in 0..120 {
        request = request.header(format!("x-filler-{i}"), "1");
    }

    let response = request.send().await.expect("request to the app");

    assert_eq!(response.status(), 431);
}

#[tokio::test]
async fn long_uri_gets_json_414() {
    let app = TestApp::start().await;
    let token = "a".repeat(MAX_URI_BYTES);

    let response = app
        .get(
            &format!("/api/unity-catalog/catalogs?page_token={token}"),
            Some("dapi-alice-dev"),
        )
        .await;

    assert_error(response, 414, "URI_TOO_LONG").await;
}

#[tokio::test]
async fn longest_page_token_fits_uri_limit() {
    let app = TestApp::start().await;
    let token = "%2B".repeat(4_096);

    let response = app
        .get(
            &format!("/api/unity-catalog/catalogs?page_token={token}"),
            Some("dapi-alice-dev"),
        )
        .await;

    assert_ne!(
        response.status(),
        414,
        "a 4,096-character page_token fits the URI limit"
    );
    assert!(response.status().as_u16() < 500, "{}", response.status());
}

#[tokio::test]
async fn preference_body_over_route_limit_gets_413() {
    let app = TestApp::start().await;
    let body = json!({ "preference_key": "big", "preference_value": "x".repeat(40 * 1024) });

    let response = app
        .post_json("/api/preferences", Some("dapi-alice-dev"), &body)
        .await;

    assert_error(response, 413, "PAYLOAD_TOO_LARGE").await;
}

#[tokio::test]
async fn preference_value_over_limit_gets_422() {
    let app = TestApp::start().await;
    let body = json!({ "preference_key": "big", "preference_value": "x".repeat(10_001) });

    let response = app
        .post_json("/api/preferences", Some("dapi-alice-dev"), &body)
        .await;

    assert_error(response, 422, "VALIDATION_ERROR").await;
}

#[tokio::test]
async fn invoke_body_over_limit_gets_413() {
    let app = TestApp::start().await;
    let rows: Vec<_> = (0..3_000)
        .map(|i| json!({ "text": format!("row {i} {}", "y".repeat(20)) }))
        .collect();
    let body = json!({ "endpoint_name": "echo", "inputs": { "dataframe_records": rows } });

    let response = app
        .post_json("/api/model-serving/invoke", Some("dapi-alice-dev"), &body)
        .await;

    assert_error(response, 413, "PAYLOAD_TOO_LARGE").await;
}

#[tokio::test]
async fn deep_json_gets_400() {
    let app = TestApp::start().await;
    let value = format!("{}1{}", "[".repeat(70), "]".repeat(70));
    let body = format!(r#"{{"preference_key":"deep","preference_value":{value}}}"#);

    let response = app
        .http
        .post(app.url("/api/preferences"))
        .header("x-forwarded-access-token", "dapi-alice-dev")
        .header(CONTENT_TYPE, "application/json")
        .body(body)
        .send()
        .await
        .expect("request to the app");

    let error = assert_error(response, 400, "VALIDATION_ERROR").await;
    assert!(
        error["detail"]
            .as_str()
            .is_some_and(|d| d.contains("deeper than 64")),
        "{error}"
    );
}

#[tokio::test]
async fn nesting_within_limit_is_saved() {
    let app = TestApp::start().await;
    let value: serde_json::Value =
        serde_json::from_str(&format!("{}1{}", "[".repeat(60), "]".repeat(60))).expect("JSON");

    let response = app
        .post_json(
            "/api/preferences",
            Some("dapi-alice-dev"),
            &json!({ "preference_key": "nested", "preference_value": value }),
        )
        .await;

    assert_eq!(response.status(), 201);
    let saved = json_body(
        app.get("/api/preferences/nested", Some("dapi-alice-dev"))
            .await,
    )
    .await;
    assert_eq!(saved["preference_value"], value);
}

#[tokio::test]
async fn unknown_fields_are_rejected() {
    let app = TestApp::start().await;
    let cases = [
        (
            "/api/preferences",
            json!({ "preference_key": "k", "preference_value": 1, "user_id": "bob@example.com" }),
        ),
        (
            "/api/model-serving/invoke",
            json!({ "endpoint_name": "echo", "inputs": {}, "as_user": "bob@example.com" }),
        ),
    ];

    for (path, body) in cases {
        let response = app.post_json(path, Some("dapi-alice-dev"), &body).await;
        let error = assert_error(response, 422, "VALIDATION_ERROR").await;
        assert!(
            error["detail"]
                .as_str()
                .is_some_and(|d| d.contains("unknown field")),
            "{path}: {error}"
        );
    }
}

#[tokio::test]
async fn unknown_query_parameters_are_rejected() {
    let app = TestApp::start().await;

    for path in [
        "/api/unity-catalog/catalogs?max_results=5&owner=bob",
        "/api/model-serving/logs?limit=5&user_id=bob@example.com",
        "/api/model-serving/logs?limit=abc",
        "/api/model-serving/logs?offset=-1",
        "/api/unity-catalog/catalogs?max_results=1&max_results=2",
    ] {
        let response = app.get(path, Some("dapi-alice-dev")).await;
        assert_error(response, 400, "VALIDATION_ERROR").await;
    }
}

#[tokio::test]
async fn query_on_parameterless_routes_is_rejected() {
    let app = TestApp::start().await;

    for path in [
        "/api/preferences?x=1",
        "/api/preferences/theme?user_id=bob@example.com",
        "/api/user/me?debug=1",
        "/api/auth/status?x",
        "/api/model-serving/endpoints?%75ser=1",
        "/api/unity-catalog/tables/main.sales.orders?x=1",
    ] {
        let response = app.get(path, Some("dapi-alice-dev")).await;
        let body = assert_error(response, 400, "VALIDATION_ERROR").await;
        let detail = body["detail"].as_str().unwrap_or_default();
        assert!(
            detail.contains("accepts no query parameters"),
            "{path}: {detail}"
        );
    }
}

#[tokio::test]
async fn empty_query_and_probe_parameters_are_served() {
    let app = TestApp::start().await;

    for path in [
        "/api/user/me?",
        "/api/user/me?&",
        "/api/health?ts=1",
        "/api/ready?ts=1",
    ] {
        let response = app.get(path, Some("dapi-alice-dev")).await;
        assert_eq!(response.status(), 200, "{path}");
    }
}

#[tokio::test]
async fn negative_numbers_get_the_allowed_range() {
    let app = TestApp::start().await;

    for path in [
        "/api/model-serving/logs?limit=-1",
        "/api/model-serving/logs?offset=-5",
        "/api/unity-catalog/catalogs?max_results=-1",
    ] {
        let response = app.get(path, Some("dapi-alice-dev")).await;
        let body = assert_error(response, 400, "VALIDATION_ERROR").await;
        let detail = body["detail"].as_str().unwrap_or_default();
        assert!(
            detail.contains("whole number of 0 or more"),
            "{path}: {detail}"
        );
    }
}
