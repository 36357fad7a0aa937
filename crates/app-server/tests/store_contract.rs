//! The store contract, written once and run against real PostgreSQL and real SQLite.
//!
//! PostgreSQL tests need `TEST_POSTGRES_URL` (set by `scripts/test.sh`); each test gets a fresh
//! database. SQLite tests use a file in a temporary folder.

#[path = "common/postgres.rs"]
mod postgres_db;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use app_server::domain::UserId;
use app_server::store::{
    self, Backend, CrossUserAccess, InferenceLog, MigrationInfo, Store, StoreError, StoreOptions,
};
use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};
use sqlx::{PgPool, SqlitePool};

use postgres_db::{DatabaseGuard, fresh_postgres_database};

/// A store on an empty database and the handles that keep the database alive.
struct Fixture {
    store: Arc<dyn Store>,
    url: SecretString,
    _postgres: Option<DatabaseGuard>,
    _sqlite_dir: Option<tempfile::TempDir>,
}

impl Fixture {
    /// Opens a store on a new, empty database without applying migrations.
    async fn open(backend: Backend) -> Self {
        let (url, postgres, sqlite_dir) = match backend {
            Backend::Postgres => {
                let (url, guard) = fresh_postgres_database().await;
                (url, Some(guard), None)
            }
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temporary folder");
                let path = dir.path().join("app.db");
                let url = SecretString::from(format!("sqlite://{}", path.display()));
                (url, None, Some(dir))
            }
        };
        let store = store::connect(&url, &StoreOptions::default())
            .await
            .expect("connect to the test database");
        Self {
            store,
            url,
            _postgres: postgres,
            _sqlite_dir: sqlite_dir,
        }
    }

    /// Opens a store on a new database with every migration applied.
    async fn migrated(backend: Backend) -> Self {
        let fixture = Self::open(backend).await;
        fixture.store.migrate_up().await.expect("apply migrations");
        fixture
    }

    /// Opens a second, plain sqlx pool on the same database, to check rows the trait cannot show.
    async fn probe(&self) -> Probe {
        let url = self.url.expose_secret();
        match self.store.backend() {
            Backend::Postgres => Probe::Postgres(PgPool::connect(url).await.expect("probe pool")),
            Backend::Sqlite => Probe::Sqlite(SqlitePool::connect(url).await.expect("probe pool")),
        }
    }
}

/// A row of `users` as the tests read it.
#[derive(Debug, Clone, PartialEq)]
struct UserRow {
    display_name: Option<String>,
    active: bool,
    first_seen_at: DateTime<Utc>,
    last_seen_at: DateTime<Utc>,
    deactivated_at: Option<DateTime<Utc>>,
}

enum Probe {
    Postgres(PgPool),
    Sqlite(SqlitePool),
}

impl Probe {
    async fn user(&self, user_id: &UserId) -> Option<UserRow> {
        let sql = "SELECT display_name, active, first_seen_at, last_seen_at, deactivated_at \
                   FROM users WHERE user_id = $1";
        match self {
            Self::Postgres(pool) => {
                type Row = (
                    Option<String>,
                    bool,
                    DateTime<Utc>,
                    DateTime<Utc>,
                    Option<DateTime<Utc>>,
                );
                let row: Option<Row> = sqlx::query_as(sql)
                    .bind(user_id.as_str())
                    .fetch_optional(pool)
                    .await
                    .expect("read users");
                row.map(|(display_name, active, first, last, deactivated)| UserRow {
                    display_name,
                    active,
                    first_seen_at: first,
                    last_seen_at: last,
                    deactivated_at: deactivated,
                })
            }
            Self::Sqlite(pool) => {
                type Row = (Option<String>, bool, String, String, Option<String>);
                let row: Option<Row> = sqlx::query_as(sql)
                    .bind(user_id.as_str())
                    .fetch_optional(pool)
                    .await
                    .expect("read users");
                row.map(|(display_name, active, first, last, deactivated)| UserRow {
                    display_name,
                    active,
                    first_seen_at: parse_time(&first),
                    last_seen_at: parse_time(&last),
                    deactivated_at: deactivated.as_deref().map(parse_time),
                })
            }
        }
    }

    async fn deactivate(&self, user_id: &UserId) {
        let sql = "UPDATE users SET active = FALSE, deactivated_at = $2 WHERE user_id = $1";
        let rows_affected = match self {
            Self::Postgres(pool) => sqlx::query(sql)
                .bind(user_id.as_str())
                .bind(Utc::now())
                .execute(pool)
                .await
                .expect("deactivate user")
                .rows_affected(),
            Self::Sqlite(pool) => sqlx::query(sql)
                .bind(user_id.as_str())
                .bind("2026-01-01T00:00:00.000000Z")
                .execute(pool)
                .await
                .expect("deactivate user")
                .rows_affected(),
        };
        assert_eq!(rows_affected, 1);
    }

