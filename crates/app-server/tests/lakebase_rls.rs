//! Row-level security on PostgreSQL: an unfiltered query returns only the rows of the user the
//! transaction is scoped to, and none without one. The tests connect as a role that owns the
//! tables and is not a superuser, like the app's role on Lakebase. Needs `TEST_POSTGRES_URL`.

#[path = "common/postgres.rs"]
mod postgres_db;

use app_server::domain::UserId;
use app_server::store::{self, InferenceLog, Store, StoreOptions};
use chrono::Utc;
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;
use sqlx::{Connection as _, PgPool};

use postgres_db::{DatabaseGuard, fresh_postgres_database};

struct Fixture {
    store: std::sync::Arc<dyn Store>,
    /// A second pool logged in as the same role as the store.
    same_role: PgPool,
    url: SecretString,
    _database: DatabaseGuard,
}

/// Opens a migrated store with one preference and one inference log for each of alice and bob.
async fn fixture() -> Fixture {
    let (url, database) = fresh_postgres_database().await;
    let store = store::connect(&url, &StoreOptions::default())
        .await
        .expect("connect");
    store.migrate_up().await.expect("migrate");
    for (name, minute) in [("alice", 1), ("bob", 2)] {
        let user = user(name);
        store
            .upsert_preference(&user, "theme", &json!(name))
            .await
            .expect("upsert");
        store
            .record_inference(&user, &log(minute))
            .await
            .expect("record");
    }
    let same_role = PgPool::connect(url.expose_secret())
        .await
        .expect("second pool");
    Fixture {
        store,
        same_role,
        url,
        _database: database,
    }
}

fn user(name: &str) -> UserId {
    UserId::verified(format!("{name}@example.com"))
}

fn log(minute: u32) -> InferenceLog {
    InferenceLog {
        request_id: format!("00000000-0000-4000-8000-{minute:012}"),
        endpoint_name: "chat".to_owned(),
        request_payload: json!({"messages": []}),
        response_payload: None,
        status: "success".to_owned(),
        http_status: Some(200),
        latency_ms: 5,
        error_message: None,
        requested_at: Utc::now(),
        completed_at: None,
    }
}

/// Runs `SELECT user_id FROM <table>` without a filter in a transaction scoped to `user_id`
/// (none when `None`), the way the store scopes its transactions.
async fn unfiltered_owners(pool: &PgPool, table: &str, user_id: Option<&str>) -> Vec<String> {
    let mut transaction = pool.begin().await.expect("begin");
    if let Some(user_id) = user_id {
        sqlx::query("SELECT set_config('app.user_id', $1, true)")
            .bind(user_id)
            .execute(&mut *transaction)
            .await
            .expect("set app.user_id");
    }
    let sql = match table {
        "user_preferences" => "SELECT user_id FROM user_preferences ORDER BY user_id",
        "model_inference_logs" => "SELECT user_id FROM model_inference_logs ORDER BY user_id",
        other => panic!("unknown table {other}"),
    };
    let owners = sqlx::query_scalar(sql)
        .fetch_all(&mut *transaction)
        .await
        .expect("unfiltered select");
    transaction.commit().await.expect("commit");
    owners
}

#[tokio::test]
async fn query_without_identity_sees_no_rows() {
    let fixture = fixture().await;
    for table in ["user_preferences", "model_inference_logs"] {
        let owners = unfiltered_owners(&fixture.same_role, table, None).await;
        assert_eq!(owners, Vec::<String>::new(), "{table}");
    }
}

#[tokio::test]
async fn unfiltered_query_sees_only_alices_rows() {
    let fixture = fixture().await;
    for table in ["user_preferences", "model_inference_logs"] {
        let owners = unfiltered_owners(&fixture.same_role, table, Some("alice@example.com")).await;
        assert_eq!(owners, ["alice@example.com"], "{table}");
    }
}

#[tokio::test]
async fn scope_ends_with_its_transaction() {
    let fixture = fixture().await;
    // One connection, so the second transaction reuses the first one's session.
    let mut connection = sqlx::PgConnection::connect(fixture.url.expose_secret())
        .await
        .expect("connect");
    let mut transaction = connection.begin().await.expect("begin");
    sqlx::query("SELECT set_config('app.user_id', 'alice@example.com', true)")
        .execute(&mut *transaction)
        .await
        .expect("scope to alice");
    transaction.commit().await.expect("commit");

    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM user_preferences")
        .fetch_one(&mut connection)
        .await
        .expect("count");
    assert_eq!(count, 0);
}

#[tokio::test]
async fn insert_for_another_user_is_rejected() {
    let fixture = fixture().await;
    let mut transaction = fixture.same_role.begin().await.expect("begin");
    sqlx::query("SELECT set_config('app.user_id', 'alice@example.com', true)")
        .execute(&mut *transaction)
        .await
        .expect("scope to alice");
    let result = sqlx::query(
        "INSERT INTO user_preferences \
             (user_id, preference_key, preference_value, created_at, updated_at) \
         VALUES ('bob@example.com', 'planted', '1', now(), now())",
    )
    .execute(&mut *transaction)
    .await;
    let error = result.expect_err("the policy's WITH CHECK rejects the row");
    let code = error
        .as_database_error()
        .and_then(|error| error.code().map(std::borrow::Cow::into_owned));
    assert_eq!(code.as_deref(), Some("42501"), "{error}");
}

#[tokio::test]
async fn store_reads_still_work_under_policies() {
    let fixture = fixture().await;
    let listed = fixture
        .store
        .list_preferences(&user("bob"))
        .await
        .expect("list");
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].preference_value, json!("bob"));
    let (logs, total) = fixture
        .store
        .list_inference_logs(&user("alice"), 10, 0)
        .await
        .expect("list logs");
    assert_eq!((logs.len(), total), (1, 1));
}

#[tokio::test]
async fn migration_down_removes_the_policies() {
    let fixture = fixture().await;
    let policies = |pool: PgPool| async move {
        let rows: Vec<(String, bool, bool)> = sqlx::query_as(
            "SELECT c.relname::TEXT, c.relrowsecurity, c.relforcerowsecurity FROM pg_class c \
             WHERE c.relname IN ('user_preferences', 'model_inference_logs') ORDER BY 1",
        )
        .fetch_all(&pool)
        .await
        .expect("pg_class");
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM pg_policies")
            .fetch_one(&pool)
            .await
            .expect("pg_policies");
        (rows, count)
    };

    let (rows, count) = policies(fixture.same_role.clone()).await;
    assert_eq!(count, 4);
    assert!(rows.iter().all(|(_, enabled, _)| *enabled), "{rows:?}");
    assert!(rows.iter().all(|(_, _, forced)| *forced), "{rows:?}");

    let reverted = fixture.store.migrate_down().await.expect("down");
    assert_eq!(reverted.map(|migration| migration.version), Some(2));
    let (rows, count) = policies(fixture.same_role.clone()).await;
    assert_eq!(count, 0);
    assert!(rows.iter().all(|(_, enabled, _)| !enabled), "{rows:?}");
    assert!(rows.iter().all(|(_, _, forced)| !forced), "{rows:?}");
    let owners = unfiltered_owners(&fixture.same_role, "user_preferences", None).await;
    assert_eq!(owners, ["alice@example.com", "bob@example.com"]);
}
