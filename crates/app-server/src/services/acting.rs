//! Which credentials a workspace call uses: the user's token, or the service principal when the
//! route allows the fallback and no token was sent.

use std::time::SystemTime;

use axum::http::StatusCode;
use databricks_client::{Credentials, WorkspaceClient};

use crate::auth::{AuthContext, AuthMode, jwt};
use crate::error::{AppError, ErrorCode};
use crate::state::AppState;
use crate::telemetry;

/// Returns the client for a route with service-principal fallback.
///
/// A user token that is an expired JWT is rejected here, before any workspace call.
pub fn client_with_fallback(
    state: &AppState,
    context: AuthContext,
) -> Result<(WorkspaceClient, AuthMode), AppError> {
    telemetry::metrics::auth::observe_credential_choice(|| choose_client(state, context))
}

fn choose_client(
    state: &AppState,
    context: AuthContext,
) -> Result<(WorkspaceClient, AuthMode), AppError> {
    match context {
        AuthContext::UserToken(token) => {
            reject_expired(&token)?;
            Ok((
                state.workspace.client(Credentials::UserToken(token)),
                AuthMode::Obo,
            ))
        }
        AuthContext::NoToken => {
            let Some(service_principal) = &state.service_principal else {
                return Err(AppError::new(
                    StatusCode::UNAUTHORIZED,
                    ErrorCode::AuthMissing,
                    "No user token was sent and no service principal is configured \
                     (DATABRICKS_CLIENT_ID and DATABRICKS_CLIENT_SECRET)",
                ));
            };
            tracing::info!("no user token: acting as the service principal");
            Ok((service_principal.clone(), AuthMode::ServicePrincipal))
        }
        AuthContext::Malformed(_) => Err(AppError::auth_missing()),
    }
}

fn reject_expired(token: &secrecy::SecretString) -> Result<(), AppError> {
    use secrecy::ExposeSecret;

    if jwt::has_expired(token.expose_secret(), SystemTime::now()) {
        return Err(AppError::new(
            StatusCode::UNAUTHORIZED,
            ErrorCode::AuthExpired,
            "User access token has expired; refresh the page to continue",
        ));
    }
    Ok(())
}
