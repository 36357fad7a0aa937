//! Cross-site request forgery: a form on another site cannot change data through any route, while
//! the app's own page can; CORS headers appear only for configured origins.

mod common;

use common::{TestApp, assert_error, json_body};
use reqwest::header::{CONTENT_TYPE, ORIGIN};
use serde_json::{Value, json};

const EVIL_ORIGIN: &str = "https://evil.example.net";
const FORM: &str = "application/x-www-form-urlencoded";
const SCIM_USERS_ROUTE: &str = "GET /api/2.0/preview/scim/v2/Users";
const INVOCATIONS_ROUTE: &str = "POST /serving-endpoints/{name}/invocations";

/// A state-changing route, the user allowed to call it, and the JSON body it takes.
struct Route {
    method: reqwest::Method,
    path: &'static str,
    token: &'static str,
    body: Value,
}

fn state_changing_routes() -> Vec<Route> {
    vec![
        Route {
            method: reqwest::Method::POST,
            path: "/api/preferences",
            token: "dapi-alice-dev",
            body: json!({ "preference_key": "theme", "preference_value": "dark" }),
        },
        Route {
            method: reqwest::Method::DELETE,
            path: "/api/preferences/kept",
            token: "dapi-alice-dev",
            body: Value::Null,
        },
        Route {
            method: reqwest::Method::POST,
            path: "/api/model-serving/invoke",
            token: "dapi-alice-dev",
            body: json!({ "endpoint_name": "echo", "inputs": { "dataframe_records": [{ "x": 1 }] } }),
        },
        Route {
            method: reqwest::Method::POST,
            path: "/api/admin/cleanup?dry_run=true",
            token: "dapi-carol-dev",
            body: Value::Null,
        },
    ]
}

async fn start() -> TestApp {
    let app = TestApp::builder()
        .env("ADMIN_USERS", "carol@example.com")
        .start()
        .await;
    let kept = json!({ "preference_key": "kept", "preference_value": 1 });
    let response = app
        .post_json("/api/preferences", Some("dapi-alice-dev"), &kept)
        .await;
    assert_eq!(response.status(), 201, "seed preference saved");
    app
}

/// Everything a forged request could change: alice's preferences, her invocation log, and the
/// emulator's counts of invocations and of the retention job's user lookups.
async fn observable_state(app: &TestApp) -> (Value, Value, u64, u64) {
    let preferences = json_body(app.get("/api/preferences", Some("dapi-alice-dev")).await).await;
    let keys: Value = preferences
        .as_array()
        .expect("a list of preferences")
        .iter()
        .map(|row| row["preference_key"].clone())
        .collect();
    let logs = json_body(
        app.get("/api/model-serving/logs", Some("dapi-alice-dev"))
            .await,
    )
    .await;
    (
        keys,
        logs["total_count"].clone(),
        app.upstream_calls(INVOCATIONS_ROUTE).await,
        app.upstream_calls(SCIM_USERS_ROUTE).await,
    )
}

fn own_origin(app: &TestApp) -> String {
    app.base_url.clone()
}

#[tokio::test]
async fn cross_site_form_post_changes_nothing() {
    let app = start().await;
    let before = observable_state(&app).await;

    for route in state_changing_routes() {
        for method in [route.method.clone(), reqwest::Method::POST] {
            let response = app
                .http
                .request(method.clone(), app.url(route.path))
                .header("x-forwarded-access-token", route.token)
                .header(ORIGIN, EVIL_ORIGIN)
                .header("sec-fetch-site", "cross-site")
                .header(CONTENT_TYPE, FORM)
                .body("preference_key=theme&preference_value=dark")
                .send()
                .await
                .expect("request to the app");
            let body = assert_error(response, 403, "CSRF_REJECTED").await;
            assert!(
                body["detail"]
                    .as_str()
                    .is_some_and(|d| d.contains("Cross-site")),
                "{method} {}: {body}",
                route.path
            );
        }
    }

    assert_eq!(observable_state(&app).await, before);
}

#[tokio::test]
async fn form_post_without_fetch_metadata_is_rejected() {
    let app = start().await;
    let before = observable_state(&app).await;

    for route in state_changing_routes() {
        for (origin, expected_detail) in [(Some(EVIL_ORIGIN), "Origin"), (None, "application/json")]
        {
            let mut request = app
                .http
                .request(route.method.clone(), app.url(route.path))
                .header("x-forwarded-access-token", route.token)
                .header(CONTENT_TYPE, FORM)
                .body("a=1");
            if let Some(origin) = origin {
                request = request.header(ORIGIN, origin);
            }
            let response = request.send().await.expect("request to the app");
            let body = assert_error(response, 403, "CSRF_REJECTED").await;
            assert!(
                body["detail"]
                    .as_str()
                    .is_some_and(|d| d.contains(expected_detail)),
                "{} {} with origin {origin:?}: {body}",
                route.method,
                route.path
            );
        }
    }

    assert_eq!(observable_state(&app).await, before);
}

#[tokio::test]
async fn cross_site_json_is_rejected() {
    let app = start().await;
    let before = observable_state(&app).await;

    for route in state_changing_routes() {
        let response = app
            .http
            .request(route.method.clone(), app.url(route.path))
            .header("x-forwarded-access-token", route.token)
            .header(ORIGIN, EVIL_ORIGIN)
            .json(&route.body)
            .send()
            .await
            .expect("request to the app");
        assert_error(response, 403, "CSRF_REJECTED").await;
    }

    assert_eq!(observable_state(&app).await, before);
}

