//! Error bodies of the database API, in the REST API's `{"error_code", "message"}` shape.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

#[derive(Debug)]
pub(super) struct DatabaseApiError {
    status: StatusCode,
    error_code: &'static str,
    message: String,
}

impl DatabaseApiError {
    pub(super) fn malformed(rejection: &JsonRejection) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            error_code: "MALFORMED_REQUEST",
            message: rejection.body_text(),
        }
    }

    pub(super) fn invalid_parameter(message: &str) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            error_code: "INVALID_PARAMETER_VALUE",
            message: message.to_owned(),
        }
    }

    pub(super) fn not_found(message: String) -> Self {
        Self {
            status: StatusCode::NOT_FOUND,
            error_code: "RESOURCE_DOES_NOT_EXIST",
            message,
        }
    }

    /// 500 when the local PostgreSQL server did not accept the new password. This is the
    /// emulator's own failure, so the message names what to check.
    pub(super) fn role_update_failed(role: &str, error: &sqlx::Error) -> Self {
        tracing::error!(database.role = role, %error, "cannot set the database role's password");
        Self {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            error_code: "INTERNAL_ERROR",
            message: format!(
                "workspace emulator: cannot set the password of role {role:?} on the server in \
                 database.admin_url: {error}. Check that the server runs and that the admin role \
                 may create and alter roles."
            ),
        }
    }
}

impl IntoResponse for DatabaseApiError {
    fn into_response(self) -> Response {
        let body = json!({"error_code": self.error_code, "message": self.message});
        (self.status, Json(body)).into_response()
    }
}
