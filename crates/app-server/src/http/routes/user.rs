//! Authentication status and the current user.

use axum::Json;
use axum::extract::State;
use databricks_client::CurrentUser;
use secrecy::ExposeSecret;
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::{AuthContext, AuthMode, jwt};
use crate::error::{AppError, ErrorBody};
use crate::http::openapi::responses::{IdentityLookupErrors, LayerErrors, RequestLineErrors};
use crate::services::acting::client_with_fallback;
use crate::services::upstream::upstream_error;
use crate::state::AppState;
use crate::telemetry::metrics::upstream::{SCIM, observe};

#[derive(Debug, Serialize, ToSchema)]
pub struct AuthStatus {
    pub authenticated: bool,
    /// `obo` (on behalf of the user) with a token, `service_principal` without one.
    #[schema(example = "obo")]
    pub auth_mode: &'static str,
    pub has_user_identity: bool,
    pub user_id: Option<String>,
    /// The scopes the user's token grants, when it is a JWT that lists them.
    pub scopes: Option<Vec<String>>,
    /// The app's required scopes the token does not grant; null when the grants are unknown.
    pub missing_scopes: Option<Vec<String>>,
}

/// `GET /api/auth/status`: with a token, resolves it (401 when it fails); without one, reports the
/// service-principal mode.
#[utoipa::path(
    get,
    path = "/api/auth/status",
    tag = "user",
    operation_id = "auth_status",
    security((), ("user_token" = [])),
    responses(
        RequestLineErrors,
        (status = 200, description = "How the request is authenticated", body = AuthStatus),
        (status = 401, description = "AUTH_MALFORMED, AUTH_EXPIRED, AUTH_INVALID or AUTH_USER_IDENTITY_FAILED: the token is unusable", body = ErrorBody),
        (status = 429, description = "AUTH_RATE_LIMITED: the workspace rate-limited the token check; wait `retry_after` seconds", body = ErrorBody),
        (status = 502, description = "UPSTREAM_UNAVAILABLE: the workspace returned an unexpected status for the token check", body = ErrorBody),
        (status = 503, description = "UPSTREAM_UNAVAILABLE: the workspace could not verify the token", body = ErrorBody),
        (status = 504, description = "UPSTREAM_TIMEOUT: the token check timed out", body = ErrorBody),
        LayerErrors,
    )
)]
pub async fn auth_status(
    State(state): State<AppState>,
    context: AuthContext,
) -> Result<Json<AuthStatus>, AppError> {
    let AuthContext::UserToken(token) = context else {
        return Ok(Json(AuthStatus {
            authenticated: state.service_principal.is_some(),
            auth_mode: AuthMode::ServicePrincipal.as_str(),
            has_user_identity: false,
            user_id: None,
            scopes: None,
            missing_scopes: None,
        }));
    };
    let scopes = jwt::scopes(token.expose_secret());
    let missing_scopes = scopes
        .as_deref()
        .map(|granted| missing_scopes(&state.config.required_user_scopes, granted));

    let identity = state.identities.resolve(&token).await?;
    state.record_user_seen(&identity).await;
    Ok(Json(AuthStatus {
        authenticated: true,
        auth_mode: AuthMode::Obo.as_str(),
        has_user_identity: true,
        user_id: Some(identity.user_id.to_string()),
        scopes,
        missing_scopes,
    }))
}

/// Returns the `required` scopes that `granted` lacks; `all-apis` grants every scope.
fn missing_scopes(required: &[String], granted: &[String]) -> Vec<String> {
    if granted.iter().any(|scope| scope == "all-apis") {
        return Vec::new();
    }
    required
        .iter()
        .filter(|scope| !granted.contains(scope))
        .cloned()
        .collect()
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserInfo {
    pub user_id: String,
    pub display_name: Option<String>,
    pub active: bool,
    pub workspace_url: String,
}

/// `GET /api/user/me`: the user behind the token, or the service principal without one.
#[utoipa::path(
    get,
    path = "/api/user/me",
    tag = "user",
    operation_id = "current_user",
    security((), ("user_token" = [])),
    responses(
        RequestLineErrors,
        (status = 200, description = "The user behind the token, or the service principal without one", body = UserInfo),
        IdentityLookupErrors,
        LayerErrors,
    )
)]
pub async fn me(
    State(state): State<AppState>,
    context: AuthContext,
) -> Result<Json<UserInfo>, AppError> {
    let workspace_url = workspace_url(&state);
    let user = acting_principal(&state, context).await?;
    Ok(Json(UserInfo {
        user_id: user.user_id,
        display_name: user.display_name,
        active: user.active,
        workspace_url,
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WorkspaceInfo {
    pub workspace_id: Option<String>,
    pub workspace_url: String,
    pub workspace_name: String,
}

/// `GET /api/user/me/workspace`: the workspace the app runs in, as seen by the caller.
#[utoipa::path(
    get,
    path = "/api/user/me/workspace",
    tag = "user",
    operation_id = "current_workspace",
    security((), ("user_token" = [])),
    responses(
        RequestLineErrors,
        (status = 200, description = "The workspace the app runs in", body = WorkspaceInfo),
        IdentityLookupErrors,
        LayerErrors,
    )
)]
pub async fn workspace(
    State(state): State<AppState>,
    context: AuthContext,
) -> Result<Json<WorkspaceInfo>, AppError> {
    let principal = acting_principal(&state, context).await?;
    let workspace_id = state.config.workspace_id.clone().or(principal.workspace_id);

    Ok(Json(WorkspaceInfo {
        workspace_id,
        workspace_url: workspace_url(&state),
        workspace_name: workspace_name(state.workspace.host()),
    }))
}

/// Resolves who the request acts as: the verified user with a token, else the service principal.
async fn acting_principal(state: &AppState, context: AuthContext) -> Result<Principal, AppError> {
    if let AuthContext::UserToken(token) = context {
        let identity = state.identities.resolve(&token).await?;
        state.record_user_seen(&identity).await;
        return Ok(Principal {
            user_id: identity.user_id.to_string(),
            display_name: identity.display_name,
            active: identity.active,
            workspace_id: identity.workspace_id,
        });
    }

    let (service_principal, _mode) = client_with_fallback(state, AuthContext::NoToken)?;
    let lookup = service_principal.current_user();
    let user = observe(SCIM, "current_user", lookup)
        .await
        .map_err(|error| {
            tracing::warn!(error = %error, "service principal identity lookup failed");
            upstream_error(&error)
        })?;
    Ok(Principal::from(user))
}

/// Whoever a request acts as, in the shape the user routes return.
struct Principal {
    user_id: String,
    display_name: Option<String>,
    active: bool,
    workspace_id: Option<String>,
}

impl From<CurrentUser> for Principal {
    fn from(user: CurrentUser) -> Self {
        Self {
            user_id: user.user_name,
            display_name: user.display_name,
            active: user.active,
            workspace_id: user.workspace_id,
        }
    }
}

/// The first label of the workspace's host name (`adb-123` for `adb-123.azuredatabricks.net`), or
/// the whole host when it is an IP address.
fn workspace_name(host: &url::Url) -> String {
    match host.host() {
        Some(url::Host::Domain(domain)) => domain.split('.').next().unwrap_or(domain).to_owned(),
        Some(other) => other.to_string(),
        None => String::new(),
    }
}

fn workspace_url(state: &AppState) -> String {
    state
        .workspace
        .host()
        .as_str()
        .trim_end_matches('/')
        .to_owned()
}
