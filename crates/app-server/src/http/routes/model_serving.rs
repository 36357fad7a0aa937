//! Model Serving: endpoints under the caller's permissions, invocations with an audit row each, and
//! the caller's own invocation history.

use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use databricks_client::{ApiError, Credentials, ServingEndpoint};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use crate::auth::{AuthContext, UserIdentity};
use crate::error::{AppError, ErrorBody, ErrorCode};
use crate::http::json::ApiJson;
use crate::http::openapi::responses::{
    DatabaseErrors, JsonBodyErrors, LayerErrors, RequestLineErrors, SignedInUserErrors,
    WorkspaceErrors,
};
use crate::http::path::ApiPath;
use crate::http::query::ApiQuery;
use crate::http::routes::preferences::store_error;
use crate::services::acting::client_with_fallback;
use crate::services::serving::{check_inputs, invoke_and_record};
use crate::services::upstream::{RequiredScope, workspace_error};
use crate::state::AppState;
use crate::store::InferenceLog;
use crate::telemetry::metrics::upstream::{MODEL_SERVING, observe};

/// The OAuth scope Model Serving calls need.
pub const SERVING_SCOPE: RequiredScope = RequiredScope {
    token_scope: "model-serving",
    app_scopes: "serving.serving-endpoints",
};

/// Longest serving endpoint name the platform allows.
const MAX_ENDPOINT_NAME_CHARS: usize = 63;

/// Bounds of `timeout_seconds`, and its default.
const TIMEOUT_SECONDS: std::ops::RangeInclusive<u64> = 1..=300;
const DEFAULT_TIMEOUT_SECONDS: u64 = 30;

/// Largest page of `/logs`.
const MAX_LOGS_LIMIT: u32 = 100;

/// An endpoint as the API returns it.
#[derive(Debug, Serialize, ToSchema)]
pub struct EndpointSummary {
    pub name: String,
    /// `READY` or `NOT_READY`.
    pub state: Option<String>,
    pub config_update: Option<String>,
    pub task: Option<String>,
    pub creator: Option<String>,
    pub creation_timestamp: Option<i64>,
    pub permission_level: Option<String>,
}

impl From<ServingEndpoint> for EndpointSummary {
    fn from(endpoint: ServingEndpoint) -> Self {
        Self {
            name: endpoint.name,
            state: endpoint.state.ready,
            config_update: endpoint.state.config_update,
            task: endpoint.task,
            creator: endpoint.creator,
            creation_timestamp: endpoint.creation_timestamp,
            permission_level: endpoint.permission_level,
        }
    }
}

/// `GET /api/model-serving/endpoints`.
#[utoipa::path(
    get,
    path = "/api/model-serving/endpoints",
    tag = "model-serving",
    operation_id = "list_serving_endpoints",
    security((), ("user_token" = [])),
    responses(
        RequestLineErrors,
        (status = 200, description = "The serving endpoints the caller may see", body = Vec<EndpointSummary>),
        WorkspaceErrors,
        LayerErrors,
    )
)]
pub async fn endpoints(
    State(state): State<AppState>,
    context: AuthContext,
) -> Result<Json<Vec<EndpointSummary>>, AppError> {
    let (client, _mode) = client_with_fallback(&state, context)?;
    let endpoints = serving_call("list_endpoints", client.list_serving_endpoints()).await?;
    Ok(Json(
        endpoints.into_iter().map(EndpointSummary::from).collect(),
    ))
}

