//! Security headers on every kind of response, and the cache rules of API and static responses.

mod common;

use app_server::http::security_headers::CONTENT_SECURITY_POLICY;
use common::TestApp;

const INDEX: &str = "<!doctype html><title>app</title><script type=\"module\" src=\"/assets/index-abc123.js\"></script>";

fn built_front_end() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("create a temporary folder");
    std::fs::create_dir(dir.path().join("assets")).expect("create assets/");
    std::fs::write(dir.path().join("index.html"), INDEX).expect("write index.html");
    std::fs::write(dir.path().join("assets/index-abc123.js"), "console.log(1)")
        .expect("write a hashed asset");
    dir
}

async fn start() -> (TestApp, tempfile::TempDir) {
    let dir = built_front_end();
    let static_dir = dir.path().to_str().expect("UTF-8 path").to_owned();
    let app = TestApp::builder()
        .env("STATIC_DIR", &static_dir)
        .start()
        .await;
    (app, dir)
}

fn header<'a>(response: &'a reqwest::Response, name: &str) -> Option<&'a str> {
    response
        .headers()
        .get(name)
        .map(|value| value.to_str().expect("ASCII header"))
}

#[tokio::test]
async fn every_response_has_browser_headers() {
    let (app, _dir) = start().await;
    let cases = [
        ("/api/health", None, 200),
        ("/api/preferences", Some("dapi-alice-dev"), 200),
        ("/api/preferences", None, 401),
        ("/api/nothing-here", None, 404),
        ("/", None, 200),
        ("/assets/index-abc123.js", None, 200),
        ("/assets/index-old.js", None, 404),
        ("/metrics", None, 200),
    ];

    for (path, token, status) in cases {
        let response = app.get(path, token).await;
        assert_eq!(response.status(), status, "{path}");
        assert_eq!(
            header(&response, "x-content-type-options"),
            Some("nosniff"),
            "{path}"
        );
        assert_eq!(
            header(&response, "content-security-policy"),
            Some(CONTENT_SECURITY_POLICY),
            "{path}"
        );
        assert_eq!(
            header(&response, "referrer-policy"),
            Some("same-origin"),
            "{path}"
        );
        assert_eq!(
            header(&response, "x-frame-options"),
            Some("SAMEORIGIN"),
            "{path}"
        );
    }
}

#[test]
fn policy_allows_no_inline_script() {
    let directives: Vec<&str> = CONTENT_SECURITY_POLICY.split("; ").collect();

    assert!(directives.contains(&"script-src 'self'"), "{directives:?}");
    assert!(
        directives.contains(&"frame-ancestors 'self'"),
        "{directives:?}"
    );
    assert!(!CONTENT_SECURITY_POLICY.contains("unsafe-inline"));
    assert!(!CONTENT_SECURITY_POLICY.contains("unsafe-eval"));
}

#[tokio::test]
async fn api_responses_are_not_stored() {
    let (app, _dir) = start().await;

    for (path, token) in [
        ("/api/preferences", Some("dapi-alice-dev")),
        ("/api/user/me", Some("dapi-alice-dev")),
        ("/api/auth/status", None),
        ("/api/preferences/missing", Some("dapi-alice-dev")),
    ] {
        let response = app.get(path, token).await;
        assert_eq!(
            header(&response, "cache-control"),
            Some("no-store"),
            "{path}"
        );
    }
}

#[tokio::test]
async fn static_cache_rules_are_kept() {
    let (app, _dir) = start().await;

    let asset = app.get("/assets/index-abc123.js", None).await;
    assert_eq!(
        header(&asset, "cache-control"),
        Some("public, max-age=31536000, immutable")
    );
    let page = app.get("/catalog", None).await;
    assert_eq!(header(&page, "cache-control"), Some("no-cache"));
}

#[tokio::test]
async fn built_in_page_allows_only_its_own_style() {
    let app = TestApp::builder()
        .env("STATIC_DIR", "/nonexistent-front-end")
        .start()
        .await;

    let response = app.get("/", None).await;

    let policy = header(&response, "content-security-policy")
        .expect("a policy")
        .to_owned();
    assert!(
        policy.starts_with("default-src 'none'; style-src 'sha256-"),
        "{policy}"
    );
    assert!(!policy.contains("script-src"), "{policy}");
    let page = response.text().await.expect("page");
    assert!(
        page.contains("<style>"),
        "the built-in page has its own style element"
    );
}
