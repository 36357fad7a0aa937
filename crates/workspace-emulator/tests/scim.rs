//! SCIM `Me`, the user list with a `userName` filter, and users by id.

mod common;

use common::{
    ALICE_TOKEN, ME_PATH, USERS_PATH, WORKSPACE_ID, client, get_with_token, json_of, start,
};
use serde_json::{Value, json};

const SCIM_ERROR_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:Error";

async fn list_users(
    emulator: &workspace_emulator::Emulator,
    query: &[(&str, &str)],
) -> reqwest::Response {
    client()
        .get(format!("{}{USERS_PATH}", emulator.base_url()))
        .bearer_auth(ALICE_TOKEN)
        .query(query)
        .send()
        .await
        .expect("answer")
}

fn user_names(list: &Value) -> Vec<&str> {
    list["Resources"]
        .as_array()
        .expect("Resources")
        .iter()
        .map(|user| user["userName"].as_str().expect("userName"))
        .collect()
}

#[tokio::test]
async fn me_returns_scim_user_with_org_id() {
    let emulator = start().await;
    let response = get_with_token(&emulator, ME_PATH, ALICE_TOKEN).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["x-databricks-org-id"], WORKSPACE_ID);
    let me = json_of(response).await;
    assert_eq!(
        me["schemas"],
        json!([
            "urn:ietf:params:scim:schemas:core:2.0:User",
            "urn:ietf:params:scim:schemas:extension:workspace:2.0:User"
        ])
    );
    assert_eq!(me["id"], "1000000000000001");
    assert_eq!(me["userName"], "alice@example.com");
    assert_eq!(me["displayName"], "Alice Example");
    assert_eq!(me["active"], true);
    assert_eq!(
        me["emails"],
        json!([{"type": "work", "value": "alice@example.com", "primary": true}])
    );
    assert_eq!(me["groups"], json!([]));
    assert!(
        me["entitlements"]
            .as_array()
            .expect("entitlements")
            .contains(&json!({"value": "workspace-access"}))
    );
    emulator.shutdown().await;
}

#[tokio::test]
async fn me_lists_group_membership() {
    let emulator = start().await;
    let response = get_with_token(&emulator, ME_PATH, "dapi-carol-dev").await;
    let me = json_of(response).await;
    assert_eq!(
        me["groups"],
        json!([{
            "display": "admins",
            "value": "2000000000000001",
            "$ref": "Groups/2000000000000001",
            "type": "direct"
        }])
    );
    emulator.shutdown().await;
}

#[tokio::test]
async fn me_honours_attributes_parameter() {
    let emulator = start().await;
    let response = get_with_token(
        &emulator,
        &format!("{ME_PATH}?attributes=userName"),
        ALICE_TOKEN,
    )
    .await;
    let me = json_of(response).await;
    let mut keys: Vec<&String> = me.as_object().expect("object").keys().collect();
    keys.sort();
    assert_eq!(keys, ["id", "schemas", "userName"]);
    emulator.shutdown().await;
}

#[tokio::test]
async fn users_filter_finds_one_user() {
    let emulator = start().await;
    let response = list_users(&emulator, &[("filter", "userName eq \"BOB@example.com\"")]).await;
    assert_eq!(response.status(), 200);
    let list = json_of(response).await;
    assert_eq!(
        list["schemas"],
        json!(["urn:ietf:params:scim:api:messages:2.0:ListResponse"])
    );
    assert_eq!(list["totalResults"], 1);
    assert_eq!(list["startIndex"], 1);
    assert_eq!(list["itemsPerPage"], 1);
    assert_eq!(user_names(&list), ["bob@example.com"]);
    assert_eq!(list["Resources"][0]["id"], "1000000000000002");
    emulator.shutdown().await;
}

