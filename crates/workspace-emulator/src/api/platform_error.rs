//! REST API errors with a string `error_code` and optional `google.rpc` details, the shape that
//! Unity Catalog, Model Serving and scope checks return.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::middleware::RequestId;

const ERROR_INFO_TYPE: &str = "type.googleapis.com/google.rpc.ErrorInfo";
const REQUEST_INFO_TYPE: &str = "type.googleapis.com/google.rpc.RequestInfo";

/// `{"error_code": "…", "message": "…", "details": [...]}`, where `details` is left out when
/// empty.
#[derive(Debug, Clone)]
pub(crate) struct PlatformError {
    status: StatusCode,
    error_code: &'static str,
    message: String,
    details: Vec<Value>,
}

impl PlatformError {
    pub(crate) fn new(status: StatusCode, error_code: &'static str, message: String) -> Self {
        Self {
            status,
            error_code,
            message,
            details: Vec::new(),
        }
    }

    pub(crate) fn bad_request(message: String) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "BAD_REQUEST", message)
    }

    pub(crate) fn invalid_parameter(message: String) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "INVALID_PARAMETER_VALUE", message)
    }

    pub(crate) fn permission_denied(message: String) -> Self {
        Self::new(StatusCode::FORBIDDEN, "PERMISSION_DENIED", message)
    }

    pub(crate) fn not_found(error_code: &'static str, message: String) -> Self {
        Self::new(StatusCode::NOT_FOUND, error_code, message)
    }

    /// Adds a `google.rpc.ErrorInfo` detail. `metadata` must be a JSON object of strings.
    pub(crate) fn with_error_info(mut self, reason: &str, domain: &str, metadata: Value) -> Self {
        let mut detail = json!({"@type": ERROR_INFO_TYPE, "reason": reason, "domain": domain});
        detail["metadata"] = metadata;
        self.details.push(detail);
        self
    }

    /// Adds a `google.rpc.RequestInfo` detail with the request's `X-Request-Id`, when known.
    pub(crate) fn with_request_info(mut self, request_id: Option<RequestId>) -> Self {
        if let Some(RequestId(id)) = request_id {
            self.details.push(json!({
                "@type": REQUEST_INFO_TYPE,
                "request_id": id.to_string(),
                "serving_data": "",
            }));
        }
        self
    }
}

impl IntoResponse for PlatformError {
    fn into_response(self) -> Response {
        let mut body = json!({"error_code": self.error_code, "message": self.message});
        if !self.details.is_empty() {
            body["details"] = Value::Array(self.details);
        }
        (self.status, Json(body)).into_response()
    }
}