    /// Names of the tables in the app's schema, sorted.
    async fn tables(&self) -> Vec<String> {
        match self {
            Self::Postgres(pool) => sqlx::query_scalar(
                "SELECT tablename::TEXT FROM pg_tables WHERE schemaname = 'public' \
                 ORDER BY tablename",
            )
            .fetch_all(pool)
            .await
            .expect("list tables"),
            Self::Sqlite(pool) => sqlx::query_scalar(
                "SELECT name FROM sqlite_master \
                 WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
            )
            .fetch_all(pool)
            .await
            .expect("list tables"),
        }
    }
}

fn parse_time(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap_or_else(|error| panic!("{text:?} is not RFC 3339: {error}"))
        .with_timezone(&Utc)
}

fn user(name: &str) -> UserId {
    UserId::verified(format!("{name}@example.com"))
}

/// Waits long enough for the next write to get a later timestamp than the previous one.
async fn tick() {
    tokio::time::sleep(Duration::from_millis(5)).await;
}

const APP_TABLES: [&str; 4] = [
    "_sqlx_migrations",
    "model_inference_logs",
    "user_preferences",
    "users",
];

/// Cases that hold on every backend. Each takes the backend and opens its own database.
mod cases {
    use super::*;

    pub async fn ping_succeeds(backend: Backend) {
        let fixture = Fixture::migrated(backend).await;
        assert_eq!(fixture.store.backend(), backend);
        fixture.store.ping().await.expect("ping");
    }

    pub async fn get_returns_saved_preference(backend: Backend) {
        let fixture = Fixture::migrated(backend).await;
        let alice = user("alice");
        let value = json!({"theme": "dark"});

        let saved = fixture
            .store
            .upsert_preference(&alice, "ui.theme", &value)
            .await
            .expect("upsert");
        assert_eq!(saved.preference_key, "ui.theme");
        assert_eq!(saved.preference_value, value);
        assert_eq!(saved.created_at, saved.updated_at);

        let loaded = fixture.store.get_preference(&alice, "ui.theme").await;
        assert_eq!(loaded.expect("get"), Some(saved));
    }

    pub async fn get_unknown_key_returns_none(backend: Backend) {
        let fixture = Fixture::migrated(backend).await;
        let loaded = fixture
            .store
            .get_preference(&user("alice"), "missing")
            .await;
        assert_eq!(loaded.expect("get"), None);
    }

    pub async fn upsert_replaces_existing_value(backend: Backend) {
        let fixture = Fixture::migrated(backend).await;
        let alice = user("alice");
        let first = fixture
            .store
            .upsert_preference(&alice, "page.size", &json!(10))
            .await
            .expect("insert");
        tick().await;

        let second = fixture
            .store
            .upsert_preference(&alice, "page.size", &json!(50))
            .await
            .expect("update");
        assert_eq!(second.preference_value, json!(50));
        assert_eq!(second.created_at, first.created_at);
        assert!(
            second.updated_at > first.updated_at,
            "updated_at {} is not after {}",
            second.updated_at,
            first.updated_at
        );

        let loaded = fixture.store.get_preference(&alice, "page.size").await;
        assert_eq!(loaded.expect("get"), Some(second.clone()));
        let listed = fixture.store.list_preferences(&alice).await.expect("list");
        assert_eq!(listed, vec![second]);
    }

    pub async fn list_is_newest_update_first(backend: Backend) {
        let fixture = Fixture::migrated(backend).await;
        let alice = user("alice");
        assert_eq!(
            fixture.store.list_preferences(&alice).await.expect("list"),
            vec![]
        );

        for key in ["a", "b", "c"] {
            fixture
                .store
                .upsert_preference(&alice, key, &json!(key))
                .await
                .expect("insert");
            tick().await;
        }
        fixture
            .store
            .upsert_preference(&alice, "a", &json!("a2"))
            .await
            .expect("update");

        let listed = fixture.store.list_preferences(&alice).await.expect("list");
        let keys: Vec<&str> = listed.iter().map(|p| p.preference_key.as_str()).collect();
        assert_eq!(keys, ["a", "c", "b"]);
        assert_eq!(listed[0].preference_value, json!("a2"));
    }

