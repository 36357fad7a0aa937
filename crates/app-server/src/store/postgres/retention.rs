//! The retention queries on PostgreSQL.
//!
//! Listing and counting every user's rows runs with `app.cross_user = 'on'`. A purge runs scoped to
//! the one user it deletes (`app.user_id`), so row-level security admits no other user's rows even
//! to a faulty query.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;

use super::PostgresStore;
use super::scope::{AttemptError, Scope, begin, commit, retry_once};
use crate::domain::UserId;
use crate::store::job_lock::{self, JobLock};
use crate::store::retention::{
    self, DeactivatedUser, KnownUser, PurgeRequest, RetentionStore, UserRowCounts,
};
use crate::store::{CrossUserAccess, StoreError};

type DeactivatedRow = (String, DateTime<Utc>, i64, i64);

#[async_trait::async_trait]
impl RetentionStore for PostgresStore {
    async fn known_users(
        &self,
        access: &CrossUserAccess<'_>,
    ) -> Result<Vec<KnownUser>, StoreError> {
        access.log("known_users");
        retry_once("known_users", || self.known_users_once()).await
    }

    async fn mark_user_deactivated(
        &self,
        user_id: &UserId,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        // `users` has no row-level security, so no transaction setting is needed.
        let mut connection = self.acquire().await?;
        sqlx::query(retention::MARK_DEACTIVATED)
            .bind(user_id.as_str())
            .bind(at)
            .execute(&mut *connection)
            .await?;
        Ok(())
    }

    async fn mark_user_active(&self, user_id: &UserId) -> Result<(), StoreError> {
        let mut connection = self.acquire().await?;
        sqlx::query(retention::MARK_ACTIVE)
            .bind(user_id.as_str())
            .execute(&mut *connection)
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
        retry_once("list_deactivated_users", || {
            self.list_deactivated_once(limit, offset)
        })
        .await
    }

    async fn purge_user_data(
        &self,
        access: &CrossUserAccess<'_>,
        request: &PurgeRequest<'_>,
    ) -> Result<Option<UserRowCounts>, StoreError> {
        access.log("purge_user_data");
        retry_once("purge_user_data", || self.purge_once(request)).await
    }

    async fn try_lock_job(&self, job: &str) -> Result<Option<JobLock>, StoreError> {
        // NOTE: the lock keeps this pooled connection until the job ends, so a pool of one
        // connection (DATABASE_MAX_CONNECTIONS=1) leaves none for the job's queries.
        let key = job_lock::advisory_key(job);
        let mut connection = self.acquire().await?;
        let locked: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
            .bind(key)
            .fetch_one(&mut *connection)
            .await?;
        Ok(locked.then(|| JobLock::postgres(job, connection, key)))
    }
}

impl PostgresStore {
    async fn known_users_once(&self) -> Result<Vec<KnownUser>, AttemptError> {
        let mut connection = self.acquire().await?;
        let mut transaction = begin(&mut connection, Scope::CrossUser).await?;
        let rows: Vec<(String, Option<DateTime<Utc>>)> = sqlx::query_as(retention::KNOWN_USERS)
            .fetch_all(&mut *transaction)
            .await?;
        commit(transaction).await?;
        Ok(rows
            .into_iter()
            .map(|(user_id, deactivated_at)| KnownUser {
                user_id: UserId::verified(user_id),
                deactivated_at,
            })
            .collect())
    }

    async fn list_deactivated_once(
        &self,
        limit: u32,
        offset: u32,
    ) -> Result<(Vec<DeactivatedUser>, u64), AttemptError> {
        let mut connection = self.acquire().await?;
        let mut transaction = begin(&mut connection, Scope::CrossUser).await?;
        let rows: Vec<DeactivatedRow> = sqlx::query_as(retention::LIST_DEACTIVATED)
            .bind(i64::from(limit))
            .bind(i64::from(offset))
            .fetch_all(&mut *transaction)
            .await?;
        let total: i64 = sqlx::query_scalar(retention::COUNT_DEACTIVATED)
            .fetch_one(&mut *transaction)
            .await?;
        commit(transaction).await?;
        let users = rows
            .into_iter()
            .map(
                |(user_id, deactivated_at, preferences, logs)| DeactivatedUser {
                    user_id,
                    deactivated_at,
                    preference_count: retention::count(preferences),
                    inference_log_count: retention::count(logs),
                },
            )
            .collect();
        Ok((users, retention::count(total)))
    }

    async fn purge_once(
        &self,
        request: &PurgeRequest<'_>,
    ) -> Result<Option<UserRowCounts>, AttemptError> {
        let mut connection = self.acquire().await?;
        let mut transaction = begin(&mut connection, Scope::User(request.user_id)).await?;
        let eligible: Option<String> = sqlx::query_scalar(retention::PURGE_ELIGIBLE_FOR_UPDATE)
            .bind(request.user_id.as_str())
            .bind(request.deactivated_before)
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
            commit(transaction).await?;
        }
        Ok(Some(counts))
    }
}

async fn count_rows(
    connection: &mut PgConnection,
    user_id: &UserId,
) -> Result<UserRowCounts, AttemptError> {
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
    connection: &mut PgConnection,
    request: &PurgeRequest<'_>,
) -> Result<UserRowCounts, AttemptError> {
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
    connection: &mut PgConnection,
    statement: &'static str,
    request: &PurgeRequest<'_>,
) -> Result<u64, AttemptError> {
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
