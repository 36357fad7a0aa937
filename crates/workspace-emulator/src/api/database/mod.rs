//! Lakebase: `GET /api/2.0/database/instances/{name}` and the two credential calls,
//! `POST /api/2.0/database/credentials` (Provisioned) and `POST /api/2.0/postgres/credentials`
//! (Autoscaling).
//!
//! A credential is a random token with the fixture's lifetime. When the fixture names a local
//! PostgreSQL server (`database.admin_url`), minting also sets the token as the password of the
//! caller's role there, valid until the credential expires, so a real login succeeds with it and
//! fails after it expires.
//!
//! NOTE: the platform's messages for a missing instance or endpoint and for a missing parameter
//! are not documented; these use its usual error body.

mod error;
mod role;

use axum::Json;
use axum::Router;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::routing::{get, post};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};
use secrecy::SecretString;
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

use self::error::DatabaseApiError;
use crate::auth::Caller;
use crate::fixture::DatabaseInstanceFixture;
use crate::state::AppState;

/// Builds the routes of this module.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/2.0/database/instances/{name}", get(get_instance))
        .route(
            "/api/2.0/database/credentials",
            post(generate_database_credential),
        )
        .route(
            "/api/2.0/postgres/credentials",
            post(generate_postgres_credential),
        )
}

/// Body of `POST /api/2.0/database/credentials`.
#[derive(Debug, Deserialize)]
struct DatabaseCredentialRequest {
    #[serde(default)]
    instance_names: Vec<String>,
    /// Unity Catalog permission claims. Accepted and not checked.
    #[serde(default)]
    claims: Vec<Value>,
    /// An idempotency key the SDKs send. Accepted and not checked.
    #[serde(default)]
    #[expect(dead_code, reason = "accepted like the platform, but not used")]
    request_id: Option<String>,
}

/// Body of `POST /api/2.0/postgres/credentials`. `ttl`, `expire_time` and `group_name` are
/// accepted and ignored: the fixture sets the lifetime.
#[derive(Debug, Deserialize)]
struct PostgresCredentialRequest {
    #[serde(default)]
    endpoint: Option<String>,
}

/// `GET /api/2.0/database/instances/{name}`: the instance with the fixture's host as its DNS
/// names.
async fn get_instance(
    State(state): State<AppState>,
    _caller: Caller,
    Path(name): Path<String>,
) -> Result<Json<Value>, DatabaseApiError> {
    let instance = find_instance(&state, &name)?;
    Ok(Json(instance_body(&instance, &state)))
}

/// `POST /api/2.0/database/credentials` → `{"token", "expiration_time"}`.
async fn generate_database_credential(
    State(state): State<AppState>,
    Caller(principal): Caller,
    body: Result<Json<DatabaseCredentialRequest>, JsonRejection>,
) -> Result<Json<Value>, DatabaseApiError> {
    let Json(request) = body.map_err(|rejection| DatabaseApiError::malformed(&rejection))?;
    if request.instance_names.is_empty() && request.claims.is_empty() {
        return Err(DatabaseApiError::invalid_parameter(
            "At least one of instance_names or claims must be specified.",
        ));
    }
    for name in &request.instance_names {
        find_instance(&state, name)?;
    }
    let (token, expires_at) = mint(&state, &principal.user_name).await?;
    Ok(Json(json!({
        "token": token,
        "expiration_time": rfc3339(expires_at),
    })))
}

/// `POST /api/2.0/postgres/credentials` → `{"token", "expire_time"}`.
async fn generate_postgres_credential(
    State(state): State<AppState>,
    Caller(principal): Caller,
    body: Result<Json<PostgresCredentialRequest>, JsonRejection>,
) -> Result<Json<Value>, DatabaseApiError> {
    let Json(request) = body.map_err(|rejection| DatabaseApiError::malformed(&rejection))?;
    let Some(endpoint) = request.endpoint.filter(|name| !name.trim().is_empty()) else {
        return Err(DatabaseApiError::invalid_parameter(
            "endpoint is required: projects/{project_id}/branches/{branch_id}/endpoints/{endpoint_id}",
        ));
    };
    let known = state
        .fixture()
        .database
        .endpoints
        .iter()
        .any(|candidate| candidate.name == endpoint);
    if !known {
        return Err(DatabaseApiError::not_found(format!(
            "Endpoint '{endpoint}' does not exist."
        )));
    }
    let (token, expires_at) = mint(&state, &principal.user_name).await?;
    Ok(Json(json!({
        "token": token,
        "expire_time": rfc3339(expires_at),
    })))
}

fn find_instance(
    state: &AppState,
    name: &str,
) -> Result<DatabaseInstanceFixture, DatabaseApiError> {
    state
        .fixture()
        .database
        .instances
        .iter()
        .find(|instance| instance.name == name)
        .cloned()
        .ok_or_else(|| {
            DatabaseApiError::not_found(format!("Database instance '{name}' does not exist."))
        })
}

/// Mints a credential for `role` and, when the fixture names a server, sets it as the role's
/// password there. Returns the token and its expiry.
async fn mint(state: &AppState, role: &str) -> Result<(String, DateTime<Utc>), DatabaseApiError> {
    let database = &state.fixture().database;
    let ttl_seconds = i64::try_from(database.credential_ttl_seconds).unwrap_or(i64::MAX);
    let lifetime = TimeDelta::try_seconds(ttl_seconds).unwrap_or(TimeDelta::MAX);
    // Whole milliseconds, so the expiry sent to the client equals the one the server enforces.
    let now = DateTime::from_timestamp_millis(Utc::now().timestamp_millis()).unwrap_or_default();
    let expires_at = now + lifetime;
    let token = URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>());

    if let Some(admin_url) = &database.admin_url {
        role::set_password(
            admin_url,
            role,
            &SecretString::from(token.clone()),
            &rfc3339(expires_at),
        )
        .await
        .map_err(|error| DatabaseApiError::role_update_failed(role, &error))?;
    }
    tracing::info!(
        database.role = role,
        database.credential_expires_at = %rfc3339(expires_at),
        database.server = database.admin_url.is_some(),
        "database credential minted"
    );
    Ok((token, expires_at))
}

fn instance_body(instance: &DatabaseInstanceFixture, state: &AppState) -> Value {
    let stopped = instance.state == "STOPPED";
    json!({
        "name": instance.name,
        "uid": instance_uid(&instance.name),
        "state": instance.state,
        "read_write_dns": instance.host,
        "read_only_dns": instance.host,
        "pg_version": instance.pg_version,
        "capacity": "CU_1",
        "node_count": 1,
        "stopped": stopped,
        "effective_stopped": stopped,
        "enable_pg_native_login": false,
        "retention_window_in_days": 7,
        "creator": state
            .fixture()
            .service_principals
            .first()
            .map(|sp| sp.application_id.clone()),
        "creation_time": "2026-01-01T00:00:00Z",
    })
}

/// Derives a UUID from the instance name, so it stays the same across calls and restarts.
fn instance_uid(name: &str) -> uuid::Uuid {
    let digest = Sha256::digest(name.as_bytes());
    let mut bytes = [0_u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_random_bytes(bytes).into_uuid()
}

fn rfc3339(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Millis, true)
}
