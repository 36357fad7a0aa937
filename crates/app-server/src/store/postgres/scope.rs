//! Transactions of the PostgreSQL store: the row-level security setting of each, the login retry
//! after a rotated password, and the retry of a whole transaction after a lost connection.

use std::future::Future;

use sqlx::pool::PoolConnection;
use sqlx::{Acquire, PgConnection, Postgres, Transaction};

use super::PostgresStore;
use crate::domain::UserId;
use crate::store::StoreError;
use crate::telemetry::metrics::database;

/// SQLSTATE `invalid_password`: the login was rejected, for example because the password expired.
const INVALID_PASSWORD: &str = "28P01";

/// Which rows a transaction may see under row-level security.
#[derive(Debug, Clone, Copy)]
pub(super) enum Scope<'a> {
    /// Only the rows of this user (`app.user_id`).
    User(&'a UserId),
    /// Every user's rows (`app.cross_user = 'on'`). The caller has logged why.
    CrossUser,
}

/// A failed attempt at a transaction, and whether running the whole transaction again is safe.
#[derive(Debug)]
pub(super) struct AttemptError {
    error: StoreError,
    /// True when the connection was lost before COMMIT was sent, so the server rolled the
    /// transaction back and nothing of it took effect.
    retryable: bool,
}

impl From<sqlx::Error> for AttemptError {
    fn from(error: sqlx::Error) -> Self {
        Self {
            retryable: is_connection_lost(&error),
            error: StoreError::from(error),
        }
    }
}

impl From<StoreError> for AttemptError {
    fn from(error: StoreError) -> Self {
        Self {
            error,
            retryable: false,
        }
    }
}

impl PostgresStore {
    /// Takes a connection from the pool. When opening a new connection fails with `28P01`, asks
    /// the password rotation for a new password and tries once more.
    pub(super) async fn acquire(&self) -> Result<PoolConnection<Postgres>, StoreError> {
        database::observe_acquire(self.acquire_with_login_retry()).await
    }

    async fn acquire_with_login_retry(&self) -> Result<PoolConnection<Postgres>, StoreError> {
        let Some(rotation) = &self.rotation else {
            return Ok(self.pool.acquire().await?);
        };
        let generation = rotation.generation();
        match self.pool.acquire().await {
            Err(error) if is_invalid_password(&error) => {
                tracing::warn!(
                    error = %error,
                    "database login rejected (SQLSTATE 28P01): replacing the password and \
                     connecting once more"
                );
                rotation.login_rejected(generation).await?;
                Ok(self.pool.acquire().await?)
            }
            result => Ok(result?),
        }
    }
}

/// Starts a transaction on `connection` and sets the row-level security setting of `scope` for
/// it alone (`set_config(…, true)` is `SET LOCAL`), so the setting never outlives the
/// transaction on a pooled connection.
pub(super) async fn begin<'c>(
    connection: &'c mut PgConnection,
    scope: Scope<'_>,
) -> Result<Transaction<'c, Postgres>, AttemptError> {
    let mut transaction = connection.begin().await?;
    match scope {
        Scope::User(user_id) => {
            sqlx::query("SELECT set_config('app.user_id', $1, true)")
                .bind(user_id.as_str())
                .execute(&mut *transaction)
                .await?;
        }
        Scope::CrossUser => {
            sqlx::query("SELECT set_config('app.cross_user', 'on', true)")
                .execute(&mut *transaction)
                .await?;
        }
    }
    Ok(transaction)
}

/// Commits `transaction`. A failure here is never retried, because the server may have committed
/// before the connection broke.
pub(super) async fn commit(transaction: Transaction<'_, Postgres>) -> Result<(), AttemptError> {
    transaction.commit().await.map_err(|error| AttemptError {
        error: StoreError::from(error),
        retryable: false,
    })
}

/// Runs `attempt` and, when it failed because the connection was lost before COMMIT, runs it
/// once more from the start. Each attempt opens its own transaction on one connection, so a
/// transaction is repeated as a whole and never continued on another connection.
pub(super) async fn retry_once<T, F, Fut>(operation: &str, mut attempt: F) -> Result<T, StoreError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, AttemptError>>,
{
    match attempt().await {
        Err(failed) if failed.retryable => {
            tracing::warn!(
                error = %failed.error,
                store.operation = operation,
                "database connection lost during a transaction: running it again from the start"
            );
            attempt().await.map_err(|failed| failed.error)
        }
        result => result.map_err(|failed| failed.error),
    }
}

/// Tells whether `error` is a login rejected with SQLSTATE `28P01`.
pub(crate) fn is_invalid_password(error: &sqlx::Error) -> bool {
    matches!(
        error,
        sqlx::Error::Database(database_error)
            if database_error.code().as_deref() == Some(INVALID_PASSWORD)
    )
}

/// Tells whether `error` means the connection broke: an I/O error, SQLSTATE class 08
/// (connection exception) or 57P01 to 57P03 (the server is shutting down or restarting).
fn is_connection_lost(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Io(_) | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(database_error) => database_error
            .code()
            .is_some_and(|code| code.starts_with("08") || code.starts_with("57P0")),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn io_error_is_connection_lost() {
        let error = sqlx::Error::Io(std::io::Error::from(std::io::ErrorKind::ConnectionReset));
        assert!(is_connection_lost(&error));
    }

    #[test]
    fn missing_row_is_not_connection_lost() {
        assert!(!is_connection_lost(&sqlx::Error::RowNotFound));
        assert!(!is_connection_lost(&sqlx::Error::PoolTimedOut));
    }
}
