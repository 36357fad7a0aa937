//! The OpenAPI document at `/openapi.json`, its agreement with the routes the app serves, and the
//! Swagger UI page at `/docs`.

mod common;

use std::collections::BTreeSet;

use app_server::error::ErrorCode;
use common::{TestApp, json_body};
use serde_json::{Value, json};

/// The static token of a user of the default emulator fixture.
const BOB: &str = "dapi-bob-dev";

/// Every operation the API must document. A route removed from the router, or added without a
/// line here, fails `documented_operations_match_expected_list`.
const EXPECTED_OPERATIONS: [(&str, &str); 20] = [
    ("get", "/health"),
    ("get", "/api/health"),
    ("get", "/api/ready"),
    ("get", "/api/auth/status"),
    ("get", "/api/user/me"),
    ("get", "/api/user/me/workspace"),
    ("get", "/api/preferences"),
    ("post", "/api/preferences"),
    ("get", "/api/preferences/{preference_key}"),
    ("delete", "/api/preferences/{preference_key}"),
    ("get", "/api/unity-catalog/catalogs"),
    ("get", "/api/unity-catalog/catalogs/{catalog}/schemas"),
    (
        "get",
        "/api/unity-catalog/catalogs/{catalog}/schemas/{schema}/tables",
    ),
    ("get", "/api/unity-catalog/tables/{full_name}"),
    ("get", "/api/model-serving/endpoints"),
    ("get", "/api/model-serving/endpoints/{name}"),
    ("post", "/api/model-serving/invoke"),
    ("get", "/api/model-serving/logs"),
    ("get", "/api/admin/orphaned-records"),
    ("post", "/api/admin/cleanup"),
];

const HTTP_METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// Valid values for every path parameter of the API, named as in the document. They name objects
/// of the default emulator fixture, so a workspace 404 cannot be mistaken for a missing route.
fn sample_path_value(name: &str) -> &'static str {
    match name {
        "preference_key" => "theme",
        "catalog" => "main",
        "schema" => "sales",
        "full_name" => "main.sales.orders",
        "name" => "sentiment",
        other => panic!("no sample value for path parameter {other:?}: add one"),
    }
}

/// Returns a valid JSON body for each operation that reads one.
fn sample_body(operation_id: &str) -> Value {
    match operation_id {
        "save_preference" => json!({ "preference_key": "theme", "preference_value": "dark" }),
        "invoke_serving_endpoint" => json!({
            "endpoint_name": "sentiment",
            "inputs": { "inputs": ["a fine day"] },
        }),
        _ => json!({}),
    }
}

async fn fetch_document(app: &TestApp) -> Value {
    let response = app.get("/openapi.json", None).await;
    assert_eq!(response.status(), 200, "GET /openapi.json without a token");
    json_body(response).await
}

/// Returns `(method, path, operation)` for every operation of the document.
fn operations(document: &Value) -> Vec<(String, String, Value)> {
    let paths = document["paths"].as_object().expect("paths is an object");
    let mut found = Vec::new();
    for (path, item) in paths {
        let item = item.as_object().expect("a path item is an object");
        for (method, operation) in item {
            if HTTP_METHODS.contains(&method.as_str()) {
                found.push((method.clone(), path.clone(), operation.clone()));
            }
        }
    }
    found
}

