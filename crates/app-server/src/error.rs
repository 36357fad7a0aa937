//! The one error type of the HTTP API and its JSON body.

use std::time::Duration;

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// The stable, machine-readable code of an error body. Clients switch on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ErrorCode {
    AuthMissing,
    AuthMalformed,
    AuthExpired,
    AuthInvalid,
    AuthUserIdentityFailed,
    AuthRateLimited,
    ValidationError,
    PayloadTooLarge,
    HeadersTooLarge,
    UriTooLong,
    RequestTimeout,
    NotFound,
    PreferenceNotFound,
    MethodNotAllowed,
    PermissionDenied,
    AdminRequired,
    JobAlreadyRunning,
    CsrfRejected,
    RateLimited,
    UpstreamUnavailable,
    UpstreamTimeout,
    DatabaseUnavailable,
    LakebaseNotConfigured,
    InternalError,
}

impl ErrorCode {
    /// Every code, in declaration order. The OpenAPI document lists the codes from the enum itself,
    /// and a test checks that both lists match.
    pub const ALL: [Self; 24] = [
        Self::AuthMissing,
        Self::AuthMalformed,
        Self::AuthExpired,
        Self::AuthInvalid,
        Self::AuthUserIdentityFailed,
        Self::AuthRateLimited,
        Self::ValidationError,
        Self::PayloadTooLarge,
        Self::HeadersTooLarge,
        Self::UriTooLong,
        Self::RequestTimeout,
        Self::NotFound,
        Self::PreferenceNotFound,
        Self::MethodNotAllowed,
        Self::PermissionDenied,
        Self::AdminRequired,
        Self::JobAlreadyRunning,
        Self::CsrfRejected,
        Self::RateLimited,
        Self::UpstreamUnavailable,
        Self::UpstreamTimeout,
        Self::DatabaseUnavailable,
        Self::LakebaseNotConfigured,
        Self::InternalError,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::AuthMissing => "AUTH_MISSING",
            Self::AuthMalformed => "AUTH_MALFORMED",
            Self::AuthExpired => "AUTH_EXPIRED",
            Self::AuthInvalid => "AUTH_INVALID",
            Self::AuthUserIdentityFailed => "AUTH_USER_IDENTITY_FAILED",
            Self::AuthRateLimited => "AUTH_RATE_LIMITED",
            Self::ValidationError => "VALIDATION_ERROR",
            Self::PayloadTooLarge => "PAYLOAD_TOO_LARGE",
            Self::HeadersTooLarge => "HEADERS_TOO_LARGE",
            Self::UriTooLong => "URI_TOO_LONG",
            Self::RequestTimeout => "REQUEST_TIMEOUT",
            Self::NotFound => "NOT_FOUND",
            Self::PreferenceNotFound => "PREFERENCE_NOT_FOUND",
            Self::MethodNotAllowed => "METHOD_NOT_ALLOWED",
            Self::PermissionDenied => "PERMISSION_DENIED",
            Self::AdminRequired => "ADMIN_REQUIRED",
            Self::JobAlreadyRunning => "JOB_ALREADY_RUNNING",
            Self::CsrfRejected => "CSRF_REJECTED",
            Self::RateLimited => "RATE_LIMITED",
            Self::UpstreamUnavailable => "UPSTREAM_UNAVAILABLE",
            Self::UpstreamTimeout => "UPSTREAM_TIMEOUT",
            Self::DatabaseUnavailable => "DATABASE_UNAVAILABLE",
            Self::LakebaseNotConfigured => "LAKEBASE_NOT_CONFIGURED",
            Self::InternalError => "INTERNAL_ERROR",
        }
    }
}

/// An error answered to the client: a status, a code, a message for people and, for rate limits,
/// how long to wait.
///
/// `detail` is sent to the client, so it must never hold a token, a secret or internal state. The
/// cause of an `INTERNAL_ERROR` goes to the log through [`AppError::internal`], never to the body.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{status} {}: {detail}", code.as_str())]
pub struct AppError {
    pub status: StatusCode,
    pub code: ErrorCode,
    pub detail: String,
    pub retry_after: Option<Duration>,
}

impl AppError {
    pub fn new(status: StatusCode, code: ErrorCode, detail: impl Into<String>) -> Self {
        Self {
            status,
            code,
            detail: detail.into(),
            retry_after: None,
        }
    }

    #[must_use]
    pub fn with_retry_after(mut self, retry_after: Duration) -> Self {
        self.retry_after = Some(retry_after);
        self
    }

    pub fn auth_missing() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            ErrorCode::AuthMissing,
            "Authentication required: this route needs the signed-in user's access token",
        )
    }

    pub fn validation(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::ValidationError,
            detail,
        )
    }

    /// A `VALIDATION_ERROR` for an invalid path or query parameter.
    pub fn invalid_parameter(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, ErrorCode::ValidationError, detail)
    }

    pub fn lakebase_not_configured() -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::LakebaseNotConfigured,
            "No app database is configured: set DATABASE_URL or the Lakebase variables",
        )
    }

    /// Logs `cause` once, with the request's span fields, and returns an opaque 500.
    pub fn internal(cause: &(dyn std::error::Error + 'static)) -> Self {
        tracing::error!(error = %error_chain(cause), "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::InternalError,
            "Internal server error",
        )
    }
}

/// Formats an error and its sources as `outer: inner: innermost`.
pub fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// The JSON error body.
#[derive(Debug, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// A message for people. It never contains a token or a secret.
    pub detail: String,
    #[schema(value_type = ErrorCode)]
    pub error_code: String,
    /// Seconds to wait before a retry, also sent as `Retry-After`. Null when no wait applies.
    pub retry_after: Option<u64>,
    /// The request's correlation ID, also sent as a response header.
    pub correlation_id: Option<String>,
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let retry_after = self.retry_after.map(|wait| wait.as_secs().max(1));
        let body = ErrorBody {
            detail: self.detail,
            error_code: self.code.as_str().to_owned(),
            retry_after,
            correlation_id: crate::http::correlation::current(),
        };

        let mut response = (self.status, Json(body)).into_response();
        if let Some(seconds) = retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response.extensions_mut().insert(self.code);
        response
    }
}
