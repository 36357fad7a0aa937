//! OAuth scope checks. Each API family accepts a few scopes, and `all-apis` grants every one.
//!
//! The accepted scopes are the API scopes the REST reference lists per endpoint (`unity-catalog`,
//! `model-serving`, `model-serving-inference`) plus the Databricks Apps user-authorization scope
//! names for the same APIs (`catalog.catalogs`, `serving.serving-endpoints`, …). NOTE: how the
//! Apps scope names map to token scopes is not documented, so the emulator accepts both.

use std::marker::PhantomData;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};

use crate::api::PlatformError;
use crate::auth::authenticate;
use crate::middleware::RequestId;
use crate::principal::Principal;
use crate::state::AppState;

/// The scope that grants every API.
pub(crate) const ALL_APIS: &str = "all-apis";

/// The scopes an API family accepts. The first one is named when a call is denied.
pub(crate) trait ScopeRequirement {
    const ACCEPTED: &'static [&'static str];
}

/// `GET /api/2.1/unity-catalog/catalogs`.
pub(crate) struct CatalogsScope;
/// `GET /api/2.1/unity-catalog/schemas`.
pub(crate) struct SchemasScope;
/// `GET /api/2.1/unity-catalog/tables` and `…/tables/{full_name}`.
pub(crate) struct TablesScope;
/// `GET /api/2.0/serving-endpoints` and `…/{name}`.
pub(crate) struct ServingEndpointsScope;
/// `POST /serving-endpoints/{name}/invocations`.
pub(crate) struct InvocationsScope;
/// `GET /api/2.0/preview/scim/v2/Users` and `…/{id}`. NOTE: the REST reference lists no scope
/// for these calls. The emulator uses `access-management`, the API scope described as covering
/// users, service principals and groups.
pub(crate) struct ScimUsersScope;

impl ScopeRequirement for CatalogsScope {
    const ACCEPTED: &'static [&'static str] = &["unity-catalog", "catalog.catalogs"];
}

impl ScopeRequirement for SchemasScope {
    const ACCEPTED: &'static [&'static str] = &["unity-catalog", "catalog.schemas"];
}

impl ScopeRequirement for TablesScope {
    const ACCEPTED: &'static [&'static str] = &["unity-catalog", "catalog.tables"];
}

impl ScopeRequirement for ServingEndpointsScope {
    const ACCEPTED: &'static [&'static str] = &["model-serving", "serving.serving-endpoints"];
}

impl ScopeRequirement for InvocationsScope {
    const ACCEPTED: &'static [&'static str] = &[
        "model-serving",
        "model-serving-inference",
        "serving.serving-endpoints",
    ];
}

impl ScopeRequirement for ScimUsersScope {
    const ACCEPTED: &'static [&'static str] = &["access-management"];
}

/// An authenticated caller whose token has one of the scopes `R` accepts.
///
/// Extracting it rejects a missing or invalid token like [`crate::auth::Caller`], then returns
/// 403 `PERMISSION_DENIED` when the token lacks the scope.
#[derive(Debug)]
pub(crate) struct Scoped<R> {
    pub(crate) principal: Principal,
    pub(crate) request_id: Option<RequestId>,
    requirement: PhantomData<R>,
}

impl<R: ScopeRequirement> FromRequestParts<AppState> for Scoped<R> {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let authenticated = authenticate(parts, state).map_err(IntoResponse::into_response)?;
        if !grants(&authenticated.scope, R::ACCEPTED) {
            return Err(scope_denied(R::ACCEPTED[0]).into_response());
        }
        Ok(Scoped {
            principal: authenticated.principal,
            request_id: parts.extensions.get::<RequestId>().copied(),
            requirement: PhantomData,
        })
    }
}

/// Checks whether a space-separated scope list contains `all-apis` or one of `accepted`.
fn grants(token_scope: &str, accepted: &[&str]) -> bool {
    token_scope
        .split_whitespace()
        .any(|scope| scope == ALL_APIS || accepted.contains(&scope))
}

/// 403 for a token without the scope. The message is the one users of the platform reported for
/// OAuth tokens. NOTE: the platform's status and `error_code` for this case are not documented.
fn scope_denied(scope: &str) -> PlatformError {
    PlatformError::permission_denied(format!(
        "Provided OAuth token does not have required scopes: {scope}"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_apis_grants_every_family() {
        assert!(grants("sql all-apis", CatalogsScope::ACCEPTED));
        assert!(grants("all-apis", InvocationsScope::ACCEPTED));
    }

    #[test]
    fn family_scope_grants_only_its_family() {
        assert!(grants("unity-catalog", TablesScope::ACCEPTED));
        assert!(!grants("unity-catalog", ServingEndpointsScope::ACCEPTED));
        assert!(grants(
            "model-serving-inference",
            InvocationsScope::ACCEPTED
        ));
        assert!(!grants(
            "model-serving-inference",
            ServingEndpointsScope::ACCEPTED
        ));
    }

    #[test]
    fn scope_names_match_exactly() {
        assert!(!grants("unity-catalog:read", SchemasScope::ACCEPTED));
        assert!(!grants("", CatalogsScope::ACCEPTED));
    }
}
