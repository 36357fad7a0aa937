//! Unity Catalog lists and tables: per-principal visibility, errors and paging.

mod common;

use common::{ALICE_TOKEN, client, get_with_token, json_of, mint, start, start_with};
use serde_json::{Value, json};
use workspace_emulator::{DEFAULT_SERVICE_PRINCIPAL_ID, Emulator, Fixture};

const UC: &str = "/api/2.1/unity-catalog";
const BOB_TOKEN: &str = "dapi-bob-dev";
const CAROL_TOKEN: &str = "dapi-carol-dev";

async fn get_uc(emulator: &Emulator, path: &str, token: &str) -> (u16, Value) {
    let response = get_with_token(emulator, &format!("{UC}{path}"), token).await;
    let status = response.status().as_u16();
    (status, json_of(response).await)
}

fn names(body: &Value, key: &str) -> Vec<String> {
    body[key]
        .as_array()
        .map(|items| {
            items
                .iter()
                .map(|item| item["name"].as_str().expect("name").to_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// Follows `next_page_token` until it is absent and returns each page's item names.
async fn walk(emulator: &Emulator, path: &str, key: &str, token: &str) -> Vec<Vec<String>> {
    let mut pages = Vec::new();
    let mut page_token: Option<String> = None;
    loop {
        let url = match &page_token {
            Some(page_token) => format!("{path}&max_results=1&page_token={page_token}"),
            None => format!("{path}&max_results=1"),
        };
        let (status, body) = get_uc(emulator, &url, token).await;
        assert_eq!(status, 200, "{body}");
        pages.push(names(&body, key));
        assert!(pages.len() <= 20, "paging did not end: {pages:?}");
        match body["next_page_token"].as_str() {
            Some(next) => page_token = Some(next.to_owned()),
            None => return pages,
        }
    }
}

#[tokio::test]
async fn catalogs_differ_per_principal() {
    let emulator = start().await;
    let sp_token = mint(
        &emulator,
        json!({"user_name": DEFAULT_SERVICE_PRINCIPAL_ID}),
    )
    .await;
    let cases = [
        (ALICE_TOKEN, vec!["finance", "main", "samples"]),
        (BOB_TOKEN, vec!["main", "samples"]),
        (CAROL_TOKEN, vec!["hr", "main", "samples"]),
        (sp_token.as_str(), vec!["main", "samples"]),
    ];
    for (token, expected) in cases {
        let (status, body) = get_uc(&emulator, "/catalogs", token).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(names(&body, "catalogs"), expected);
        assert!(body.get("next_page_token").is_none(), "{body}");
    }
    emulator.shutdown().await;
}

#[tokio::test]
async fn catalog_info_has_platform_fields() {
    let emulator = start().await;
    let (_, body) = get_uc(&emulator, "/catalogs", ALICE_TOKEN).await;
    let finance = &body["catalogs"][0];
    assert_eq!(finance["name"], "finance");
    assert_eq!(finance["full_name"], "finance");
    assert_eq!(finance["owner"], "alice@example.com");
    assert_eq!(finance["catalog_type"], "MANAGED_CATALOG");
    assert!(finance["created_at"].is_i64(), "{finance}");
    assert!(finance["metastore_id"].is_string(), "{finance}");
    emulator.shutdown().await;
}

#[tokio::test]
async fn schemas_follow_use_schema() {
    let emulator = start().await;
    let (_, alice) = get_uc(&emulator, "/schemas?catalog_name=main", ALICE_TOKEN).await;
    assert_eq!(names(&alice, "schemas"), ["marketing", "sales"]);
    let (_, bob) = get_uc(&emulator, "/schemas?catalog_name=main", BOB_TOKEN).await;
    assert_eq!(names(&bob, "schemas"), ["sales"]);
    assert_eq!(bob["schemas"][0]["full_name"], "main.sales");
    assert_eq!(bob["schemas"][0]["catalog_name"], "main");
    emulator.shutdown().await;
}

#[tokio::test]
async fn tables_follow_select() {
    let emulator = start().await;
    let path = "/tables?catalog_name=main&schema_name=sales";
    let (_, carol) = get_uc(&emulator, path, CAROL_TOKEN).await;
    assert_eq!(names(&carol, "tables"), ["customers", "orders"]);
    let (_, bob) = get_uc(&emulator, path, BOB_TOKEN).await;
    assert_eq!(names(&bob, "tables"), ["orders"]);
    assert_eq!(bob["tables"][0]["full_name"], "main.sales.orders");
    assert_eq!(bob["tables"][0]["columns"][0]["name"], "order_id");
    emulator.shutdown().await;
}

#[tokio::test]
async fn omit_columns_drops_columns() {
    let emulator = start().await;
    let path = "/tables?catalog_name=main&schema_name=sales&omit_columns=true";
    let (status, body) = get_uc(&emulator, path, CAROL_TOKEN).await;
    assert_eq!(status, 200);
    assert!(body["tables"][0].get("columns").is_none(), "{body}");
    emulator.shutdown().await;
}

#[tokio::test]
async fn get_table_returns_columns() {
    let emulator = start().await;
    let (status, table) = get_uc(&emulator, "/tables/main.sales.orders", ALICE_TOKEN).await;
    assert_eq!(status, 200, "{table}");
    assert_eq!(table["full_name"], "main.sales.orders");
    assert_eq!(table["catalog_name"], "main");
    assert_eq!(table["schema_name"], "sales");
    assert_eq!(table["table_type"], "MANAGED");
    assert_eq!(table["data_source_format"], "DELTA");
    assert_eq!(table["owner"], "carol@example.com");
    assert_eq!(
        table["columns"][0],
        json!({"name": "order_id", "type_text": "bigint", "type_name": "LONG", "position": 0,
               "nullable": false, "comment": "Order identifier"})
    );
    let positions: Vec<i64> = table["columns"]
        .as_array()
        .expect("columns")
        .iter()
        .map(|column| column["position"].as_i64().expect("position"))
        .collect();
    assert_eq!(positions, [0, 1, 2, 3]);
    assert_eq!(table["columns"][3]["type_text"], "decimal(18,2)");
    emulator.shutdown().await;
}

#[tokio::test]
async fn names_match_case_insensitively() {
    let emulator = start().await;
    let (status, table) = get_uc(&emulator, "/tables/MAIN.Sales.orders", ALICE_TOKEN).await;
    assert_eq!(status, 200, "{table}");
    assert_eq!(table["full_name"], "main.sales.orders");
    emulator.shutdown().await;
}

#[tokio::test]
async fn schemas_without_use_catalog_are_403_with_details() {
    let emulator = start().await;
    let response = get_with_token(
        &emulator,
        &format!("{UC}/schemas?catalog_name=finance"),
        BOB_TOKEN,
    )
    .await;
    assert_eq!(response.status(), 403);
    let request_id = response.headers()["x-request-id"]
        .to_str()
        .expect("ASCII request id")
        .to_owned();

    let body = json_of(response).await;
    assert_eq!(body["error_code"], "PERMISSION_DENIED");
    assert_eq!(
        body["message"],
        "User does not have USE CATALOG on Catalog 'finance'."
    );
    assert_eq!(
        body["details"][0],
        json!({
            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
            "reason": "PERMISSION_DENIED",
            "domain": "unity-catalog.databricks.com",
            "metadata": {"principalName": "User", "msg": "USE CATALOG",
                         "resourceType": "Catalog", "resourceName": "finance"},
        })
    );

    assert_eq!(
        body["details"][1]["@type"],
        "type.googleapis.com/google.rpc.RequestInfo"
    );
    assert_eq!(body["details"][1]["request_id"], request_id.as_str());
    emulator.shutdown().await;
}

#[tokio::test]
async fn missing_privileges_are_403() {
    let emulator = start().await;
    let cases = [
        (
            "/tables?catalog_name=main&schema_name=marketing",
            "User does not have USE SCHEMA on Schema 'main.marketing'.",
        ),
        (
            "/tables/main.sales.customers",
            "User does not have SELECT on Table 'main.sales.customers'.",
        ),
        (
            "/tables/hr.people.employees",
            "User does not have USE CATALOG on Catalog 'hr'.",
        ),
    ];
    for (path, message) in cases {
        let (status, body) = get_uc(&emulator, path, BOB_TOKEN).await;
        assert_eq!(status, 403, "{path}: {body}");
        assert_eq!(body["error_code"], "PERMISSION_DENIED", "{path}");
        assert_eq!(body["message"], message, "{path}");
    }
    emulator.shutdown().await;
}

#[tokio::test]
async fn unknown_objects_are_404_with_codes() {
    let emulator = start().await;
    let cases = [
        ("/schemas?catalog_name=nope", "CATALOG_DOES_NOT_EXIST"),
        (
            "/tables?catalog_name=main&schema_name=nope",
            "SCHEMA_DOES_NOT_EXIST",
        ),
        ("/tables/main.sales.nope", "TABLE_DOES_NOT_EXIST"),
        ("/tables/main.nope.orders", "SCHEMA_DOES_NOT_EXIST"),
        ("/tables/nope.sales.orders", "CATALOG_DOES_NOT_EXIST"),
    ];
    for (path, code) in cases {
        let (status, body) = get_uc(&emulator, path, CAROL_TOKEN).await;
        assert_eq!(status, 404, "{path}: {body}");
        assert_eq!(body["error_code"], code, "{path}");
    }
    emulator.shutdown().await;
}

#[tokio::test]
async fn bad_parameters_are_400() {
    let emulator = start().await;
    let cases = [
        "/schemas",
        "/tables?catalog_name=main",
        "/tables/main.sales",
        "/catalogs?max_results=-1",
        "/catalogs?max_results=1001",
        "/catalogs?max_results=ten",
        "/catalogs?page_token=not-a-token",
        "/catalogs?max_results=1&page_token=e30",
        "/tables?catalog_name=main&schema_name=sales&omit_columns=yes",
    ];
    for path in cases {
        let (status, body) = get_uc(&emulator, path, CAROL_TOKEN).await;
        assert_eq!(status, 400, "{path}: {body}");
        assert_eq!(body["error_code"], "INVALID_PARAMETER_VALUE", "{path}");
    }
    emulator.shutdown().await;
}

#[tokio::test]
async fn token_of_another_listing_is_400() {
    let emulator = start().await;
    let (_, first) = get_uc(
        &emulator,
        "/schemas?catalog_name=main&max_results=1",
        CAROL_TOKEN,
    )
    .await;
    let token = first["next_page_token"].as_str().expect("token").to_owned();
    let path = format!("/catalogs?max_results=1&page_token={token}");
    let (status, body) = get_uc(&emulator, &path, CAROL_TOKEN).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error_code"], "INVALID_PARAMETER_VALUE");
    emulator.shutdown().await;
}

#[tokio::test]
async fn paging_walks_every_catalog_once() {
    let emulator = start().await;
    let pages = walk(&emulator, "/catalogs?x=1", "catalogs", CAROL_TOKEN).await;
    assert_eq!(pages.len(), 3, "{pages:?}");
    assert!(pages.iter().all(|page| page.len() == 1), "{pages:?}");
    let all: Vec<String> = pages.concat();
    assert_eq!(all, ["hr", "main", "samples"]);
    emulator.shutdown().await;
}

#[tokio::test]
async fn paging_walks_schemas_and_tables() {
    let emulator = start().await;
    let schemas = walk(
        &emulator,
        "/schemas?catalog_name=samples",
        "schemas",
        BOB_TOKEN,
    )
    .await;
    assert_eq!(schemas.concat(), ["nyctaxi", "tpch"]);
    let path = "/tables?catalog_name=samples&schema_name=tpch";
    let tables = walk(&emulator, path, "tables", BOB_TOKEN).await;
    assert_eq!(tables.concat(), ["nation", "region"]);
    emulator.shutdown().await;
}

#[tokio::test]
async fn max_results_zero_uses_server_page_size() {
    let mut fixture = Fixture::default_fixture();
    fixture.unity_catalog.page_size = 2;
    let emulator = start_with(fixture).await;
    for max_results in ["0", "500"] {
        let path = format!("/catalogs?max_results={max_results}");
        let (_, first) = get_uc(&emulator, &path, CAROL_TOKEN).await;
        assert_eq!(
            names(&first, "catalogs"),
            ["hr", "main"],
            "max_results={max_results}"
        );
        assert!(first["next_page_token"].is_string(), "{first}");
    }
    emulator.shutdown().await;
}

#[tokio::test]
async fn empty_page_still_carries_token() {
    let mut fixture = Fixture::default_fixture();
    fixture.unity_catalog.empty_page_every = 2;
    let emulator = start_with(fixture).await;

    let (_, first) = get_uc(&emulator, "/catalogs?max_results=1", CAROL_TOKEN).await;
    let token = first["next_page_token"].as_str().expect("token").to_owned();
    let path = format!("/catalogs?max_results=1&page_token={token}");
    let (status, second) = get_uc(&emulator, &path, CAROL_TOKEN).await;
    assert_eq!(status, 200);
    assert!(second.get("catalogs").is_none(), "{second}");
    assert!(second["next_page_token"].is_string(), "{second}");

    let pages = walk(&emulator, "/catalogs?x=1", "catalogs", CAROL_TOKEN).await;
    assert!(pages.iter().any(Vec::is_empty), "{pages:?}");
    assert_eq!(pages.concat(), ["hr", "main", "samples"]);
    emulator.shutdown().await;
}

#[tokio::test]
async fn missing_token_is_401_first() {
    let emulator = start().await;
    let response = client()
        .get(format!(
            "{}{UC}/schemas?catalog_name=finance",
            emulator.base_url()
        ))
        .send()
        .await
        .expect("answer");
    assert_eq!(response.status(), 401);
    emulator.shutdown().await;
}
