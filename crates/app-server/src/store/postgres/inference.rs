//! Queries of `model_inference_logs` on PostgreSQL.

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::PostgresStore;
use super::scope::{AttemptError, Scope, begin, commit};
use crate::domain::UserId;
use crate::store::{InferenceLog, StoreError, UserInferenceLog};

/// One page of one user's rows; `$1` is the user id.
const LIST_OF_USER: &str = "SELECT user_id, request_id, endpoint_name, request_payload, \
         response_payload, status, http_status, latency_ms, error_message, requested_at, \
         completed_at \
     FROM model_inference_logs WHERE user_id = $1 \
     ORDER BY requested_at DESC, id DESC LIMIT $2 OFFSET $3";

/// One page of every user's rows; `$1` is NULL.
const LIST_OF_ALL_USERS: &str = "SELECT user_id, request_id, endpoint_name, request_payload, \
         response_payload, status, http_status, latency_ms, error_message, requested_at, \
         completed_at \
     FROM model_inference_logs WHERE $1::TEXT IS NULL \
     ORDER BY requested_at DESC, id DESC LIMIT $2 OFFSET $3";

const COUNT_OF_USER: &str = "SELECT COUNT(*) FROM model_inference_logs WHERE user_id = $1";

const COUNT_OF_ALL_USERS: &str = "SELECT COUNT(*) FROM model_inference_logs WHERE $1::TEXT IS NULL";

#[derive(sqlx::FromRow)]
struct LogRow {
    user_id: String,
    request_id: String,
    endpoint_name: String,
    request_payload: Option<Value>,
    response_payload: Option<Value>,
    status: String,
    http_status: Option<i32>,
    latency_ms: Option<i64>,
    error_message: Option<String>,
    requested_at: DateTime<Utc>,
    completed_at: Option<DateTime<Utc>>,
}

impl From<LogRow> for UserInferenceLog {
    fn from(row: LogRow) -> Self {
        UserInferenceLog {
            user_id: row.user_id,
            log: InferenceLog {
                request_id: row.request_id,
                endpoint_name: row.endpoint_name,
                request_payload: row.request_payload.unwrap_or(Value::Null),
                response_payload: row.response_payload,
                status: row.status,
                http_status: row.http_status,
                latency_ms: row.latency_ms.unwrap_or(0),
                error_message: row.error_message,
                requested_at: row.requested_at,
                completed_at: row.completed_at,
            },
        }
    }
}

impl PostgresStore {
    pub(super) async fn record_inference_once(
        &self,
        user_id: &UserId,
        log: &InferenceLog,
    ) -> Result<(), AttemptError> {
        let mut connection = self.acquire().await?;
        let mut transaction = begin(&mut connection, Scope::User(user_id)).await?;
        sqlx::query(
            "INSERT INTO model_inference_logs \
                 (user_id, request_id, endpoint_name, request_payload, response_payload, status, \
                  http_status, latency_ms, error_message, requested_at, completed_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(user_id.as_str())
        .bind(&log.request_id)
        .bind(&log.endpoint_name)
        .bind(&log.request_payload)
        .bind(&log.response_payload)
        .bind(&log.status)
        .bind(log.http_status)
        .bind(log.latency_ms)
        .bind(&log.error_message)
        .bind(log.requested_at)
        .bind(log.completed_at)
        .execute(&mut *transaction)
        .await
        .map_err(|error| {
            StoreError::from_insert(
                error,
                &format!(
                    "an inference log with request_id {:?} exists",
                    log.request_id
                ),
            )
        })?;
        commit(transaction).await
    }

    /// Lists one page and counts all rows the scope admits. A user scope also filters on
    /// `user_id`, so the result does not depend on row-level security being in place.
    pub(super) async fn list_inference_logs_once(
        &self,
        scope: Scope<'_>,
        limit: u32,
        offset: u32,
    ) -> Result<(Vec<UserInferenceLog>, u64), AttemptError> {
        let mut connection = self.acquire().await?;
        let mut transaction = begin(&mut connection, scope).await?;
        let (list, count, user_id) = match scope {
            Scope::User(user_id) => (LIST_OF_USER, COUNT_OF_USER, Some(user_id.as_str())),
            Scope::CrossUser => (LIST_OF_ALL_USERS, COUNT_OF_ALL_USERS, None),
        };
        let rows: Vec<LogRow> = sqlx::query_as(list)
            .bind(user_id)
            .bind(i64::from(limit))
            .bind(i64::from(offset))
            .fetch_all(&mut *transaction)
            .await?;
        let total: i64 = sqlx::query_scalar(count)
            .bind(user_id)
            .fetch_one(&mut *transaction)
            .await?;
        commit(transaction).await?;
        let total = u64::try_from(total).unwrap_or_default();
        Ok((
            rows.into_iter().map(UserInferenceLog::from).collect(),
            total,
        ))
    }

    pub(super) async fn delete_inference_logs_before_once(
        &self,
        cutoff: DateTime<Utc>,
    ) -> Result<u64, AttemptError> {
        let mut connection = self.acquire().await?;
        let mut transaction = begin(&mut connection, Scope::CrossUser).await?;
        let result = sqlx::query("DELETE FROM model_inference_logs WHERE requested_at < $1")
            .bind(cutoff)
            .execute(&mut *transaction)
            .await?;
        commit(transaction).await?;
        Ok(result.rows_affected())
    }
}
