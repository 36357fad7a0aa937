//! The SQLite store, the embedded default for local runs.
//!
//! JSON values are stored as their serialised text and timestamps as fixed-width RFC 3339 text (see
//! `timestamps`). SQLite has no row-level security, so isolation rests on the `user_id` filter of
//! every query.

mod inference;
mod retention;

use std::path::Path;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::migrate::Migrator;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions};

use super::migrations::{self, MigrationInfo, MigrationStatus};
use super::{
    Backend, CrossUserAccess, InferenceLog, Preference, Store, StoreError, StoreOptions,
    UserInferenceLog, timestamps,
};
use crate::domain::UserId;
use crate::telemetry::metrics::database::PoolStatus;

static MIGRATOR: Migrator = sqlx::migrate!("./migrations/sqlite");

type PreferenceRow = (String, String, String, String);

/// A [`Store`] on a SQLite connection pool.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
}

impl SqliteStore {
    pub fn new(pool: SqlitePool) -> Self {
        Self { pool }
    }

    /// Parses `url`, creates the database file and its parent folder when missing, and opens a pool.
    ///
    /// An in-memory database (`sqlite::memory:`) gets a single connection that is never closed,
    /// because the data lives only as long as a connection to it.
    pub(super) async fn connect(url: &str, options: &StoreOptions) -> Result<Self, StoreError> {
        let connect_options = SqliteConnectOptions::from_str(url)
            .map_err(|error| StoreError::Unavailable(format!("invalid SQLite URL: {error}")))?
            .create_if_missing(true)
            .busy_timeout(options.acquire_timeout);

        let mut pool_options = SqlitePoolOptions::new().acquire_timeout(options.acquire_timeout);
        let connect_options = if is_in_memory(url) {
            pool_options = pool_options
                .max_connections(1)
                .idle_timeout(None)
                .max_lifetime(None);
            connect_options
        } else {
            create_parent_folder(connect_options.get_filename()).await?;
            pool_options = pool_options.max_connections(options.max_connections);
            // WAL lets readers work while one connection writes.
            connect_options.journal_mode(SqliteJournalMode::Wal)
        };

        let pool = pool_options.connect_with(connect_options).await?;
        Ok(Self::new(pool))
    }
}

/// Tells whether `url` names an in-memory or temporary database (`sqlite::memory:`,
/// `?mode=memory`, or an empty file name), whose data each connection would otherwise see alone.
fn is_in_memory(url: &str) -> bool {
    let rest = url.split_once(':').map_or(url, |(_, rest)| rest);
    let rest = rest.trim_start_matches("//");
    let (database, query) = rest.split_once('?').unwrap_or((rest, ""));
    database.is_empty()
        || database == ":memory:"
        || query.split('&').any(|pair| pair == "mode=memory")
}

async fn create_parent_folder(database_file: &Path) -> Result<(), StoreError> {
    let Some(parent) = database_file.parent() else {
        return Ok(());
    };
    if parent.as_os_str().is_empty() {
        return Ok(());
    }
    tokio::fs::create_dir_all(parent).await.map_err(|error| {
        StoreError::Unavailable(format!(
            "cannot create the SQLite database folder {}: {error}",
            parent.display()
        ))
    })
}

fn into_preference(row: PreferenceRow) -> Result<Preference, StoreError> {
    let (preference_key, value_text, created_at, updated_at) = row;
    // The message names the key but never the stored value.
    let preference_value = serde_json::from_str(&value_text).map_err(|error| {
        StoreError::Query(format!(
            "stored value of preference {preference_key:?} is not valid JSON: {error}"
        ))
    })?;
    Ok(Preference {
        preference_value,
        created_at: timestamps::from_sqlite_text(&created_at, "created_at")?,
        updated_at: timestamps::from_sqlite_text(&updated_at, "updated_at")?,
        preference_key,
    })
}

#[async_trait::async_trait]
impl Store for SqliteStore {
    fn backend(&self) -> Backend {
        Backend::Sqlite
    }

    async fn close(&self) {
        self.pool.close().await;
    }

    fn pool_status(&self) -> Option<PoolStatus> {
        Some(PoolStatus::of(&self.pool))
    }

    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    async fn record_user_seen(
        &self,
        user_id: &UserId,
        display_name: Option<&str>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO users (user_id, display_name, active, first_seen_at, last_seen_at) \
             VALUES ($1, $2, TRUE, $3, $3) \
             ON CONFLICT (user_id) DO UPDATE SET \
                 display_name = COALESCE(excluded.display_name, users.display_name), \
                 last_seen_at = excluded.last_seen_at, \
                 active = TRUE, \
                 deactivated_at = NULL",
        )
        .bind(user_id.as_str())
        .bind(display_name)
        .bind(timestamps::to_sqlite_text(timestamps::now()))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn list_preferences(&self, user_id: &UserId) -> Result<Vec<Preference>, StoreError> {
        let rows: Vec<PreferenceRow> = sqlx::query_as(
            "SELECT preference_key, preference_value, created_at, updated_at \
             FROM user_preferences WHERE user_id = $1 \
             ORDER BY updated_at DESC, id DESC",
        )
        .bind(user_id.as_str())
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(into_preference).collect()
    }

