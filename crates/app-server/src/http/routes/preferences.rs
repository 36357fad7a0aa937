//! Per-user preferences. Every call acts on the verified caller's rows only.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::Value;
use utoipa::ToSchema;

use crate::auth::UserIdentity;
use crate::error::{AppError, ErrorBody, ErrorCode};
use crate::http::json::ApiJson;
use crate::http::openapi::responses::{
    DatabaseErrors, JsonBodyErrors, LayerErrors, RequestLineErrors, SignedInUserErrors,
};
use crate::http::path::ApiPath;
use crate::state::AppState;
use crate::store::{Preference, Store, StoreError};

/// Longest accepted preference key, in characters.
pub const MAX_KEY_LENGTH: usize = 255;

/// Largest accepted preference value, in bytes of its compact JSON form.
pub const MAX_VALUE_BYTES: usize = 10_000;

/// Largest request body `POST /api/preferences` reads, in bytes: room for a value at its limit
/// written with indentation or `\u` escapes.
pub const MAX_BODY_BYTES: usize = 32 * 1024;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SavePreference {
    #[schema(min_length = 1, max_length = 255, pattern = r"^[A-Za-z0-9_.:-]+$")]
    pub preference_key: String,
    /// Any JSON value of at most 10,000 bytes in compact form, without the character U+0000.
    pub preference_value: Value,
}

/// `GET /api/preferences`: the caller's preferences, newest update first.
#[utoipa::path(
    get,
    path = "/api/preferences",
    tag = "preferences",
    operation_id = "list_preferences",
    security(("user_token" = [])),
    responses(
        RequestLineErrors,
        (status = 200, description = "The caller's preferences, newest update first", body = Vec<Preference>),
        SignedInUserErrors,
        DatabaseErrors,
        LayerErrors,
    )
)]
pub async fn list(
    State(state): State<AppState>,
    identity: UserIdentity,
) -> Result<Json<Vec<Preference>>, AppError> {
    let store = store(&state)?;
    let preferences = store
        .list_preferences(&identity.user_id)
        .await
        .map_err(store_error)?;
    Ok(Json(preferences))
}

/// `GET /api/preferences/{preference_key}`.
#[utoipa::path(
    get,
    path = "/api/preferences/{preference_key}",
    tag = "preferences",
    operation_id = "get_preference",
    security(("user_token" = [])),
    params(
        ("preference_key" = String, Path, min_length = 1, max_length = 255, pattern = r"^[A-Za-z0-9_.:-]+$"),
    ),
    responses(
        RequestLineErrors,
        (status = 200, description = "The preference", body = Preference),
        (status = 404, description = "PREFERENCE_NOT_FOUND: the caller has no preference with this key", body = ErrorBody),
        (status = 422, description = "VALIDATION_ERROR: an invalid key", body = ErrorBody),
        SignedInUserErrors,
        DatabaseErrors,
        LayerErrors,
    )
)]
pub async fn get(
    State(state): State<AppState>,
    identity: UserIdentity,
    ApiPath(key): ApiPath<String>,
) -> Result<Json<Preference>, AppError> {
    validate_key(&key)?;
    let store = store(&state)?;
    let preference = store
        .get_preference(&identity.user_id, &key)
        .await
        .map_err(store_error)?;
    preference.map(Json).ok_or_else(|| not_found(&key))
}

/// `POST /api/preferences`: inserts or updates one preference of the caller.
#[utoipa::path(
    post,
    path = "/api/preferences",
    tag = "preferences",
    operation_id = "save_preference",
    security(("user_token" = [])),
    request_body = SavePreference,
    responses(
        JsonBodyErrors,
        (status = 201, description = "The saved preference", body = Preference),
        (status = 400, description = "VALIDATION_ERROR: malformed JSON", body = ErrorBody),
        (status = 413, description = "PAYLOAD_TOO_LARGE: the body exceeds 32 KiB", body = ErrorBody),
        (status = 422, description = "VALIDATION_ERROR: an invalid key or value, or an unknown field", body = ErrorBody),
        SignedInUserErrors,
        DatabaseErrors,
        LayerErrors,
    )
)]
pub async fn save(
    State(state): State<AppState>,
    identity: UserIdentity,
    ApiJson(body): ApiJson<SavePreference>,
) -> Result<(StatusCode, Json<Preference>), AppError> {
    validate_key(&body.preference_key)?;
    validate_value(&body.preference_value)?;
    let store = store(&state)?;
    let saved = store
        .upsert_preference(
            &identity.user_id,
            &body.preference_key,
            &body.preference_value,
        )
        .await
        .map_err(store_error)?;
    Ok((StatusCode::CREATED, Json(saved)))
}

