//! Correlation IDs: one per request, on the request, in the log span and on the response.

use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderMap, HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;
use uuid::Uuid;

pub const CORRELATION_ID_HEADER: HeaderName = HeaderName::from_static("x-correlation-id");
pub const REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-request-id");

const MAX_LENGTH: usize = 128;

tokio::task_local! {
    static CORRELATION_ID: String;
}

/// The correlation ID of the request being handled, when called inside one.
pub fn current() -> Option<String> {
    CORRELATION_ID.try_with(Clone::clone).ok()
}

/// The correlation ID of a request, as stored in its extensions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CorrelationId(pub String);

/// Returns true for values matching `^[A-Za-z0-9._:-]{1,128}$`, the only ones echoed back.
pub fn is_safe(value: &str) -> bool {
    (1..=MAX_LENGTH).contains(&value.len())
        && value
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'.' | b'_' | b':' | b'-'))
}

/// Keeps a safe `X-Correlation-ID`; without that header adopts a safe `X-Request-Id` (set by the
/// Databricks Apps proxy); otherwise generates a UUIDv4.
pub fn choose(headers: &HeaderMap) -> String {
    let candidate = headers
        .get(CORRELATION_ID_HEADER)
        .or_else(|| headers.get(REQUEST_ID_HEADER))
        .and_then(|value| value.to_str().ok())
        .filter(|value| is_safe(value));

    candidate.map_or_else(|| Uuid::new_v4().to_string(), str::to_owned)
}

/// Middleware: assigns the correlation ID, runs the request inside a span that carries it (so every
/// log line of the request has it), writes one access-log line and echoes the ID.
pub async fn layer(mut request: Request, next: Next) -> Response {
    let correlation_id = choose(request.headers());
    request
        .extensions_mut()
        .insert(CorrelationId(correlation_id.clone()));

    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", MatchedPath::as_str)
        .to_owned();
    let span = tracing::info_span!(
        "request",
        correlation_id = %correlation_id,
        http.method = %request.method(),
        http.route = %route,
        auth.mode = tracing::field::Empty,
        user.id_hash = tracing::field::Empty,
    );

    let started = Instant::now();
    let mut response = CORRELATION_ID
        .scope(correlation_id.clone(), next.run(request))
        .instrument(span.clone())
        .await;

    let duration_ms = started.elapsed().as_secs_f64() * 1000.0;
    span.in_scope(|| {
        tracing::info!(
            http.status_code = response.status().as_u16(),
            duration_ms,
            "request completed"
        );
    });

    if let Ok(value) = HeaderValue::from_str(&correlation_id) {
        response.headers_mut().insert(CORRELATION_ID_HEADER, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;
    use proptest::prelude::*;

    use super::*;

    fn pattern() -> regex::Regex {
        regex::Regex::new(r"\A[A-Za-z0-9._:-]{1,128}\z").expect("valid pattern")
    }

    proptest! {
        #[test]
        fn is_safe_matches_the_pattern(value in "\\PC{0,140}|[A-Za-z0-9._:-]{0,140}") {
            prop_assert_eq!(is_safe(&value), pattern().is_match(&value), "{:?}", value);
        }

        #[test]
        fn choose_echoes_only_safe_values(value in "[ -~]{0,140}") {
            let mut headers = HeaderMap::new();
            headers.insert(
                CORRELATION_ID_HEADER,
                HeaderValue::from_str(&value).expect("printable ASCII is a valid header value"),
            );
            let chosen = choose(&headers);
            prop_assert!(is_safe(&chosen), "{:?}", chosen);
            if is_safe(&value) {
                prop_assert_eq!(chosen, value);
            } else {
                prop_assert!(Uuid::parse_str(&chosen).is_ok(), "{:?}", chosen);
            }
        }
    }
}
