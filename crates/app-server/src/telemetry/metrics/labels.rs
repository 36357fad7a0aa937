//! Label values, each from a small fixed set or capped, so that no series count grows with users
//! or request input.

use std::collections::HashSet;
use std::sync::{Mutex, PoisonError};

use axum::http::{Method, StatusCode};
use databricks_client::{ApiError, ErrorKind};

/// The `endpoint` label of a request that matched no route (static assets and unknown paths).
pub const UNMATCHED_ROUTE: &str = "unmatched";

/// The label in place of a value that is not in the bounded set.
pub const OTHER: &str = "other";

/// The maximum number of distinct serving endpoint names used as labels. Later names are
/// labelled `other`.
pub const MAX_ENDPOINT_LABELS: usize = 50;

/// Returns the outcome class of a response: `success` (1xx to 3xx), `unauthorized` (401),
/// `forbidden` (403), `rate_limited` (429), `client_error` (other 4xx) or `server_error` (5xx).
pub fn outcome_class(status: StatusCode) -> &'static str {
    match status.as_u16() {
        401 => "unauthorized",
        403 => "forbidden",
        429 => "rate_limited",
        400..=499 => "client_error",
        500.. => "server_error",
        _ => "success",
    }
}

/// Returns the method's name for the standard HTTP methods and `other` for extension methods,
/// whose names the client chooses.
pub fn method(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        Method::CONNECT => "CONNECT",
        Method::TRACE => "TRACE",
        _ => OTHER,
    }
}

/// Returns the outcome class of a workspace call: `success`, `client_error` or `server_error` for
/// an HTTP error status, `timeout`, `connection_error` when no connection was made or it broke,
/// or `other_error` (an unexpected body or unusable credentials).
pub fn upstream_status<T>(result: &Result<T, ApiError>) -> &'static str {
    match result {
        Ok(_) => "success",
        Err(error) => error_class(error.kind, error.status),
    }
}

fn error_class(kind: ErrorKind, status: Option<StatusCode>) -> &'static str {
    match (kind, status) {
        (ErrorKind::Timeout, _) => "timeout",
        (ErrorKind::Connect | ErrorKind::Transport, _) => "connection_error",
        (_, Some(status)) if status.is_server_error() => "server_error",
        (_, Some(status)) if status.is_client_error() => "client_error",
        _ => "other_error",
    }
}

/// The serving endpoint names allowed as label values: well-formed names, the first
/// [`MAX_ENDPOINT_LABELS`] distinct ones seen. Callers pass only names the workspace confirmed.
#[derive(Debug, Default)]
pub struct EndpointLabels {
    seen: Mutex<HashSet<String>>,
}

impl EndpointLabels {
    /// Returns `name` when it is a well-formed endpoint name and either already a label or there
    /// is room for one more, else `other`.
    pub fn label(&self, name: &str) -> String {
        if !is_endpoint_name(name) {
            return OTHER.to_owned();
        }
        let mut seen = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
        if seen.contains(name) {
            return name.to_owned();
        }
        if seen.len() >= MAX_ENDPOINT_LABELS {
            return OTHER.to_owned();
        }
        seen.insert(name.to_owned());
        name.to_owned()
    }
}

/// Checks the platform's serving endpoint name rule: 1 to 63 ASCII letters, digits, `-` or `_`.
fn is_endpoint_name(name: &str) -> bool {
    (1..=63).contains(&name.len())
        && name
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcome_classes() {
        let cases = [
            (200, "success"),
            (204, "success"),
            (304, "success"),
            (400, "client_error"),
            (401, "unauthorized"),
            (403, "forbidden"),
            (404, "client_error"),
            (429, "rate_limited"),
            (500, "server_error"),
            (503, "server_error"),
        ];
        for (code, class) in cases {
            let status = StatusCode::from_u16(code).expect("valid status");
            assert_eq!(outcome_class(status), class, "{code}");
        }
    }

    #[test]
    fn extension_methods_are_other() {
        assert_eq!(method(&Method::GET), "GET");
        assert_eq!(method(&Method::DELETE), "DELETE");
        let custom = Method::from_bytes(b"PURGE-ME-123").expect("valid token");
        assert_eq!(method(&custom), OTHER);
    }

    #[test]
    fn endpoint_labels_are_capped() {
        let labels = EndpointLabels::default();
        for index in 0..MAX_ENDPOINT_LABELS {
            let name = format!("endpoint-{index}");
            assert_eq!(labels.label(&name), name);
        }

        assert_eq!(labels.label("one-too-many"), OTHER);
        assert_eq!(labels.label("endpoint-0"), "endpoint-0", "known names stay");
    }

    #[test]
    fn malformed_endpoint_names_are_other() {
        let labels = EndpointLabels::default();
        let too_long = "a".repeat(64);
        for name in [
            "",
            "has space",
            "alice@example.com",
            "a/b",
            too_long.as_str(),
        ] {
            assert_eq!(labels.label(name), OTHER, "{name:?}");
        }
    }

    #[test]
    fn upstream_error_classes() {
        let status = |code| Some(StatusCode::from_u16(code).expect("valid status"));
        let cases = [
            (ErrorKind::Http, status(404), "client_error"),
            (ErrorKind::Http, status(429), "client_error"),
            (ErrorKind::Http, status(500), "server_error"),
            (ErrorKind::Timeout, None, "timeout"),
            (ErrorKind::Connect, None, "connection_error"),
            (ErrorKind::Transport, None, "connection_error"),
            (ErrorKind::Decode, status(200), "other_error"),
            (ErrorKind::TokenEndpoint, None, "other_error"),
        ];
        for (kind, status, class) in cases {
            assert_eq!(error_class(kind, status), class, "{kind} {status:?}");
        }
    }
}
