//! Preferences through the HTTP API on both database backends: per-user isolation and validation.

mod common;

use common::{Database, TestApp, assert_error, json_body};
use serde_json::json;

const ALICE: &str = "dapi-alice-dev";
const BOB: &str = "dapi-bob-dev";

async fn apps() -> Vec<(&'static str, TestApp)> {
    vec![
        (
            "sqlite",
            TestApp::builder().database(Database::Sqlite).start().await,
        ),
        (
            "postgres",
            TestApp::builder()
                .database(Database::Postgres)
                .start()
                .await,
        ),
    ]
}

async fn save(
    app: &TestApp,
    token: &str,
    key: &str,
    value: serde_json::Value,
) -> reqwest::Response {
    app.post_json(
        "/api/preferences",
        Some(token),
        &json!({ "preference_key": key, "preference_value": value }),
    )
    .await
}

#[tokio::test]
async fn saved_preference_is_invisible_to_other_user() {
    for (backend, app) in apps().await {
        let response = save(&app, ALICE, "theme", json!("dark")).await;
        assert_eq!(response.status(), 201, "{backend}");

        let bob_get = app.get("/api/preferences/theme", Some(BOB)).await;
        assert_error(bob_get, 404, "PREFERENCE_NOT_FOUND").await;
        let bob_list = json_body(app.get("/api/preferences", Some(BOB)).await).await;
        assert_eq!(bob_list, json!([]), "{backend}");

        let alice_get = json_body(app.get("/api/preferences/theme", Some(ALICE)).await).await;
        assert_eq!(alice_get["preference_value"], "dark", "{backend}");
    }
}

#[tokio::test]
async fn same_key_is_independent_per_user() {
    for (backend, app) in apps().await {
        save(&app, ALICE, "theme", json!("dark")).await;
        save(&app, BOB, "theme", json!({"mode": "light"})).await;

        let alice = json_body(app.get("/api/preferences/theme", Some(ALICE)).await).await;
        let bob = json_body(app.get("/api/preferences/theme", Some(BOB)).await).await;
        assert_eq!(alice["preference_value"], "dark", "{backend}");
        assert_eq!(
            bob["preference_value"],
            json!({"mode": "light"}),
            "{backend}"
        );
    }
}

#[tokio::test]
async fn deleting_other_users_key_is_not_found() {
    for (backend, app) in apps().await {
        save(&app, ALICE, "layout", json!([1, 2])).await;

        let response = app.delete("/api/preferences/layout", Some(BOB)).await;
        assert_error(response, 404, "PREFERENCE_NOT_FOUND").await;

        let alice = app.get("/api/preferences/layout", Some(ALICE)).await;
        assert_eq!(alice.status(), 200, "{backend}: alice's row must survive");
        let deleted = app.delete("/api/preferences/layout", Some(ALICE)).await;
        assert_eq!(deleted.status(), 204, "{backend}");
        let gone = app.get("/api/preferences/layout", Some(ALICE)).await;
        assert_error(gone, 404, "PREFERENCE_NOT_FOUND").await;
    }
}

#[tokio::test]
async fn upsert_updates_and_lists_newest_first() {
    let app = TestApp::start().await;
    save(&app, ALICE, "a", json!(1)).await;
    save(&app, ALICE, "b", json!(2)).await;
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let updated = json_body(save(&app, ALICE, "a", json!(3)).await).await;

    assert_eq!(updated["preference_value"], 3);
    let list = json_body(app.get("/api/preferences", Some(ALICE)).await).await;
    let keys: Vec<&str> = list
        .as_array()
        .expect("array")
        .iter()
        .map(|p| p["preference_key"].as_str().expect("key"))
        .collect();
    assert_eq!(keys, ["a", "b"]);
}

#[tokio::test]
async fn client_supplied_user_id_is_rejected() {
    let app = TestApp::start().await;

    let body = json!({ "preference_key": "theme", "preference_value": "dark", "user_id": "bob@example.com" });
    let response = app.post_json("/api/preferences", Some(ALICE), &body).await;

    assert_error(response, 422, "VALIDATION_ERROR").await;
    let bob_list = json_body(app.get("/api/preferences", Some(BOB)).await).await;
    assert_eq!(bob_list, json!([]));
}

#[tokio::test]
async fn forwarded_identity_headers_do_not_change_the_user() {
    let app = TestApp::start().await;

    let response = app
        .http
        .post(app.url("/api/preferences"))
        .header("x-forwarded-access-token", ALICE)
        .header("x-forwarded-email", "bob@example.com")
        .header("x-forwarded-user", "bob@example.com")
        .json(&json!({ "preference_key": "theme", "preference_value": "dark" }))
        .send()
        .await
        .expect("request");

    assert_eq!(response.status(), 201);
    assert_eq!(
        json_body(app.get("/api/preferences", Some(BOB)).await).await,
        json!([])
    );
    assert_eq!(
        json_body(app.get("/api/preferences", Some(ALICE)).await)
            .await
            .as_array()
            .map(Vec::len),
        Some(1)
    );
}