    pub async fn delete_removes_only_that_key(backend: Backend) {
        let fixture = Fixture::migrated(backend).await;
        let alice = user("alice");
        for key in ["keep", "drop"] {
            fixture
                .store
                .upsert_preference(&alice, key, &json!(true))
                .await
                .expect("insert");
        }

        let deleted = fixture.store.delete_preference(&alice, "drop").await;
        assert!(deleted.expect("delete"), "first delete finds the row");
        let deleted_row = fixture.store.get_preference(&alice, "drop").await;
        assert_eq!(deleted_row.expect("get"), None);
        let other_row = fixture.store.get_preference(&alice, "keep").await;
        assert!(other_row.expect("get").is_some(), "other key survives");

        let again = fixture.store.delete_preference(&alice, "drop").await;
        assert!(!again.expect("delete"), "second delete finds nothing");
    }

    pub async fn json_values_round_trip(backend: Backend) {
        let fixture = Fixture::migrated(backend).await;
        let alice = user("alice");
        let values = [
            json!({"nested": {"list": [1, 2, {"deep": null}]}, "flag": false}),
            json!({}),
            json!([]),
            json!([1, "two", 3.5, null, true, {"k": "v"}]),
            json!("plain text"),
            json!(""),
            json!("quotes \" backslash \\ newline \n tab \t"),
            json!("日本語 ✓ café 🎉 Ωμέγα"),
            json!({"ключ": "значение", "emoji 🎈": ["😀"]}),
            json!(0),
            json!(-42),
            json!(9_007_199_254_740_993_i64),
            json!(u64::MAX),
            json!(3.25),
            json!(-0.5),
            json!(true),
            json!(false),
            json!(null),
        ];

        for (index, value) in values.iter().enumerate() {
            let key = format!("value.{index}");
            let saved = fixture
                .store
                .upsert_preference(&alice, &key, value)
                .await
                .unwrap_or_else(|error| panic!("upsert {value}: {error}"));
            assert_eq!(&saved.preference_value, value, "returned by upsert");

            let loaded = fixture.store.get_preference(&alice, &key).await;
            let loaded = loaded.expect("get").expect("saved row");
            assert_eq!(&loaded.preference_value, value, "returned by get");
        }
        let listed = fixture.store.list_preferences(&alice).await.expect("list");
        assert_eq!(listed.len(), values.len());
    }

    pub async fn key_length_is_limited_to_255(backend: Backend) {
        let fixture = Fixture::migrated(backend).await;
        let alice = user("alice");

        let longest = "k".repeat(255);
        let saved = fixture
            .store
            .upsert_preference(&alice, &longest, &json!(1))
            .await
            .expect("255-character key");
        assert_eq!(saved.preference_key, longest);
        let loaded = fixture.store.get_preference(&alice, &longest).await;
        assert!(loaded.expect("get").is_some());

        for key in ["k".repeat(256), String::new()] {
            let result = fixture
                .store
                .upsert_preference(&alice, &key, &json!(1))
                .await;
            assert!(
                matches!(result, Err(StoreError::Query(_))),
                "key of {} characters: {result:?}",
                key.len()
            );
        }
    }

    pub async fn other_user_cannot_get_or_list(backend: Backend) {
        let fixture = Fixture::migrated(backend).await;
        let (alice, bob) = (user("alice"), user("bob"));
        fixture
            .store
            .upsert_preference(&alice, "secret.note", &json!("alice only"))
            .await
            .expect("insert");

        let seen_by_bob = fixture.store.get_preference(&bob, "secret.note").await;
        assert_eq!(seen_by_bob.expect("get"), None);
        let bobs_list = fixture.store.list_preferences(&bob).await.expect("list");
        assert_eq!(bobs_list, vec![]);
        let alices_list = fixture.store.list_preferences(&alice).await.expect("list");
        assert_eq!(alices_list.len(), 1);
    }

    pub async fn same_key_is_separate_per_user(backend: Backend) {
        let fixture = Fixture::migrated(backend).await;
        let (alice, bob) = (user("alice"), user("bob"));
        let store = &fixture.store;
        store
            .upsert_preference(&alice, "lang", &json!("en"))
            .await
            .expect("alice inserts");
        store
            .upsert_preference(&bob, "lang", &json!("de"))
            .await
            .expect("bob inserts");
        store
            .upsert_preference(&alice, "lang", &json!("fr"))
            .await
            .expect("alice updates");

        let alices = store.get_preference(&alice, "lang").await.expect("get");
        let bobs = store.get_preference(&bob, "lang").await.expect("get");
        assert_eq!(alices.expect("alice's row").preference_value, json!("fr"));
        assert_eq!(bobs.expect("bob's row").preference_value, json!("de"));
        assert_eq!(store.list_preferences(&alice).await.expect("list").len(), 1);
        assert_eq!(store.list_preferences(&bob).await.expect("list").len(), 1);
    }

