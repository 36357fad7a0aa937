//! The files of the Swagger UI page under `/docs`: their cache rule and the error for a missing one.

mod common;

use common::{TestApp, assert_error};

fn cache_control(response: &reqwest::Response) -> Option<&str> {
    response
        .headers()
        .get("cache-control")
        .map(|value| value.to_str().expect("ASCII header"))
}

#[tokio::test]
async fn docs_files_are_revalidated() {
    let app = TestApp::start().await;

    for path in [
        "/docs/",
        "/docs/index.css",
        "/docs/swagger-ui.css",
        "/docs/swagger-ui-bundle.js",
        "/docs/swagger-initializer.js",
    ] {
        let response = app.get(path, None).await;
        assert_eq!(response.status(), 200, "{path}");
        assert_eq!(cache_control(&response), Some("no-cache"), "{path}");
    }
}

#[tokio::test]
async fn missing_docs_file_is_json_not_found() {
    let app = TestApp::start().await;

    for path in ["/docs/missing.js", "/docs/%3Cscript%3E"] {
        let response = app.get(path, None).await;
        assert_eq!(cache_control(&response), Some("no-cache"), "{path}");
        assert_eq!(
            response
                .headers()
                .get("content-type")
                .and_then(|value| value.to_str().ok()),
            Some("application/json"),
            "{path}"
        );
        let body = assert_error(response, 404, "NOT_FOUND").await;
        let detail = body["detail"].as_str().expect("detail");
        assert!(!detail.contains("script"), "input echoed: {detail}");
    }
}
