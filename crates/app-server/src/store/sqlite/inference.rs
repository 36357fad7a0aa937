//! Queries of `model_inference_logs` on SQLite, where JSON is text and timestamps are fixed-width
//! RFC 3339 text.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::SqlitePool;

use crate::domain::UserId;
use crate::store::{InferenceLog, StoreError, UserInferenceLog, timestamps};

/// One page of one user's rows (`$1` is the user id) or of every user's rows (`$1` is NULL).
const LIST: &str = "SELECT user_id, request_id, endpoint_name, request_payload, \
         response_payload, status, http_status, latency_ms, error_message, requested_at, \
         completed_at \
     FROM model_inference_logs WHERE $1 IS NULL OR user_id = $1 \
     ORDER BY requested_at DESC, id DESC LIMIT $2 OFFSET $3";

const COUNT: &str = "SELECT COUNT(*) FROM model_inference_logs WHERE $1 IS NULL OR user_id = $1";

#[derive(sqlx::FromRow)]
struct LogRow {
    user_id: String,
    request_id: String,
    endpoint_name: String,
    request_payload: Option<String>,
    response_payload: Option<String>,
    status: String,
    http_status: Option<i32>,
    latency_ms: Option<i64>,
    error_message: Option<String>,
    requested_at: String,
    completed_at: Option<String>,
}

pub(super) async fn record(
    pool: &SqlitePool,
    user_id: &UserId,
    log: &InferenceLog,
) -> Result<(), StoreError> {
    let request_payload = to_text(&log.request_payload, "request_payload")?;
    let response_payload = log
        .response_payload
        .as_ref()
        .map(|payload| to_text(payload, "response_payload"))
        .transpose()?;
    sqlx::query(
        "INSERT INTO model_inference_logs \
             (user_id, request_id, endpoint_name, request_payload, response_payload, status, \
              http_status, latency_ms, error_message, requested_at, completed_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(user_id.as_str())
    .bind(&log.request_id)
    .bind(&log.endpoint_name)
    .bind(request_payload)
    .bind(response_payload)
    .bind(&log.status)
    .bind(log.http_status)
    .bind(log.latency_ms)
    .bind(&log.error_message)
    .bind(timestamps::to_sqlite_text(log.requested_at))
    .bind(log.completed_at.map(timestamps::to_sqlite_text))
    .execute(pool)
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
    Ok(())
}

/// Lists one page and counts the rows of `user_id`, or of every user when it is `None`.
pub(super) async fn list(
    pool: &SqlitePool,
    user_id: Option<&UserId>,
    limit: u32,
    offset: u32,
) -> Result<(Vec<UserInferenceLog>, u64), StoreError> {
    let user_id = user_id.map(UserId::as_str);
    let rows: Vec<LogRow> = sqlx::query_as(LIST)
        .bind(user_id)
        .bind(i64::from(limit))
        .bind(i64::from(offset))
        .fetch_all(pool)
        .await?;
    let total: i64 = sqlx::query_scalar(COUNT)
        .bind(user_id)
        .fetch_one(pool)
        .await?;
    let rows = rows
        .into_iter()
        .map(into_log)
        .collect::<Result<Vec<_>, _>>()?;
    Ok((rows, u64::try_from(total).unwrap_or_default()))
}

pub(super) async fn delete_before(
    pool: &SqlitePool,
    cutoff: DateTime<Utc>,
) -> Result<u64, StoreError> {
    // Fixed-width RFC 3339 text compares in time order.
    let result = sqlx::query("DELETE FROM model_inference_logs WHERE requested_at < $1")
        .bind(timestamps::to_sqlite_text(cutoff))
        .execute(pool)
        .await?;
    Ok(result.rows_affected())
}

fn to_text(payload: &Value, column: &str) -> Result<String, StoreError> {
    serde_json::to_string(payload)
        .map_err(|error| StoreError::Query(format!("cannot serialise {column}: {error}")))
}

/// Parses a stored JSON column. The message names the request but never the payload.
fn from_text(text: &str, column: &str, request_id: &str) -> Result<Value, StoreError> {
    serde_json::from_str(text).map_err(|error| {
        StoreError::Query(format!(
            "stored {column} of inference log {request_id:?} is not valid JSON: {error}"
        ))
    })
}

fn into_log(row: LogRow) -> Result<UserInferenceLog, StoreError> {
    let request_id = row.request_id;
    let request_payload = match row.request_payload {
        Some(text) => from_text(&text, "request_payload", &request_id)?,
        None => Value::Null,
    };
    let response_payload = row
        .response_payload
        .map(|text| from_text(&text, "response_payload", &request_id))
        .transpose()?;
    let completed_at = row
        .completed_at
        .map(|text| timestamps::from_sqlite_text(&text, "completed_at"))
        .transpose()?;
    Ok(UserInferenceLog {
        user_id: row.user_id,
        log: InferenceLog {
            endpoint_name: row.endpoint_name,
            request_payload,
            response_payload,
            status: row.status,
            http_status: row.http_status,
            latency_ms: row.latency_ms.unwrap_or(0),
            error_message: row.error_message,
            requested_at: timestamps::from_sqlite_text(&row.requested_at, "requested_at")?,
            completed_at,
            request_id,
        },
    })
}
