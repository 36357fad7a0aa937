//! Model Serving invocations: input shape checks, the call itself, and its audit row.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use databricks_client::{ApiError, ErrorKind, WorkspaceClient};
use serde_json::{Value, json};

use crate::domain::UserId;
use crate::error::AppError;
use crate::store::{InferenceLog, Store};
use crate::telemetry;

/// The task of chat endpoints; every other task (or none) takes the custom-model shapes.
pub const CHAT_TASK: &str = "llm/v1/chat";

/// Request keys a custom model accepts; exactly one must be present.
const CUSTOM_MODEL_INPUTS: [&str; 4] = [
    "dataframe_records",
    "dataframe_split",
    "instances",
    "inputs",
];

/// Largest payload kept in an audit row, in bytes of compact JSON. Larger payloads are replaced by
/// a marker with their size and a prefix of their text.
pub const MAX_LOGGED_PAYLOAD_BYTES: usize = 32 * 1024;

/// Checks `inputs` against the shape the endpoint's task expects, so a wrong shape fails before
/// any invocation reaches the workspace. Returns what is wrong, for a 400.
pub fn check_inputs(task: Option<&str>, inputs: &Value) -> Result<(), String> {
    let Some(fields) = inputs.as_object() else {
        return Err("inputs must be a JSON object".to_owned());
    };

    if task == Some(CHAT_TASK) {
        let Some(messages) = fields.get("messages").and_then(Value::as_array) else {
            return Err(
                "a chat endpoint needs inputs.messages: [{\"role\", \"content\"}, …]".to_owned(),
            );
        };
        if messages.is_empty() {
            return Err("inputs.messages must not be empty".to_owned());
        }
        for (index, message) in messages.iter().enumerate() {
            let role = message.get("role").and_then(Value::as_str);
            if !matches!(role, Some("system" | "user" | "assistant")) {
                return Err(format!(
                    "inputs.messages[{index}].role must be system, user or assistant"
                ));
            }
            if !message.get("content").is_some_and(Value::is_string) {
                return Err(format!("inputs.messages[{index}].content must be a string"));
            }
        }
        return Ok(());
    }

    let present: Vec<&str> = CUSTOM_MODEL_INPUTS
        .into_iter()
        .filter(|key| fields.contains_key(*key))
        .collect();
    match present.as_slice() {
        [_] => Ok(()),
        [] => Err(format!(
            "a custom model needs exactly one of {}",
            CUSTOM_MODEL_INPUTS.join(", ")
        )),
        several => Err(format!(
            "inputs has more than one input format: {}",
            several.join(", ")
        )),
    }
}

/// The result of one invocation, as the route returns it and the audit row records it.
#[derive(Debug)]
pub struct InvocationOutcome {
    pub request_id: String,
    pub result: Result<Value, ApiError>,
    pub latency_ms: i64,
}

/// Invokes the endpoint and writes exactly one audit row, whatever happens.
///
/// The work runs in its own task, so a client that disconnects (which drops the handler's future)
/// neither cancels the invocation half-way nor loses its audit row.
pub async fn invoke_and_record(
    client: WorkspaceClient,
    store: Arc<dyn Store>,
    user_id: UserId,
    endpoint_name: String,
    inputs: Value,
    timeout: Duration,
) -> Result<InvocationOutcome, AppError> {
    let task_request_id = uuid::Uuid::new_v4().to_string();
    let work = async move {
        let requested_at = Utc::now();
        let started = Instant::now();
        let result = client
            .invoke_serving_endpoint(&endpoint_name, inputs.clone(), timeout)
            .await
            .map(|invocation| invocation.body);
        let latency_ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
        telemetry::metrics::upstream::record_model_invocation(
            &endpoint_name,
            &result,
            started.elapsed(),
        );

        let log = audit_row(
            &task_request_id,
            &endpoint_name,
            &inputs,
            &result,
            latency_ms,
            requested_at,
        );
        if let Err(error) = store.record_inference(&user_id, &log).await {
            tracing::error!(error = %error, request_id = %task_request_id, "failed to write the inference log row");
        }
        InvocationOutcome {
            request_id: task_request_id,
            result,
            latency_ms,
        }
    };

    tokio::spawn(work)
        .await
        .map_err(|join_error| AppError::internal(&join_error))
}

fn audit_row(
    request_id: &str,
    endpoint_name: &str,
    inputs: &Value,
    result: &Result<Value, ApiError>,
    latency_ms: i64,
    requested_at: chrono::DateTime<Utc>,
) -> InferenceLog {
    let (status, http_status, response_payload, error_message) = match result {
        Ok(body) => ("success", Some(200), Some(capped(body)), None),
        Err(error) => {
            let status = if matches!(error.kind, ErrorKind::Timeout) {
                "timeout"
            } else {
                "error"
            };
            let http_status = error.status.map(|code| i32::from(code.as_u16()));
            (status, http_status, None, Some(error.to_string()))
        }
    };
    InferenceLog {
        request_id: request_id.to_owned(),
        endpoint_name: endpoint_name.to_owned(),
        request_payload: capped(inputs),
        response_payload,
        status: status.to_owned(),
        http_status,
        latency_ms,
        error_message,
        requested_at,
        completed_at: Some(Utc::now()),
    }
}

/// Returns `payload`, or a marker when its JSON is over [`MAX_LOGGED_PAYLOAD_BYTES`].
pub fn capped(payload: &Value) -> Value {
    let text = payload.to_string();
    if text.len() <= MAX_LOGGED_PAYLOAD_BYTES {
        return payload.clone();
    }
    let mut end = MAX_LOGGED_PAYLOAD_BYTES / 2;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    json!({ "truncated": true, "original_bytes": text.len(), "prefix": &text[..end] })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn custom_model_shapes() {
        for good in [
            json!({"dataframe_records": [{"a": 1}]}),
            json!({"dataframe_split": {"columns": ["a"], "data": [[1]]}}),
            json!({"instances": [[1, 2]]}),
            json!({"inputs": {"a": [1]}}),
        ] {
            assert_eq!(check_inputs(None, &good), Ok(()), "{good}");
        }
        for bad in [
            json!([1]),
            json!({}),
            json!({"messages": []}),
            json!({"instances": [], "inputs": []}),
        ] {
            assert!(check_inputs(None, &bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn chat_shapes() {
        let good = json!({"messages": [{"role": "user", "content": "hi"}], "max_tokens": 5});
        assert_eq!(check_inputs(Some(CHAT_TASK), &good), Ok(()));
        for bad in [
            json!({"dataframe_records": [{"a": 1}]}),
            json!({"messages": []}),
            json!({"messages": [{"role": "robot", "content": "hi"}]}),
            json!({"messages": [{"role": "user", "content": 5}]}),
        ] {
            assert!(check_inputs(Some(CHAT_TASK), &bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn large_payloads_are_replaced_by_a_marker() {
        let small = json!({"a": "b"});
        assert_eq!(capped(&small), small);

        let large = json!({"text": "é".repeat(MAX_LOGGED_PAYLOAD_BYTES)});
        let marker = capped(&large);
        assert_eq!(marker["truncated"], true);
        assert!(
            marker["original_bytes"]
                .as_u64()
                .is_some_and(|bytes| bytes > MAX_LOGGED_PAYLOAD_BYTES as u64)
        );
        assert!(marker.to_string().len() < MAX_LOGGED_PAYLOAD_BYTES);
    }
}
