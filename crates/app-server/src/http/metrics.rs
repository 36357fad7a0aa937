//! Request metrics for every routed request, and `GET /metrics` in the Prometheus text format.

use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::auth::{AuthContext, AuthMode};
use crate::state::AppState;
use crate::telemetry::metrics::labels::{self, UNMATCHED_ROUTE};
use crate::telemetry::metrics::{
    AUTH_REQUESTS_TOTAL, REQUEST_DURATION_SECONDS, auth, database, install, upstream,
};

/// The path of the scrape endpoint.
pub const METRICS_PATH: &str = "/metrics";

/// The content type of the Prometheus text format 0.0.4.
const PROMETHEUS_TEXT: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Routes that never read credentials, left out of `auth_requests_total`.
const UNAUTHENTICATED_ROUTES: [&str; 3] = ["/health", "/api/health", "/api/ready"];

/// Middleware: records `request_duration_seconds` for every request and `auth_requests_total`
/// for requests to authenticated API routes, labelled with the route template, never the path.
///
/// The duration ends when the response headers are ready, so it leaves out the time to stream a
/// body such as a static file.
pub async fn layer(request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or(UNMATCHED_ROUTE, MatchedPath::as_str)
        .to_owned();
    let method = labels::method(request.method());
    let mode = AuthContext::from_headers(request.headers()).mode();

    let started = Instant::now();
    let response = next.run(request).await;
    record_request(route, method, mode, response.status(), started.elapsed());
    response
}

fn record_request(
    route: String,
    method: &'static str,
    mode: AuthMode,
    status: StatusCode,
    elapsed: Duration,
) {
    if is_authenticated_route(&route) {
        metrics::counter!(
            AUTH_REQUESTS_TOTAL,
            "endpoint" => route.clone(),
            "mode" => mode.as_str(),
            "status" => labels::outcome_class(status)
        )
        .increment(1);
    }
    metrics::histogram!(
        REQUEST_DURATION_SECONDS,
        "endpoint" => route,
        "method" => method,
        "status" => status.as_u16().to_string()
    )
    .record(elapsed);
}

fn is_authenticated_route(route: &str) -> bool {
    route.starts_with("/api") && !UNAUTHENTICATED_ROUTES.contains(&route)
}

/// `GET /metrics`: samples the gauges read on demand (circuit breaker, active users, database
/// pool), then renders every metric of the process.
pub async fn scrape(State(state): State<AppState>) -> Response {
    upstream::record_breaker_state(state.workspace.breaker_state());
    auth::update_active_users_gauge().await;
    if let Some(status) = state.store.as_ref().and_then(|store| store.pool_status()) {
        database::record_pool(status);
    }

    let body = install().render();
    ([(CONTENT_TYPE, PROMETHEUS_TEXT)], body).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn health_and_static_routes_are_not_authenticated() {
        for route in ["/health", "/api/health", "/api/ready", UNMATCHED_ROUTE] {
            assert!(!is_authenticated_route(route), "{route}");
        }
        for route in [
            "/api/user/me",
            "/api/preferences/{preference_key}",
            "/api/{*rest}",
        ] {
            assert!(is_authenticated_route(route), "{route}");
        }
    }
}
