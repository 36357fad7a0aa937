//! A workspace client bound to one set of credentials, and the `send` path of every call.

use std::fmt;
use std::sync::Arc;
use std::time::Instant;

use http::HeaderValue;
use http::header::{ACCEPT, AUTHORIZATION};
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;

use crate::credentials::{AuthType, Credentials};
use crate::error::{ApiError, ErrorKind};
use crate::oauth::TokenSource;
use crate::request::ApiRequest;
use crate::transport::{self, RawResponse};
use crate::workspace::Workspace;

/// A client that authenticates every call with one set of [`Credentials`]. Cloning is cheap and
/// clones share the OAuth token cache.
#[derive(Clone)]
pub struct WorkspaceClient {
    workspace: Workspace,
    authenticator: Authenticator,
}

#[derive(Clone)]
enum Authenticator {
    UserToken(Arc<SecretString>),
    ServicePrincipal(Arc<TokenSource>),
}

impl WorkspaceClient {
    pub(crate) fn new(workspace: Workspace, credentials: Credentials) -> WorkspaceClient {
        let authenticator = match credentials {
            Credentials::UserToken(token) => Authenticator::UserToken(Arc::new(token)),
            Credentials::ServicePrincipal {
                client_id,
                client_secret,
            } => Authenticator::ServicePrincipal(Arc::new(TokenSource::new(
                workspace.clone(),
                client_id,
                client_secret,
            ))),
        };
        WorkspaceClient {
            workspace,
            authenticator,
        }
    }

    /// Returns the authentication type of this client's credentials.
    pub fn auth_type(&self) -> AuthType {
        match self.authenticator {
            Authenticator::UserToken(_) => AuthType::Pat,
            Authenticator::ServicePrincipal(_) => AuthType::OAuthM2m,
        }
    }

    /// Returns the workspace this client calls.
    pub fn workspace(&self) -> &Workspace {
        &self.workspace
    }

    /// Sends `request` with this client's credentials and returns the success response.
    ///
    /// Every API call goes through this function, and so through the workspace's retry policy,
    /// circuit breaker and request timeout (see the crate documentation).
    pub(crate) async fn send(&self, request: &ApiRequest) -> Result<RawResponse, ApiError> {
        let user_token = matches!(self.authenticator, Authenticator::UserToken(_));
        // Boxed because the retry and breaker state machine makes this future tens of kilobytes,
        // which would otherwise be copied into every caller's future.
        Box::pin(
            self.workspace
                .resilience()
                .call(request, user_token, move || self.send_once(request)),
        )
        .await
    }

    async fn send_once(&self, request: &ApiRequest) -> Result<RawResponse, ApiError> {
        let authorization = self.authorization().await?;
        let mut builder = self
            .workspace
            .http()
            .request(request.method.clone(), self.workspace.url(&request.path))
            .header(AUTHORIZATION, authorization)
            .header(ACCEPT, "application/json");
        if let Some(body) = &request.body {
            builder = builder.json(body);
        }
        if !request.query.is_empty() {
            builder = builder.query(&request.query);
        }
        if let Some(timeout) = request.timeout {
            builder = builder.timeout(timeout);
        }

        let started = Instant::now();
        let result = transport::execute(builder, &request.describe()).await;
        let duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        match &result {
            Ok(response) => tracing::debug!(
                http.method = %request.method,
                http.path = %request.path,
                http.status_code = response.status.as_u16(),
                duration_ms,
                "workspace API call succeeded"
            ),
            Err(error) => tracing::debug!(
                http.method = %request.method,
                http.path = %request.path,
                http.status_code = error.status.map(|status| status.as_u16()),
                error.kind = %error.kind,
                error.code = error.error_code.as_deref(),
                duration_ms,
                "workspace API call failed"
            ),
        }
        result
    }

    async fn authorization(&self) -> Result<HeaderValue, ApiError> {
        match &self.authenticator {
            Authenticator::UserToken(token) => bearer_header(token.expose_secret()),
            Authenticator::ServicePrincipal(source) => {
                let token = source.token().await?;
                bearer_header(token.expose_secret())
            }
        }
    }
}

/// Builds `Authorization: Bearer <token>`, marked sensitive so that HTTP libraries never log it.
fn bearer_header(token: &str) -> Result<HeaderValue, ApiError> {
    if token.trim().is_empty() {
        return Err(ApiError::without_response(
            ErrorKind::InvalidCredentials,
            "the bearer token is empty: pass the user's access token",
        ));
    }
    let mut value = HeaderValue::from_str(&format!("Bearer {token}")).map_err(|_| {
        ApiError::without_response(
            ErrorKind::InvalidCredentials,
            "the bearer token contains characters that are not allowed in an HTTP header",
        )
    })?;
    value.set_sensitive(true);
    Ok(value)
}

/// Decodes a success body as JSON of type `T`.
pub(crate) fn decode_json<T: DeserializeOwned>(
    request: &ApiRequest,
    response: &RawResponse,
) -> Result<T, ApiError> {
    serde_json::from_slice(&response.body).map_err(|error| {
        ApiError::without_response(
            ErrorKind::Decode,
            format!(
                "{}: response body is not the expected JSON: {error}",
                request.describe()
            ),
        )
        .with_source(error)
    })
}

impl fmt::Debug for WorkspaceClient {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("WorkspaceClient")
            .field("host", &self.workspace.host().as_str())
            .field("auth_type", &self.auth_type())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_header_is_sensitive() {
        let value = bearer_header("dapi-abc").expect("valid token");
        assert!(value.is_sensitive());
        assert_eq!(value.to_str().expect("ascii"), "Bearer dapi-abc");
    }

    #[test]
    fn bearer_header_rejects_empty_token() {
        let error = bearer_header("  ").expect_err("empty token");
        assert_eq!(error.kind, ErrorKind::InvalidCredentials);
    }

    #[test]
    fn bearer_header_rejects_newline_without_echoing() {
        let error = bearer_header("abc\nsecret-part").expect_err("invalid header");
        assert_eq!(error.kind, ErrorKind::InvalidCredentials);
        assert!(!error.to_string().contains("secret-part"), "{error}");
    }
}
