//! Response headers that limit what a browser does with the app's pages and API responses.

use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

/// The page may load scripts, styles, images and data only from its own origin (images also as
/// `data:` URLs), run no inline script, and be framed only by its own origin.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; \
     object-src 'none'; frame-ancestors 'self'; base-uri 'self'; form-action 'self'";

/// Sent in place of `frame-ancestors` by browsers that predate it.
const X_FRAME_OPTIONS: HeaderName = HeaderName::from_static("x-frame-options");

/// Middleware: adds `X-Content-Type-Options`, `Content-Security-Policy`, `X-Frame-Options` and
/// `Referrer-Policy` to every response, and `Cache-Control: no-store` to every API response,
/// because those carry user data that must not stay in a shared or browser cache.
///
/// A `Content-Security-Policy` that a route set itself is kept.
pub async fn layer(request: Request, next: Next) -> Response {
    let is_api = is_api_path(request.uri().path());
    let mut response = next.run(request).await;

    let headers = response.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers
        .entry(header::CONTENT_SECURITY_POLICY)
        .or_insert(HeaderValue::from_static(CONTENT_SECURITY_POLICY));
    headers.insert(X_FRAME_OPTIONS, HeaderValue::from_static("SAMEORIGIN"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    if is_api {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

fn is_api_path(path: &str) -> bool {
    path == "/api" || path.starts_with("/api/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_paths_are_recognised() {
        for path in ["/api", "/api/", "/api/preferences", "/api/health"] {
            assert!(is_api_path(path), "{path}");
        }
        for path in ["/", "/apis", "/assets/index.js", "/api-docs", "/metrics"] {
            assert!(!is_api_path(path), "{path}");
        }
    }
}
