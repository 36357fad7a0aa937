//! The retention queries on SQLite, where timestamps are fixed-width RFC 3339 text, which
//! compares in time order.

use chrono::{DateTime, Utc};
use sqlx::SqliteConnection;

use super::SqliteStore;
use crate::domain::UserId;
use crate::store::job_lock::JobLock;
use crate::store::retention::{
    self, DeactivatedUser, KnownUser, PurgeRequest, RetentionStore, UserRowCounts,
};
use crate::store::{CrossUserAccess, StoreError, timestamps};

type DeactivatedRow = (String, String, i64, i64);

#[async_trait::async_trait]
impl RetentionStore for SqliteStore {
    async fn known_users(
        &self,
        access: &CrossUserAccess<'_>,
    ) -> Result<Vec<KnownUser>, StoreError> {
        access.log("known_users");
        let rows: Vec<(String, Option<String>)> = sqlx::query_as(retention::KNOWN_USERS)
            .fetch_all(&self.pool)
            .await?;
        rows.into_iter()
            .map(|(user_id, deactivated_at)| {
                Ok(KnownUser {
                    user_id: UserId::verified(user_id),
                    deactivated_at: deactivated_at
                        .map(|text| timestamps::from_sqlite_text(&text, "deactivated_at"))
                        .transpose()?,
                })
            })
            .collect()
    }

    async fn mark_user_deactivated(
        &self,
        user_id: &UserId,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        sqlx::query(retention::MARK_DEACTIVATED)
            .bind(user_id.as_str())
            .bind(timestamps::to_sqlite_text(at))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn mark_user_active(&self, user_id: &UserId) -> Result<(), StoreError> {
        sqlx::query(retention::MARK_ACTIVE)
            .bind(user_id.as_str())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn list_deactivated_users(
        &self,
        access: &CrossUserAccess<'_>,
        limit: u32,
        offset: u32,
    ) -> Result<(Vec<DeactivatedUser>, u64), StoreError> {
        access.log("list_deactivated_users");
        let mut transaction = self.pool.begin().await?;
        let rows: Vec<DeactivatedRow> = sqlx::query_as(retention::LIST_DEACTIVATED)
            .bind(i64::from(limit))
            .bind(i64::from(offset))
            .fetch_all(&mut *transaction)
            .await?;
        let total: i64 = sqlx::query_scalar(retention::COUNT_DEACTIVATED)
            .fetch_one(&mut *transaction)
            .await?;
        transaction.commit().await?;

        let users = rows
            .into_iter()
            .map(|(user_id, deactivated_at, preferences, logs)| {
                Ok(DeactivatedUser {
                    user_id,
                    deactivated_at: timestamps::from_sqlite_text(
                        &deactivated_at,
                        "deactivated_at",
                    )?,
                    preference_count: retention::count(preferences),
                    inference_log_count: retention::count(logs),
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        Ok((users, retention::count(total)))
    }

    async fn purge_user_data(
        &self,
        access: &CrossUserAccess<'_>,
        request: &PurgeRequest<'_>,
    ) -> Result<Option<UserRowCounts>, StoreError> {
        access.log("purge_user_data");
        // IMMEDIATE takes the write lock at once, so the eligibility check and the deletes see
        // the same database and no other writer comes in between.
        let mut transaction = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let eligible: Option<String> = sqlx::query_scalar(retention::PURGE_ELIGIBLE)
            .bind(request.user_id.as_str())
            .bind(timestamps::to_sqlite_text(request.deactivated_before))
            .fetch_optional(&mut *transaction)
            .await?;
        if eligible.is_none() {
            transaction.rollback().await?;
            return Ok(None);
        }

        let counts = if request.dry_run {
            count_rows(&mut transaction, request.user_id).await?
        } else {
            delete_rows(&mut transaction, request).await?
        };
        if request.dry_run {
            transaction.rollback().await?;
        } else {
            transaction.commit().await?;
        }
        Ok(Some(counts))
    }

    async fn try_lock_job(&self, job: &str) -> Result<Option<JobLock>, StoreError> {
        // The file of the main database, or an empty string for an in-memory one.
        let database_file: String =
            sqlx::query_scalar("SELECT file FROM pragma_database_list WHERE name = 'main'")
                .fetch_one(&self.pool)
                .await?;
        if database_file.is_empty() {
            let options = self.pool.connect_options();
            let database = options.get_filename().to_string_lossy();
            return Ok(JobLock::lock_in_process(&database, job));
        }
        JobLock::lock_file(&database_file, job).await
    }
}

async fn count_rows(
    connection: &mut SqliteConnection,
    user_id: &UserId,
) -> Result<UserRowCounts, StoreError> {
    let preferences: i64 = sqlx::query_scalar(retention::COUNT_PREFERENCES)
        .bind(user_id.as_str())
        .fetch_one(&mut *connection)
        .await?;
    let logs: i64 = sqlx::query_scalar(retention::COUNT_INFERENCE_LOGS)
        .bind(user_id.as_str())
        .fetch_one(&mut *connection)
        .await?;
    Ok(UserRowCounts {
        user_preferences: retention::count(preferences),
        model_inference_logs: retention::count(logs),
        // The row that the eligibility check selected.
        users: 1,
    })
}

async fn delete_rows(
    connection: &mut SqliteConnection,
    request: &PurgeRequest<'_>,
) -> Result<UserRowCounts, StoreError> {
    let user_preferences =
        delete_in_batches(connection, retention::DELETE_PREFERENCES_BATCH, request).await?;
    let model_inference_logs =
        delete_in_batches(connection, retention::DELETE_INFERENCE_LOGS_BATCH, request).await?;
    let users = sqlx::query(retention::DELETE_USER)
        .bind(request.user_id.as_str())
        .execute(&mut *connection)
        .await?
        .rows_affected();
    Ok(UserRowCounts {
        user_preferences,
        model_inference_logs,
        users,
    })
}

/// Runs the batch `statement` until a batch deletes fewer rows than the batch size.
async fn delete_in_batches(
    connection: &mut SqliteConnection,
    statement: &'static str,
    request: &PurgeRequest<'_>,
) -> Result<u64, StoreError> {
    let batch_size = request.batch_size.max(1);
    let mut deleted = 0;
    loop {
        let batch = sqlx::query(statement)
            .bind(request.user_id.as_str())
            .bind(i64::from(batch_size))
            .execute(&mut *connection)
            .await?
            .rows_affected();
        deleted += batch;
        if batch < u64::from(batch_size) {
            return Ok(deleted);
        }
    }
}