fn collect_refs(value: &Value, refs: &mut Vec<String>) {
    match value {
        Value::Object(fields) => {
            for (key, field) in fields {
                match (key.as_str(), field) {
                    ("$ref", Value::String(target)) => refs.push(target.clone()),
                    _ => collect_refs(field, refs),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| collect_refs(item, refs)),
        _ => {}
    }
}

fn fill_path_parameters(path: &str) -> String {
    let mut filled = String::new();
    let mut rest = path;
    while let Some(start) = rest.find('{') {
        let end = rest[start..].find('}').expect("closing brace") + start;
        filled.push_str(&rest[..start]);
        filled.push_str(sample_path_value(&rest[start + 1..end]));
        rest = &rest[end + 1..];
    }
    filled.push_str(rest);
    filled
}

#[tokio::test]
async fn document_is_openapi_3_1() {
    let app = TestApp::start().await;
    let document = fetch_document(&app).await;

    let version = document["openapi"].as_str().expect("openapi is a string");
    assert!(version.starts_with("3.1"), "openapi version {version}");
    assert_eq!(document["info"]["version"], env!("CARGO_PKG_VERSION"));
    assert!(document["info"]["title"].is_string(), "info.title");
}

#[tokio::test]
async fn served_document_equals_generated_one() {
    let app = TestApp::start().await;
    let served = fetch_document(&app).await;

    let generated = serde_json::to_value(app_server::http::openapi::document())
        .expect("the document serialises");
    assert_eq!(served, generated);
}

#[tokio::test]
async fn every_operation_has_id_and_responses() {
    let app = TestApp::start().await;
    let document = fetch_document(&app).await;

    let mut ids = BTreeSet::new();
    for (method, path, operation) in operations(&document) {
        let id = operation["operationId"].as_str().unwrap_or_default();
        assert!(!id.is_empty(), "{method} {path} has no operationId");
        assert!(ids.insert(id.to_owned()), "operationId {id} is used twice");
        let responses = operation["responses"].as_object();
        assert!(
            responses.is_some_and(|responses| !responses.is_empty()),
            "{method} {path} documents no response"
        );
    }
}

#[tokio::test]
async fn every_ref_resolves() {
    let app = TestApp::start().await;
    let document = fetch_document(&app).await;

    let mut refs = Vec::new();
    collect_refs(&document, &mut refs);
    assert!(!refs.is_empty(), "the document uses no $ref at all");
    for target in refs {
        let pointer = target
            .strip_prefix('#')
            .unwrap_or_else(|| panic!("$ref {target} points outside the document"));
        assert!(
            document.pointer(pointer).is_some(),
            "$ref {target} does not resolve"
        );
    }
}

#[tokio::test]
async fn documented_operations_match_expected_list() {
    let app = TestApp::start().await;
    let document = fetch_document(&app).await;

    let documented: BTreeSet<(String, String)> = operations(&document)
        .into_iter()
        .map(|(method, path, _)| (method, path))
        .collect();
    let expected: BTreeSet<(String, String)> = EXPECTED_OPERATIONS
        .iter()
        .map(|(method, path)| ((*method).to_owned(), (*path).to_owned()))
        .collect();
    assert_eq!(documented, expected);
}

/// Calls every documented operation, with a user token and valid parameters, and checks that the
/// router serves it: no 405, no 404 `NOT_FOUND` of the `/api` catch-all, no HTML of the static
/// fallback, and a status that the operation documents.
#[tokio::test]
async fn every_documented_operation_is_served() {
    let app = TestApp::start().await;
    let document = fetch_document(&app).await;

    for (method, path, operation) in operations(&document) {
        let url = app.url(&fill_path_parameters(&path));
        let operation_id = operation["operationId"].as_str().unwrap_or_default();
        let request = match method.as_str() {
            "get" => app.http.get(&url),
            "delete" => app.http.delete(&url),
            "post" => app.http.post(&url).json(&sample_body(operation_id)),
            other => panic!("no request builder for method {other}"),
        };
        let response = request
            .header("x-forwarded-access-token", BOB)
            .send()
            .await
            .expect("request to the app failed");

        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get("content-type")
            .map(|value| value.to_str().expect("ASCII header").to_owned());
        let body = response.text().await.expect("response body");
        let call = format!("{method} {path} answered {status} {body}");

        assert_ne!(status, 405, "{call}");
        if status != 204 {
            let content_type = content_type.unwrap_or_default();
            assert!(content_type.starts_with("application/json"), "{call}");
            let json: Value = serde_json::from_str(&body).expect("JSON body");
            assert_ne!(json["error_code"], "NOT_FOUND", "{call}");
            assert_ne!(json["error_code"], "METHOD_NOT_ALLOWED", "{call}");
        }
        assert!(
            operation["responses"].get(status.to_string()).is_some(),
            "{call}: status {status} is not documented"
        );
    }
}

#[tokio::test]
async fn error_code_enum_lists_every_code() {
    let app = TestApp::start().await;
    let document = fetch_document(&app).await;

    let documented: Vec<&str> = document["components"]["schemas"]["ErrorCode"]["enum"]
        .as_array()
        .expect("ErrorCode has an enum")
        .iter()
        .map(|code| code.as_str().expect("a code is a string"))
        .collect();
    let expected: Vec<&str> = ErrorCode::ALL.iter().map(|code| code.as_str()).collect();
    assert_eq!(documented, expected);
    assert_eq!(
        document["components"]["schemas"]["ErrorBody"]["properties"]["error_code"]["$ref"],
        "#/components/schemas/ErrorCode"
    );
}

#[tokio::test]
async fn token_header_is_api_key_scheme() {
    let app = TestApp::start().await;
    let document = fetch_document(&app).await;

    let scheme = &document["components"]["securitySchemes"]["user_token"];
    assert_eq!(scheme["type"], "apiKey");
    assert_eq!(scheme["in"], "header");
    assert_eq!(scheme["name"], "x-forwarded-access-token");
    let description = scheme["description"].as_str().unwrap_or_default();
    assert!(
        description.contains("Databricks Apps proxy"),
        "{description}"
    );
    assert!(description.contains("service principal"), "{description}");
}

/// Splits a policy into `(directive, sources)` pairs.
fn directives(policy: &str) -> Vec<(String, Vec<String>)> {
    policy
        .split(';')
        .filter_map(|directive| {
            let mut words = directive.split_whitespace();
            let name = words.next()?.to_ascii_lowercase();
            Some((name, words.map(str::to_owned).collect()))
        })
        .collect()
}

fn sources<'a>(directives: &'a [(String, Vec<String>)], name: &str) -> Option<&'a [String]> {
    directives
        .iter()
        .find(|(directive, _)| directive == name)
        .map(|(_, sources)| sources.as_slice())
}