#[tokio::test]
async fn invalid_keys_and_values_are_validation_errors() {
    let app = TestApp::start().await;
    let long_key = "k".repeat(256);
    let big_value = "x".repeat(10_001);

    for (key, value) in [
        ("", json!(1)),
        (long_key.as_str(), json!(1)),
        ("has space", json!(1)),
        ("semi;colon", json!(1)),
        ("ok", json!(big_value)),
        ("ok", json!("nul \u{0}")),
        ("ok", json!({"nul \u{0}": 1})),
    ] {
        let response = save(&app, ALICE, key, value).await;
        assert_error(response, 422, "VALIDATION_ERROR").await;
    }
    assert_eq!(
        json_body(app.get("/api/preferences", Some(ALICE)).await).await,
        json!([])
    );
}

#[tokio::test]
async fn key_of_255_characters_is_accepted() {
    let app = TestApp::start().await;
    let key = "k".repeat(255);

    let response = save(&app, ALICE, &key, json!({"nested": [true, null, 1.5, "é"]})).await;

    assert_eq!(response.status(), 201);
    let fetched = json_body(
        app.get(&format!("/api/preferences/{key}"), Some(ALICE))
            .await,
    )
    .await;
    assert_eq!(
        fetched["preference_value"],
        json!({"nested": [true, null, 1.5, "é"]})
    );
}

#[tokio::test]
async fn malformed_bodies_are_client_errors() {
    let app = TestApp::start().await;

    let not_json = app
        .http
        .post(app.url("/api/preferences"))
        .header("x-forwarded-access-token", ALICE)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .expect("request");
    assert_error(not_json, 400, "VALIDATION_ERROR").await;

    let no_content_type = app
        .http
        .post(app.url("/api/preferences"))
        .header("x-forwarded-access-token", ALICE)
        .body(r#"{"preference_key":"a","preference_value":1}"#)
        .send()
        .await
        .expect("request");
    // A body without a JSON content type is what a cross-site form sends.
    assert_error(no_content_type, 403, "CSRF_REJECTED").await;

    let missing_field = app
        .post_json(
            "/api/preferences",
            Some(ALICE),
            &json!({ "preference_key": "a" }),
        )
        .await;
    assert_error(missing_field, 422, "VALIDATION_ERROR").await;

    let huge = json!({ "preference_key": "a", "preference_value": "x".repeat(70_000) });
    let too_large = app.post_json("/api/preferences", Some(ALICE), &huge).await;
    assert_error(too_large, 413, "PAYLOAD_TOO_LARGE").await;
}

#[tokio::test]
async fn no_database_is_lakebase_not_configured() {
    let app = TestApp::builder().database(Database::None).start().await;

    let response = app.get("/api/preferences", Some(ALICE)).await;

    assert_error(response, 503, "LAKEBASE_NOT_CONFIGURED").await;
}

#[tokio::test]
async fn extreme_numbers_round_trip_on_both_backends() {
    for (backend, app) in apps().await {
        for value in [
            json!(f64::MAX),
            json!(f64::MIN),
            json!(5e-324),
            json!(u64::MAX),
            json!(i64::MIN),
        ] {
            let saved = save(&app, ALICE, "number", value.clone()).await;
            assert_eq!(saved.status(), 201, "{backend} {value}");

            let fetched = app.get("/api/preferences/number", Some(ALICE)).await;
            assert_eq!(fetched.status(), 200, "{backend} {value}");
            assert_eq!(
                json_body(fetched).await["preference_value"],
                value,
                "{backend}"
            );
            let listed = app.get("/api/preferences", Some(ALICE)).await;
            assert_eq!(listed.status(), 200, "{backend} {value}");
        }
    }
}

#[tokio::test]
async fn invalid_utf8_in_key_is_validation_error() {
    let app = TestApp::start().await;

    for path in ["/api/preferences/%FF", "/api/preferences/%E2%82"] {
        let response = app.get(path, Some(ALICE)).await;
        assert_error(response, 400, "VALIDATION_ERROR").await;
        let response = app.delete(path, Some(ALICE)).await;
        assert_error(response, 400, "VALIDATION_ERROR").await;
    }
}

#[tokio::test]
async fn wrong_method_is_json_405() {
    let app = TestApp::start().await;

    let put = app
        .http
        .put(app.url("/api/preferences"))
        .send()
        .await
        .expect("request");
    assert_eq!(
        put.headers()["allow"]
            .to_str()
            .ok()
            .map(|allow| allow.contains("GET")),
        Some(true)
    );
    assert_error(put, 405, "METHOD_NOT_ALLOWED").await;
    let post = app.post_json("/api/user/me", Some(ALICE), &json!({})).await;
    assert_error(post, 405, "METHOD_NOT_ALLOWED").await;
}

#[tokio::test]
async fn unknown_api_paths_are_json_404() {
    let app = TestApp::start().await;

    for path in ["/api", "/api/", "/api/nothing/here"] {
        let response = app.get(path, Some(ALICE)).await;
        assert_error(response, 404, "NOT_FOUND").await;
    }
}
