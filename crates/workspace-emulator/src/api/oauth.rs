//! `POST /oidc/v1/token`: the OAuth client-credentials grant (OAuth M2M) for service principals.

use std::borrow::Cow;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::header::{AUTHORIZATION, CACHE_CONTROL};
use axum::http::{HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chrono::{TimeDelta, Utc};
use percent_encoding::percent_decode_str;
use secrecy::ExposeSecret as _;
use serde_json::json;

use crate::base_url::BaseUrl;
use crate::errors::OAuthError;
use crate::state::AppState;

/// Scope the SDKs request by default, and the one granted when a request names none.
const DEFAULT_SCOPE: &str = "all-apis";

/// Issues a JWT-shaped access token to a service principal that authenticates with HTTP Basic
/// (`client_secret_basic`, what the SDKs send) or with form fields (`client_secret_post`).
pub(crate) async fn token(
    State(state): State<AppState>,
    base: BaseUrl,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, OAuthError> {
    let form = parse_form(&body)?;
    let grant_type = form
        .get("grant_type")
        .ok_or_else(|| OAuthError::invalid_request("Missing grant_type"))?;
    if grant_type != "client_credentials" {
        return Err(OAuthError::unsupported_grant_type(grant_type));
    }
    let (client_id, client_secret) = client_credentials(&headers, &form)?;
    let application_id = authenticate_client(&state, &client_id, &client_secret)
        .ok_or_else(OAuthError::invalid_client)?;

    let scope = form
        .get("scope")
        .map(|scope| scope.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|scope| !scope.is_empty())
        .unwrap_or_else(|| DEFAULT_SCOPE.to_owned());
    let ttl_seconds = state.fixture().workspace.oauth_token_ttl_seconds;
    let lifetime = TimeDelta::seconds(i64::try_from(ttl_seconds).unwrap_or(i64::MAX));
    let issued = state
        .directory()
        .issue_token(
            &application_id,
            lifetime,
            &scope,
            &base.join("/oidc"),
            Utc::now(),
        )
        .ok_or_else(OAuthError::invalid_client)?;

    let body = json!({
        "access_token": issued.token,
        "token_type": "Bearer",
        "expires_in": ttl_seconds,
        "scope": scope,
    });
    let mut response = Json(body).into_response();
    response
        .headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// Form parameters, each present at most once (RFC 6749 section 3.2).
struct Form(Vec<(String, String)>);

impl Form {
    fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }
}

fn parse_form(body: &[u8]) -> Result<Form, OAuthError> {
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(body).into_owned().collect();
    for (index, (name, _)) in pairs.iter().enumerate() {
        if pairs[..index].iter().any(|(earlier, _)| earlier == name) {
            return Err(OAuthError::invalid_request(format!(
                "Parameter {name} is repeated"
            )));
        }
    }
    Ok(Form(pairs))
}

/// Client id and secret from `Authorization: Basic`, else from the `client_id` and
/// `client_secret` form fields.
fn client_credentials(headers: &HeaderMap, form: &Form) -> Result<(String, String), OAuthError> {
    if let Some(value) = headers.get(AUTHORIZATION) {
        return basic_credentials(value).ok_or_else(OAuthError::invalid_client);
    }
    match (form.get("client_id"), form.get("client_secret")) {
        (Some(id), Some(secret)) => Ok((id.to_owned(), secret.to_owned())),
        _ => Err(OAuthError::invalid_client()),
    }
}

fn basic_credentials(value: &HeaderValue) -> Option<(String, String)> {
    let (scheme, encoded) = value.to_str().ok()?.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    Some((id.to_owned(), secret.to_owned()))
}

/// Returns the application id of the active service principal these credentials belong to.
///
/// RFC 6749 section 2.3.1 has clients percent-encode the id and secret before Basic encoding
/// (Go's oauth2 package does), while Python's `requests` does not, so both the raw and the
/// percent-decoded forms are tried.
fn authenticate_client(state: &AppState, client_id: &str, client_secret: &str) -> Option<String> {
    let decode =
        |text: &str| -> String { percent_decode_str(text).decode_utf8_lossy().into_owned() };
    let candidates = [
        (Cow::Borrowed(client_id), Cow::Borrowed(client_secret)),
        (
            Cow::Owned(decode(client_id)),
            Cow::Owned(decode(client_secret)),
        ),
    ];
    let service_principal = state.fixture().service_principals.iter().find(|sp| {
        candidates.iter().any(|(id, secret)| {
            sp.application_id.eq_ignore_ascii_case(id) && sp.secret.expose_secret() == secret
        })
    })?;
    let directory = state.directory();
    let principal = directory.principal(&service_principal.application_id)?;
    principal.active.then(|| principal.user_name.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_credentials_split_at_first_colon() {
        let value = HeaderValue::from_str(&format!("Basic {}", STANDARD.encode("id:se:cret")))
            .expect("header value");
        assert_eq!(
            basic_credentials(&value),
            Some(("id".to_owned(), "se:cret".to_owned()))
        );
    }

    #[test]
    fn repeated_form_parameter_is_rejected() {
        assert!(parse_form(b"scope=a&scope=b").is_err());
        assert!(parse_form(b"scope=a&grant_type=b").is_ok());
    }
}
