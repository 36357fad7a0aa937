//! `POST /__emulator/users/{user_name}/activate|deactivate` and `DELETE /__emulator/users/{user_name}`.
//! `user_name` is a user's email or a service principal's application id.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::errors::ControlError;
use crate::state::AppState;

pub(crate) async fn activate(
    state: State<AppState>,
    user_name: Path<String>,
) -> Result<Json<Value>, ControlError> {
    set_active(&state, &user_name, true)
}

pub(crate) async fn deactivate(
    state: State<AppState>,
    user_name: Path<String>,
) -> Result<Json<Value>, ControlError> {
    set_active(&state, &user_name, false)
}

fn set_active(
    state: &AppState,
    user_name: &str,
    active: bool,
) -> Result<Json<Value>, ControlError> {
    let mut directory = state.directory();
    let principal = directory
        .set_active(user_name, active)
        .ok_or_else(|| ControlError::principal_not_found(user_name))?;
    Ok(Json(
        json!({"user_name": principal.user_name, "active": principal.active}),
    ))
}

/// Removes the principal. SCIM returns 404 for it and its tokens are rejected until a reset.
pub(crate) async fn delete(
    State(state): State<AppState>,
    Path(user_name): Path<String>,
) -> Result<StatusCode, ControlError> {
    if state.directory().delete(&user_name) {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ControlError::principal_not_found(&user_name))
    }
}
