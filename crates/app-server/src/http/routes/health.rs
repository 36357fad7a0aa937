//! Liveness and readiness.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::state::AppState;

/// `GET /health` and `GET /api/health`: 200 while the process serves.
pub async fn health() -> Json<Value> {
    Json(json!({ "status": "ok", "version": env!("CARGO_PKG_VERSION") }))
}

/// `GET /api/ready`: 200 when the database answers and the app is not draining.
pub async fn ready(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    let database = match &state.store {
        None => "not_configured".to_owned(),
        Some(store) => match store.ping().await {
            Ok(()) => "ok".to_owned(),
            Err(error) => {
                tracing::warn!(error = %error, "readiness check: database ping failed");
                "unavailable".to_owned()
            }
        },
    };
    let draining = state.is_draining();

    let ready = !draining && database != "unavailable";
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = json!({
        "status": if ready { "ready" } else { "not_ready" },
        "checks": { "database": database, "draining": draining },
    });
    (status, Json(body))
}
