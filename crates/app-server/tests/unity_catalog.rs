//! Unity Catalog browsing under each user's own permissions.

mod common;

use std::collections::BTreeSet;

use common::{TestApp, assert_error, json_body};
use serde_json::Value;

async fn catalog_names(app: &TestApp, token: Option<&str>) -> BTreeSet<String> {
    let response = app.get("/api/unity-catalog/catalogs", token).await;
    assert_eq!(response.status(), 200);
    let body = json_body(response).await;
    assert!(body["next_page_token"].is_null(), "{body}");
    body["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|catalog| catalog["name"].as_str().expect("name").to_owned())
        .collect()
}

fn names(list: &[&str]) -> BTreeSet<String> {
    list.iter().map(|name| (*name).to_owned()).collect()
}

#[tokio::test]
async fn each_user_sees_their_own_grants() {
    let app = TestApp::start().await;

    assert_eq!(
        catalog_names(&app, Some("dapi-alice-dev")).await,
        names(&["finance", "main", "samples"])
    );
    assert_eq!(
        catalog_names(&app, Some("dapi-bob-dev")).await,
        names(&["main", "samples"])
    );
    assert_eq!(
        catalog_names(&app, Some("dapi-carol-dev")).await,
        names(&["hr", "main", "samples"])
    );
}

#[tokio::test]
async fn no_token_lists_as_service_principal() {
    let app = TestApp::start().await;

    assert_eq!(catalog_names(&app, None).await, names(&["main", "samples"]));
    assert_eq!(app.upstream_calls("POST /oidc/v1/token").await, 1);
}

#[tokio::test]
async fn unreadable_catalog_is_permission_denied() {
    let app = TestApp::start().await;

    let response = app
        .get(
            "/api/unity-catalog/catalogs/finance/schemas",
            Some("dapi-bob-dev"),
        )
        .await;

    let body = assert_error(response, 403, "PERMISSION_DENIED").await;
    let detail = body["detail"].as_str().expect("detail");
    assert!(
        detail.contains("finance"),
        "detail names the catalog: {detail}"
    );
}

#[tokio::test]
async fn paging_walks_every_catalog_once() {
    let app = TestApp::start().await;
    let mut seen = Vec::new();
    let mut token: Option<String> = None;

    for _ in 0..20 {
        let path = match &token {
            Some(token) => format!("/api/unity-catalog/catalogs?max_results=1&page_token={token}"),
            None => "/api/unity-catalog/catalogs?max_results=1".to_owned(),
        };
        let body = json_body(app.get(&path, Some("dapi-alice-dev")).await).await;
        let items = body["items"].as_array().expect("items");
        assert!(items.len() <= 1, "{body}");
        seen.extend(
            items
                .iter()
                .map(|item| item["name"].as_str().expect("name").to_owned()),
        );
        match &body["next_page_token"] {
            Value::String(next) => token = Some(next.clone()),
            _ => break,
        }
    }

    assert_eq!(seen, ["finance", "main", "samples"]);
}

#[tokio::test]
async fn schemas_tables_and_columns() {
    let app = TestApp::start().await;

    let schemas = json_body(
        app.get(
            "/api/unity-catalog/catalogs/main/schemas",
            Some("dapi-alice-dev"),
        )
        .await,
    )
    .await;
    let schema_names: Vec<&str> = schemas["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|s| s["name"].as_str())
        .collect();
    assert!(schema_names.contains(&"sales"), "{schemas}");

    let tables = json_body(
        app.get(
            "/api/unity-catalog/catalogs/main/schemas/sales/tables",
            Some("dapi-alice-dev"),
        )
        .await,
    )
    .await;
    let table_names: Vec<&str> = tables["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|t| t["name"].as_str())
        .collect();
    assert!(table_names.contains(&"orders"), "{tables}");

    let table = json_body(
        app.get(
            "/api/unity-catalog/tables/main.sales.orders",
            Some("dapi-alice-dev"),
        )
        .await,
    )
    .await;
    assert_eq!(table["full_name"], "main.sales.orders");
    assert!(
        !table["columns"].as_array().expect("columns").is_empty(),
        "{table}"
    );
}

#[tokio::test]
async fn unknown_objects_are_not_found() {
    let app = TestApp::start().await;

    let response = app
        .get(
            "/api/unity-catalog/catalogs/nope/schemas",
            Some("dapi-alice-dev"),
        )
        .await;
    assert_error(response, 404, "NOT_FOUND").await;
    let response = app
        .get(
            "/api/unity-catalog/tables/main.sales.nope",
            Some("dapi-alice-dev"),
        )
        .await;
    assert_error(response, 404, "NOT_FOUND").await;
}

#[tokio::test]
async fn invalid_parameters_are_validation_errors() {
    let app = TestApp::start().await;
    let long_name = "c".repeat(256);

    for path in [
        "/api/unity-catalog/catalogs?max_results=0".to_owned(),
        "/api/unity-catalog/catalogs?max_results=1001".to_owned(),
        "/api/unity-catalog/catalogs?max_results=-1".to_owned(),
        "/api/unity-catalog/catalogs?max_results=ten".to_owned(),
        "/api/unity-catalog/catalogs?page_token=".to_owned(),
        "/api/unity-catalog/catalogs?unknown=1".to_owned(),
        format!("/api/unity-catalog/catalogs/{long_name}/schemas"),
        "/api/unity-catalog/catalogs/a%20b/schemas".to_owned(),
        "/api/unity-catalog/tables/main.sales".to_owned(),
        "/api/unity-catalog/tables/a.b.c.d".to_owned(),
    ] {
        let response = app.get(&path, Some("dapi-alice-dev")).await;
        assert_error(response, 400, "VALIDATION_ERROR").await;
    }
    assert_eq!(
        app.upstream_calls("GET /api/2.1/unity-catalog/catalogs")
            .await,
        0
    );
}

#[tokio::test]
async fn token_without_scope_names_the_scope() {
    let app = TestApp::start().await;
    let token = mint_scoped(&app, "alice@example.com", &["model-serving"]).await;

    let response = app.get("/api/unity-catalog/catalogs", Some(&token)).await;

    let body = assert_error(response, 403, "PERMISSION_DENIED").await;
    let detail = body["detail"].as_str().expect("detail");
    assert!(detail.contains("unity-catalog"), "{detail}");
    assert!(detail.contains("user_api_scopes"), "{detail}");
    assert!(detail.contains("catalog.catalogs"), "{detail}");
}

async fn mint_scoped(app: &TestApp, user_name: &str, scopes: &[&str]) -> String {
    let body: Value = app
        .http
        .post(format!("{}/__emulator/tokens", app.emulator.base_url()))
        .json(&serde_json::json!({"user_name": user_name, "ttl_seconds": 600, "scopes": scopes}))
        .send()
        .await
        .expect("mint")
        .json()
        .await
        .expect("mint JSON");
    body["token"].as_str().expect("token").to_owned()
}
