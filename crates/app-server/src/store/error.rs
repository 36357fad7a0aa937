//! The store's error type and the mapping from sqlx errors.

use sqlx::migrate::MigrateError;
use sqlx::postgres::PgDatabaseError;
use sqlx::sqlite::SqliteError;

/// A failed store call. The message never contains the database URL or its password, and never a
/// preference value.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database cannot be reached or used right now: connection refused, login failed, pool
    /// timeout, I/O error, a busy SQLite file or an unusable database URL. Retrying later may help.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// Applying, reverting or listing migrations failed.
    #[error("database migration failed: {0}")]
    Migration(String),
    /// The database rejected or failed a query, or returned a row the store cannot read.
    #[error("database query failed: {0}")]
    Query(String),
    /// A row with the same unique key already exists, such as an inference log's `request_id`.
    #[error("duplicate database row: {0}")]
    Conflict(String),
}

impl StoreError {
    /// Maps a failed INSERT: a unique violation becomes [`StoreError::Conflict`] with `what` as
    /// its message, anything else maps as usual.
    pub(super) fn from_insert(error: sqlx::Error, what: &str) -> Self {
        match &error {
            sqlx::Error::Database(database_error) if database_error.is_unique_violation() => {
                Self::Conflict(what.to_owned())
            }
            _ => Self::from(error),
        }
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> Self {
        if is_unavailable(&error) {
            Self::Unavailable(error.to_string())
        } else {
            Self::Query(error.to_string())
        }
    }
}

impl From<MigrateError> for StoreError {
    fn from(error: MigrateError) -> Self {
        match &error {
            MigrateError::Execute(inner) | MigrateError::ExecuteMigration(inner, _)
                if is_unavailable(inner) =>
            {
                Self::Unavailable(error.to_string())
            }
            _ => Self::Migration(error.to_string()),
        }
    }
}

/// Tells whether `error` means the database cannot be used right now, as opposed to a problem with
/// one query.
fn is_unavailable(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Configuration(_)
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(database_error) => {
            let code = database_error.code().unwrap_or_default();
            if database_error
                .try_downcast_ref::<PgDatabaseError>()
                .is_some()
            {
                is_unavailable_postgres_code(&code)
            } else if database_error.try_downcast_ref::<SqliteError>().is_some() {
                is_unavailable_sqlite_code(&code)
            } else {
                false
            }
        }
        _ => false,
    }
}

/// SQLSTATE classes 08 (connection exception), 28 (invalid authorization), 53 (insufficient
/// resources) and 57P (operator intervention, such as a server shutdown).
fn is_unavailable_postgres_code(sqlstate: &str) -> bool {
    ["08", "28", "53", "57P"]
        .iter()
        .any(|class| sqlstate.starts_with(class))
}

/// Primary result codes 5 (`SQLITE_BUSY`), 6 (`SQLITE_LOCKED`) and 14 (`SQLITE_CANTOPEN`). sqlx
/// reports the extended result code, whose low byte is the primary code.
fn is_unavailable_sqlite_code(code: &str) -> bool {
    code.parse::<i32>()
        .is_ok_and(|extended| matches!(extended & 0xff, 5 | 6 | 14))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_connection_codes_are_unavailable() {
        for sqlstate in ["08006", "28P01", "53300", "57P01"] {
            assert!(is_unavailable_postgres_code(sqlstate), "{sqlstate}");
        }
        for sqlstate in ["23505", "23514", "42P01", "22P02", "40001"] {
            assert!(!is_unavailable_postgres_code(sqlstate), "{sqlstate}");
        }
    }

    #[test]
    fn sqlite_busy_codes_are_unavailable() {
        for code in ["5", "517", "6", "14"] {
            assert!(is_unavailable_sqlite_code(code), "{code}");
        }
        for code in ["1", "19", "2067", "275"] {
            assert!(!is_unavailable_sqlite_code(code), "{code}");
        }
    }

    #[test]
    fn pool_timeout_maps_to_unavailable() {
        let error = StoreError::from(sqlx::Error::PoolTimedOut);
        assert!(matches!(error, StoreError::Unavailable(_)), "{error:?}");
    }

    #[test]
    fn missing_row_maps_to_query() {
        let error = StoreError::from(sqlx::Error::RowNotFound);
        assert!(matches!(error, StoreError::Query(_)), "{error:?}");
    }
}
