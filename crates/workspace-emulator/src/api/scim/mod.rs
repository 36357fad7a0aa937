//! SCIM 2.0 users: `Me`, the user list with a `userName` filter, and one user by id.

mod query;
mod resource;

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::HeaderValue;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::auth::Caller;
use crate::errors::ScimError;
use crate::principal::PrincipalKind;
use crate::scopes::{ScimUsersScope, Scoped};
use crate::state::AppState;
use query::{ScimQuery, UserNameFilter};
use resource::user_resource;

/// Header that carries the workspace id. The Python SDK's `get_workspace_id()` reads it from `Me`.
const ORG_ID_HEADER: &str = "x-databricks-org-id";

/// `GET /api/2.0/preview/scim/v2/Me`: the caller as a SCIM user.
pub(crate) async fn me(
    State(state): State<AppState>,
    Caller(principal): Caller,
    query: Result<Query<ScimQuery>, QueryRejection>,
) -> Result<Response, ScimError> {
    let query = query.map_err(|rejection| ScimError::invalid_value(rejection.body_text()))?;
    let body = query.select_attributes(user_resource(&principal));
    let mut response = Json(body).into_response();
    // The fixture validation guarantees a numeric id, so this header value is always valid.
    if let Ok(value) = HeaderValue::from_str(&state.fixture().workspace.workspace_id) {
        response.headers_mut().insert(ORG_ID_HEADER, value);
    }
    Ok(response)
}

/// `GET /api/2.0/preview/scim/v2/Users`: a `ListResponse` of users (not service principals),
/// optionally filtered with `userName eq "…"` and paged with `startIndex` (1-based) and `count`.
pub(crate) async fn list_users(
    State(state): State<AppState>,
    _caller: Scoped<ScimUsersScope>,
    query: Result<Query<ScimQuery>, QueryRejection>,
) -> Result<Json<Value>, ScimError> {
    let Query(query) =
        query.map_err(|rejection| ScimError::invalid_value(rejection.body_text()))?;
    let filter = query
        .filter
        .as_deref()
        .map(UserNameFilter::parse)
        .transpose()
        .map_err(ScimError::invalid_filter)?;
    let matching: Vec<Value> = state
        .directory()
        .principals()
        .iter()
        .filter(|p| p.kind == PrincipalKind::User)
        .filter(|p| filter.as_ref().is_none_or(|f| f.matches(p)))
        .map(user_resource)
        .collect();

    let total = matching.len();
    let start_index = query.start_index.unwrap_or(1).max(1);
    let skip = usize::try_from(start_index - 1).unwrap_or(usize::MAX);
    let take = query.count.map_or(usize::MAX, |count| {
        usize::try_from(count).unwrap_or(usize::MAX)
    });
    let page: Vec<Value> = matching
        .into_iter()
        .skip(skip)
        .take(take)
        .map(|user| query.select_attributes(user))
        .collect();
    Ok(Json(json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
        "totalResults": total,
        "startIndex": start_index,
        "itemsPerPage": page.len(),
        "Resources": page,
    })))
}

/// `GET /api/2.0/preview/scim/v2/Users/{id}`: one user by numeric id, or a SCIM 404.
pub(crate) async fn get_user(
    State(state): State<AppState>,
    _caller: Scoped<ScimUsersScope>,
    Path(id): Path<String>,
    query: Result<Query<ScimQuery>, QueryRejection>,
) -> Result<Json<Value>, ScimError> {
    let query = query.map_err(|rejection| ScimError::invalid_value(rejection.body_text()))?;
    let directory = state.directory();
    let user = directory
        .principals()
        .iter()
        .find(|p| p.kind == PrincipalKind::User && p.id == id)
        // NOTE: the platform's exact `detail` text for a missing user is not documented.
        .ok_or_else(|| ScimError::not_found(format!("User {id} not found.")))?;
    Ok(Json(query.select_attributes(user_resource(user))))
}
