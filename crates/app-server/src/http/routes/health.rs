//! Liveness and readiness.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::http::openapi::responses::LayerErrors;
use crate::state::AppState;
use crate::store::CredentialHealth;

/// The body of the liveness routes.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// Always `ok`.
    #[schema(example = "ok")]
    pub status: &'static str,
    /// The app's version.
    pub version: &'static str,
}

/// `GET /health`: 200 while the process serves.
#[utoipa::path(
    get,
    path = "/health",
    tag = "health",
    operation_id = "health",
    security(()),
    responses(
        (status = 200, description = "The process serves requests", body = Health),
        LayerErrors,
    )
)]
pub async fn health() -> Json<Health> {
    Json(Health {
        status: "ok",
        version: env!("CARGO_PKG_VERSION"),
    })
}

/// `GET /api/health`: the same response as `GET /health`, under the API prefix.
#[utoipa::path(
    get,
    path = "/api/health",
    tag = "health",
    operation_id = "api_health",
    security(()),
    responses(
        (status = 200, description = "The process serves requests", body = Health),
        LayerErrors,
    )
)]
pub async fn api_health() -> Json<Health> {
    health().await
}

/// The body of `GET /api/ready`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Readiness {
    pub status: ReadinessStatus,
    pub checks: ReadinessChecks,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReadinessStatus {
    Ready,
    /// Ready, but the rotating database password may expire soon.
    Degraded,
    NotReady,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReadinessChecks {
    pub database: DatabaseCheck,
    pub database_credential: CredentialCheck,
    /// Whether the app is shutting down and no longer takes new work.
    pub draining: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DatabaseCheck {
    Ok,
    Unavailable,
    NotConfigured,
}

/// `"static"` for a password that does not rotate, else the state of the rotating one.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum CredentialCheck {
    Static(StaticCredential),
    Rotating {
        status: RotationStatus,
        /// Null when the credential API sent no valid expiry time.
        expires_at: Option<DateTime<Utc>>,
        /// The last refresh error, present only when `status` is `degraded`.
        #[serde(skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StaticCredential {
    Static,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RotationStatus {
    Ok,
    Degraded,
}

/// `GET /api/ready`: 200 when the database answers and the app is not draining.
///
/// A rotating database password whose refresh keeps failing close to its expiry makes the status
/// `degraded` but keeps the 200: every instance shares the credential API, so failing readiness
/// would take all of them out of service at once while the current password still works.
#[utoipa::path(
    get,
    path = "/api/ready",
    tag = "health",
    operation_id = "ready",
    security(()),
    responses(
        (status = 200, description = "Ready, or degraded but still serving", body = Readiness),
        (status = 503, description = "The database is unavailable or the app is draining", body = Readiness),
        LayerErrors,
    )
)]
pub async fn ready(State(state): State<AppState>) -> (StatusCode, Json<Readiness>) {
    let database = match &state.store {
        None => DatabaseCheck::NotConfigured,
        Some(store) => match store.ping().await {
            Ok(()) => DatabaseCheck::Ok,
            Err(error) => {
                tracing::warn!(error = %error, "readiness check: database ping failed");
                DatabaseCheck::Unavailable
            }
        },
    };
    let draining = state.is_draining();
    let credential = state
        .store
        .as_ref()
        .map_or(CredentialHealth::Static, |store| store.credential_health());
    let degraded = matches!(credential, CredentialHealth::Degraded { .. });
    let database_credential = match credential {
        CredentialHealth::Static => CredentialCheck::Static(StaticCredential::Static),
        CredentialHealth::Ok { expires_at } => CredentialCheck::Rotating {
            status: RotationStatus::Ok,
            expires_at,
            reason: None,
        },
        CredentialHealth::Degraded { expires_at, reason } => CredentialCheck::Rotating {
            status: RotationStatus::Degraded,
            expires_at,
            reason: Some(reason),
        },
    };

    let ready = !draining && database != DatabaseCheck::Unavailable;
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = Readiness {
        status: match (ready, degraded) {
            (false, _) => ReadinessStatus::NotReady,
            (true, true) => ReadinessStatus::Degraded,
            (true, false) => ReadinessStatus::Ready,
        },
        checks: ReadinessChecks {
            database,
            database_credential,
            draining,
        },
    };
    (status, Json(body))
}
