//! The admin routes over HTTP: who may call them, the audit line of every call, the
//! orphaned-records listing and running the retention job.
//!
//! One test binary shares one global log capture, so each test finds its own audit lines by the
//! correlation ID it sends.

mod common;

use std::sync::OnceLock;

use app_server::domain::UserId;
use app_server::store::InferenceLog;
use chrono::{Duration, Utc};
use common::logs::CapturedLogs;
use common::{Database, TestApp, assert_error, json_body};
use serde_json::{Value, json};

const ALICE_TOKEN: &str = "dapi-alice-dev";
/// Carol is the admin of these tests, listed with other case and spaces.
const CAROL_TOKEN: &str = "dapi-carol-dev";
const ADMIN_USERS: &str = " Carol@Example.com ,admin2@example.com";

const ORPHANED_RECORDS: &str = "/api/admin/orphaned-records";

fn logs() -> &'static CapturedLogs {
    static LOGS: OnceLock<CapturedLogs> = OnceLock::new();
    LOGS.get_or_init(CapturedLogs::install_global)
}

/// Returns the `admin.audit` lines logged while handling the request with `correlation_id`.
fn audit_lines(correlation_id: &str) -> Vec<Value> {
    logs()
        .lines()
        .into_iter()
        .filter(|line| line["span"]["correlation_id"] == correlation_id)
        .filter(|line| line["event"] == "admin.audit")
        .collect()
}

async fn start(database: Database) -> TestApp {
    logs();
    TestApp::builder()
        .database(database)
        .env("ADMIN_USERS", ADMIN_USERS)
        .start()
        .await
}

/// Sends `GET path` with `token` and the correlation ID `correlation_id`.
async fn get(
    app: &TestApp,
    path: &str,
    token: Option<&str>,
    correlation_id: &str,
) -> reqwest::Response {
    let mut request = app
        .http
        .get(app.url(path))
        .header("x-correlation-id", correlation_id);
    if let Some(token) = token {
        request = request.header("x-forwarded-access-token", token);
    }
    request.send().await.expect("request to the app")
}

/// Sends `POST path` with an empty JSON object, as the front end does.
async fn post(app: &TestApp, path: &str, token: &str, correlation_id: &str) -> reqwest::Response {
    app.http
        .post(app.url(path))
        .header("x-forwarded-access-token", token)
        .header("x-correlation-id", correlation_id)
        .json(&json!({}))
        .send()
        .await
        .expect("request to the app")
}

async fn control(app: &TestApp, path: &str) {
    let response = app
        .http
        .post(format!("{}{path}", app.emulator.base_url()))
        .send()
        .await
        .expect("emulator control plane");
    assert!(
        response.status().is_success(),
        "{path}: {}",
        response.status()
    );
}

/// Gives `name` two preferences and three inference logs.
async fn seed(app: &TestApp, name: &str) {
    let store = app.store();
    let user = UserId::verified(name);
    for key in ["ui.theme", "ui.language"] {
        store
            .upsert_preference(&user, key, &json!(key))
            .await
            .expect("save a preference");
    }
    for _ in 0..3 {
        let log = InferenceLog {
            request_id: uuid::Uuid::new_v4().to_string(),
            endpoint_name: "chat-model".to_owned(),
            request_payload: json!({"inputs": [1]}),
            response_payload: None,
            status: "success".to_owned(),
            http_status: Some(200),
            latency_ms: 12,
            error_message: None,
            requested_at: Utc::now(),
            completed_at: None,
        };
        store
            .record_inference(&user, &log)
            .await
            .expect("record an invocation");
    }
}

/// Bob is deactivated in the workspace and was marked 91 days ago; Erin was never in the
/// workspace and was marked 10 days ago; Alice is active.
async fn seed_orphans(app: &TestApp) {
    for name in ["alice@example.com", "bob@example.com", "erin@example.com"] {
        seed(app, name).await;
    }
    control(app, "/__emulator/users/bob@example.com/deactivate").await;
    let store = app.store();
    for (name, days) in [("bob@example.com", 91), ("erin@example.com", 10)] {
        store
            .mark_user_deactivated(&UserId::verified(name), Utc::now() - Duration::days(days))
            .await
            .expect("mark the user");
    }
}

async fn preference_count(app: &TestApp, name: &str) -> usize {
    app.store()
        .list_preferences(&UserId::verified(name))
        .await
        .expect("list preferences")
        .len()
}

#[tokio::test]
async fn non_admin_is_forbidden_and_audited() {
    let app = start(Database::Sqlite).await;

    let response = get(&app, ORPHANED_RECORDS, Some(ALICE_TOKEN), "admin-denied-1").await;

    assert_error(response, 403, "ADMIN_REQUIRED").await;
    let lines = audit_lines("admin-denied-1");
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(lines[0]["allowed"], false);
    assert_eq!(lines[0]["user_id"], "alice@example.com");
    assert_eq!(lines[0]["route"], ORPHANED_RECORDS);
    assert_eq!(lines[0]["method"], "GET");
    assert_eq!(lines[0]["level"], "WARN");
}

