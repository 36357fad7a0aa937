//! `/__emulator/faults`: add, list and clear injected faults.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};

use super::ControlJson;
use crate::errors::ControlError;
use crate::faults::FaultRequest;
use crate::state::AppState;

/// Queues a fault behind those already queued and returns `201 {"id"}`.
pub(crate) async fn add(
    State(state): State<AppState>,
    ControlJson(request): ControlJson<FaultRequest>,
) -> Result<(StatusCode, Json<Value>), ControlError> {
    let id = state
        .faults()
        .push(request)
        .map_err(ControlError::bad_request)?;
    Ok((StatusCode::CREATED, Json(json!({"id": id}))))
}

/// Lists queued faults with their remaining uses (`null` = until cleared).
pub(crate) async fn list(State(state): State<AppState>) -> Json<Value> {
    Json(json!({"faults": state.faults().summaries()}))
}

pub(crate) async fn clear(State(state): State<AppState>) -> StatusCode {
    state.faults().clear();
    StatusCode::NO_CONTENT
}
