//! The retention job against the workspace emulator and a real database (SQLite, and PostgreSQL
//! through `TEST_POSTGRES_URL`), with an injected clock: deactivation marks are written directly
//! with times relative to the run's `now`.

mod common;

use std::sync::Arc;

use app_server::domain::UserId;
use app_server::retention::{self, JobError, JobOptions, JobSummary};
use app_server::store::{CrossUserAccess, DeactivatedUser, InferenceLog, Store, UserRowCounts};
use chrono::{DateTime, Duration, Utc};
use common::{Database, TestApp};
use databricks_client::WorkspaceClient;
use serde_json::json;

/// Active in the workspace.
const ALICE: &str = "alice@example.com";
/// Deleted from the workspace (SCIM 404), marked 91 days ago.
const BOB: &str = "bob@example.com";
/// Deactivated in the workspace, marked 89 days ago.
const CAROL: &str = "carol@example.com";
/// Inactive in the fixture, then activated again, marked 91 days ago.
const DAVE: &str = "dave@example.com";
/// Never in the workspace, marked 91 days ago.
const ERIN: &str = "erin@example.com";
/// Never in the workspace and not marked yet.
const FRANK: &str = "frank@example.com";
/// The emulator's service principal, which SCIM Users does not list.
const SERVICE_PRINCIPAL: &str = workspace_emulator::DEFAULT_SERVICE_PRINCIPAL_ID;

const PREFERENCES_PER_USER: u64 = 2;
const LOGS_PER_USER: u64 = 3;

/// Returns the injected time of every run.
fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-12-04T02:00:00Z")
        .expect("valid timestamp")
        .with_timezone(&Utc)
}

fn days_ago(days: i64) -> DateTime<Utc> {
    now() - Duration::days(days)
}

fn user(name: &str) -> UserId {
    UserId::verified(name)
}

fn options(dry_run: bool) -> JobOptions {
    JobOptions {
        now: now(),
        ..JobOptions::new(90, dry_run, "retention-test")
    }
}

fn access() -> CrossUserAccess<'static> {
    CrossUserAccess {
        actor: "retention-test",
        reason: "checking the retention job's result",
    }
}

/// An app whose users are in the states listed at the constants, each with the same data.
struct Scenario {
    app: TestApp,
}

impl Scenario {
    async fn start(database: Database) -> Self {
        let app = TestApp::builder().database(database).start().await;
        let scenario = Self { app };
        for name in [ALICE, BOB, CAROL, DAVE, ERIN, FRANK, SERVICE_PRINCIPAL] {
            scenario.seed(name).await;
        }

        scenario
            .control("DELETE", &format!("/__emulator/users/{BOB}"))
            .await;
        scenario
            .control("POST", &format!("/__emulator/users/{CAROL}/deactivate"))
            .await;
        scenario
            .control("POST", &format!("/__emulator/users/{DAVE}/activate"))
            .await;

        for (name, days) in [(BOB, 91), (CAROL, 89), (DAVE, 91), (ERIN, 91)] {
            scenario
                .store()
                .mark_user_deactivated(&user(name), days_ago(days))
                .await
                .expect("mark the user");
        }
        scenario
    }

    fn store(&self) -> Arc<dyn Store> {
        self.app.store()
    }

    fn directory(&self) -> &WorkspaceClient {
        self.app
            .state
            .service_principal
            .as_ref()
            .expect("the test app has a service principal")
    }

    async fn run(&self, dry_run: bool) -> Result<JobSummary, JobError> {
        retention::run(self.store().as_ref(), self.directory(), &options(dry_run)).await
    }

    async fn seed(&self, name: &str) {
        let store = self.store();
        for key in ["ui.theme", "ui.language"] {
            store
                .upsert_preference(&user(name), key, &json!({"value": key}))
                .await
                .expect("save a preference");
        }
        for _ in 0..LOGS_PER_USER {
            store
                .record_inference(&user(name), &inference_log())
                .await
                .expect("record an invocation");
        }
    }