    pub async fn other_user_cannot_delete(backend: Backend) {
        let fixture = Fixture::migrated(backend).await;
        let (alice, bob) = (user("alice"), user("bob"));
        let saved = fixture
            .store
            .upsert_preference(&alice, "lang", &json!("en"))
            .await
            .expect("insert");

        let deleted = fixture.store.delete_preference(&bob, "lang").await;
        assert!(!deleted.expect("delete"), "bob has no such key");
        let survivor = fixture.store.get_preference(&alice, "lang").await;
        assert_eq!(survivor.expect("get"), Some(saved));
    }

    pub async fn record_user_seen_inserts_then_updates(backend: Backend) {
        let fixture = Fixture::migrated(backend).await;
        let probe = fixture.probe().await;
        let alice = user("alice");
        assert_eq!(probe.user(&alice).await, None);

        fixture
            .store
            .record_user_seen(&alice, Some("Alice"))
            .await
            .expect("insert");
        let inserted = probe.user(&alice).await.expect("row after insert");
        assert_eq!(inserted.display_name.as_deref(), Some("Alice"));
        assert!(inserted.active);
        assert_eq!(inserted.first_seen_at, inserted.last_seen_at);
        assert_eq!(inserted.deactivated_at, None);
        tick().await;

        fixture
            .store
            .record_user_seen(&alice, Some("Alice Smith"))
            .await
            .expect("update");
        let updated = probe.user(&alice).await.expect("row after update");
        assert_eq!(updated.display_name.as_deref(), Some("Alice Smith"));
        assert_eq!(updated.first_seen_at, inserted.first_seen_at);
        assert!(updated.last_seen_at > inserted.last_seen_at);
        assert_eq!(probe.user(&user("bob")).await, None);
    }

    pub async fn record_user_seen_keeps_old_name(backend: Backend) {
        let fixture = Fixture::migrated(backend).await;
        let probe = fixture.probe().await;
        let alice = user("alice");
        fixture
            .store
            .record_user_seen(&alice, Some("Alice"))
            .await
            .expect("insert");
        fixture
            .store
            .record_user_seen(&alice, None)
            .await
            .expect("update");

        let row = probe.user(&alice).await.expect("row");
        assert_eq!(row.display_name.as_deref(), Some("Alice"));
    }

    pub async fn record_user_seen_reactivates_user(backend: Backend) {
        let fixture = Fixture::migrated(backend).await;
        let probe = fixture.probe().await;
        let alice = user("alice");
        fixture
            .store
            .record_user_seen(&alice, None)
            .await
            .expect("insert");
        probe.deactivate(&alice).await;
        let deactivated = probe.user(&alice).await.expect("row");
        assert!(!deactivated.active);
        assert!(deactivated.deactivated_at.is_some());

        fixture
            .store
            .record_user_seen(&alice, None)
            .await
            .expect("update");
        let row = probe.user(&alice).await.expect("row");
        assert!(row.active);
        assert_eq!(row.deactivated_at, None);
        assert_eq!(row.display_name, None);
    }

    pub async fn migrations_go_down_and_up_again(backend: Backend) {
        let fixture = Fixture::open(backend).await;
        let store = &fixture.store;
        let probe = fixture.probe().await;
        let initial = MigrationInfo {
            version: 1,
            description: "initial".to_owned(),
        };
        let row_level_security = MigrationInfo {
            version: 2,
            description: "row level security".to_owned(),
        };
        let applied_flags = async || -> Vec<bool> {
            let status = store.migration_status().await.expect("status");
            status.iter().map(|migration| migration.applied).collect()
        };

        let status = store.migration_status().await.expect("status before up");
        let versions: Vec<i64> = status.iter().map(|migration| migration.version).collect();
        assert_eq!(versions, [1, 2], "{status:?}");
        assert_eq!(applied_flags().await, [false, false]);

        let applied = store.migrate_up().await.expect("up");
        assert_eq!(applied, vec![initial.clone(), row_level_security.clone()]);
        assert_eq!(applied_flags().await, [true, true]);
        assert_eq!(probe.tables().await, APP_TABLES);
        assert_eq!(store.migrate_up().await.expect("second up"), vec![]);
        store
            .upsert_preference(&user("alice"), "k", &json!(1))
            .await
            .expect("upsert after up");

        let reverted = store.migrate_down().await.expect("first down");
        assert_eq!(reverted, Some(row_level_security.clone()));
        assert_eq!(applied_flags().await, [true, false]);
        assert_eq!(probe.tables().await, APP_TABLES);
        let kept = store.get_preference(&user("alice"), "k").await;
        assert!(kept.expect("get").is_some(), "0002 down dropped data");

        let reverted = store.migrate_down().await.expect("second down");
        assert_eq!(reverted, Some(initial.clone()));
        assert_eq!(applied_flags().await, [false, false]);
        assert_eq!(probe.tables().await, ["_sqlx_migrations"]);
        let without_tables = store.list_preferences(&user("alice")).await;
        assert!(
            matches!(without_tables, Err(StoreError::Query(_))),
            "{without_tables:?}"
        );
        assert_eq!(store.migrate_down().await.expect("third down"), None);

        let reapplied = store.migrate_up().await.expect("up again");
        assert_eq!(reapplied, vec![initial, row_level_security]);
        assert_eq!(applied_flags().await, [true, true]);
        assert_eq!(probe.tables().await, APP_TABLES);
        let listed = store.list_preferences(&user("alice")).await;
        assert_eq!(listed.expect("list"), vec![], "down dropped the data");
        store
            .upsert_preference(&user("alice"), "k", &json!(2))
            .await
            .expect("upsert after up again");
    }

