//! A JSON body extractor whose rejections use the API's error body.

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, JsonRejection};
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderMap, StatusCode, header};
use serde::de::DeserializeOwned;
use tower_http::timeout::TimeoutError;

use crate::error::{AppError, ErrorCode};

/// The deepest nesting of arrays and objects accepted in a request body. Model inputs (tensors
/// of rank 4 inside `instances`, chat `messages`) need fewer than 10 levels.
pub const MAX_JSON_DEPTH: usize = 64;

/// Like `axum::Json`, but a bad body becomes `VALIDATION_ERROR` or `PAYLOAD_TOO_LARGE`, and a
/// body nested deeper than [`MAX_JSON_DEPTH`] is rejected before it is parsed.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiJson<T>(pub T);

impl<T, S> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !has_json_content_type(request.headers()) {
            return Err(AppError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                ErrorCode::ValidationError,
                "Content-Type must be application/json",
            ));
        }
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|rejection| bytes_rejection_error(&rejection))?;
        if nesting_exceeds(&bytes, MAX_JSON_DEPTH) {
            return Err(AppError::new(
                StatusCode::BAD_REQUEST,
                ErrorCode::ValidationError,
                format!("The body nests arrays and objects deeper than {MAX_JSON_DEPTH} levels"),
            ));
        }
        match axum::Json::<T>::from_bytes(&bytes) {
            Ok(axum::Json(value)) => Ok(Self(value)),
            Err(rejection) => Err(json_rejection_error(&rejection)),
        }
    }
}

/// A request body for a route that takes none: empty, or the empty JSON object `{}` that some
/// clients send with every POST. Anything else is a 422 `VALIDATION_ERROR`, so that a field the
/// caller thinks has an effect is not silently ignored.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoBody;

impl<S> FromRequest<S> for NoBody
where
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|rejection| bytes_rejection_error(&rejection))?;
        if is_empty_body(&bytes) {
            return Ok(Self);
        }
        Err(AppError::validation(
            "This route takes no request body fields: send an empty body or {}",
        ))
    }
}

fn is_empty_body(bytes: &[u8]) -> bool {
    let text = bytes.trim_ascii();
    if text.is_empty() {
        return true;
    }
    serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(text)
        .is_ok_and(|fields| fields.is_empty())
}

/// Accepts `application/json` and `application/*+json`, with parameters, as `axum::Json` does.
fn has_json_content_type(headers: &HeaderMap) -> bool {
    let Some(content_type) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
    else {
        return false;
    };
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// Returns true when arrays and objects in `body` nest deeper than `max_depth`. Brackets inside
/// strings do not count. The scan does not validate the JSON; the parser does that next.
pub fn nesting_exceeds(body: &[u8], max_depth: usize) -> bool {
    let mut depth = 0_usize;
    let mut in_string = false;
    let mut escaped = false;
    for &byte in body {
        if in_string {
            match (escaped, byte) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match byte {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > max_depth {
                    return true;
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    false
}

fn bytes_rejection_error(rejection: &BytesRejection) -> AppError {
    if is_read_timeout(rejection) {
        return AppError::new(
            StatusCode::REQUEST_TIMEOUT,
            ErrorCode::RequestTimeout,
            "The client stopped sending the request body; send it again",
        );
    }
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return AppError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::PayloadTooLarge,
            "The request body is larger than this route accepts",
        );
    }
    AppError::new(
        StatusCode::BAD_REQUEST,
        ErrorCode::ValidationError,
        format!(
            "The request body could not be read: {}",
            rejection.body_text()
        ),
    )
}

/// Returns true when reading the body failed because the client paused longer than the body
/// read timeout.
fn is_read_timeout(rejection: &BytesRejection) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(rejection);
    while let Some(error) = source {
        if error.is::<TimeoutError>() {
            return true;
        }
        source = error.source();
    }
    false
}

fn json_rejection_error(rejection: &JsonRejection) -> AppError {
    match rejection {
        JsonRejection::JsonSyntaxError(error) => AppError::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::ValidationError,
            format!("The body is not valid JSON: {}", error.body_text()),
        ),
        JsonRejection::JsonDataError(error) => AppError::validation(format!(
            "The body does not match the expected fields: {}",
            error.body_text()
        )),
        _ => AppError::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::ValidationError,
            format!(
                "The request body could not be read: {}",
                rejection.body_text()
            ),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_body_accepts_empty_forms() {
        for body in [&b""[..], b"  \n", b"{}", b" { } "] {
            assert!(super::is_empty_body(body), "{body:?}");
        }
        for body in [&b"{\"x\":1}"[..], b"[]", b"null", b"{"] {
            assert!(!super::is_empty_body(body), "{body:?}");
        }
    }

    #[test]
    fn nesting_counts_arrays_and_objects() {
        let at_limit = format!("{}{}", "[".repeat(64), "]".repeat(64));
        assert!(!nesting_exceeds(at_limit.as_bytes(), 64));
        let over = format!("{}{}", "[".repeat(65), "]".repeat(65));
        assert!(nesting_exceeds(over.as_bytes(), 64));
        assert!(nesting_exceeds(br#"{"a":{"b":[{"c":1}]}}"#, 3));
        assert!(!nesting_exceeds(br#"{"a":{"b":[{"c":1}]}}"#, 4));
    }

    #[test]
    fn brackets_in_strings_do_not_count() {
        let body = br#"{"text": "[[[[{{{{ \" [[[[ \\"}"#;
        assert!(!nesting_exceeds(body, 1));
    }

    #[test]
    fn json_content_types() {
        for (value, expected) in [
            ("application/json", true),
            ("Application/JSON; charset=utf-8", true),
            ("application/merge-patch+json", true),
            ("text/json", false),
            ("application/jsonp", false),
            ("text/plain", false),
        ] {
            let mut headers = HeaderMap::new();
            headers.insert(
                header::CONTENT_TYPE,
                value.parse().expect("valid header value"),
            );
            assert_eq!(has_json_content_type(&headers), expected, "{value}");
        }
        assert!(!has_json_content_type(&HeaderMap::new()));
    }
}
