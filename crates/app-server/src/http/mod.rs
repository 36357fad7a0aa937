//! The HTTP surface: layers, routes and static assets.

pub mod correlation;
pub mod cors;
pub mod csrf;
pub mod docs;
pub mod json;
pub mod limits;
pub mod metrics;
pub mod openapi;
pub mod origin;
pub mod path;
pub mod query;
pub mod query_params;
pub mod routes;
pub mod security_headers;
pub mod server;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{Method, StatusCode, Uri};
use axum::middleware;
use axum::routing::get;
use tower_http::catch_panic::CatchPanicLayer;

use crate::auth;
use crate::error::{AppError, ErrorCode};
use crate::state::AppState;

/// Largest request body the API reads, in bytes.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// Builds the app's router: the API routes of [`openapi::api_routes`], the OpenAPI document at
/// `/openapi.json`, Swagger UI at `/docs`, then static assets for everything else, and
/// `GET /metrics`, which stays outside the request layers so that scrapes are neither counted nor
/// logged; only the security headers apply to it. Installs the process's metrics recorder when it
/// is not installed yet.
///
/// Layers, outermost first: security headers, correlation ID, metrics, panic catcher, URI and
/// header limits, CORS (only with `CORS_ALLOWED_ORIGINS`), the CSRF check, the auth context, the
/// body read timeout, the check of query parameter names and the body size limit.
pub fn router(state: AppState) -> Router {
    crate::telemetry::metrics::install();
    let static_files = routes::assets::service(&state.config.static_dir);
    let allowed_origins = state.config.cors_allowed_origins.clone();

    let (api_routes, document) = openapi::api_routes().split_for_parts();
    let declared_query_parameters = query_params::DeclaredQueryParameters::from_document(&document);

    api_routes
        .route(openapi::DOCUMENT_PATH, openapi::document_route(&document))
        .merge(docs::router())
        .route("/api", axum::routing::any(api_not_found))
        .route("/api/", axum::routing::any(api_not_found))
        .route("/api/{*rest}", axum::routing::any(api_not_found))
        .fallback_service(static_files)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(middleware::from_fn_with_state(
            declared_query_parameters,
            query_params::layer,
        ))
        .layer(middleware::from_fn_with_state(
            state.config.request_body_timeout,
            limits::body_read_timeout,
        ))
        .layer(middleware::from_fn(auth::context::layer))
        .layer(middleware::from_fn_with_state(
            allowed_origins.clone(),
            csrf::layer,
        ))
        .layer(tower::util::option_layer(cors::layer(&allowed_origins)))
        .layer(middleware::from_fn(limits::layer))
        .layer(CatchPanicLayer::custom(routes::panic_response))
        .layer(middleware::from_fn(metrics::layer))
        .layer(middleware::from_fn(correlation::layer))
        .route(
            metrics::METRICS_PATH,
            get(metrics::scrape).fallback(method_not_allowed),
        )
        .layer(middleware::from_fn(security_headers::layer))
        .with_state(state)
}

async fn method_not_allowed(method: Method, uri: Uri) -> AppError {
    AppError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        ErrorCode::MethodNotAllowed,
        format!("{} does not accept {method}", uri.path()),
    )
}

async fn api_not_found(uri: Uri) -> AppError {
    AppError::new(
        StatusCode::NOT_FOUND,
        ErrorCode::NotFound,
        format!("No API route matches {}", uri.path()),
    )
}
