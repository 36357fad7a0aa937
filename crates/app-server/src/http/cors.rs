//! Cross-origin resource sharing, off unless `CORS_ALLOWED_ORIGINS` lists origins.
//!
//! Without the allowlist no response carries an `Access-Control-Allow-*` header, so a browser
//! lets no other site read the API's responses or send it a JSON body. With it, the listed
//! origins (and only those) may call the API with credentials.

use std::time::Duration;

use axum::http::{HeaderValue, Method, header};
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::http::correlation::CORRELATION_ID_HEADER;
use crate::http::origin::AllowedOrigins;

/// How long a browser may cache a preflight response.
const PREFLIGHT_MAX_AGE: Duration = Duration::from_mins(10);

/// Builds the CORS layer for `allowed`, or `None` when the allowlist is empty.
pub fn layer(allowed: &AllowedOrigins) -> Option<CorsLayer> {
    if allowed.is_empty() {
        return None;
    }
    let origins: Vec<HeaderValue> = allowed
        .iter()
        .filter_map(|origin| HeaderValue::from_str(&origin.serialize()).ok())
        .collect();
    Some(
        CorsLayer::new()
            .allow_origin(AllowOrigin::list(origins))
            .allow_methods([
                Method::GET,
                Method::POST,
                Method::PUT,
                Method::PATCH,
                Method::DELETE,
            ])
            .allow_headers([header::CONTENT_TYPE, header::ACCEPT, CORRELATION_ID_HEADER])
            .expose_headers([CORRELATION_ID_HEADER, header::RETRY_AFTER])
            .allow_credentials(true)
            .max_age(PREFLIGHT_MAX_AGE),
    )
}
