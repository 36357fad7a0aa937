//! `app-server cleanup-orphans` as a child process, against the workspace emulator and a SQLite
//! file.

mod server_process;

use std::process::Output;
use std::sync::Arc;

use app_server::domain::UserId;
use app_server::retention::JOB_NAME;
use app_server::store::{self, Store, StoreOptions};
use chrono::{Duration, Utc};
use secrecy::SecretString;
use serde_json::json;
use workspace_emulator::Emulator;

const BOB: &str = "bob@example.com";

/// A folder with a migrated SQLite database in which Bob, deactivated in the workspace and
/// marked 91 days ago, has one preference.
struct Setup {
    emulator: Emulator,
    dir: tempfile::TempDir,
    database_url: String,
    store: Arc<dyn Store>,
}

impl Setup {
    async fn start() -> Self {
        let emulator = server_process::start_emulator().await;
        let dir = tempfile::tempdir().expect("temporary folder");
        let database_url = format!("sqlite://{}", dir.path().join("app.db").display());
        let store = store::connect(
            &SecretString::from(database_url.clone()),
            &StoreOptions::default(),
        )
        .await
        .expect("open the database");
        store.migrate_up().await.expect("apply migrations");

        let bob = UserId::verified(BOB);
        store
            .upsert_preference(&bob, "ui.theme", &json!("dark"))
            .await
            .expect("save a preference");
        store
            .mark_user_deactivated(&bob, Utc::now() - Duration::days(91))
            .await
            .expect("mark bob");
        let response = reqwest::Client::new()
            .post(format!(
                "{}/__emulator/users/{BOB}/deactivate",
                emulator.base_url()
            ))
            .send()
            .await
            .expect("emulator control plane");
        assert!(response.status().is_success());

        Self {
            emulator,
            dir,
            database_url,
            store,
        }
    }

    async fn run(&self, args: &[&str]) -> Output {
        let mut command = server_process::base_command(self.dir.path());
        command
            .env("RUST_LOG", "warn")
            .env("DATABRICKS_HOST", self.emulator.base_url())
            .env(
                "DATABRICKS_CLIENT_ID",
                workspace_emulator::DEFAULT_SERVICE_PRINCIPAL_ID,
            )
            .env(
                "DATABRICKS_CLIENT_SECRET",
                workspace_emulator::DEFAULT_SERVICE_PRINCIPAL_SECRET,
            )
            .env("DATABASE_URL", &self.database_url)
            .arg("cleanup-orphans")
            .args(args);
        command.output().await.expect("run app-server")
    }

    async fn bob_preferences(&self) -> usize {
        self.store
            .list_preferences(&UserId::verified(BOB))
            .await
            .expect("list preferences")
            .len()
    }
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[tokio::test]
async fn dry_run_prints_and_keeps_data() {
    let setup = Setup::start().await;

    let output = setup.run(&["--dry-run"]).await;

    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(text.contains("dry run: nothing was changed"), "{text}");
    assert!(
        text.contains("users whose data would be deleted: 1"),
        "{text}"
    );
    assert!(
        text.contains("user_preferences 1, model_inference_logs 0, users 1"),
        "{text}"
    );
    assert_eq!(setup.bob_preferences().await, 1);
}

#[tokio::test]
async fn real_run_deletes_expired_data() {
    let setup = Setup::start().await;

    let output = setup.run(&[]).await;

    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        stdout(&output).contains("users whose data was deleted: 1"),
        "{}",
        stdout(&output)
    );
    assert_eq!(setup.bob_preferences().await, 0);
}

#[tokio::test]
async fn longer_retention_keeps_data() {
    let setup = Setup::start().await;

    let output = setup.run(&["--retention-days", "120"]).await;

    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        stdout(&output).contains("retention period: 120 days"),
        "{}",
        stdout(&output)
    );
    assert_eq!(setup.bob_preferences().await, 1);
}

#[tokio::test]
async fn held_lock_exits_with_3() {
    let setup = Setup::start().await;
    let lock = setup
        .store
        .try_lock_job(JOB_NAME)
        .await
        .expect("lock query")
        .expect("the lock is free");

    let output = setup.run(&[]).await;
    lock.release().await;

    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("already running"),
        "{}",
        stderr(&output)
    );
    assert_eq!(setup.bob_preferences().await, 1);
}

#[tokio::test]
async fn zero_retention_days_is_rejected() {
    let setup = Setup::start().await;

    let output = setup.run(&["--retention-days", "0"]).await;

    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("--retention-days"),
        "{}",
        stderr(&output)
    );
    assert_eq!(setup.bob_preferences().await, 1);
}
