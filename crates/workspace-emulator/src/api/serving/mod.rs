//! Model Serving: list and get endpoints under `/api/2.0/serving-endpoints`, and invocations at
//! `POST /serving-endpoints/{name}/invocations` (no `/api/2.0` prefix, as on the platform).

mod access;
mod chat;
mod custom_model;
mod render;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::api::PlatformError;
use crate::fixture::{EmulatedModel, PermissionLevel, ReadyState, ServingEndpointFixture};
use crate::scopes::{InvocationsScope, Scoped, ServingEndpointsScope};
use crate::state::AppState;
use access::permission_level;

/// Largest invocation body: the platform's payload limit for custom model endpoints (16 MB).
pub(crate) const MAX_INVOCATION_BYTES: usize = 16 * 1024 * 1024;

/// Response header with the name of the served entity that ran the invocation. The SDKs read it.
const SERVED_MODEL_NAME_HEADER: &str = "served-model-name";

/// `GET /api/2.0/serving-endpoints`: the endpoints the caller may at least view, by name.
pub(crate) async fn list_endpoints(
    State(state): State<AppState>,
    caller: Scoped<ServingEndpointsScope>,
) -> Json<Value> {
    let mut endpoints: Vec<&ServingEndpointFixture> = state
        .fixture()
        .serving_endpoints
        .iter()
        .filter(|endpoint| permission_level(endpoint, &caller.principal).is_some())
        .collect();
    endpoints.sort_by(|a, b| a.name.cmp(&b.name));
    let endpoints: Vec<Value> = endpoints
        .into_iter()
        .map(render::endpoint_summary)
        .collect();
    Json(json!({"endpoints": endpoints}))
}

/// `GET /api/2.0/serving-endpoints/{name}`: one endpoint with the caller's `permission_level`.
pub(crate) async fn get_endpoint(
    State(state): State<AppState>,
    caller: Scoped<ServingEndpointsScope>,
    Path(name): Path<String>,
) -> Result<Json<Value>, PlatformError> {
    let endpoint = find_endpoint(&state, &name)?;
    let level = permission_level(endpoint, &caller.principal)
        .ok_or_else(|| lacks_permission(PermissionLevel::CanView, &endpoint.name))?;
    Ok(Json(render::endpoint_detail(endpoint, level)))
}

/// `POST /serving-endpoints/{name}/invocations`. Checks run in this order: the endpoint exists
/// (404), the caller has `CAN_QUERY` (403), the endpoint is ready (503), the body fits the
/// endpoint's task (400). Successful invocations count per endpoint in `GET /__emulator/calls`.
pub(crate) async fn invoke(
    State(state): State<AppState>,
    caller: Scoped<InvocationsScope>,
    Path(name): Path<String>,
    body: Bytes,
) -> Result<Response, PlatformError> {
    let endpoint = find_endpoint(&state, &name)?;
    let level = permission_level(endpoint, &caller.principal);
    if level < Some(PermissionLevel::CanQuery) {
        return Err(lacks_permission(PermissionLevel::CanQuery, &endpoint.name));
    }
    if endpoint.state == ReadyState::NotReady {
        return Err(not_ready(&endpoint.name));
    }
    let entity = endpoint
        .primary_entity()
        .ok_or_else(|| not_ready(&endpoint.name))?;
    let output = match endpoint.model {
        EmulatedModel::Echo => json!({"predictions": custom_model::echo(&body)?}),
        EmulatedModel::Sentiment => json!({"predictions": custom_model::sentiment(&body)?}),
        EmulatedModel::Chat => chat::complete(&body, &entity.entity_name)?,
    };
    state.count_invocation(&endpoint.name);
    let mut response = Json(output).into_response();
    if let Ok(value) = HeaderValue::from_str(&entity.name) {
        response
            .headers_mut()
            .insert(SERVED_MODEL_NAME_HEADER, value);
    }
    Ok(response)
}

/// Finds an endpoint by exact name, or 404 `RESOURCE_DOES_NOT_EXIST`. NOTE: the platform's exact
/// message is not documented; this is the one seen in users' logs.
fn find_endpoint<'s>(
    state: &'s AppState,
    name: &str,
) -> Result<&'s ServingEndpointFixture, PlatformError> {
    state
        .fixture()
        .serving_endpoints
        .iter()
        .find(|endpoint| endpoint.name == name)
        .ok_or_else(|| {
            PlatformError::not_found(
                "RESOURCE_DOES_NOT_EXIST",
                format!("Endpoint with name '{name}' not found"),
            )
        })
}

/// 403 `PERMISSION_DENIED`. NOTE: the platform's message for this case is not documented.
fn lacks_permission(needed: PermissionLevel, endpoint: &str) -> PlatformError {
    PlatformError::permission_denied(format!(
        "User does not have {} permission on serving endpoint '{endpoint}'.",
        needed.as_str()
    ))
}

/// 503 for an endpoint whose state is `NOT_READY`. NOTE: the platform's status and body for
/// invoking such an endpoint are not documented; 503 with `TEMPORARILY_UNAVAILABLE` is what the
/// SDKs treat as retryable.
fn not_ready(endpoint: &str) -> PlatformError {
    PlatformError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "TEMPORARILY_UNAVAILABLE",
        format!("Serving endpoint '{endpoint}' is not ready: its state is NOT_READY."),
    )
}