    /// Returns the number of preferences and inference logs of `name`, with `users` 0.
    async fn rows(&self, name: &str) -> UserRowCounts {
        let store = self.store();
        let preferences = store
            .list_preferences(&user(name))
            .await
            .expect("list preferences");
        let (_, logs) = store
            .list_inference_logs(&user(name), 1, 0)
            .await
            .expect("count inference logs");
        UserRowCounts {
            user_preferences: u64::try_from(preferences.len()).expect("small count"),
            model_inference_logs: logs,
            users: 0,
        }
    }

    async fn deactivated_users(&self) -> Vec<DeactivatedUser> {
        let (users, total) = self
            .store()
            .list_deactivated_users(&access(), 100, 0)
            .await
            .expect("list deactivated users");
        assert_eq!(total, u64::try_from(users.len()).expect("small count"));
        users
    }

    async fn control(&self, method: &str, path: &str) {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("valid method");
        let response = self
            .app
            .http
            .request(method, format!("{}{path}", self.app.emulator.base_url()))
            .send()
            .await
            .expect("emulator control plane");
        assert!(
            response.status().is_success(),
            "{path}: {}",
            response.status()
        );
    }
}

fn inference_log() -> InferenceLog {
    InferenceLog {
        request_id: uuid::Uuid::new_v4().to_string(),
        endpoint_name: "chat-model".to_owned(),
        request_payload: json!({"messages": [{"role": "user", "content": "hello"}]}),
        response_payload: None,
        status: "success".to_owned(),
        http_status: Some(200),
        latency_ms: 40,
        error_message: None,
        requested_at: days_ago(120),
        completed_at: None,
    }
}

/// Returns the preferences and inference logs each user starts with; `rows` leaves `users` 0.
fn full_rows() -> UserRowCounts {
    UserRowCounts {
        user_preferences: PREFERENCES_PER_USER,
        model_inference_logs: LOGS_PER_USER,
        users: 0,
    }
}

fn no_rows() -> UserRowCounts {
    UserRowCounts::default()
}

/// Returns the row counts of the two users due for deletion (Bob and Erin).
fn purged_rows() -> UserRowCounts {
    UserRowCounts {
        user_preferences: 2 * PREFERENCES_PER_USER,
        model_inference_logs: 2 * LOGS_PER_USER,
        users: 2,
    }
}

async fn policy_is_applied(database: Database) {
    let scenario = Scenario::start(database).await;

    let summary = scenario.run(false).await.expect("the job runs");

    assert_eq!(summary.users_purged, 2, "{summary:?}");
    assert_eq!(summary.rows_deleted, purged_rows(), "{summary:?}");
    assert_eq!(summary.users_checked, 6, "{summary:?}");
    assert_eq!(summary.users_skipped, 1, "{summary:?}");
    assert_eq!(summary.lookup_failures, 0, "{summary:?}");
    assert_eq!(summary.newly_deactivated, 1, "{summary:?}");
    assert_eq!(summary.reactivated, 1, "{summary:?}");
    assert!(!summary.dry_run);
    assert_eq!(summary.deactivated_before, days_ago(90));

    assert_eq!(scenario.rows(BOB).await, no_rows(), "404 user, 91 days");
    assert_eq!(
        scenario.rows(ERIN).await,
        no_rows(),
        "unknown user, 91 days"
    );
    assert_eq!(scenario.rows(ALICE).await, full_rows(), "active user");
    assert_eq!(
        scenario.rows(CAROL).await,
        full_rows(),
        "deactivated 89 days ago"
    );
    assert_eq!(scenario.rows(DAVE).await, full_rows(), "reactivated user");
    assert_eq!(
        scenario.rows(FRANK).await,
        full_rows(),
        "marked in this run"
    );
    assert_eq!(
        scenario.rows(SERVICE_PRINCIPAL).await,
        full_rows(),
        "service principal"
    );

    let known = scenario
        .store()
        .known_users(&access())
        .await
        .expect("list known users");
    let known_ids: Vec<&str> = known.iter().map(|user| user.user_id.as_str()).collect();
    assert!(
        !known_ids.contains(&BOB),
        "bob's users row is deleted: {known_ids:?}"
    );
    assert!(
        !known_ids.contains(&ERIN),
        "erin's users row is deleted: {known_ids:?}"
    );
    assert!(known_ids.contains(&ALICE), "{known_ids:?}");

    let listed = scenario.deactivated_users().await;
    let listed_ids: Vec<&str> = listed.iter().map(|user| user.user_id.as_str()).collect();
    assert_eq!(listed_ids, [CAROL, FRANK]);
    assert_eq!(listed[0].deactivated_at, days_ago(89));
    assert_eq!(listed[0].preference_count, PREFERENCES_PER_USER);
    assert_eq!(listed[0].inference_log_count, LOGS_PER_USER);
    assert_eq!(listed[1].deactivated_at, now());
}

