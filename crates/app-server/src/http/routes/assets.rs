//! The built front end, with a fallback to `index.html` for client-side routes.
//!
//! Cache rules: files under `/assets/` carry a content hash in their names (Vite's build output),
//! so a browser may keep them for a year without revalidating. Everything else, `index.html` above
//! all, is `no-cache`: the browser revalidates it on every load, so a new deployment shows at once.

use std::path::Path;

use axum::extract::Request;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{MethodRouter, get, get_service};
use base64::Engine;
use sha2::{Digest, Sha256};
use tower::ServiceExt;
use tower_http::services::{ServeDir, ServeFile};

use crate::error::{AppError, ErrorCode};

/// URL prefix of the hashed build output.
const HASHED_ASSETS_PREFIX: &str = "/assets/";

/// The maximum length of a path, and of one path segment, looked up as a file, in bytes. Longer
/// names cannot exist on Linux file systems (`PATH_MAX` and `NAME_MAX`). Looking them up fails
/// with an error that `ServeDir` would turn into a 500.
const MAX_PATH_BYTES: usize = 4096;
const MAX_SEGMENT_BYTES: usize = 255;

const LONG_CACHE: HeaderValue = HeaderValue::from_static("public, max-age=31536000, immutable");
const REVALIDATE: HeaderValue = HeaderValue::from_static("no-cache");

/// Serves `static_dir` when it contains a built front end, or else a small built-in page.
///
/// A path that names no file gets `index.html`, so the front end's router can show the page.
/// Under `/assets/` a missing file is a JSON 404 instead, because a stale hashed name must not be
/// cached for a year as HTML. A path naming a folder is treated like a missing file. `ServeDir`
/// would redirect it to the path with a trailing slash, and for a path such as `//assets` that
/// redirect would send the browser to another host.
pub fn service(static_dir: &Path) -> MethodRouter {
    let index = static_dir.join("index.html");
    if !index.is_file() {
        let policy = fallback_page_policy();
        return get(move || async move {
            (
                [
                    (header::CACHE_CONTROL, REVALIDATE),
                    (header::CONTENT_SECURITY_POLICY, policy),
                ],
                Html(FALLBACK_PAGE),
            )
        })
        .fallback(method_not_allowed);
    }

    let index_file = ServeFile::new(index);
    let spa_fallback = get(move |request: Request| serve_index(index_file.clone(), request));
    let files = ServeDir::new(static_dir)
        .append_index_html_on_directories(false)
        .fallback(spa_fallback);
    get_service(files)
        .fallback(method_not_allowed)
        .layer(middleware::from_fn(cache_control))
        .layer(middleware::from_fn(reject_impossible_paths))
}

async fn method_not_allowed(method: Method) -> AppError {
    AppError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        ErrorCode::MethodNotAllowed,
        format!("Static files accept GET and HEAD, not {method}"),
    )
}

/// Rejects a path that cannot name a file with a 404, before the file system is searched.
async fn reject_impossible_paths(request: Request, next: Next) -> Response {
    let path = request.uri().path();
    let too_long = path.len() > MAX_PATH_BYTES
        || path
            .split('/')
            .any(|segment| segment.len() > MAX_SEGMENT_BYTES);
    if too_long {
        return AppError::new(
            StatusCode::NOT_FOUND,
            ErrorCode::NotFound,
            "No page or file has a name this long",
        )
        .into_response();
    }
    next.run(request).await
}

async fn serve_index(index_file: ServeFile, request: Request) -> Response {
    if request.uri().path().starts_with(HASHED_ASSETS_PREFIX) {
        return AppError::new(
            StatusCode::NOT_FOUND,
            ErrorCode::NotFound,
            "No such file: the page may come from an older version of the app, reload it",
        )
        .into_response();
    }
    match index_file.oneshot(request).await {
        Ok(response) => response.into_response(),
        Err(never) => match never {},
    }
}

/// Sets `Cache-Control` on every static response: long-lived for hashed assets that were found,
/// `no-cache` for the rest.
async fn cache_control(request: Request, next: Next) -> Response {
    let hashed = request.uri().path().starts_with(HASHED_ASSETS_PREFIX);
    let mut response = next.run(request).await;
    let found = response.status().is_success() || response.status() == StatusCode::NOT_MODIFIED;
    let value = if hashed && found {
        LONG_CACHE
    } else {
        REVALIDATE
    };
    response.headers_mut().insert(header::CACHE_CONTROL, value);
    response
}

const FALLBACK_PAGE: &str = include_str!("fallback_page.html");