    pub async fn inference_log_round_trips(backend: Backend) {
        let fixture = Fixture::migrated(backend).await;
        let alice = user("alice");
        let mut log = inference_log(0);
        log.response_payload = Some(json!({"choices": [{"message": {"content": "hi"}}]}));
        log.http_status = Some(200);
        log.completed_at = Some(log.requested_at + chrono::Duration::milliseconds(1234));
        fixture
            .store
            .record_inference(&alice, &log)
            .await
            .expect("record");

        let (listed, total) = fixture
            .store
            .list_inference_logs(&alice, 10, 0)
            .await
            .expect("list");
        assert_eq!(total, 1);
        assert_eq!(listed, vec![log]);
    }

    pub async fn inference_log_keeps_missing_fields(backend: Backend) {
        let fixture = Fixture::migrated(backend).await;
        let alice = user("alice");
        let mut log = inference_log(0);
        "timeout".clone_into(&mut log.status);
        log.error_message = Some("no response within 30 s".to_owned());
        fixture
            .store
            .record_inference(&alice, &log)
            .await
            .expect("record");

        let (listed, _) = fixture
            .store
            .list_inference_logs(&alice, 10, 0)
            .await
            .expect("list");
        assert_eq!(listed[0].response_payload, None);
        assert_eq!(listed[0].http_status, None);
        assert_eq!(listed[0].completed_at, None);
        assert_eq!(listed[0], log);
    }

    pub async fn inference_duplicate_request_id_conflicts(backend: Backend) {
        let fixture = Fixture::migrated(backend).await;
        let log = inference_log(0);
        fixture
            .store
            .record_inference(&user("alice"), &log)
            .await
            .expect("first record");

        for owner in ["alice", "bob"] {
            let error = fixture
                .store
                .record_inference(&user(owner), &log)
                .await
                .expect_err("duplicate request_id");
            assert!(matches!(error, StoreError::Conflict(_)), "{error:?}");
            assert!(error.to_string().contains(&log.request_id), "{error}");
        }
        let (_, total) = fixture
            .store
            .list_inference_logs(&user("bob"), 10, 0)
            .await
            .expect("list");
        assert_eq!(total, 0);
    }

    pub async fn inference_list_pages_newest_first(backend: Backend) {
        let fixture = Fixture::migrated(backend).await;
        let alice = user("alice");
        // Recorded out of time order, so the order comes from requested_at, not from insertion.
        for minutes in [3, 1, 4, 0, 2] {
            fixture
                .store
                .record_inference(&alice, &inference_log(minutes))
                .await
                .expect("record");
        }
        let minutes_of = |logs: &[InferenceLog]| -> Vec<i64> {
            logs.iter()
                .map(|log| (log.requested_at - base_time()).num_minutes())
                .collect()
        };

        let (first, total) = fixture
            .store
            .list_inference_logs(&alice, 2, 0)
            .await
            .expect("first page");
        assert_eq!(total, 5);
        assert_eq!(minutes_of(&first), [4, 3]);
        let (second, _) = fixture
            .store
            .list_inference_logs(&alice, 2, 2)
            .await
            .expect("second page");
        assert_eq!(minutes_of(&second), [2, 1]);
        let (past_end, total) = fixture
            .store
            .list_inference_logs(&alice, 2, 10)
            .await
            .expect("page past the end");
        assert_eq!(past_end, vec![]);
        assert_eq!(total, 5);
    }