#[tokio::test]
async fn admin_is_allowed_and_audited() {
    let app = start(Database::Sqlite).await;

    let response = get(&app, ORPHANED_RECORDS, Some(CAROL_TOKEN), "admin-allowed-1").await;

    assert_eq!(response.status(), 200);
    let lines = audit_lines("admin-allowed-1");
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(lines[0]["allowed"], true);
    assert_eq!(lines[0]["user_id"], "carol@example.com");
    assert_eq!(lines[0]["route"], ORPHANED_RECORDS);
}

#[tokio::test]
async fn missing_token_is_unauthorized_and_audited() {
    let app = start(Database::Sqlite).await;

    let response = get(&app, ORPHANED_RECORDS, None, "admin-no-token-1").await;

    assert_error(response, 401, "AUTH_MISSING").await;
    let lines = audit_lines("admin-no-token-1");
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(lines[0]["allowed"], false);
    assert!(lines[0].get("user_id").is_none(), "{lines:?}");
}

#[tokio::test]
async fn no_admin_users_forbids_everyone() {
    logs();
    let app = TestApp::start().await;

    let response = get(&app, ORPHANED_RECORDS, Some(CAROL_TOKEN), "admin-none-1").await;

    assert_error(response, 403, "ADMIN_REQUIRED").await;
}

#[tokio::test]
async fn non_admin_cleanup_deletes_nothing() {
    let app = start(Database::Sqlite).await;
    seed_orphans(&app).await;

    let response = post(&app, "/api/admin/cleanup", ALICE_TOKEN, "admin-denied-2").await;

    assert_error(response, 403, "ADMIN_REQUIRED").await;
    assert_eq!(preference_count(&app, "bob@example.com").await, 2);
    let lines = audit_lines("admin-denied-2");
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(lines[0]["method"], "POST");
    assert_eq!(lines[0]["allowed"], false);
}

#[tokio::test]
async fn page_bounds_are_validated() {
    let app = start(Database::Sqlite).await;

    for query in [
        "page=0",
        "page=-1",
        "page=one",
        "page_size=0",
        "page_size=101",
        "page_size=2.5",
        "page=42949674&page_size=100",
        "limit=10",
    ] {
        let path = format!("{ORPHANED_RECORDS}?{query}");
        let response = get(&app, &path, Some(CAROL_TOKEN), "admin-bounds").await;
        assert_eq!(response.status(), 400, "{query}");
        let body = assert_error(response, 400, "VALIDATION_ERROR").await;
        assert!(body["detail"].is_string(), "{query}: {body}");
    }
    for query in ["page=1&page_size=1", "page=3&page_size=100", ""] {
        let path = format!("{ORPHANED_RECORDS}?{query}");
        let response = get(&app, &path, Some(CAROL_TOKEN), "admin-bounds").await;
        assert_eq!(response.status(), 200, "{query}");
    }
}

