//! The PostgreSQL store (Lakebase in production).

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};

use super::migrations::{self, MigrationInfo, MigrationStatus};
use super::{Backend, Preference, Store, StoreError, StoreOptions, timestamps};
use crate::domain::UserId;

static MIGRATOR: Migrator = sqlx::migrate!("./migrations/postgres");

type PreferenceRow = (String, Value, DateTime<Utc>, DateTime<Utc>);

/// A [`Store`] on a PostgreSQL connection pool.
#[derive(Clone)]
pub struct PostgresStore {
    pool: PgPool,
}

impl PostgresStore {
    /// Wraps a pool built elsewhere, for example one whose connect options carry a rotating
    /// password (`PgPool::set_connect_options`).
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }

    /// Parses `url` and opens a pool with at least one live connection.
    pub(super) async fn connect(url: &str, options: &StoreOptions) -> Result<Self, StoreError> {
        let connect_options = PgConnectOptions::from_str(url)
            .map_err(|error| StoreError::Unavailable(format!("invalid PostgreSQL URL: {error}")))?;
        let pool = PgPoolOptions::new()
            .max_connections(options.max_connections)
            .acquire_timeout(options.acquire_timeout)
            .connect_with(connect_options)
            .await?;
        Ok(Self::new(pool))
    }
}

impl fmt::Debug for PostgresStore {
    // Prints no connect options, so no password.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PostgresStore")
            .field("pool_size", &self.pool.size())
            .field("idle_connections", &self.pool.num_idle())
            .finish_non_exhaustive()
    }
}

fn into_preference(row: PreferenceRow) -> Preference {
    let (preference_key, preference_value, created_at, updated_at) = row;
    Preference {
        preference_key,
        preference_value,
        created_at,
        updated_at,
    }
}

#[async_trait::async_trait]
impl Store for PostgresStore {
    fn backend(&self) -> Backend {
        Backend::Postgres
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
                 display_name = COALESCE(EXCLUDED.display_name, users.display_name), \
                 last_seen_at = EXCLUDED.last_seen_at, \
                 active = TRUE, \
                 deactivated_at = NULL",
        )
        .bind(user_id.as_str())
        .bind(display_name)
        .bind(timestamps::now())
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
        Ok(rows.into_iter().map(into_preference).collect())
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
        Ok(row.map(into_preference))
    }

    async fn upsert_preference(
        &self,
        user_id: &UserId,
        key: &str,
        value: &Value,
    ) -> Result<Preference, StoreError> {
        // The conflict target includes user_id, so the update only ever touches this user's row.
        let row: PreferenceRow = sqlx::query_as(
            "INSERT INTO user_preferences \
                 (user_id, preference_key, preference_value, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $4) \
             ON CONFLICT (user_id, preference_key) DO UPDATE SET \
                 preference_value = EXCLUDED.preference_value, \
                 updated_at = EXCLUDED.updated_at \
             RETURNING preference_key, preference_value, created_at, updated_at",
        )
        .bind(user_id.as_str())
        .bind(key)
        .bind(value)
        .bind(timestamps::now())
        .fetch_one(&self.pool)
        .await?;
        Ok(into_preference(row))
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
