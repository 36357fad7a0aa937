//! `GET /docs`: Swagger UI for the OpenAPI document, served from files built into the binary.
//!
//! Its file names carry no content hash, so every response is `Cache-Control: no-cache`, like the
//! front end's files outside `/assets/`: the browser revalidates them, and a new deployment shows
//! its own version of the page at once.

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use tower_http::set_header::SetResponseHeaderLayer;
use utoipa_swagger_ui::{Config, SwaggerUi};

use crate::error::{AppError, ErrorCode};
use crate::http::openapi::DOCUMENT_PATH;
use crate::state::AppState;

/// Path of the docs page. `/docs` redirects to `/docs/`, whose relative links load the assets.
pub const DOCS_PATH: &str = "/docs";

/// The app's own policy, unchanged. Swagger UI 5 (utoipa-swagger-ui 10) loads its scripts and
/// styles from files and has no inline script. It sets element styles through the DOM, which
/// `style-src` does not restrict. Its only inline `<style>` is in the logo of the top bar, which
/// [`router`] leaves out by choosing the base layout.
///
/// NOTE: `client/e2e/specs/security-policy.spec.mjs` loads the page in headless Chromium and
/// checks that rendering every operation raises no CSP violation. No test exercises "Try it out".
pub const DOCS_CONTENT_SECURITY_POLICY: &str =
    crate::http::security_headers::CONTENT_SECURITY_POLICY;

/// Swagger UI under [`DOCS_PATH`], reading [`DOCUMENT_PATH`].
///
/// The base layout has no top bar, whose logo would need an inline style, and whose URL box is of
/// no use with one document. The online validator badge is off: it would send the document's URL
/// to an outside service and load an image from there.
pub fn router() -> Router<AppState> {
    let config = Config::new([DOCUMENT_PATH])
        .use_base_layout()
        .validator_url("none")
        .display_operation_id(true);
    Router::from(SwaggerUi::new(DOCS_PATH).config(config))
        .layer(middleware::from_fn(not_found_as_json))
        .layer(SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(DOCS_CONTENT_SECURITY_POLICY),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-cache"),
        ))
}

/// Replaces Swagger UI's empty 404 for a file it does not have with the app's JSON error body.
async fn not_found_as_json(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    if response.status() != StatusCode::NOT_FOUND {
        return response;
    }
    AppError::new(
        StatusCode::NOT_FOUND,
        ErrorCode::NotFound,
        format!("No such file in the API documentation: open {DOCS_PATH}/ to read it"),
    )
    .into_response()
}
