//! The auth context: the forwarded user token, read once per request with no network call.

use axum::extract::{FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderName, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use secrecy::SecretString;

use crate::error::{AppError, ErrorCode};

/// The header in which the Databricks Apps proxy forwards the signed-in user's access token.
pub const ACCESS_TOKEN_HEADER: HeaderName = HeaderName::from_static("x-forwarded-access-token");

/// Longest header value accepted as a token. Real OAuth access tokens are a few kilobytes.
pub const MAX_TOKEN_BYTES: usize = 16 * 1024;

/// Whose credentials a request uses for workspace calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMode {
    /// On behalf of the user, with the forwarded token.
    Obo,
    /// As the app's service principal, because the request carried no user token.
    ServicePrincipal,
}

impl AuthMode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Obo => "obo",
            Self::ServicePrincipal => "service_principal",
        }
    }
}

/// What the request's `X-Forwarded-Access-Token` header holds.
#[derive(Debug, Clone)]
pub enum AuthContext {
    /// A value that can be a token. It is not verified yet.
    UserToken(SecretString),
    /// The header is absent, empty or only whitespace.
    NoToken,
    /// The header cannot hold a token; the reason names the rule it broke, never the value.
    Malformed(&'static str),
}

impl AuthContext {
    /// Classifies the token header of a request.
    pub fn from_headers(headers: &HeaderMap) -> Self {
        let mut values = headers.get_all(ACCESS_TOKEN_HEADER).iter();
        let Some(value) = values.next() else {
            return Self::NoToken;
        };
        if values.next().is_some() {
            return Self::Malformed("more than one access token header");
        }

        let Ok(text) = value.to_str() else {
            return Self::Malformed("the access token contains non-ASCII bytes");
        };
        let token = text.trim_matches(|c: char| c == ' ' || c == '\t');
        if token.is_empty() {
            return Self::NoToken;
        }
        if token.len() > MAX_TOKEN_BYTES {
            return Self::Malformed("the access token is longer than 16 KiB");
        }
        if !token.bytes().all(|byte| byte.is_ascii_graphic()) {
            return Self::Malformed("the access token contains whitespace or control characters");
        }
        Self::UserToken(SecretString::from(token))
    }

    pub fn mode(&self) -> AuthMode {
        match self {
            Self::UserToken(_) | Self::Malformed(_) => AuthMode::Obo,
            Self::NoToken => AuthMode::ServicePrincipal,
        }
    }
}

/// Middleware: classifies the token header once, stores the result for extractors and records
/// `auth.mode` on the request span.
pub async fn layer(mut request: Request, next: Next) -> Response {
    let context = AuthContext::from_headers(request.headers());
    tracing::Span::current().record("auth.mode", context.mode().as_str());
    request.extensions_mut().insert(context);
    next.run(request).await
}

impl<S: Send + Sync> FromRequestParts<S> for AuthContext {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let context = parts
            .extensions
            .get::<AuthContext>()
            .cloned()
            .unwrap_or_else(|| AuthContext::from_headers(&parts.headers));

        if let AuthContext::Malformed(reason) = context {
            return Err(AppError::new(
                StatusCode::UNAUTHORIZED,
                ErrorCode::AuthMalformed,
                format!("Invalid authentication header: {reason}; refresh the page and try again"),
            ));
        }
        Ok(context)
    }
}
