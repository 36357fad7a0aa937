//! The workspace API: discovery, the OAuth token endpoint and SCIM users.

mod database;
mod discovery;
mod oauth;
mod scim;

use axum::Router;
use axum::http::{Method, Uri};
use axum::routing::{get, post};

use crate::errors::ApiError;
use crate::state::AppState;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/.well-known/databricks-config",
            get(discovery::host_metadata),
        )
        .route(
            "/oidc/.well-known/oauth-authorization-server",
            get(discovery::authorization_server),
        )
        .route("/oidc/v1/token", post(oauth::token))
        .route("/api/2.0/preview/scim/v2/Me", get(scim::me))
        .route("/api/2.0/preview/scim/v2/Users", get(scim::list_users))
        .route("/api/2.0/preview/scim/v2/Users/{id}", get(scim::get_user))
        .merge(database::routes())
        .fallback(endpoint_not_found)
        .method_not_allowed_fallback(method_not_allowed)
}

async fn endpoint_not_found(method: Method, uri: Uri) -> ApiError {
    ApiError::endpoint_not_found(method.as_str(), uri.path())
}

async fn method_not_allowed(method: Method, uri: Uri) -> ApiError {
    ApiError::method_not_allowed(method.as_str(), uri.path())
}