/// Builds the built-in page's `Content-Security-Policy`: no script at all, and only its own
/// `<style>` element, allowed by the SHA-256 hash of its content.
fn fallback_page_policy() -> HeaderValue {
    let style = FALLBACK_PAGE
        .split_once("<style>")
        .and_then(|(_, rest)| rest.split_once("</style>"))
        .map_or("", |(style, _)| style);
    let hash = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(style));
    let policy = format!(
        "default-src 'none'; style-src 'sha256-{hash}'; frame-ancestors 'self'; \
         base-uri 'none'; form-action 'none'"
    );
    HeaderValue::from_str(&policy).expect("the policy is ASCII without control characters")
}

#[cfg(test)]
mod tests {
    use axum::Router;
    use axum::body::{Body, to_bytes};
    use axum::http::{Request, StatusCode, header};
    use tower::ServiceExt;

    use super::service;

    const INDEX: &str = "<!doctype html><title>app</title>";

    fn built_front_end() -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("create a temporary folder");
        std::fs::create_dir(dir.path().join("assets")).expect("create assets/");
        std::fs::write(dir.path().join("index.html"), INDEX).expect("write index.html");
        std::fs::write(dir.path().join("assets/index-abc123.js"), "console.log(1)")
            .expect("write a hashed asset");
        std::fs::write(dir.path().join("favicon.svg"), "<svg/>").expect("write favicon.svg");
        dir
    }

    async fn get(dir: &std::path::Path, path: &str) -> (StatusCode, Option<String>, String) {
        let app = Router::new().fallback_service(service(dir));
        let response = app
            .oneshot(
                Request::get(path)
                    .body(Body::empty())
                    .expect("valid request"),
            )
            .await
            .expect("the static service never fails");
        let status = response.status();
        let cache = response
            .headers()
            .get(header::CACHE_CONTROL)
            .map(|value| value.to_str().expect("ASCII header").to_owned());
        let body = to_bytes(response.into_body(), 1 << 20)
            .await
            .expect("read the body");
        (
            status,
            cache,
            String::from_utf8(body.to_vec()).expect("UTF-8 body"),
        )
    }

    #[tokio::test]
    async fn hashed_asset_is_cached_for_a_year() {
        let dir = built_front_end();
        let (status, cache, body) = get(dir.path(), "/assets/index-abc123.js").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body, "console.log(1)");
        assert_eq!(
            cache.as_deref(),
            Some("public, max-age=31536000, immutable")
        );
    }

    #[tokio::test]
    async fn index_html_is_revalidated() {
        let dir = built_front_end();
        for path in ["/", "/index.html"] {
            let (status, cache, body) = get(dir.path(), path).await;
            assert_eq!(status, StatusCode::OK, "{path}");
            assert_eq!(body, INDEX, "{path}");
            assert_eq!(cache.as_deref(), Some("no-cache"), "{path}");
        }
    }

    #[tokio::test]
    async fn client_route_gets_index_html() {
        let dir = built_front_end();
        let (status, cache, body) = get(dir.path(), "/catalog?catalog=main").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body, INDEX);
        assert_eq!(cache.as_deref(), Some("no-cache"));
    }

    #[tokio::test]
    async fn unhashed_file_is_revalidated() {
        let dir = built_front_end();
        let (status, cache, body) = get(dir.path(), "/favicon.svg").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body, "<svg/>");
        assert_eq!(cache.as_deref(), Some("no-cache"));
    }

    #[tokio::test]
    async fn missing_asset_is_not_found() {
        let dir = built_front_end();
        let (status, cache, body) = get(dir.path(), "/assets/index-old999.js").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_ne!(body, INDEX);
        assert_eq!(cache.as_deref(), Some("no-cache"));
    }

    #[tokio::test]
    async fn folder_path_is_not_redirected() {
        let dir = built_front_end();
        for path in ["/assets", "//assets"] {
            let (status, _cache, body) = get(dir.path(), path).await;
            assert_eq!(status, StatusCode::OK, "{path}");
            assert_eq!(body, INDEX, "{path}");
        }
        let (status, _cache, body) = get(dir.path(), "/assets/").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert!(body.contains("NOT_FOUND"), "{body}");
    }

    #[tokio::test]
    async fn missing_build_serves_built_in_page() {
        let dir = tempfile::tempdir().expect("create a temporary folder");
        for path in ["/preferences", "/assets/index-abc123.js"] {
            let (status, cache, body) = get(dir.path(), path).await;
            assert_eq!(status, StatusCode::OK, "{path}");
            assert_eq!(body, super::FALLBACK_PAGE, "{path}");
            assert_eq!(cache.as_deref(), Some("no-cache"), "{path}");
        }
    }
}
