//! The OpenAPI 3.1 document of the API, generated from the same route list the router serves.
//!
//! [`api_routes`] is the only place where API routes are registered. Each entry goes through
//! `routes!`, which requires a `#[utoipa::path]` on the handler, so a route cannot be served
//! without being documented.

pub mod responses;

use axum::body::Bytes;
use axum::extract::DefaultBodyLimit;
use axum::http::header;
use axum::routing::{MethodRouter, get};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouterExt};
use utoipa_axum::routes;

use crate::auth::context::ACCESS_TOKEN_HEADER;
use crate::error::{ErrorBody, ErrorCode};
use crate::http::routes::{admin, health, model_serving, preferences, unity_catalog, user};
use crate::state::AppState;

/// Path of the OpenAPI document.
pub const DOCUMENT_PATH: &str = "/openapi.json";

/// Name of the security scheme for the forwarded user token.
pub const USER_TOKEN_SCHEME: &str = "user_token";

/// The parts of the document that no route carries: info, tags, the security scheme and the error
/// schemas. `info.version` defaults to `CARGO_PKG_VERSION`.
#[derive(Debug, OpenApi)]
#[openapi(
    info(
        title = "app-server API",
        description = "The HTTP API of a Databricks App whose users act under their own identity. \
            Errors share one JSON body, `ErrorBody`, whose `error_code` is stable."
    ),
    modifiers(&UserTokenScheme),
    components(schemas(ErrorBody, ErrorCode)),
    tags(
        (name = "health", description = "Liveness and readiness"),
        (name = "user", description = "Authentication status and the current user"),
        (name = "preferences", description = "The caller's own preferences"),
        (name = "unity-catalog", description = "Unity Catalog browsing with the caller's permissions"),
        (name = "model-serving", description = "Model Serving endpoints, invocations and their history"),
        (name = "admin", description = "Routes for the users listed in ADMIN_USERS"),
    )
)]
pub struct ApiDoc;

/// Adds the `X-Forwarded-Access-Token` API key scheme.
#[derive(Debug)]
struct UserTokenScheme;

impl Modify for UserTokenScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let description = "The signed-in user's OAuth access token. The Databricks Apps proxy \
            sets this header on every request it forwards, so browser clients do not send it \
            themselves. Routes that allow it fall back to the app's service principal when the \
            header is absent; routes that act only as the user answer 401 AUTH_MISSING.";
        let scheme = SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
            ACCESS_TOKEN_HEADER.as_str(),
            description,
        )));
        openapi
            .components
            .get_or_insert_with(Default::default)
            .add_security_scheme(USER_TOKEN_SCHEME, scheme);
    }
}

/// Registers the API routes with their documentation. The router and the document are both built
/// from the returned value with `split_for_parts`.
pub fn api_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(health::health))
        .routes(routes!(health::api_health))
        .routes(routes!(health::ready))
        .routes(routes!(user::auth_status))
        .routes(routes!(user::me))
        .routes(routes!(user::workspace))
        .routes(
            routes!(preferences::list, preferences::save)
                .layer(DefaultBodyLimit::max(preferences::MAX_BODY_BYTES)),
        )
        .routes(routes!(preferences::get, preferences::delete))
        .routes(routes!(unity_catalog::catalogs))
        .routes(routes!(unity_catalog::schemas))
        .routes(routes!(unity_catalog::tables))
        .routes(routes!(unity_catalog::table))
        .routes(routes!(model_serving::endpoints))
        .routes(routes!(model_serving::endpoint))
        .routes(routes!(model_serving::invoke))
        .routes(routes!(model_serving::logs))
        .routes(routes!(admin::orphaned_records))
        .routes(routes!(admin::cleanup))
}

/// The OpenAPI document, as `GET /openapi.json` and `app-server openapi` return it.
pub fn document() -> utoipa::openapi::OpenApi {
    api_routes().into_openapi()
}

/// `GET /openapi.json`: `document`, serialised once when the router is built.
pub fn document_route(document: &utoipa::openapi::OpenApi) -> MethodRouter<AppState> {
    let body = Bytes::from(
        serde_json::to_vec(document).expect("an OpenAPI document has only string map keys"),
    );
    get(move || {
        let body = body.clone();
        async move { ([(header::CONTENT_TYPE, "application/json")], body) }
    })
}
