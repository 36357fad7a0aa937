//! Call counting and fault injection for workspace API routes (not the control plane).

use axum::Json;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::faults::{FaultAction, FaultOutcome};
use crate::server::ConnectionHandle;
use crate::state::AppState;

/// Counts the call under `"<METHOD> <route template>"` (the raw path when no route matched), then
/// applies the first queued fault that matches it, if any. Rejected and faulted calls count too.
/// The call also counts as in flight until it is answered or its connection closes.
pub(crate) async fn count_and_inject_faults(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| path.clone(), |matched| matched.as_str().to_owned());
    let call = format!("{method} {route}");
    *state.calls().entry(call.clone()).or_insert(0) += 1;
    // Dropped when this future completes or is dropped with its connection.
    let _in_flight = state.track_in_flight(call);

    let Some(fault) = state.faults().take(&method, &path) else {
        return next.run(request).await;
    };
    tracing::info!(fault_id = %fault.id, http.method = %method, http.route = %route, "injecting a fault");
    let connection = request.extensions().get::<ConnectionHandle>().cloned();
    apply_fault(fault, connection, request, next).await
}

async fn apply_fault(
    fault: FaultAction,
    connection: Option<ConnectionHandle>,
    request: Request,
    next: Next,
) -> Response {
    if let Some(delay) = fault.delay {
        match &connection {
            Some(connection) => tokio::select! {
                () = tokio::time::sleep(delay) => {}
                () = connection.server_stopped() => {}
            },
            None => tokio::time::sleep(delay).await,
        }
    }
    match fault.outcome {
        FaultOutcome::Proceed => next.run(request).await,
        FaultOutcome::Respond {
            status,
            body,
            headers,
        } => {
            let mut response = fault_body(status, body);
            response.headers_mut().extend(headers);
            response
        }
        FaultOutcome::Hang => match connection {
            Some(connection) => {
                connection.server_stopped().await;
                StatusCode::SERVICE_UNAVAILABLE.into_response()
            }
            None => std::future::pending().await,
        },
        FaultOutcome::DropConnection => match connection {
            Some(connection) => {
                connection.close();
                connection.server_stopped().await;
                StatusCode::SERVICE_UNAVAILABLE.into_response()
            }
            None => missing_connection_handle(),
        },
    }
}

/// Builds the fault's response. A JSON string body is sent verbatim as text and other JSON as JSON.
/// Without a body, the response uses the platform's error shape with a code that fits the status.
fn fault_body(status: StatusCode, body: Option<serde_json::Value>) -> Response {
    match body {
        Some(serde_json::Value::String(text)) => (
            status,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            text,
        )
            .into_response(),
        Some(value) => (status, Json(value)).into_response(),
        None => {
            let body = json!({
                "error_code": error_code_for(status),
                "message": format!("Fault injected by the workspace emulator ({status})."),
            });
            (status, Json(body)).into_response()
        }
    }
}

fn error_code_for(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "BAD_REQUEST",
        401 => "UNAUTHENTICATED",
        403 => "PERMISSION_DENIED",
        404 => "NOT_FOUND",
        409 => "RESOURCE_CONFLICT",
        429 => "REQUEST_LIMIT_EXCEEDED",
        500 => "INTERNAL_ERROR",
        501 => "NOT_IMPLEMENTED",
        503 => "TEMPORARILY_UNAVAILABLE",
        504 => "DEADLINE_EXCEEDED",
        _ => "UNKNOWN",
    }
}

/// Only requests served outside the emulator's own accept loop (never in practice) lack a
/// connection handle.
fn missing_connection_handle() -> Response {
    let body = json!({
        "error_code": "INTERNAL_ERROR",
        "message": "drop_connection needs the emulator's own server; this request came another way",
    });
    (StatusCode::INTERNAL_SERVER_ERROR, Json(body)).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_code_fits_status() {
        assert_eq!(
            error_code_for(StatusCode::TOO_MANY_REQUESTS),
            "REQUEST_LIMIT_EXCEEDED"
        );
        assert_eq!(
            error_code_for(StatusCode::SERVICE_UNAVAILABLE),
            "TEMPORARILY_UNAVAILABLE"
        );
    }

    #[tokio::test]
    async fn string_body_is_sent_as_text() {
        let response = fault_body(StatusCode::BAD_GATEWAY, Some(json!("<html>bad</html>")));
        assert_eq!(response.status(), StatusCode::BAD_GATEWAY);
        assert_eq!(
            response.headers()[header::CONTENT_TYPE],
            "text/plain; charset=utf-8"
        );
        let bytes = axum::body::to_bytes(response.into_body(), 1024)
            .await
            .expect("body");
        assert_eq!(&bytes[..], b"<html>bad</html>");
    }
}
