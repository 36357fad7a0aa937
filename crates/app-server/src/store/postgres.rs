//! The PostgreSQL store (Lakebase in production).
//!
//! Every user-scoped call runs in a transaction that sets `app.user_id`, which the row-level
//! security policies of migration 0002 compare with each row (see `scope`).

mod inference;
mod retention;
mod scope;

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};

use self::scope::{AttemptError, Scope, begin, commit, retry_once};
use super::migrations::{self, MigrationInfo, MigrationStatus};
use super::{
    Backend, CredentialHealth, CrossUserAccess, InferenceLog, PasswordRotation, Preference, Store,
    StoreError, StoreOptions, UserInferenceLog, timestamps,
};
use crate::domain::UserId;
use crate::telemetry::metrics::database::PoolStatus;

pub(crate) use self::scope::is_invalid_password;

static MIGRATOR: Migrator = sqlx::migrate!("./migrations/postgres");

type PreferenceRow = (String, Value, DateTime<Utc>, DateTime<Utc>);

/// A [`Store`] on a PostgreSQL connection pool.
#[derive(Clone)]
pub struct PostgresStore {
    pool: PgPool,
    rotation: Option<Arc<dyn PasswordRotation>>,
}

impl PostgresStore {
    /// Wraps a pool whose connect options carry a static password, or none.
    pub fn new(pool: PgPool) -> Self {
        Self {
            pool,
            rotation: None,
        }
    }

    /// Wraps a pool whose password `rotation` keeps current (`PgPool::set_connect_options`).
    pub fn with_rotation(pool: PgPool, rotation: Arc<dyn PasswordRotation>) -> Self {
        Self {
            pool,
            rotation: Some(rotation),
        }
    }

    /// Returns the pool, for checks that query the catalog directly.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Parses `url` and opens a pool with at least one live connection.
    pub(super) async fn connect(url: &str, options: &StoreOptions) -> Result<Self, StoreError> {
        let connect_options = PgConnectOptions::from_str(url)
            .map_err(|error| StoreError::Unavailable(format!("invalid PostgreSQL URL: {error}")))?;
        let pool = pool_options(options).connect_with(connect_options).await?;
        Ok(Self::new(pool))
    }
}

/// Builds the pool settings of `options`.
pub(crate) fn pool_options(options: &StoreOptions) -> PgPoolOptions {
    PgPoolOptions::new()
        .max_connections(options.max_connections)
        .acquire_timeout(options.acquire_timeout)
        .max_lifetime(options.max_lifetime)
        .idle_timeout(options.idle_timeout)
}

impl fmt::Debug for PostgresStore {
    // Prints no connect options, so no password.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PostgresStore")
            .field("pool_size", &self.pool.size())
            .field("idle_connections", &self.pool.num_idle())
            .field("rotating_password", &self.rotation.is_some())
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

impl PostgresStore {
    async fn list_preferences_once(
        &self,
        user_id: &UserId,
    ) -> Result<Vec<Preference>, AttemptError> {
        let mut connection = self.acquire().await?;
        let mut transaction = begin(&mut connection, Scope::User(user_id)).await?;
        let rows: Vec<PreferenceRow> = sqlx::query_as(
            "SELECT preference_key, preference_value, created_at, updated_at \
             FROM user_preferences WHERE user_id = $1 \
             ORDER BY updated_at DESC, id DESC",
        )
        .bind(user_id.as_str())
        .fetch_all(&mut *transaction)
        .await?;
        commit(transaction).await?;
        Ok(rows.into_iter().map(into_preference).collect())
    }

    async fn get_preference_once(
        &self,
        user_id: &UserId,
        key: &str,
    ) -> Result<Option<Preference>, AttemptError> {
        let mut connection = self.acquire().await?;
        let mut transaction = begin(&mut connection, Scope::User(user_id)).await?;
        let row: Option<PreferenceRow> = sqlx::query_as(
            "SELECT preference_key, preference_value, created_at, updated_at \
             FROM user_preferences WHERE user_id = $1 AND preference_key = $2",
        )
        .bind(user_id.as_str())
        .bind(key)
        .fetch_optional(&mut *transaction)
        .await?;
        commit(transaction).await?;
        Ok(row.map(into_preference))
    }

    async fn upsert_preference_once(
        &self,
        user_id: &UserId,
        key: &str,
        value: &Value,
    ) -> Result<Preference, AttemptError> {
        let mut connection = self.acquire().await?;
        let mut transaction = begin(&mut connection, Scope::User(user_id)).await?;
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
        .fetch_one(&mut *transaction)
        .await?;
        commit(transaction).await?;
        Ok(into_preference(row))
    }