/// `GET /api/model-serving/endpoints/{name}`.
#[utoipa::path(
    get,
    path = "/api/model-serving/endpoints/{name}",
    tag = "model-serving",
    operation_id = "get_serving_endpoint",
    security((), ("user_token" = [])),
    params(
        ("name" = String, Path, description = "Serving endpoint name", min_length = 1, max_length = 63, pattern = r"^[A-Za-z0-9_-]+$"),
    ),
    responses(
        RequestLineErrors,
        (status = 200, description = "The serving endpoint", body = EndpointSummary),
        (status = 422, description = "VALIDATION_ERROR: an invalid endpoint name", body = ErrorBody),
        WorkspaceErrors,
        LayerErrors,
    )
)]
pub async fn endpoint(
    State(state): State<AppState>,
    context: AuthContext,
    ApiPath(name): ApiPath<String>,
) -> Result<Json<EndpointSummary>, AppError> {
    validate_endpoint_name(&name)?;
    let (client, _mode) = client_with_fallback(&state, context)?;
    let endpoint = serving_call("get_endpoint", client.get_serving_endpoint(&name)).await?;
    Ok(Json(endpoint.into()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InvokeRequest {
    #[schema(min_length = 1, max_length = 63, pattern = r"^[A-Za-z0-9_-]+$")]
    pub endpoint_name: String,
    /// The model input, checked against the endpoint's task: `messages` for chat endpoints,
    /// `inputs` or `dataframe_records` and similar for others.
    pub inputs: Value,
    /// Seconds to wait for the model; 30 when absent.
    #[schema(minimum = 1, maximum = 300)]
    pub timeout_seconds: Option<u64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InvokeResponse {
    pub request_id: String,
    pub endpoint_name: String,
    /// The model's `predictions`, or the whole response body when it has none (chat endpoints
    /// answer with `choices`).
    pub predictions: Value,
    pub status: &'static str,
    pub execution_time_ms: i64,
}

/// `POST /api/model-serving/invoke`: user only; never runs as the service principal.
#[utoipa::path(
    post,
    path = "/api/model-serving/invoke",
    tag = "model-serving",
    operation_id = "invoke_serving_endpoint",
    security(("user_token" = [])),
    request_body = InvokeRequest,
    responses(
        // Listed first, so that the 403 and 503 below replace those of the shared lists.
        JsonBodyErrors,
        WorkspaceErrors,
        LayerErrors,
        (status = 200, description = "The model's response; the invocation is logged", body = InvokeResponse),
        (status = 400, description = "VALIDATION_ERROR: malformed JSON, or inputs that do not fit the endpoint's task", body = ErrorBody),
        (status = 403, description = "PERMISSION_DENIED: the caller may not query the endpoint; or CSRF_REJECTED: the request failed the cross-site request forgery check", body = ErrorBody),
        (status = 422, description = "VALIDATION_ERROR: an invalid field", body = ErrorBody),
        (status = 503, description = "UPSTREAM_UNAVAILABLE, or LAKEBASE_NOT_CONFIGURED or DATABASE_UNAVAILABLE for the invocation log", body = ErrorBody),
    )
)]
pub async fn invoke(
    State(state): State<AppState>,
    identity: UserIdentity,
    ApiJson(body): ApiJson<InvokeRequest>,
) -> Result<Json<InvokeResponse>, AppError> {
    validate_endpoint_name(&body.endpoint_name)?;
    let timeout_seconds = body.timeout_seconds.unwrap_or(DEFAULT_TIMEOUT_SECONDS);
    if !TIMEOUT_SECONDS.contains(&timeout_seconds) {
        return Err(AppError::validation(format!(
            "timeout_seconds must be from {} to {}, got {timeout_seconds}",
            TIMEOUT_SECONDS.start(),
            TIMEOUT_SECONDS.end()
        )));
    }
    let store = state
        .store
        .clone()
        .ok_or_else(AppError::lakebase_not_configured)?;

    let client = state
        .workspace
        .client(Credentials::UserToken(identity.token.clone()));
    let endpoint = serving_call(
        "get_endpoint",
        client.get_serving_endpoint(&body.endpoint_name),
    )
    .await?;
    check_inputs(endpoint.task.as_deref(), &body.inputs).map_err(|problem| {
        AppError::new(StatusCode::BAD_REQUEST, ErrorCode::ValidationError, problem)
    })?;

    let outcome = invoke_and_record(
        client,
        store,
        identity.user_id,
        body.endpoint_name.clone(),
        body.inputs,
        Duration::from_secs(timeout_seconds),
    )
    .await?;

    let endpoint_ready = endpoint.state.ready.as_deref() != Some("NOT_READY");
    let response = outcome.result.map_err(|error| {
        if endpoint_ready || error.status.is_none_or(|status| status.is_client_error()) {
            workspace_error(&error, SERVING_SCOPE)
        } else {
            endpoint_not_ready(&body.endpoint_name)
        }
    })?;
    let predictions = response.get("predictions").cloned().unwrap_or(response);
    Ok(Json(InvokeResponse {
        request_id: outcome.request_id,
        endpoint_name: body.endpoint_name,
        predictions,
        status: "success",
        execution_time_ms: outcome.latency_ms,
    }))
}

/// Runs one Model Serving lookup, timed under `operation`, and maps its failure to an API error.
async fn serving_call<T>(
    operation: &'static str,
    call: impl Future<Output = Result<T, ApiError>>,
) -> Result<T, AppError> {
    observe(MODEL_SERVING, operation, call)
        .await
        .map_err(|error| workspace_error(&error, SERVING_SCOPE))
}

/// Builds the error for a failed invocation of an endpoint whose lookup reported `NOT_READY`.
/// Without it, the workspace's own 5xx would read as a workspace outage.
fn endpoint_not_ready(endpoint_name: &str) -> AppError {
    AppError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        ErrorCode::UpstreamUnavailable,
        format!(
            "Serving endpoint '{endpoint_name}' is not ready (state NOT_READY); \
             try again when its state is READY"
        ),
    )
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct LogsQuery {
    /// Page size; 50 when absent.
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
    /// Number of newer invocations to skip; 0 when absent.
    pub offset: Option<u32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LogsResponse {
    pub logs: Vec<InferenceLog>,
    pub total_count: u64,
    pub limit: u32,
    pub offset: u32,
}

/// `GET /api/model-serving/logs`: the caller's own invocations, newest first.
#[utoipa::path(
    get,
    path = "/api/model-serving/logs",
    tag = "model-serving",
    operation_id = "list_inference_logs",
    security(("user_token" = [])),
    params(LogsQuery),
    responses(
        (status = 200, description = "A page of the caller's invocations, newest first", body = LogsResponse),
        (status = 400, description = "VALIDATION_ERROR: an invalid query parameter", body = ErrorBody),
        SignedInUserErrors,
        DatabaseErrors,
        LayerErrors,
    )
)]
pub async fn logs(
    State(state): State<AppState>,
    identity: UserIdentity,
    ApiQuery(query): ApiQuery<LogsQuery>,
) -> Result<Json<LogsResponse>, AppError> {
    let limit = query.limit.unwrap_or(50);
    let offset = query.offset.unwrap_or(0);
    if !(1..=MAX_LOGS_LIMIT).contains(&limit) {
        return Err(AppError::invalid_parameter(format!(
            "limit must be from 1 to {MAX_LOGS_LIMIT}, got {limit}"
        )));
    }
    let store = state
        .store
        .as_ref()
        .ok_or_else(AppError::lakebase_not_configured)?;

    let (logs, total_count) = store
        .list_inference_logs(&identity.user_id, limit, offset)
        .await
        .map_err(store_error)?;
    Ok(Json(LogsResponse {
        logs,
        total_count,
        limit,
        offset,
    }))
}

/// Checks a serving endpoint name: 1 to 63 letters, digits, `-` or `_`.
fn validate_endpoint_name(name: &str) -> Result<(), AppError> {
    let valid_characters = name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if name.is_empty() || name.len() > MAX_ENDPOINT_NAME_CHARS || !valid_characters {
        return Err(AppError::validation(format!(
            "endpoint name must be 1 to {MAX_ENDPOINT_NAME_CHARS} letters, digits, '-' or '_'"
        )));
    }
    Ok(())
}
