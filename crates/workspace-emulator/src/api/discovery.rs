//! Unauthenticated discovery documents the SDKs read before OAuth.

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

use crate::base_url::BaseUrl;
use crate::state::AppState;

/// `GET /.well-known/databricks-config`: host metadata. Python SDK 0.101 and later find the
/// OAuth endpoints only through its `oidc_endpoint`.
pub(crate) async fn host_metadata(State(state): State<AppState>, base: BaseUrl) -> Json<Value> {
    let settings = &state.fixture().workspace;
    Json(json!({
        "oidc_endpoint": base.join("/oidc"),
        "account_id": settings.account_id,
        "workspace_id": settings.workspace_id,
        "cloud": settings.cloud,
        "token_federation_default_oidc_audiences": [base.join("/oidc/v1/token")],
    }))
}

/// `GET /oidc/.well-known/oauth-authorization-server`: OAuth server metadata (RFC 8414). The SDKs
/// read `authorization_endpoint` and `token_endpoint`. Only the token endpoint is served.
pub(crate) async fn authorization_server(base: BaseUrl) -> Json<Value> {
    Json(json!({
        "issuer": base.join("/oidc"),
        "authorization_endpoint": base.join("/oidc/v1/authorize"),
        "token_endpoint": base.join("/oidc/v1/token"),
        "grant_types_supported": ["client_credentials"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
    }))
}
