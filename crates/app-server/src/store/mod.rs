//! App-owned state: users, their preferences and the model inference log.
//!
//! [`Store`] has two implementations: PostgreSQL (Lakebase in production) and SQLite (the embedded
//! default for local runs). [`connect`] picks one from the database URL's scheme.

mod cross_user;
mod error;
mod inference_log;
mod job_lock;
mod migrations;
mod postgres;
mod retention;
mod rotation;
mod sqlite;
mod timestamps;

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;

use crate::domain::UserId;
use crate::telemetry::metrics::database::PoolStatus;

pub use cross_user::CrossUserAccess;
pub use error::StoreError;
pub use inference_log::{InferenceLog, UserInferenceLog};
pub use job_lock::JobLock;
pub use migrations::{MigrationInfo, MigrationStatus};
pub use postgres::PostgresStore;
pub(crate) use postgres::{is_invalid_password, pool_options};
pub use retention::{DeactivatedUser, KnownUser, PurgeRequest, RetentionStore, UserRowCounts};
pub use rotation::{CredentialHealth, PasswordRotation};
pub use sqlite::SqliteStore;

/// The database engine behind a [`Store`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    Postgres,
    Sqlite,
}

/// Persistent app state.
///
/// Every user-scoped method binds `user_id` in the WHERE clause of its query (and in the INSERT of a
/// write), so a call never reads, changes or deletes a row of another user. On PostgreSQL each of
/// these methods also runs in a transaction that sets `app.user_id`, which the row-level security
/// policies on `user_preferences` and `model_inference_logs` compare with each row. Methods that
/// take a [`CrossUserAccess`] are the only way to reach several users' rows, and they log it.
///
/// The queries of the retention job and the admin listing are in the supertrait
/// [`RetentionStore`].
#[async_trait::async_trait]
pub trait Store: RetentionStore + Send + Sync + std::fmt::Debug + 'static {
    fn backend(&self) -> Backend;

    /// Runs `SELECT 1` to check that the database is reachable.
    async fn ping(&self) -> Result<(), StoreError>;

    /// Reports the state of a rotating database password, for readiness checks.
    /// [`CredentialHealth::Static`] for a store without one.
    fn credential_health(&self) -> CredentialHealth {
        CredentialHealth::Static
    }

    /// Reports the connections of the pool, for metrics. `None` for a store without a pool.
    fn pool_status(&self) -> Option<PoolStatus> {
        None
    }

    /// Closes the connection pool at shutdown: waits until every connection in use is returned,
    /// then closes them all. Later calls fail. The default does nothing.
    async fn close(&self) {}

    /// Inserts the user or updates `display_name` and `last_seen_at` (the caller throttles calls to
    /// about once a minute per user).
    ///
    /// A `None` display name keeps the stored one. A user seen again is active, so the update also
    /// sets `active` to true and clears `deactivated_at`.
    async fn record_user_seen(
        &self,
        user_id: &UserId,
        display_name: Option<&str>,
    ) -> Result<(), StoreError>;

    /// Lists the user's preferences, most recently updated first.
    async fn list_preferences(&self, user_id: &UserId) -> Result<Vec<Preference>, StoreError>;

    async fn get_preference(
        &self,
        user_id: &UserId,
        key: &str,
    ) -> Result<Option<Preference>, StoreError>;

    /// Inserts the preference, or replaces its value and moves `updated_at` when the user already
    /// has this key. Returns the saved row.
    ///
    /// The database rejects a key that is empty or longer than 255 characters with
    /// [`StoreError::Query`]. The HTTP layer checks the key's characters and the value's size.
    ///
    /// NOTE: PostgreSQL's `jsonb` rejects the character U+0000 inside JSON strings, so such a value
    /// fails with [`StoreError::Query`] there while SQLite stores it.
    async fn upsert_preference(
        &self,
        user_id: &UserId,
        key: &str,
        value: &serde_json::Value,
    ) -> Result<Preference, StoreError>;

    /// Deletes the user's preference. Returns `false` when this user has no such key, also when
    /// another user has it.
    async fn delete_preference(&self, user_id: &UserId, key: &str) -> Result<bool, StoreError>;

    /// Inserts one model invocation of the user. A `request_id` that is already stored, by this or
    /// another user, fails with [`StoreError::Conflict`].
    ///
    /// Timestamps are stored with microsecond precision; finer digits are cut off.
    async fn record_inference(
        &self,
        user_id: &UserId,
        log: &InferenceLog,
    ) -> Result<(), StoreError>;

    /// Lists one page of the user's invocations, newest `requested_at` first, and the user's total
    /// number of invocations.
    async fn list_inference_logs(
        &self,
        user_id: &UserId,
        limit: u32,
        offset: u32,
    ) -> Result<(Vec<InferenceLog>, u64), StoreError>;

    /// Lists one page of every user's invocations, newest `requested_at` first, and the total
    /// number, for the admin listing. Logs `access` at INFO.
    async fn list_inference_logs_of_all_users(
        &self,
        access: &CrossUserAccess<'_>,
        limit: u32,
        offset: u32,
    ) -> Result<(Vec<UserInferenceLog>, u64), StoreError>;

    /// Deletes every user's invocations requested before `cutoff`, for the retention job, and
    /// returns how many rows it deleted. Logs `access` at INFO.
    async fn delete_inference_logs_before(
        &self,
        access: &CrossUserAccess<'_>,
        cutoff: DateTime<Utc>,
    ) -> Result<u64, StoreError>;

    /// Applies every pending migration and returns the ones applied by this call.
    async fn migrate_up(&self) -> Result<Vec<MigrationInfo>, StoreError>;

    /// Reverts the latest applied migration and returns it, or `None` when none is applied.
    async fn migrate_down(&self) -> Result<Option<MigrationInfo>, StoreError>;

    /// Lists every migration embedded in this build, oldest first, with whether it is applied.
    async fn migration_status(&self) -> Result<Vec<MigrationStatus>, StoreError>;
}

