//! One log line per request that gets a response.

use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;

use super::RequestId;

/// Logs method, route template, status and duration. It never logs headers, query strings or
/// bodies, which can carry tokens and secrets. Requests that a fault hangs or drops get no
/// response and so no line here.
pub(crate) async fn access_log(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |path| path.as_str().to_owned());
    let request_id = request
        .extensions()
        .get::<RequestId>()
        .map(|RequestId(id)| id.to_string());
    let response = next.run(request).await;
    tracing::info!(
        http.method = %method,
        http.route = %route,
        http.status_code = response.status().as_u16(),
        duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        request_id = request_id.as_deref().unwrap_or("-"),
        "request answered"
    );
    response
}