    pub async fn inference_list_shows_only_own_logs(backend: Backend) {
        let fixture = Fixture::migrated(backend).await;
        let (alice, bob) = (user("alice"), user("bob"));
        for minutes in 0..3 {
            fixture
                .store
                .record_inference(&alice, &inference_log(minutes))
                .await
                .expect("record alice");
        }
        fixture
            .store
            .record_inference(&bob, &inference_log(10))
            .await
            .expect("record bob");

        let (bobs, total) = fixture
            .store
            .list_inference_logs(&bob, 10, 0)
            .await
            .expect("list bob");
        assert_eq!(total, 1);
        assert_eq!(bobs, vec![inference_log(10)]);
        let (carols, total) = fixture
            .store
            .list_inference_logs(&user("carol"), 10, 0)
            .await
            .expect("list carol");
        assert_eq!((carols.len(), total), (0, 0));
    }

    pub async fn cross_user_listing_sees_every_user(backend: Backend) {
        let fixture = Fixture::migrated(backend).await;
        fixture
            .store
            .record_inference(&user("alice"), &inference_log(1))
            .await
            .expect("record alice");
        fixture
            .store
            .record_inference(&user("bob"), &inference_log(2))
            .await
            .expect("record bob");
        let access = CrossUserAccess {
            actor: "carol@example.com",
            reason: "admin listing",
        };

        let (listed, total) = fixture
            .store
            .list_inference_logs_of_all_users(&access, 10, 0)
            .await
            .expect("list all");
        assert_eq!(total, 2);
        let owners: Vec<&str> = listed.iter().map(|row| row.user_id.as_str()).collect();
        assert_eq!(owners, ["bob@example.com", "alice@example.com"]);
        assert_eq!(listed[1].log, inference_log(1));
    }

    pub async fn retention_deletes_old_logs_of_every_user(backend: Backend) {
        let fixture = Fixture::migrated(backend).await;
        let (alice, bob) = (user("alice"), user("bob"));
        for (owner, minutes) in [(&alice, 0), (&bob, 1), (&alice, 5), (&bob, 6)] {
            fixture
                .store
                .record_inference(owner, &inference_log(minutes))
                .await
                .expect("record");
        }
        let access = CrossUserAccess {
            actor: "retention",
            reason: "inference logs older than the retention period",
        };

        let cutoff = base_time() + chrono::Duration::minutes(5);
        let deleted = fixture
            .store
            .delete_inference_logs_before(&access, cutoff)
            .await
            .expect("delete");
        assert_eq!(deleted, 2);
        for owner in [&alice, &bob] {
            let (left, total) = fixture
                .store
                .list_inference_logs(owner, 10, 0)
                .await
                .expect("list");
            assert_eq!(total, 1, "{owner}");
            assert!(left[0].requested_at >= cutoff, "{owner}");
        }
    }
}

/// 2026-12-04T19:47:05.123456Z: whole microseconds, which both backends store exactly.
fn base_time() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-12-04T19:47:05.123456Z")
        .expect("valid timestamp")
        .with_timezone(&Utc)
}

/// A successful invocation requested `minutes` after [`base_time`], with a request id derived
/// from `minutes`.
fn inference_log(minutes: i64) -> InferenceLog {
    InferenceLog {
        request_id: format!("00000000-0000-4000-8000-{minutes:012}"),
        endpoint_name: "chat-model".to_owned(),
        request_payload: json!({"messages": [{"role": "user", "content": "hello"}]}),
        response_payload: None,
        status: "success".to_owned(),
        http_status: None,
        latency_ms: 40 + minutes,
        error_message: None,
        requested_at: base_time() + chrono::Duration::minutes(minutes),
        completed_at: None,
    }
}

/// Generates one test per case and backend, named `<backend>::<case>`.
macro_rules! on_both_backends {
    ($($case:ident),* $(,)?) => {
        mod postgres {
            $(
                #[tokio::test]
                async fn $case() {
                    super::cases::$case(app_server::store::Backend::Postgres).await;
                }
            )*
        }

        mod sqlite {
            $(
                #[tokio::test]
                async fn $case() {
                    super::cases::$case(app_server::store::Backend::Sqlite).await;
                }
            )*
        }
    };
}