/// `DELETE /api/preferences/{preference_key}`: 404 when the caller has no such key, even when
/// another user has one.
#[utoipa::path(
    delete,
    path = "/api/preferences/{preference_key}",
    tag = "preferences",
    operation_id = "delete_preference",
    security(("user_token" = [])),
    params(
        ("preference_key" = String, Path, min_length = 1, max_length = 255, pattern = r"^[A-Za-z0-9_.:-]+$"),
    ),
    responses(
        RequestLineErrors,
        (status = 204, description = "The preference is deleted"),
        (status = 403, description = "CSRF_REJECTED: the request failed the cross-site request forgery check", body = ErrorBody),
        (status = 404, description = "PREFERENCE_NOT_FOUND: the caller has no preference with this key", body = ErrorBody),
        (status = 422, description = "VALIDATION_ERROR: an invalid key", body = ErrorBody),
        SignedInUserErrors,
        DatabaseErrors,
        LayerErrors,
    )
)]
pub async fn delete(
    State(state): State<AppState>,
    identity: UserIdentity,
    ApiPath(key): ApiPath<String>,
) -> Result<StatusCode, AppError> {
    validate_key(&key)?;
    let store = store(&state)?;
    let deleted = store
        .delete_preference(&identity.user_id, &key)
        .await
        .map_err(store_error)?;
    if deleted {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(not_found(&key))
    }
}

/// Checks `preference_key`: 1 to 255 characters of `[A-Za-z0-9_.:-]`.
pub fn validate_key(key: &str) -> Result<(), AppError> {
    if let Some(bad) = key
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | ':' | '-')))
    {
        return Err(AppError::validation(format!(
            "preference_key may contain only letters, digits and _ . : - (found {bad:?})"
        )));
    }
    if key.is_empty() || key.len() > MAX_KEY_LENGTH {
        return Err(AppError::validation(format!(
            "preference_key must be 1 to {MAX_KEY_LENGTH} characters long, got {}",
            key.len()
        )));
    }
    Ok(())
}

fn validate_value(value: &Value) -> Result<(), AppError> {
    let size = serde_json::to_vec(value).map_or(usize::MAX, |bytes| bytes.len());
    if size > MAX_VALUE_BYTES {
        return Err(AppError::validation(format!(
            "preference_value must be at most {MAX_VALUE_BYTES} bytes of JSON, got {size}"
        )));
    }
    if contains_nul(value) {
        return Err(AppError::validation(
            "preference_value must not contain the character U+0000 (PostgreSQL cannot store it)",
        ));
    }
    Ok(())
}

fn contains_nul(value: &Value) -> bool {
    match value {
        Value::String(text) => text.contains('\0'),
        Value::Array(items) => items.iter().any(contains_nul),
        Value::Object(fields) => fields
            .iter()
            .any(|(key, field)| key.contains('\0') || contains_nul(field)),
        Value::Null | Value::Bool(_) | Value::Number(_) => false,
    }
}

fn store(state: &AppState) -> Result<&Arc<dyn Store>, AppError> {
    state
        .store
        .as_ref()
        .ok_or_else(AppError::lakebase_not_configured)
}

fn not_found(key: &str) -> AppError {
    AppError::new(
        StatusCode::NOT_FOUND,
        ErrorCode::PreferenceNotFound,
        format!("You have no preference named {key:?}"),
    )
}

/// Maps a store failure: an unreachable database is a 503, anything else is a bug.
pub fn store_error(error: StoreError) -> AppError {
    match error {
        StoreError::Unavailable(_) => {
            tracing::warn!(error = %error, "app database unavailable");
            AppError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorCode::DatabaseUnavailable,
                "The app database is unavailable; try again shortly",
            )
        }
        other => AppError::internal(&other),
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn pattern() -> regex::Regex {
        regex::Regex::new(r"\A[A-Za-z0-9_.:-]{1,255}\z").expect("valid pattern")
    }

    proptest! {
        #[test]
        fn key_validator_matches_the_pattern(key in "\\PC{0,300}|[A-Za-z0-9_.:-]{0,300}") {
            prop_assert_eq!(validate_key(&key).is_ok(), pattern().is_match(&key), "{:?}", key);
        }

        #[test]
        fn rejected_key_is_a_validation_error(key in "\\PC{0,300}") {
            if let Err(error) = validate_key(&key) {
                prop_assert_eq!(error.code, ErrorCode::ValidationError);
                prop_assert_eq!(error.status, StatusCode::UNPROCESSABLE_ENTITY);
            }
        }
    }
}
