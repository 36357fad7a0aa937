//! Liveness and readiness.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::state::AppState;
use crate::store::CredentialHealth;

/// `GET /health` and `GET /api/health`: 200 while the process serves.
pub async fn health() -> Json<Value> {
    Json(json!({ "status": "ok", "version": env!("CARGO_PKG_VERSION") }))
}

/// `GET /api/ready`: 200 when the database answers and the app is not draining.
///
/// A rotating database password whose refresh keeps failing close to its expiry makes the status
/// `degraded` but keeps the 200: every instance shares the credential API, so failing readiness
/// would take all of them out of service at once while the current password still works.
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
    let credential = state
        .store
        .as_ref()
        .map_or(CredentialHealth::Static, |store| store.credential_health());
    let credential_check = match &credential {
        CredentialHealth::Static => json!("static"),
        CredentialHealth::Ok { expires_at } => json!({ "status": "ok", "expires_at": expires_at }),
        CredentialHealth::Degraded { expires_at, reason } => {
            json!({ "status": "degraded", "expires_at": expires_at, "reason": reason })
        }
    };

    let ready = !draining && database != "unavailable";
    let degraded = matches!(credential, CredentialHealth::Degraded { .. });
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = json!({
        "status": match (ready, degraded) {
            (false, _) => "not_ready",
            (true, true) => "degraded",
            (true, false) => "ready",
        },
        "checks": { "database": database, "database_credential": credential_check, "draining": draining },
    });
    (status, Json(body))
}