on_both_backends!(
    ping_succeeds,
    get_returns_saved_preference,
    get_unknown_key_returns_none,
    upsert_replaces_existing_value,
    list_is_newest_update_first,
    delete_removes_only_that_key,
    json_values_round_trip,
    key_length_is_limited_to_255,
    other_user_cannot_get_or_list,
    same_key_is_separate_per_user,
    other_user_cannot_delete,
    record_user_seen_inserts_then_updates,
    record_user_seen_keeps_old_name,
    record_user_seen_reactivates_user,
    migrations_go_down_and_up_again,
    inference_log_round_trips,
    inference_log_keeps_missing_fields,
    inference_duplicate_request_id_conflicts,
    inference_list_pages_newest_first,
    inference_list_shows_only_own_logs,
    cross_user_listing_sees_every_user,
    retention_deletes_old_logs_of_every_user,
);

/// A property test: random operations by two users, checked after each step against an in-memory
/// model, so neither user ever reads, changes or deletes the other's rows.
mod isolation_property {
    use super::*;
    use proptest::prelude::*;
    use proptest::test_runner::{Config, TestCaseError, TestRunner};

    const USERS: usize = 2;
    const KEYS: [&str; 3] = ["shared.a", "shared.b", "shared.c"];

    #[derive(Debug, Clone)]
    enum Operation {
        Upsert { user: usize, key: usize, value: i64 },
        Delete { user: usize, key: usize },
        Get { user: usize, key: usize },
        List { user: usize },
    }

    fn operation() -> impl Strategy<Value = Operation> {
        let user = 0..USERS;
        let key = 0..KEYS.len();
        prop_oneof![
            (user.clone(), key.clone(), any::<i64>())
                .prop_map(|(user, key, value)| Operation::Upsert { user, key, value }),
            (user.clone(), key.clone()).prop_map(|(user, key)| Operation::Delete { user, key }),
            (user.clone(), key).prop_map(|(user, key)| Operation::Get { user, key }),
            user.prop_map(|user| Operation::List { user }),
        ]
    }

    /// Runs `operations` with fresh user ids and compares every result with the model.
    async fn check(store: &dyn Store, operations: Vec<Operation>) -> Result<(), TestCaseError> {
        let run = uuid::Uuid::new_v4().simple().to_string();
        let users: Vec<UserId> = (0..USERS).map(|n| user(&format!("u{n}-{run}"))).collect();
        let mut model: Vec<BTreeMap<&str, Value>> = vec![BTreeMap::new(); USERS];

        for operation in operations {
            match operation {
                Operation::Upsert { user, key, value } => {
                    let saved = store
                        .upsert_preference(&users[user], KEYS[key], &json!(value))
                        .await
                        .map_err(|error| TestCaseError::fail(error.to_string()))?;
                    prop_assert_eq!(saved.preference_value, json!(value));
                    model[user].insert(KEYS[key], json!(value));
                }
                Operation::Delete { user, key } => {
                    let deleted = store
                        .delete_preference(&users[user], KEYS[key])
                        .await
                        .map_err(|error| TestCaseError::fail(error.to_string()))?;
                    prop_assert_eq!(deleted, model[user].remove(KEYS[key]).is_some());
                }
                Operation::Get { user, key } => {
                    let loaded = store
                        .get_preference(&users[user], KEYS[key])
                        .await
                        .map_err(|error| TestCaseError::fail(error.to_string()))?;
                    let value = loaded.map(|preference| preference.preference_value);
                    prop_assert_eq!(value.as_ref(), model[user].get(KEYS[key]));
                }
                Operation::List { user } => {
                    let listed = store
                        .list_preferences(&users[user])
                        .await
                        .map_err(|error| TestCaseError::fail(error.to_string()))?;
                    let listed: BTreeMap<String, Value> = listed
                        .into_iter()
                        .map(|p| (p.preference_key, p.preference_value))
                        .collect();
                    let expected: BTreeMap<String, Value> = model[user]
                        .iter()
                        .map(|(key, value)| ((*key).to_owned(), value.clone()))
                        .collect();
                    prop_assert_eq!(listed, expected);
                }
            }
        }
        Ok(())
    }

    #[test]
    fn postgres() {
        run(Backend::Postgres);
    }

    #[test]
    fn sqlite() {
        run(Backend::Sqlite);
    }

    /// Drives proptest's synchronous runner, so it builds its own runtime instead of `tokio::test`.
    fn run(backend: Backend) {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("tokio runtime");
        let fixture = runtime.block_on(Fixture::migrated(backend));
        let config = Config {
            cases: 48,
            failure_persistence: None,
            ..Config::default()
        };
        let mut runner = TestRunner::new(config);
        let strategy = proptest::collection::vec(operation(), 1..30);
        let result = runner.run(&strategy, |operations| {
            runtime.block_on(check(fixture.store.as_ref(), operations))
        });
        if let Err(failure) = result {
            panic!("{failure}");
        }
    }
}