async fn listing_shows_orphans(database: Database) {
    let app = start(database).await;
    seed_orphans(&app).await;

    let response = get(&app, ORPHANED_RECORDS, Some(CAROL_TOKEN), "admin-list-1").await;

    assert_eq!(response.status(), 200);
    let body = json_body(response).await;
    assert_eq!(body["page"], 1);
    assert_eq!(body["page_size"], 50);
    assert_eq!(body["total_count"], 2);
    let items = body["items"].as_array().expect("items array");
    assert_eq!(items.len(), 2, "{body}");
    assert_eq!(items[0]["user_id"], "bob@example.com");
    assert_eq!(items[0]["preference_count"], 2);
    assert_eq!(items[0]["inference_log_count"], 3);
    assert_eq!(items[0]["retention_expired"], true);
    assert!(items[0]["deactivated_at"].is_string(), "{body}");
    assert_eq!(items[1]["user_id"], "erin@example.com");
    assert_eq!(items[1]["retention_expired"], false);

    let second_page = get(
        &app,
        &format!("{ORPHANED_RECORDS}?page=2&page_size=1"),
        Some(CAROL_TOKEN),
        "admin-list-2",
    )
    .await;
    let body = json_body(second_page).await;
    assert_eq!(body["total_count"], 2);
    assert_eq!(body["items"][0]["user_id"], "erin@example.com");
    assert_eq!(body["items"].as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn listing_shows_orphans_sqlite() {
    listing_shows_orphans(Database::Sqlite).await;
}

#[tokio::test]
async fn listing_shows_orphans_postgres() {
    listing_shows_orphans(Database::Postgres).await;
}

#[tokio::test]
async fn cleanup_dry_run_then_real_run() {
    let app = start(Database::Sqlite).await;
    seed_orphans(&app).await;

    let dry = post(
        &app,
        "/api/admin/cleanup?dry_run=true",
        CAROL_TOKEN,
        "admin-cleanup-1",
    )
    .await;

    assert_eq!(dry.status(), 200);
    let dry = json_body(dry).await;
    assert_eq!(dry["dry_run"], true);
    assert_eq!(dry["users_purged"], 1, "{dry}");
    assert_eq!(dry["rows_deleted"]["user_preferences"], 2, "{dry}");
    assert_eq!(dry["rows_deleted"]["model_inference_logs"], 3, "{dry}");
    assert_eq!(dry["rows_deleted"]["users"], 1, "{dry}");
    for field in ["users_checked", "newly_deactivated", "reactivated"] {
        assert!(dry[field].is_u64(), "{field} in {dry}");
    }
    for field in ["started_at", "finished_at"] {
        assert!(dry[field].is_string(), "{field} in {dry}");
    }
    assert_eq!(preference_count(&app, "bob@example.com").await, 2);

    let real = post(&app, "/api/admin/cleanup", CAROL_TOKEN, "admin-cleanup-2").await;

    assert_eq!(real.status(), 200);
    let real = json_body(real).await;
    assert_eq!(real["dry_run"], false);
    assert_eq!(real["users_purged"], dry["users_purged"]);
    assert_eq!(real["rows_deleted"], dry["rows_deleted"]);
    assert_eq!(preference_count(&app, "bob@example.com").await, 0);
    assert_eq!(preference_count(&app, "erin@example.com").await, 2);
    assert_eq!(preference_count(&app, "alice@example.com").await, 2);
    assert_eq!(audit_lines("admin-cleanup-2").len(), 1);
}

#[tokio::test]
async fn concurrent_cleanups_conflict() {
    let app = start(Database::Sqlite).await;
    seed_orphans(&app).await;
    // Every lookup waits, so the first run still holds the lock when the second one starts.
    app.inject_fault(json!({
        "path_prefix": "/api/2.0/preview/scim/v2/Users",
        "delay_ms": 300,
        "times": null
    }))
    .await;

    let (first, second) = tokio::join!(
        post(&app, "/api/admin/cleanup", CAROL_TOKEN, "admin-race-1"),
        post(&app, "/api/admin/cleanup", CAROL_TOKEN, "admin-race-2"),
    );

    let mut statuses = [first.status().as_u16(), second.status().as_u16()];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 409]);
    let conflict = if first.status() == 409 { first } else { second };
    assert_error(conflict, 409, "JOB_ALREADY_RUNNING").await;
    assert_eq!(preference_count(&app, "bob@example.com").await, 0);
}

#[tokio::test]
async fn cleanup_without_service_principal_is_unavailable() {
    logs();
    let app = TestApp::builder()
        .env("ADMIN_USERS", ADMIN_USERS)
        .without_service_principal()
        .start()
        .await;

    let response = post(&app, "/api/admin/cleanup", CAROL_TOKEN, "admin-no-sp-1").await;

    let body = assert_error(response, 503, "UPSTREAM_UNAVAILABLE").await;
    let detail = body["detail"].as_str().unwrap_or_default();
    assert!(detail.contains("DATABRICKS_CLIENT_ID"), "{body}");
}

#[tokio::test]
async fn cleanup_without_database_is_unavailable() {
    let app = start(Database::None).await;

    let response = post(&app, "/api/admin/cleanup", CAROL_TOKEN, "admin-no-db-1").await;

    assert_error(response, 503, "LAKEBASE_NOT_CONFIGURED").await;
}

#[tokio::test]
async fn cleanup_body_must_be_empty_or_empty_object() {
    let app = start(Database::Sqlite).await;
    seed_orphans(&app).await;
    let before = preference_count(&app, "bob@example.com").await;
    let send = |path: &'static str, body: &'static str| {
        app.http
            .post(app.url(path))
            .header("x-forwarded-access-token", CAROL_TOKEN)
            .header("content-type", "application/json")
            .body(body)
            .send()
    };

    let with_field = send("/api/admin/cleanup", r#"{"dry_run": true}"#)
        .await
        .expect("request to the app");
    assert_error(with_field, 422, "VALIDATION_ERROR").await;
    assert!(before > 0);
    assert_eq!(preference_count(&app, "bob@example.com").await, before);

    for body in ["", "{}"] {
        let response = send("/api/admin/cleanup?dry_run=true", body)
            .await
            .expect("request to the app");
        assert_eq!(response.status(), 200, "body {body:?}");
    }
}