#[tokio::test]
async fn users_filter_without_match_is_empty() {
    let emulator = start().await;
    let response = list_users(
        &emulator,
        &[("filter", "userName eq \"nobody@example.com\"")],
    )
    .await;
    let list = json_of(response).await;
    assert_eq!(list["totalResults"], 0);
    assert_eq!(list["Resources"], json!([]));
    emulator.shutdown().await;
}

#[tokio::test]
async fn users_list_pages_and_omits_service_principals() {
    let emulator = start().await;
    let all = json_of(list_users(&emulator, &[]).await).await;
    assert_eq!(
        user_names(&all),
        [
            "alice@example.com",
            "bob@example.com",
            "carol@example.com",
            "dave@example.com"
        ]
    );
    let page = json_of(list_users(&emulator, &[("startIndex", "2"), ("count", "2")]).await).await;
    assert_eq!(page["totalResults"], 4);
    assert_eq!(page["startIndex"], 2);
    assert_eq!(page["itemsPerPage"], 2);
    assert_eq!(user_names(&page), ["bob@example.com", "carol@example.com"]);
    emulator.shutdown().await;
}

#[tokio::test]
async fn unsupported_filter_is_scim_400() {
    let emulator = start().await;
    let response = list_users(&emulator, &[("filter", "displayName co \"Ali\"")]).await;
    assert_eq!(response.status(), 400);
    let body = json_of(response).await;
    assert_eq!(body["schemas"], json!([SCIM_ERROR_SCHEMA]));
    assert_eq!(body["status"], "400");
    assert_eq!(body["scimType"], "invalidFilter");
    assert!(body["detail"].is_string());
    emulator.shutdown().await;
}

#[tokio::test]
async fn user_by_id_is_returned() {
    let emulator = start().await;
    let response = get_with_token(
        &emulator,
        &format!("{USERS_PATH}/1000000000000003"),
        ALICE_TOKEN,
    )
    .await;
    assert_eq!(response.status(), 200);
    let user = json_of(response).await;
    assert_eq!(user["userName"], "carol@example.com");
    assert_eq!(user["groups"][0]["display"], "admins");
    emulator.shutdown().await;
}

#[tokio::test]
async fn unknown_user_id_is_scim_404() {
    let emulator = start().await;
    let response = get_with_token(&emulator, &format!("{USERS_PATH}/999"), ALICE_TOKEN).await;
    assert_eq!(response.status(), 404);
    let body = json_of(response).await;
    assert_eq!(body["schemas"], json!([SCIM_ERROR_SCHEMA]));
    assert_eq!(body["status"], "404");
    assert!(body["detail"].as_str().expect("detail").contains("999"));
    emulator.shutdown().await;
}

#[tokio::test]
async fn deleted_user_is_not_listed_and_is_404() {
    let emulator = start().await;
    let response = client()
        .delete(format!(
            "{}/__emulator/users/bob@example.com",
            emulator.base_url()
        ))
        .send()
        .await
        .expect("answer");
    assert_eq!(response.status(), 204);

    let list =
        json_of(list_users(&emulator, &[("filter", "userName eq \"bob@example.com\"")]).await)
            .await;
    assert_eq!(list["totalResults"], 0);
    let response = get_with_token(
        &emulator,
        &format!("{USERS_PATH}/1000000000000002"),
        ALICE_TOKEN,
    )
    .await;
    assert_eq!(response.status(), 404);
    assert_eq!(json_of(response).await["status"], "404");
    emulator.shutdown().await;
}

#[tokio::test]
async fn deactivated_user_is_listed_inactive() {
    let emulator = start().await;
    let list =
        json_of(list_users(&emulator, &[("filter", "userName eq \"dave@example.com\"")]).await)
            .await;
    assert_eq!(list["Resources"][0]["active"], false);
    emulator.shutdown().await;
}

#[tokio::test]
async fn users_require_authentication() {
    let emulator = start().await;
    let response = client()
        .get(format!("{}{USERS_PATH}", emulator.base_url()))
        .send()
        .await
        .expect("answer");
    assert_eq!(response.status(), 401);
    emulator.shutdown().await;
}