/// Returns the URLs of the page's `<script src>` and `<link rel="stylesheet" href>` elements.
fn script_and_stylesheet_urls(html: &str) -> Vec<String> {
    let scripts = regex::Regex::new(r#"<script[^>]*\ssrc="([^"]+)""#).expect("valid pattern");
    let links = regex::Regex::new(r"<link[^>]*>").expect("valid pattern");
    let href = regex::Regex::new(r#"\shref="([^"]+)""#).expect("valid pattern");

    let mut urls: Vec<String> = scripts
        .captures_iter(html)
        .map(|captures| captures[1].to_owned())
        .collect();
    for link in links.find_iter(html) {
        let tag = link.as_str();
        if tag.contains("stylesheet")
            && let Some(captures) = href.captures(tag)
        {
            urls.push(captures[1].to_owned());
        }
    }
    urls
}

fn built_front_end() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("create a temporary folder");
    std::fs::write(
        dir.path().join("index.html"),
        "<!doctype html><title>front end</title>",
    )
    .expect("write index.html");
    dir
}

#[tokio::test]
async fn docs_page_is_served_under_strict_policy() {
    let front_end = built_front_end();
    let app = TestApp::builder()
        .env("STATIC_DIR", front_end.path().to_str().expect("UTF-8 path"))
        .start()
        .await;

    let response = app.get("/docs", None).await;
    assert_eq!(response.status(), 200, "GET /docs without a token");
    assert!(
        response.url().path().starts_with("/docs"),
        "{}",
        response.url()
    );
    let content_type = response
        .headers()
        .get("content-type")
        .map(|value| value.to_str().expect("ASCII header").to_owned())
        .unwrap_or_default();
    assert!(content_type.starts_with("text/html"), "{content_type}");
    let policy = response
        .headers()
        .get("content-security-policy")
        .expect("the docs page has a Content-Security-Policy")
        .to_str()
        .expect("ASCII header")
        .to_owned();
    let page_url = response.url().clone();
    let html = response.text().await.expect("page body");
    assert!(
        html.contains("swagger-ui"),
        "the SPA fallback answered: {html}"
    );

    assert!(!policy.contains("'unsafe-eval'"), "{policy}");
    let parsed = directives(&policy);
    let script_sources = sources(&parsed, "script-src")
        .or_else(|| sources(&parsed, "default-src"))
        .expect("the policy restricts scripts");
    for source in script_sources {
        assert!(
            source != "'unsafe-inline'"
                && !source.starts_with("'nonce-")
                && !source.starts_with("'sha")
                && source != "*",
            "script-src allows inline or any script: {policy}"
        );
    }

    let urls = script_and_stylesheet_urls(&html);
    assert!(!urls.is_empty(), "the page references no script: {html}");
    for reference in urls {
        let url = page_url.join(&reference).expect("a valid relative URL");
        assert_eq!(
            url.origin(),
            page_url.origin(),
            "{reference} is on another origin"
        );
        let asset = app.http.get(url.clone()).send().await.expect("fetch asset");
        assert_eq!(asset.status(), 200, "{url}");
    }
}

#[tokio::test]
async fn docs_page_config_reads_local_document() {
    let app = TestApp::start().await;

    let response = app.get("/docs/swagger-initializer.js", None).await;
    assert_eq!(response.status(), 200);
    let script = response.text().await.expect("script body");
    assert!(script.contains("\"/openapi.json\""), "{script}");
    assert!(!script.contains("petstore"), "{script}");
    assert!(script.contains("\"validatorUrl\": \"none\""), "{script}");
}

#[tokio::test]
async fn token_check_failures_are_documented() {
    let app = TestApp::start().await;
    let document = fetch_document(&app).await;
    let me = "/api/2.0/preview/scim/v2/Me";

    // Each case uses another user's token, so no identity is cached from an earlier case.
    for (path, token, status, fault) in [
        (
            "/api/preferences",
            "dapi-alice-dev",
            502,
            json!({"path_prefix": me, "status": 418}),
        ),
        (
            "/api/auth/status",
            "dapi-bob-dev",
            502,
            json!({"path_prefix": me, "status": 418}),
        ),
        (
            "/api/model-serving/logs",
            "dapi-carol-dev",
            503,
            json!({"path_prefix": me, "status": 500, "times": null}),
        ),
    ] {
        app.inject_fault(fault).await;
        let response = app.get(path, Some(token)).await;
        assert_eq!(response.status().as_u16(), status, "{path}");

        let documented = &document["paths"][path]["get"]["responses"];
        assert!(
            documented.get(status.to_string()).is_some(),
            "{status} is not documented for GET {path}"
        );
        let cleared = app
            .http
            .delete(format!("{}/__emulator/faults", app.emulator.base_url()))
            .send()
            .await
            .expect("clear the faults");
        assert_eq!(cleared.status(), 204);
    }
}