    async fn get_preference(
        &self,
        user_id: &UserId,
        key: &str,
    ) -> Result<Option<Preference>, StoreError> {
        let row: Option<PreferenceRow> = sqlx::query_as(
            "SELECT preference_key, preference_value, created_at, updated_at \
             FROM user_preferences WHERE user_id = $1 AND preference_key = $2",
        )
        .bind(user_id.as_str())
        .bind(key)
        .fetch_optional(&self.pool)
        .await?;
        row.map(into_preference).transpose()
    }

    async fn upsert_preference(
        &self,
        user_id: &UserId,
        key: &str,
        value: &Value,
    ) -> Result<Preference, StoreError> {
        let value_text = serde_json::to_string(value).map_err(|error| {
            StoreError::Query(format!("cannot serialise the value of {key:?}: {error}"))
        })?;
        // The conflict target includes user_id, so the update only ever touches this user's row.
        let row: PreferenceRow = sqlx::query_as(
            "INSERT INTO user_preferences \
                 (user_id, preference_key, preference_value, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $4) \
             ON CONFLICT (user_id, preference_key) DO UPDATE SET \
                 preference_value = excluded.preference_value, \
                 updated_at = excluded.updated_at \
             RETURNING preference_key, preference_value, created_at, updated_at",
        )
        .bind(user_id.as_str())
        .bind(key)
        .bind(value_text)
        .bind(timestamps::to_sqlite_text(timestamps::now()))
        .fetch_one(&self.pool)
        .await?;
        into_preference(row)
    }

    async fn delete_preference(&self, user_id: &UserId, key: &str) -> Result<bool, StoreError> {
        let result =
            sqlx::query("DELETE FROM user_preferences WHERE user_id = $1 AND preference_key = $2")
                .bind(user_id.as_str())
                .bind(key)
                .execute(&self.pool)
                .await?;
        Ok(result.rows_affected() > 0)
    }

    async fn record_inference(
        &self,
        user_id: &UserId,
        log: &InferenceLog,
    ) -> Result<(), StoreError> {
        inference::record(&self.pool, user_id, log).await
    }

    async fn list_inference_logs(
        &self,
        user_id: &UserId,
        limit: u32,
        offset: u32,
    ) -> Result<(Vec<InferenceLog>, u64), StoreError> {
        let (rows, total) = inference::list(&self.pool, Some(user_id), limit, offset).await?;
        Ok((rows.into_iter().map(|row| row.log).collect(), total))
    }

    async fn list_inference_logs_of_all_users(
        &self,
        access: &CrossUserAccess<'_>,
        limit: u32,
        offset: u32,
    ) -> Result<(Vec<UserInferenceLog>, u64), StoreError> {
        access.log("list_inference_logs_of_all_users");
        inference::list(&self.pool, None, limit, offset).await
    }

    async fn delete_inference_logs_before(
        &self,
        access: &CrossUserAccess<'_>,
        cutoff: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        access.log("delete_inference_logs_before");
        inference::delete_before(&self.pool, cutoff).await
    }

    async fn migrate_up(&self) -> Result<Vec<MigrationInfo>, StoreError> {
        let before = migrations::applied_versions(&mut *self.pool.acquire().await?).await?;
        MIGRATOR.run(&self.pool).await?;
        let after = migrations::applied_versions(&mut *self.pool.acquire().await?).await?;
        Ok(migrations::newly_applied(&MIGRATOR, &before, &after))
    }

    async fn migrate_down(&self) -> Result<Option<MigrationInfo>, StoreError> {
        let applied = migrations::applied_versions(&mut *self.pool.acquire().await?).await?;
        let Some((latest, target)) = migrations::latest_with_target(&MIGRATOR, &applied) else {
            return Ok(None);
        };
        MIGRATOR.undo(&self.pool, target).await?;
        Ok(Some(latest))
    }

    async fn migration_status(&self) -> Result<Vec<MigrationStatus>, StoreError> {
        let applied = migrations::applied_versions(&mut *self.pool.acquire().await?).await?;
        Ok(migrations::status(&MIGRATOR, &applied))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_urls_are_in_memory() {
        for url in [
            "sqlite::memory:",
            "sqlite://:memory:",
            "sqlite://?mode=memory",
            "sqlite://",
        ] {
            assert!(is_in_memory(url), "{url}");
        }
    }

    #[test]
    fn file_urls_are_not_in_memory() {
        for url in [
            "sqlite://data/app.db",
            "sqlite:///tmp/app.db?mode=rwc",
            "sqlite:app.db",
        ] {
            assert!(!is_in_memory(url), "{url}");
        }
    }
}
