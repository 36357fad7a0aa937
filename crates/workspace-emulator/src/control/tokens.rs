//! `POST /__emulator/tokens`: mint a JWT-shaped access token for any principal.

use axum::Json;
use axum::extract::State;
use chrono::{SecondsFormat, TimeDelta, Utc};
use serde::Deserialize;
use serde_json::{Value, json};

use super::ControlJson;
use crate::base_url::BaseUrl;
use crate::errors::ControlError;
use crate::state::AppState;

/// Largest lifetime (positive or negative) a minted token may have: one year, in seconds.
const MAX_TTL_SECONDS: i64 = 365 * 24 * 3600;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct MintRequest {
    user_name: String,
    /// Lifetime in seconds. A negative value mints an expired token. Default: the fixture's
    /// OAuth token lifetime.
    #[serde(default)]
    ttl_seconds: Option<i64>,
    /// OAuth scopes, by default `["all-apis"]`.
    #[serde(default)]
    scopes: Option<Vec<String>>,
}

/// Returns `{"token", "expires_at"}` with `expires_at` in RFC 3339 (UTC). Tokens of deactivated
/// users can be minted, and the workspace API then rejects them.
pub(crate) async fn mint(
    State(state): State<AppState>,
    base: BaseUrl,
    ControlJson(request): ControlJson<MintRequest>,
) -> Result<Json<Value>, ControlError> {
    let default_ttl =
        i64::try_from(state.fixture().workspace.oauth_token_ttl_seconds).unwrap_or(MAX_TTL_SECONDS);
    let ttl_seconds = request.ttl_seconds.unwrap_or(default_ttl);
    if !(-MAX_TTL_SECONDS..=MAX_TTL_SECONDS).contains(&ttl_seconds) {
        return Err(ControlError::bad_request(format!(
            "ttl_seconds {ttl_seconds} is outside -{MAX_TTL_SECONDS}..={MAX_TTL_SECONDS}"
        )));
    }
    let scope = scope_string(request.scopes)?;
    let issued = state
        .directory()
        .issue_token(
            &request.user_name,
            TimeDelta::seconds(ttl_seconds),
            &scope,
            &base.join("/oidc"),
            Utc::now(),
        )
        .ok_or_else(|| ControlError::principal_not_found(&request.user_name))?;
    Ok(Json(json!({
        "token": issued.token,
        "expires_at": issued.expires_at.to_rfc3339_opts(SecondsFormat::Secs, true),
    })))
}

fn scope_string(scopes: Option<Vec<String>>) -> Result<String, ControlError> {
    let Some(scopes) = scopes else {
        return Ok("all-apis".to_owned());
    };
    if scopes.is_empty() {
        return Err(ControlError::bad_request(
            "scopes must not be empty; leave it out for [\"all-apis\"]",
        ));
    }
    if let Some(bad) = scopes
        .iter()
        .find(|scope| scope.is_empty() || scope.chars().any(char::is_whitespace))
    {
        return Err(ControlError::bad_request(format!(
            "scope {bad:?} is empty or contains whitespace"
        )));
    }
    Ok(scopes.join(" "))
}
