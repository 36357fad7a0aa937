//! The built front end, with a fallback to `index.html` for client-side routes.

use std::path::Path;

use axum::http::{HeaderValue, header};
use axum::response::Html;
use axum::routing::{MethodRouter, get, get_service};
use tower_http::services::{ServeDir, ServeFile};
use tower_http::set_header::SetResponseHeaderLayer;

/// Serves `static_dir` when it holds a built front end; otherwise a small built-in page.
pub fn service(static_dir: &Path) -> MethodRouter {
    let index = static_dir.join("index.html");
    if !index.is_file() {
        return get(|| async { Html(FALLBACK_PAGE) });
    }

    let files = ServeDir::new(static_dir).fallback(ServeFile::new(index));
    get_service(files).layer(SetResponseHeaderLayer::if_not_present(
        header::CACHE_CONTROL,
        HeaderValue::from_static("no-cache"),
    ))
}

const FALLBACK_PAGE: &str = include_str!("fallback_page.html");
