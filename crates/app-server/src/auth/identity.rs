//! The verified identity behind a user token: SCIM `Me` called with the user's own token.

use std::time::SystemTime;

use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::request::Parts;
use databricks_client::{ApiError, Credentials, CurrentUser, ErrorKind, Workspace};
use secrecy::{ExposeSecret, SecretString};

use super::context::AuthContext;
use super::jwt;
use crate::domain::UserId;
use crate::error::{AppError, ErrorCode};
use crate::state::AppState;

/// Seconds a client is told to wait after a 429 that carried no `Retry-After`.
const DEFAULT_RETRY_AFTER_SECONDS: u64 = 60;

/// A user whose token the workspace accepted, with the token for calls on their behalf.
#[derive(Debug, Clone)]
pub struct UserIdentity {
    pub user_id: UserId,
    pub display_name: Option<String>,
    pub active: bool,
    pub workspace_id: Option<String>,
    pub token: SecretString,
}

/// Turns user tokens into verified identities.
#[derive(Debug, Clone)]
pub struct IdentityResolver {
    workspace: Workspace,
}

impl IdentityResolver {
    pub fn new(workspace: Workspace) -> Self {
        Self { workspace }
    }

    /// Verifies `token` with the workspace and returns whose it is.
    ///
    /// A JWT whose `exp` has passed is rejected here without a workspace call.
    pub async fn resolve(&self, token: &SecretString) -> Result<UserIdentity, AppError> {
        if jwt::has_expired(token.expose_secret(), SystemTime::now()) {
            return Err(AppError::new(
                StatusCode::UNAUTHORIZED,
                ErrorCode::AuthExpired,
                "User access token has expired; refresh the page to continue",
            ));
        }

        let client = self.workspace.client(Credentials::UserToken(token.clone()));
        let user = client
            .current_user()
            .await
            .map_err(|error| identity_lookup_error(&error))?;

        verified_identity(user, token.clone())
    }
}

/// Checks that the workspace's answer names a usable, active principal.
fn verified_identity(user: CurrentUser, token: SecretString) -> Result<UserIdentity, AppError> {
    let unusable = |reason: &str| {
        AppError::new(
            StatusCode::UNAUTHORIZED,
            ErrorCode::AuthUserIdentityFailed,
            format!("Your identity could not be verified: {reason}"),
        )
    };

    let user_name = user.user_name.trim();
    if user_name.is_empty() {
        return Err(unusable("the workspace returned no userName"));
    }
    if !user.active {
        return Err(unusable("the user is deactivated in the workspace"));
    }
    if !is_email(user_name) && uuid::Uuid::parse_str(user_name).is_err() {
        return Err(unusable(
            "the userName is neither an email nor a service principal's application id",
        ));
    }

    Ok(UserIdentity {
        user_id: UserId::verified(user_name),
        display_name: user.display_name,
        active: user.active,
        workspace_id: user.workspace_id,
        token,
    })
}

/// A plain shape check: one `@` with text on both sides and a dot in the domain.
fn is_email(value: &str) -> bool {
    let Some((local, domain)) = value.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !value.chars().any(char::is_whitespace)
}

/// Maps a failed SCIM `Me` call made with a user token to the API's authentication errors.
pub fn identity_lookup_error(error: &ApiError) -> AppError {
    tracing::warn!(
        upstream.status = error.status.map(|status| status.as_u16()),
        upstream.error_code = error.error_code.as_deref(),
        error = %error,
        "user identity lookup failed"
    );

    match error.status.map(|status| status.as_u16()) {
        Some(401 | 403) if error.message.to_ascii_lowercase().contains("expir") => AppError::new(
            StatusCode::UNAUTHORIZED,
            ErrorCode::AuthExpired,
            "User access token has expired; refresh the page to continue",
        ),
        Some(401 | 403) => AppError::new(
            StatusCode::UNAUTHORIZED,
            ErrorCode::AuthInvalid,
            "The workspace rejected the access token",
        ),
        Some(429) => AppError::new(
            StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::AuthRateLimited,
            "The workspace is rate limiting identity lookups; wait and try again",
        )
        .with_retry_after(retry_after_or_default(error)),
        _ => upstream_error(error),
    }
}

/// Maps a workspace failure that is not about the caller's credentials.
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

fn retry_after_or_default(error: &ApiError) -> std::time::Duration {
    error
        .retry_after
        .unwrap_or(std::time::Duration::from_secs(DEFAULT_RETRY_AFTER_SECONDS))
}

impl FromRequestParts<AppState> for UserIdentity {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let AuthContext::UserToken(token) = AuthContext::from_request_parts(parts, state).await?
        else {
            return Err(AppError::auth_missing());
        };

        let identity = state.identities.resolve(&token).await?;
        state.record_user_seen(&identity).await;
        Ok(identity)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_shapes() {
        for good in ["alice@example.com", "a.b+c@sub.example.org"] {
            assert!(is_email(good), "{good}");
        }
        for bad in [
            "",
            "alice",
            "@example.com",
            "alice@",
            "alice@localhost",
            "a@b@c.d",
            "a b@c.d",
            "alice@.com",
        ] {
            assert!(!is_email(bad), "{bad}");
        }
    }
}
