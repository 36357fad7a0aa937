//! The workspace API: discovery, the OAuth token endpoint, SCIM users, Unity Catalog and Model
//! Serving.

mod database;
mod discovery;
mod oauth;
mod platform_error;
mod scim;
mod serving;
mod unity_catalog;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{Method, Uri};
use axum::routing::{get, post};

use crate::errors::ApiError;
use crate::state::AppState;
pub(crate) use platform_error::PlatformError;

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
        .merge(unity_catalog_routes())
        .merge(serving_routes())
        .fallback(endpoint_not_found)
        .method_not_allowed_fallback(method_not_allowed)
}

fn unity_catalog_routes() -> Router<AppState> {
    Router::new()
        .route(
            "/api/2.1/unity-catalog/catalogs",
            get(unity_catalog::list_catalogs),
        )
        .route(
            "/api/2.1/unity-catalog/schemas",
            get(unity_catalog::list_schemas),
        )
        .route(
            "/api/2.1/unity-catalog/tables",
            get(unity_catalog::list_tables),
        )
        .route(
            "/api/2.1/unity-catalog/tables/{full_name}",
            get(unity_catalog::get_table),
        )
}

fn serving_routes() -> Router<AppState> {
    Router::new()
        .route("/api/2.0/serving-endpoints", get(serving::list_endpoints))
        .route(
            "/api/2.0/serving-endpoints/{name}",
            get(serving::get_endpoint),
        )
        .route(
            "/serving-endpoints/{name}/invocations",
            post(serving::invoke).layer(DefaultBodyLimit::max(serving::MAX_INVOCATION_BYTES)),
        )
}

async fn endpoint_not_found(method: Method, uri: Uri) -> ApiError {
    ApiError::endpoint_not_found(method.as_str(), uri.path())
}

async fn method_not_allowed(method: Method, uri: Uri) -> ApiError {
    ApiError::method_not_allowed(method.as_str(), uri.path())
}
