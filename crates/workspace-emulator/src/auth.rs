//! Bearer-token authentication of workspace API calls.

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;

use crate::errors::ApiError;
use crate::middleware::RequestId;
use crate::principal::Principal;
use crate::state::{AppState, TokenCheck};

/// The principal a request authenticated as. Extracting it rejects the request like the
/// platform does: 401 without a bearer token, 403 for an unknown, expiring or deactivated one.
#[derive(Debug, Clone)]
pub(crate) struct Caller(pub(crate) Principal);

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        authenticate(parts, state).map(|authenticated| Caller(authenticated.principal))
    }
}

/// A request's principal and the space-separated OAuth scopes of its token.
#[derive(Debug, Clone)]
pub(crate) struct Authenticated {
    pub(crate) principal: Principal,
    pub(crate) scope: String,
}

/// Authenticates a request by its bearer token, rejecting it like the platform does.
pub(crate) fn authenticate(parts: &Parts, state: &AppState) -> Result<Authenticated, ApiError> {
    let request_id = parts.extensions.get::<RequestId>().copied();
    let token = parts
        .headers
        .get(AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(bearer_token)
        .ok_or_else(|| ApiError::credential_not_sent(request_id))?;
    let directory = state.directory();
    match directory.check_token(token, chrono::Utc::now()) {
        TokenCheck::Valid(principal) => Ok(Authenticated {
            principal,
            scope: directory.token_scope(token).unwrap_or_default().to_owned(),
        }),
        TokenCheck::Expiring => Err(ApiError::token_expiring()),
        // NOTE: the platform's message for a deactivated user's token is not documented.
        TokenCheck::Unknown | TokenCheck::Inactive => Err(ApiError::invalid_access_token()),
    }
}

/// Extracts the token from an `Authorization: Bearer <token>` value. The scheme is
/// case-insensitive.
fn bearer_token(value: &str) -> Option<&str> {
    let (scheme, token) = value.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

#[cfg(test)]
mod tests {
    use super::bearer_token;

    #[test]
    fn bearer_token_parses_scheme_case_insensitively() {
        assert_eq!(bearer_token("Bearer abc"), Some("abc"));
        assert_eq!(bearer_token("bearer  abc "), Some("abc"));
    }

    #[test]
    fn other_schemes_and_empty_tokens_are_not_bearer() {
        assert_eq!(bearer_token("Basic YTpi"), None);
        assert_eq!(bearer_token("Bearer "), None);
        assert_eq!(bearer_token("Bearer"), None);
    }
}