    async fn delete_preference_once(
        &self,
        user_id: &UserId,
        key: &str,
    ) -> Result<bool, AttemptError> {
        let mut connection = self.acquire().await?;
        let mut transaction = begin(&mut connection, Scope::User(user_id)).await?;
        let result =
            sqlx::query("DELETE FROM user_preferences WHERE user_id = $1 AND preference_key = $2")
                .bind(user_id.as_str())
                .bind(key)
                .execute(&mut *transaction)
                .await?;
        commit(transaction).await?;
        Ok(result.rows_affected() > 0)
    }
}

#[async_trait::async_trait]
impl Store for PostgresStore {
    fn backend(&self) -> Backend {
        Backend::Postgres
    }

    async fn close(&self) {
        self.pool.close().await;
    }

    async fn ping(&self) -> Result<(), StoreError> {
        let mut connection = self.acquire().await?;
        sqlx::query("SELECT 1").execute(&mut *connection).await?;
        Ok(())
    }

    fn credential_health(&self) -> CredentialHealth {
        self.rotation
            .as_ref()
            .map_or(CredentialHealth::Static, |rotation| rotation.health())
    }

    fn pool_status(&self) -> Option<PoolStatus> {
        Some(PoolStatus::of(&self.pool))
    }

    async fn record_user_seen(
        &self,
        user_id: &UserId,
        display_name: Option<&str>,
    ) -> Result<(), StoreError> {
        // `users` has no row-level security: the retention job reads it for every user.
        let mut connection = self.acquire().await?;
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
        .execute(&mut *connection)
        .await?;
        Ok(())
    }

    async fn list_preferences(&self, user_id: &UserId) -> Result<Vec<Preference>, StoreError> {
        retry_once("list_preferences", || self.list_preferences_once(user_id)).await
    }

    async fn get_preference(
        &self,
        user_id: &UserId,
        key: &str,
    ) -> Result<Option<Preference>, StoreError> {
        retry_once("get_preference", || self.get_preference_once(user_id, key)).await
    }

    async fn upsert_preference(
        &self,
        user_id: &UserId,
        key: &str,
        value: &Value,
    ) -> Result<Preference, StoreError> {
        retry_once("upsert_preference", || {
            self.upsert_preference_once(user_id, key, value)
        })
        .await
    }

    async fn delete_preference(&self, user_id: &UserId, key: &str) -> Result<bool, StoreError> {
        retry_once("delete_preference", || {
            self.delete_preference_once(user_id, key)
        })
        .await
    }

    async fn record_inference(
        &self,
        user_id: &UserId,
        log: &InferenceLog,
    ) -> Result<(), StoreError> {
        retry_once("record_inference", || {
            self.record_inference_once(user_id, log)
        })
        .await
    }

    async fn list_inference_logs(
        &self,
        user_id: &UserId,
        limit: u32,
        offset: u32,
    ) -> Result<(Vec<InferenceLog>, u64), StoreError> {
        retry_once("list_inference_logs", || {
            self.list_inference_logs_once(Scope::User(user_id), limit, offset)
        })
        .await
        .map(|(rows, total)| (rows.into_iter().map(|row| row.log).collect(), total))
    }

    async fn list_inference_logs_of_all_users(
        &self,
        access: &CrossUserAccess<'_>,
        limit: u32,
        offset: u32,
    ) -> Result<(Vec<UserInferenceLog>, u64), StoreError> {
        access.log("list_inference_logs_of_all_users");
        retry_once("list_inference_logs_of_all_users", || {
            self.list_inference_logs_once(Scope::CrossUser, limit, offset)
        })
        .await
    }

    async fn delete_inference_logs_before(
        &self,
        access: &CrossUserAccess<'_>,
        cutoff: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        access.log("delete_inference_logs_before");
        retry_once("delete_inference_logs_before", || {
            self.delete_inference_logs_before_once(cutoff)
        })
        .await
    }

    async fn migrate_up(&self) -> Result<Vec<MigrationInfo>, StoreError> {
        // sqlx's migrator takes its connection from the pool. Returning this one to the pool
        // first hands it a connection that has passed the login retry of `acquire`.
        let before = migrations::applied_versions(&mut *self.acquire().await?).await?;
        MIGRATOR.run(&self.pool).await?;
        let after = migrations::applied_versions(&mut *self.acquire().await?).await?;
        Ok(migrations::newly_applied(&MIGRATOR, &before, &after))
    }

    async fn migrate_down(&self) -> Result<Option<MigrationInfo>, StoreError> {
        let applied = migrations::applied_versions(&mut *self.acquire().await?).await?;
        let Some((latest, target)) = migrations::latest_with_target(&MIGRATOR, &applied) else {
            return Ok(None);
        };
        MIGRATOR.undo(&self.pool, target).await?;
        Ok(Some(latest))
    }

    async fn migration_status(&self) -> Result<Vec<MigrationStatus>, StoreError> {
        let mut connection = self.acquire().await?;
        let applied = migrations::applied_versions(&mut *connection).await?;
        Ok(migrations::status(&MIGRATOR, &applied))
    }
}