async fn dry_run_matches_real_run(database: Database) {
    let scenario = Scenario::start(database).await;
    let listed_before = scenario.deactivated_users().await;

    let dry = scenario.run(true).await.expect("the dry run runs");

    assert!(dry.dry_run);
    assert_eq!(dry.users_purged, 2, "{dry:?}");
    assert_eq!(dry.rows_deleted, purged_rows(), "{dry:?}");
    for name in [ALICE, BOB, CAROL, DAVE, ERIN, FRANK, SERVICE_PRINCIPAL] {
        assert_eq!(
            scenario.rows(name).await,
            full_rows(),
            "{name} after the dry run"
        );
    }
    assert_eq!(
        scenario.deactivated_users().await,
        listed_before,
        "the dry run wrote no marks"
    );

    let real = scenario.run(false).await.expect("the real run runs");

    assert_eq!(real.users_purged, dry.users_purged);
    assert_eq!(real.rows_deleted, dry.rows_deleted);
    assert_eq!(real.newly_deactivated, dry.newly_deactivated);
    assert_eq!(real.reactivated, dry.reactivated);
    assert_eq!(real.users_checked, dry.users_checked);
}

async fn concurrent_runs_delete_once(database: Database) {
    let scenario = Scenario::start(database).await;
    // Every lookup waits, so the first run still holds the lock when the second one starts.
    scenario
        .app
        .inject_fault(json!({
            "path_prefix": "/api/2.0/preview/scim/v2/Users",
            "delay_ms": 300,
            "times": null
        }))
        .await;

    let (first, second) = tokio::join!(scenario.run(false), scenario.run(false));

    let results = [first, second];
    let finished: Vec<&JobSummary> = results.iter().filter_map(|r| r.as_ref().ok()).collect();
    let rejected = results
        .iter()
        .filter(|result| matches!(result, Err(JobError::AlreadyRunning)))
        .count();
    assert_eq!(finished.len(), 1, "{results:?}");
    assert_eq!(rejected, 1, "{results:?}");
    assert_eq!(finished[0].rows_deleted, purged_rows());
    assert_eq!(scenario.rows(BOB).await, no_rows());
    assert_eq!(scenario.rows(ERIN).await, no_rows());

    let again = scenario.run(false).await.expect("the lock was released");

    assert_eq!(again.users_purged, 0, "{again:?}");
    assert_eq!(again.rows_deleted, no_rows(), "{again:?}");
}

async fn held_lock_stops_the_job(database: Database) {
    let scenario = Scenario::start(database).await;
    let lock = scenario
        .store()
        .try_lock_job(retention::JOB_NAME)
        .await
        .expect("lock query")
        .expect("the lock is free");

    let result = scenario.run(false).await;

    assert!(
        matches!(result, Err(JobError::AlreadyRunning)),
        "{result:?}"
    );
    assert_eq!(scenario.rows(BOB).await, full_rows());
    lock.release().await;
    let summary = scenario.run(false).await.expect("the lock was released");
    assert_eq!(summary.users_purged, 2);
}

