//! Limits on the request line and the header block, rejected with the API's error body.
//!
//! The connection loop ([`crate::http::server`]) accepts larger header blocks than these limits,
//! so that a request over them reaches this layer and gets a JSON 431 or 414 with an
//! `error_code`, instead of hyper's empty response.

use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use tower_http::timeout::TimeoutBody;

use crate::error::{AppError, ErrorCode};

/// The largest header block accepted, in bytes: every name and value plus 4 bytes of separators
/// per field, as HTTP/1.1 sends them. A 16 KiB token (the longest the app accepts) and several
/// kilobytes of cookies fit with room to spare.
pub const MAX_HEADER_BYTES: usize = 64 * 1024;

/// The longest path and query accepted, in bytes. A `page_token` of 4,096 characters fits even
/// when every character is percent-encoded.
pub const MAX_URI_BYTES: usize = 16 * 1024;

/// Middleware: rejects a request whose header block or URI is over the limits above.
pub async fn layer(request: Request, next: Next) -> Response {
    let uri_bytes = request
        .uri()
        .path_and_query()
        .map_or(0, |path| path.as_str().len());
    if uri_bytes > MAX_URI_BYTES {
        return AppError::new(
            StatusCode::URI_TOO_LONG,
            ErrorCode::UriTooLong,
            format!(
                "The request's path and query are {uri_bytes} bytes long; the limit is \
                 {MAX_URI_BYTES}"
            ),
        )
        .into_response();
    }

    let header_bytes = header_block_bytes(request.headers());
    if header_bytes > MAX_HEADER_BYTES {
        return AppError::new(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            ErrorCode::HeadersTooLarge,
            format!(
                "The request's headers are {header_bytes} bytes; the limit is {MAX_HEADER_BYTES}. \
                 Clear this site's cookies and try again"
            ),
        )
        .into_response();
    }
    next.run(request).await
}

/// Middleware: makes reading the request body fail when the client sends nothing for `timeout`,
/// so a client that announces more body than it sends cannot keep a request open forever. The
/// JSON extractor turns that failure into 408 `REQUEST_TIMEOUT`.
///
/// It replaces the body, whose size hint is then lost, so it must run after the CSRF check, which
/// reads that hint.
pub async fn body_read_timeout(
    State(timeout): State<Duration>,
    request: Request,
    next: Next,
) -> Response {
    let (parts, body) = request.into_parts();
    let body = Body::new(TimeoutBody::new(timeout, body));
    next.run(Request::from_parts(parts, body)).await
}

/// Returns the size of the header block as HTTP/1.1 sends it (`name: value\r\n` per field).
pub fn header_block_bytes(headers: &HeaderMap) -> usize {
    headers
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len() + 4)
        .sum()
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    #[test]
    fn counts_names_values_and_separators() {
        let mut headers = HeaderMap::new();
        headers.insert("x-a", HeaderValue::from_static("12345"));
        headers.append("x-a", HeaderValue::from_static("6"));
        assert_eq!(header_block_bytes(&headers), (3 + 5 + 4) + (3 + 1 + 4));
    }
}
