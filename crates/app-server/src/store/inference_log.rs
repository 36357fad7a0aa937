//! Rows of `model_inference_logs`: one per model invocation.

use chrono::{DateTime, Utc};
use serde::Serialize;

/// One model invocation of a user, successful or not. Timestamps serialise as RFC 3339.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct InferenceLog {
    /// A UUID in text form, unique across all users.
    pub request_id: String,
    pub endpoint_name: String,
    /// The request body, already cut to the size limit by the caller.
    pub request_payload: serde_json::Value,
    /// The response body, already cut to the size limit, when there was one.
    pub response_payload: Option<serde_json::Value>,
    /// `success`, `error` or `timeout`.
    pub status: String,
    /// The HTTP status of the serving endpoint's response, when one arrived.
    pub http_status: Option<i32>,
    /// Time from sending the request to the end of the response, in milliseconds; at least 0.
    pub latency_ms: i64,
    pub error_message: Option<String>,
    pub requested_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
}

/// An invocation with the user it belongs to, as the admin listing returns it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UserInferenceLog {
    pub user_id: String,
    #[serde(flatten)]
    pub log: InferenceLog,
}
