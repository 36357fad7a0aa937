//! Mapping of failed workspace calls to API errors.

use std::time::Duration;

use axum::http::StatusCode;
use databricks_client::{ApiError, ErrorKind};

use crate::error::{AppError, ErrorCode};

/// Seconds a client should wait after a 429 that carried no `Retry-After`.
pub const DEFAULT_RETRY_AFTER_SECONDS: u64 = 60;

/// The start of the platform's message when a token lacks a scope, for example
/// "Provided OAuth token does not have required scopes: unity-catalog".
/// NOTE: users report this message; the platform does not document it.
const MISSING_SCOPE_MARKER: &str = "does not have required scopes";

/// The OAuth scope a route's workspace calls need, by its two names: the token scope of the REST
/// reference, and the user authorization scopes the app requests in `deploy/databricks.yml`.
#[derive(Debug, Clone, Copy)]
pub struct RequiredScope {
    pub token_scope: &'static str,
    pub app_scopes: &'static str,
}

/// Maps a failed workspace call made for a route (not an identity lookup).
///
/// `required_scope` names the OAuth scope the call needs, for the message when the token lacks it.
pub fn workspace_error(error: &ApiError, required_scope: RequiredScope) -> AppError {
    let status = error.status.map(|status| status.as_u16());
    let code = error.error_code.as_deref().unwrap_or_default();

    match status {
        Some(401 | 403) if error.message.contains(MISSING_SCOPE_MARKER) => {
            missing_scope(required_scope)
        }
        Some(403) if code == "403" => token_rejected(error),
        Some(401) => token_rejected(error),
        Some(403) => AppError::new(
            StatusCode::FORBIDDEN,
            ErrorCode::PermissionDenied,
            error.message.clone(),
        ),
        Some(404) => AppError::new(
            StatusCode::NOT_FOUND,
            ErrorCode::NotFound,
            error.message.clone(),
        ),
        Some(400) => AppError::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::ValidationError,
            error.message.clone(),
        ),
        _ => upstream_error(error),
    }
}

/// Maps a workspace failure that is not about the caller's credentials or input.
pub fn upstream_error(error: &ApiError) -> AppError {
    if matches!(error.kind, ErrorKind::Timeout) {
        return AppError::new(
            StatusCode::GATEWAY_TIMEOUT,
            ErrorCode::UpstreamTimeout,
            "The workspace did not answer in time; try again",
        );
    }
    match error.status.map(|status| status.as_u16()) {
        Some(429) => AppError::new(
            StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::RateLimited,
            "The workspace is rate limiting requests; wait and try again",
        )
        .with_retry_after(retry_after_or_default(error)),
        Some(status) if status < 500 => AppError::new(
            StatusCode::BAD_GATEWAY,
            ErrorCode::UpstreamUnavailable,
            format!("The workspace answered {status}"),
        ),
        _ => AppError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::UpstreamUnavailable,
            "The workspace is unavailable; try again",
        ),
    }
}

/// The workspace's `Retry-After`, or the default when it sent none.
pub fn retry_after_or_default(error: &ApiError) -> Duration {
    error
        .retry_after
        .unwrap_or(Duration::from_secs(DEFAULT_RETRY_AFTER_SECONDS))
}

fn missing_scope(scope: RequiredScope) -> AppError {
    let RequiredScope {
        token_scope,
        app_scopes,
    } = scope;
    AppError::new(
        StatusCode::FORBIDDEN,
        ErrorCode::PermissionDenied,
        format!(
            "Your access token lacks the OAuth scope '{token_scope}' this page needs. \
             A workspace admin must add it to the app's user authorization scopes \
             (user_api_scopes; this app's bundle requests {app_scopes}), then you sign in again."
        ),
    )
}

fn token_rejected(error: &ApiError) -> AppError {
    if error.message.to_ascii_lowercase().contains("expir") {
        return AppError::new(
            StatusCode::UNAUTHORIZED,
            ErrorCode::AuthExpired,
            "User access token has expired; refresh the page to continue",
        );
    }
    AppError::new(
        StatusCode::UNAUTHORIZED,
        ErrorCode::AuthInvalid,
        "The workspace rejected the access token",
    )
}
