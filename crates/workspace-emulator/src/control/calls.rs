//! `/__emulator/calls` (workspace API call counts) and `/__emulator/reset`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::state::AppState;

/// `{"counts": {"<METHOD> <route template>": n}, "in_flight": {...}, "invocations": {...}}`.
/// `counts` includes rejected and faulted calls. `in_flight` contains the calls being handled now
/// (hanging and delayed ones included), with 0 for call names whose requests have all finished.
/// `invocations` counts the serving endpoint invocations answered with 200, per endpoint name.
pub(crate) async fn counts(State(state): State<AppState>) -> Json<Value> {
    let counts = state.calls().clone();
    let invocations = state.invocations().clone();
    Json(json!({"counts": counts, "in_flight": state.in_flight(), "invocations": invocations}))
}

/// Resets the call and invocation counts. In-flight counts stay, because those requests are still
/// running.
pub(crate) async fn clear(State(state): State<AppState>) -> StatusCode {
    state.calls().clear();
    state.invocations().clear();
    StatusCode::NO_CONTENT
}

/// Restores the fixture's principals and tokens, drops minted tokens, clears faults and counts.
pub(crate) async fn reset(State(state): State<AppState>) -> StatusCode {
    state.reset();
    StatusCode::NO_CONTENT
}