#[tokio::test]
async fn same_origin_page_succeeds() {
    let app = start().await;
    let expected_status = [201, 204, 200, 200];

    for (route, expected) in state_changing_routes().into_iter().zip(expected_status) {
        let mut request = app
            .http
            .request(route.method.clone(), app.url(route.path))
            .header("x-forwarded-access-token", route.token)
            .header(ORIGIN, own_origin(&app))
            .header("sec-fetch-site", "same-origin");
        if !route.body.is_null() {
            request = request.json(&route.body);
        }
        let response = request.send().await.expect("request to the app");
        assert_eq!(
            response.status(),
            expected,
            "{} {}: {}",
            route.method,
            route.path,
            response.text().await.unwrap_or_default()
        );
    }

    let (keys, log_count, invocations, _) = observable_state(&app).await;
    assert_eq!(keys, json!(["theme"]));
    assert_eq!(log_count, 1);
    assert_eq!(invocations, 1);
}

#[tokio::test]
async fn origin_is_compared_with_forwarded_host() {
    let app = start().await;
    let body = json!({ "preference_key": "proxied", "preference_value": true });

    let response = app
        .http
        .post(app.url("/api/preferences"))
        .header("x-forwarded-access-token", "dapi-alice-dev")
        .header("x-forwarded-host", "my-app-1234.aws.databricksapps.com")
        .header(ORIGIN, "https://my-app-1234.aws.databricksapps.com")
        .header("sec-fetch-site", "same-origin")
        .json(&body)
        .send()
        .await
        .expect("request to the app");
    assert_eq!(response.status(), 201);

    let response = app
        .http
        .post(app.url("/api/preferences"))
        .header("x-forwarded-access-token", "dapi-alice-dev")
        .header("x-forwarded-host", "my-app-1234.aws.databricksapps.com")
        .header(ORIGIN, own_origin(&app))
        .json(&body)
        .send()
        .await
        .expect("request to the app");
    assert_error(response, 403, "CSRF_REJECTED").await;
}

#[tokio::test]
async fn sibling_app_is_rejected() {
    let app = start().await;

    let response = app
        .http
        .post(app.url("/api/preferences"))
        .header("x-forwarded-access-token", "dapi-alice-dev")
        .header("sec-fetch-site", "same-site")
        .json(&json!({ "preference_key": "x", "preference_value": 1 }))
        .send()
        .await
        .expect("request to the app");

    assert_error(response, 403, "CSRF_REJECTED").await;
}

#[tokio::test]
async fn delete_without_content_type_succeeds() {
    let app = start().await;

    let response = app
        .delete("/api/preferences/kept", Some("dapi-alice-dev"))
        .await;

    assert_eq!(response.status(), 204);
}

#[tokio::test]
async fn no_cors_headers_without_allowlist() {
    let app = start().await;

    let preflight = app
        .http
        .request(reqwest::Method::OPTIONS, app.url("/api/preferences"))
        .header(ORIGIN, EVIL_ORIGIN)
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "content-type")
        .send()
        .await
        .expect("request to the app");
    let read = app
        .http
        .get(app.url("/api/preferences"))
        .header("x-forwarded-access-token", "dapi-alice-dev")
        .header(ORIGIN, EVIL_ORIGIN)
        .send()
        .await
        .expect("request to the app");

    for response in [preflight, read] {
        let cors_headers: Vec<&str> = response
            .headers()
            .keys()
            .map(reqwest::header::HeaderName::as_str)
            .filter(|name| name.starts_with("access-control-"))
            .collect();
        assert!(cors_headers.is_empty(), "{cors_headers:?}");
    }
}

#[tokio::test]
async fn allowlisted_origin_gets_cors_headers() {
    let portal = "https://portal.example.com";
    let app = TestApp::builder()
        .env(
            "CORS_ALLOWED_ORIGINS",
            &format!("{portal}, https://other.example.com"),
        )
        .start()
        .await;

    let preflight = app
        .http
        .request(reqwest::Method::OPTIONS, app.url("/api/preferences"))
        .header(ORIGIN, portal)
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "content-type")
        .send()
        .await
        .expect("request to the app");
    assert!(preflight.status().is_success(), "{}", preflight.status());
    assert_eq!(
        preflight.headers()["access-control-allow-origin"],
        portal,
        "{:?}",
        preflight.headers()
    );
    assert_eq!(
        preflight.headers()["access-control-allow-credentials"],
        "true"
    );

    let allowed = app
        .http
        .post(app.url("/api/preferences"))
        .header("x-forwarded-access-token", "dapi-alice-dev")
        .header(ORIGIN, portal)
        .header("sec-fetch-site", "cross-site")
        .json(&json!({ "preference_key": "from-portal", "preference_value": 1 }))
        .send()
        .await
        .expect("request to the app");
    assert_eq!(allowed.status(), 201);
    assert_eq!(allowed.headers()["access-control-allow-origin"], portal);

    let other = app
        .http
        .post(app.url("/api/preferences"))
        .header("x-forwarded-access-token", "dapi-alice-dev")
        .header(ORIGIN, EVIL_ORIGIN)
        .json(&json!({ "preference_key": "from-evil", "preference_value": 1 }))
        .send()
        .await
        .expect("request to the app");
    assert!(other.headers().get("access-control-allow-origin").is_none());
    assert_error(other, 403, "CSRF_REJECTED").await;
}

#[tokio::test]
async fn invalid_allowlist_is_a_config_error() {
    let problems = app_server::config::Config::from_lookup(|name| match name {
        "DATABRICKS_HOST" => Some("https://adb-1.azuredatabricks.net".to_owned()),
        "CORS_ALLOWED_ORIGINS" => {
            Some("https://ok.example.com, *, https://x.example.com/path".to_owned())
        }
        _ => None,
    })
    .expect_err("the allowlist is invalid")
    .problems;

    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(
        problems
            .iter()
            .all(|p| p.starts_with("CORS_ALLOWED_ORIGINS is invalid")),
        "{problems:?}"
    );
}