/// One saved preference of a user. Timestamps serialise as RFC 3339.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Preference {
    pub preference_key: String,
    pub preference_value: serde_json::Value,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Connection pool settings shared by both backends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreOptions {
    /// Maximum number of open connections in the pool.
    pub max_connections: u32,
    /// Maximum wait for a free connection, and on SQLite for a locked database, before a call fails
    /// with [`StoreError::Unavailable`].
    pub acquire_timeout: Duration,
    /// Age after which a PostgreSQL connection is closed instead of reused. Lakebase closes
    /// connections older than three days, and a new connection logs in with the current password.
    pub max_lifetime: Duration,
    /// Idle time after which a PostgreSQL connection is closed. Lakebase closes connections idle
    /// for 24 hours.
    pub idle_timeout: Duration,
}

impl Default for StoreOptions {
    /// Returns 10 connections, a 5 s acquire timeout, a 30 min lifetime and a 10 min idle timeout.
    fn default() -> Self {
        Self {
            max_connections: 10,
            acquire_timeout: Duration::from_secs(5),
            max_lifetime: Duration::from_mins(30),
            idle_timeout: Duration::from_mins(10),
        }
    }
}

/// Opens a connection pool for `database_url` and returns the matching store.
///
/// `postgres://` and `postgresql://` select PostgreSQL, `sqlite://` (or `sqlite:`) selects SQLite,
/// which creates the database file and its parent folder when they are missing. The call does not
/// run migrations. Error messages do not quote the URL, so they do not leak its password.
pub async fn connect(
    database_url: &SecretString,
    options: &StoreOptions,
) -> Result<Arc<dyn Store>, StoreError> {
    let url = database_url.expose_secret();
    match url_scheme(url)?.as_str() {
        "postgres" | "postgresql" => Ok(Arc::new(PostgresStore::connect(url, options).await?)),
        "sqlite" => Ok(Arc::new(SqliteStore::connect(url, options).await?)),
        other => Err(StoreError::Unavailable(format!(
            "unsupported database URL scheme `{other}`: use postgres://, postgresql:// or sqlite://"
        ))),
    }
}

/// Returns the lowercased scheme of `url`, or an error that does not echo the URL.
fn url_scheme(url: &str) -> Result<String, StoreError> {
    let scheme = url.split_once(':').map(|(scheme, _)| scheme);
    // RFC 3986: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ).
    let is_valid = |scheme: &str| {
        scheme.starts_with(|c: char| c.is_ascii_alphabetic())
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
    };
    match scheme {
        Some(scheme) if is_valid(scheme) => Ok(scheme.to_ascii_lowercase()),
        _ => Err(StoreError::Unavailable(
            "invalid database URL: it must start with postgres://, postgresql:// or sqlite://"
                .to_owned(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_scheme_is_lowercased() {
        assert_eq!(
            url_scheme("PostgreSQL://u@h/db").expect("valid scheme"),
            "postgresql"
        );
        assert_eq!(
            url_scheme("sqlite::memory:").expect("valid scheme"),
            "sqlite"
        );
    }

    #[test]
    fn preference_serialises_timestamps_as_rfc3339() {
        let time = DateTime::parse_from_rfc3339("2026-12-04T19:47:05.123456Z")
            .expect("valid timestamp")
            .with_timezone(&Utc);
        let preference = Preference {
            preference_key: "ui.theme".to_owned(),
            preference_value: serde_json::json!({"mode": "dark"}),
            created_at: time,
            updated_at: time,
        };
        let json = serde_json::to_value(&preference).expect("serialise");
        assert_eq!(json["created_at"], "2026-12-04T19:47:05.123456Z");
        assert_eq!(json["updated_at"], "2026-12-04T19:47:05.123456Z");
        assert_eq!(json["preference_value"]["mode"], "dark");
    }

    #[test]
    fn url_without_scheme_is_rejected_without_echo() {
        for url in ["no-colon-here", "/var/data/app.db", "9db:x"] {
            let message = url_scheme(url).expect_err("no valid scheme").to_string();
            assert!(!message.contains(url), "message echoes {url:?}: {message}");
        }
    }
}
