//! `GET /docs`: Swagger UI for the OpenAPI document, served from files built into the binary.

use axum::Router;
use axum::http::{HeaderValue, header};
use tower_http::set_header::SetResponseHeaderLayer;
use utoipa_swagger_ui::{Config, SwaggerUi};

use crate::http::openapi::DOCUMENT_PATH;
use crate::state::AppState;

/// Path of the docs page. `/docs` redirects to `/docs/`, whose relative links load the assets.
pub const DOCS_PATH: &str = "/docs";

/// The app's own policy, unchanged. Swagger UI 5 (utoipa-swagger-ui 10) loads its scripts and
/// styles from files and has no inline script. It sets element styles through the DOM, which
/// `style-src` does not restrict. Its only inline `<style>` is in the logo of the top bar, which
/// [`router`] leaves out by choosing the base layout.
///
/// NOTE: checked by hand in headless Chromium, where loading the page and rendering every operation
/// and schema raised no CSP violation. No automated browser test covers it, and "Try it out" was
/// not exercised.
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
    Router::from(SwaggerUi::new(DOCS_PATH).config(config)).layer(
        SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(DOCS_CONTENT_SECURITY_POLICY),
        ),
    )
}