async fn failed_lookup_keeps_data(database: Database) {
    let scenario = Scenario::start(database).await;
    scenario
        .app
        .inject_fault(json!({
            "path_prefix": "/api/2.0/preview/scim/v2/Users",
            "status": 500,
            "body": {"error_code": "INTERNAL_ERROR", "message": "directory unavailable"},
            "times": null
        }))
        .await;

    let summary = scenario.run(false).await.expect("the job runs");

    assert_eq!(summary.lookup_failures, 6, "{summary:?}");
    assert_eq!(summary.users_purged, 0, "{summary:?}");
    assert_eq!(summary.newly_deactivated, 0, "{summary:?}");
    assert_eq!(summary.reactivated, 0, "{summary:?}");
    assert_eq!(scenario.rows(BOB).await, full_rows());
    assert_eq!(scenario.rows(ERIN).await, full_rows());
}

async fn small_batches_delete_everything(database: Database) {
    let scenario = Scenario::start(database).await;
    let options = JobOptions {
        batch_size: 2,
        ..options(false)
    };

    let summary = retention::run(scenario.store().as_ref(), scenario.directory(), &options)
        .await
        .expect("the job runs");

    assert_eq!(summary.rows_deleted, purged_rows());
    assert_eq!(scenario.rows(BOB).await, no_rows());
    assert_eq!(scenario.rows(ERIN).await, no_rows());
    assert_eq!(scenario.rows(ALICE).await, full_rows());
}

async fn signed_in_user_is_not_purged(database: Database) {
    let scenario = Scenario::start(database).await;
    // A user seen by the app is active, whatever an earlier run marked.
    scenario
        .store()
        .record_user_seen(&user(ERIN), Some("Erin"))
        .await
        .expect("record the sign-in");
    let request = app_server::store::PurgeRequest {
        user_id: &user(ERIN),
        deactivated_before: days_ago(90),
        batch_size: 100,
        dry_run: false,
    };

    let purged = scenario
        .store()
        .purge_user_data(&access(), &request)
        .await
        .expect("purge query");

    assert_eq!(purged, None);
    assert_eq!(scenario.rows(ERIN).await, full_rows());
}

mod sqlite {
    use super::*;

    #[tokio::test]
    async fn policy_is_applied() {
        super::policy_is_applied(Database::Sqlite).await;
    }

    #[tokio::test]
    async fn dry_run_matches_real_run() {
        super::dry_run_matches_real_run(Database::Sqlite).await;
    }

    #[tokio::test]
    async fn concurrent_runs_delete_once() {
        super::concurrent_runs_delete_once(Database::Sqlite).await;
    }

    #[tokio::test]
    async fn held_lock_stops_the_job() {
        super::held_lock_stops_the_job(Database::Sqlite).await;
    }

    #[tokio::test]
    async fn failed_lookup_keeps_data() {
        super::failed_lookup_keeps_data(Database::Sqlite).await;
    }

    #[tokio::test]
    async fn small_batches_delete_everything() {
        super::small_batches_delete_everything(Database::Sqlite).await;
    }

    #[tokio::test]
    async fn signed_in_user_is_not_purged() {
        super::signed_in_user_is_not_purged(Database::Sqlite).await;
    }
}

mod postgres {
    use super::*;

    #[tokio::test]
    async fn policy_is_applied() {
        super::policy_is_applied(Database::Postgres).await;
    }

    #[tokio::test]
    async fn dry_run_matches_real_run() {
        super::dry_run_matches_real_run(Database::Postgres).await;
    }

    #[tokio::test]
    async fn concurrent_runs_delete_once() {
        super::concurrent_runs_delete_once(Database::Postgres).await;
    }

    #[tokio::test]
    async fn held_lock_stops_the_job() {
        super::held_lock_stops_the_job(Database::Postgres).await;
    }

    #[tokio::test]
    async fn failed_lookup_keeps_data() {
        super::failed_lookup_keeps_data(Database::Postgres).await;
    }

    #[tokio::test]
    async fn small_batches_delete_everything() {
        super::small_batches_delete_everything(Database::Postgres).await;
    }

    #[tokio::test]
    async fn signed_in_user_is_not_purged() {
        super::signed_in_user_is_not_purged(Database::Postgres).await;
    }
}