#[tokio::test]
async fn connect_rejects_unknown_scheme() {
    let url = SecretString::from("mysql://app:hunter2-secret@127.0.0.1/app");
    let error = store::connect(&url, &StoreOptions::default())
        .await
        .expect_err("mysql is not supported");
    let message = error.to_string();
    assert!(matches!(error, StoreError::Unavailable(_)), "{error:?}");
    assert!(message.contains("`mysql`"), "{message}");
    assert!(!message.contains("hunter2-secret"), "{message}");
}

#[tokio::test]
async fn postgres_connect_error_hides_password() {
    // A port that was free a moment ago, so the connection is refused on loopback.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind port 0");
    let port = listener.local_addr().expect("local address").port();
    drop(listener);

    for url in [
        format!("postgres://app:hunter2-secret@127.0.0.1:{port}/app"),
        "postgres://app:hunter2-secret@127.0.0.1:not-a-port/app".to_owned(),
        "postgresql://app:hunter2-secret@127.0.0.1:1/app?sslmode=bogus".to_owned(),
    ] {
        let options = StoreOptions {
            acquire_timeout: Duration::from_secs(2),
            ..StoreOptions::default()
        };
        let error = store::connect(&SecretString::from(url), &options)
            .await
            .expect_err("nothing listens there");
        let message = format!("{error} {error:?}");
        assert!(matches!(error, StoreError::Unavailable(_)), "{error:?}");
        assert!(!message.contains("hunter2-secret"), "{message}");
    }
}

#[tokio::test]
async fn postgres_debug_output_hides_password() {
    let (_, guard) = fresh_postgres_database().await;
    // The test cluster lets the superuser in without checking its password, so any will do.
    let url = postgres_db::superuser_url(guard.name());
    let mut with_password = url::Url::parse(&url).expect("valid URL");
    with_password
        .set_password(Some("hunter2-secret"))
        .expect("URL accepts a password");
    let url = SecretString::from(with_password.to_string());

    let store = store::connect(&url, &StoreOptions::default())
        .await
        .expect("connect");
    let debug = format!("{store:?}");
    assert!(debug.contains("PostgresStore"), "{debug}");
    assert!(!debug.contains("hunter2-secret"), "{debug}");
}

#[tokio::test]
async fn postgres_guard_drops_its_database() {
    let (url, guard) = fresh_postgres_database().await;
    let name = guard.name().to_owned();
    let role = guard.role().to_owned();
    assert!(name.starts_with(postgres_db::DATABASE_PREFIX), "{name}");
    let server = PgPool::connect(url.expose_secret())
        .await
        .expect("connect to the test database");
    server.close().await;

    drop(guard);
    let pool = PgPool::connect(&postgres_db::superuser_url("postgres"))
        .await
        .expect("connect to the postgres database");
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
            .bind(&name)
            .fetch_one(&pool)
            .await
            .expect("query pg_database");
    assert!(!exists, "database {name} still exists");
    let role_exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)")
            .bind(&role)
            .fetch_one(&pool)
            .await
            .expect("query pg_roles");
    assert!(!role_exists, "role {role} still exists");
}

#[tokio::test]
async fn sqlite_connect_creates_parent_folders() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let path = dir.path().join("nested").join("deeper").join("app.db");
    let url = SecretString::from(format!("sqlite://{}", path.display()));

    let store = store::connect(&url, &StoreOptions::default())
        .await
        .expect("connect");
    assert_eq!(store.backend(), Backend::Sqlite);
    assert!(path.is_file(), "{} was not created", path.display());
}

#[tokio::test]
async fn sqlite_in_memory_keeps_data_between_calls() {
    let url = SecretString::from("sqlite::memory:");
    let store = store::connect(&url, &StoreOptions::default())
        .await
        .expect("connect");
    store.migrate_up().await.expect("migrate");
    let alice = user("alice");
    store
        .upsert_preference(&alice, "k", &json!([1, 2]))
        .await
        .expect("upsert");
    tokio::time::sleep(Duration::from_millis(20)).await;

    let loaded = store.get_preference(&alice, "k").await.expect("get");
    assert_eq!(loaded.expect("row").preference_value, json!([1, 2]));
}

#[tokio::test]
async fn postgres_rejects_nul_in_json_string() {
    let fixture = Fixture::migrated(Backend::Postgres).await;
    let value = json!("private-note\u{0}");

    let result = fixture
        .store
        .upsert_preference(&user("alice"), "note", &value)
        .await;
    let error = result.expect_err("jsonb has no U+0000");
    assert!(matches!(error, StoreError::Query(_)), "{error:?}");
    assert!(!error.to_string().contains("private-note"), "{error}");
}
