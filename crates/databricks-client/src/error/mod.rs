//! The error type of every workspace call.

mod body;
mod retry_after;

use std::error::Error as StdError;
use std::fmt;
use std::time::{Duration, SystemTime};

use http::{HeaderMap, StatusCode};

pub(crate) use body::parse_error_body;
pub(crate) use retry_after::parse_retry_after;

/// The broad cause of an [`ApiError`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The workspace returned a non-success HTTP status.
    Http,
    /// The request or the response body did not finish within the request timeout.
    Timeout,
    /// No connection could be made (refused, DNS failure, TLS handshake failure, connect timeout).
    Connect,
    /// A success response whose body was not what the API documents.
    Decode,
    /// The OAuth token endpoint rejected the client or returned an unusable token response.
    TokenEndpoint,
    /// The credentials cannot be sent, for example a token with characters invalid in a header.
    InvalidCredentials,
    /// Any other failure while sending the request or reading the response.
    Transport,
}

impl ErrorKind {
    /// Returns a short lowercase name for logs and messages.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Http => "http",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Connect => "connect",
            ErrorKind::Decode => "decode",
            ErrorKind::TokenEndpoint => "token_endpoint",
            ErrorKind::InvalidCredentials => "invalid_credentials",
            ErrorKind::Transport => "transport",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

/// A failed workspace call. Its `Display` is `"<status> <error_code>: <message>"` (status or code
/// left out when absent, the kind in place of a missing status) and never contains credentials.
#[derive(Debug, thiserror::Error)]
pub struct ApiError {
    /// The HTTP status, or `None` when no response arrived.
    pub status: Option<StatusCode>,
    /// The platform's error code: `error_code` as sent (a number becomes its decimal string),
    /// `SCIM_<status>` for SCIM errors, the OAuth `error` field, or the code of a
    /// `CODE: message` text body.
    pub error_code: Option<String>,
    /// A human-readable message from the body, or a description of the transport failure.
    pub message: String,
    /// The delay the server requested in `Retry-After`, capped at [`MAX_RETRY_AFTER`].
    pub retry_after: Option<Duration>,
    /// The `details` entries of the error body (`google.rpc` types keyed by `@type`).
    pub details: Vec<serde_json::Value>,
    /// The broad cause.
    pub kind: ErrorKind,
    /// Whether the failure happened while connecting, so that no byte of the request was sent.
    /// A connect timeout has this set with kind [`ErrorKind::Timeout`].
    connect_failed: bool,
    #[source]
    source: Option<Box<dyn StdError + Send + Sync>>,
}

/// The maximum `Retry-After` delay an [`ApiError`] reports. Longer delays are capped to it.
pub const MAX_RETRY_AFTER: Duration = Duration::from_mins(5);

impl ApiError {
    /// Builds the error for a non-success response from its status, headers and body.
    pub(crate) fn from_response(status: StatusCode, headers: &HeaderMap, body: &[u8]) -> ApiError {
        let parsed = parse_error_body(status, headers, body);
        let retry_after = headers
            .get(http::header::RETRY_AFTER)
            .and_then(|value| parse_retry_after(value, SystemTime::now()));
        ApiError {
            status: Some(status),
            error_code: parsed.error_code,
            message: parsed.message,
            retry_after,
            details: parsed.details,
            kind: ErrorKind::Http,
            connect_failed: false,
            source: None,
        }
    }

    /// Builds the error for a failure without a response, classified from reqwest's error.
    pub(crate) fn from_transport(context: &str, error: reqwest::Error) -> ApiError {
        let kind = if error.is_timeout() {
            ErrorKind::Timeout
        } else if error.is_connect() {
            ErrorKind::Connect
        } else if error.is_decode() {
            ErrorKind::Decode
        } else {
            ErrorKind::Transport
        };
        let message = format!("{context}: {}", describe_chain(&error));
        let mut api_error = ApiError::without_response(kind, message);
        api_error.connect_failed = error.is_connect();
        api_error.with_source(error)
    }

    /// Builds an error of `kind` that has no HTTP status.
    pub(crate) fn without_response(kind: ErrorKind, message: impl Into<String>) -> ApiError {
        ApiError {
            status: None,
            error_code: None,
            message: message.into(),
            retry_after: None,
            details: Vec::new(),
            kind,
            connect_failed: false,
            source: None,
        }
    }

    /// Returns whether no connection could be made, so that the workspace never saw the request.
    pub(crate) fn connect_failed(&self) -> bool {
        self.connect_failed
    }

    /// Marks the error as a failure to connect, as [`ApiError::from_transport`] does for reqwest's
    /// connect errors.
    #[cfg(test)]
    pub(crate) fn into_connect_failure(mut self) -> ApiError {
        self.connect_failed = true;
        self
    }

    /// Replaces the kind, keeping everything else.
    pub(crate) fn with_kind(mut self, kind: ErrorKind) -> ApiError {
        self.kind = kind;
        self
    }

    /// Prefixes the message with `context`.
    pub(crate) fn with_context(mut self, context: &str) -> ApiError {
        self.message = format!("{context}: {}", self.message);
        self
    }

    pub(crate) fn with_source(mut self, source: impl StdError + Send + Sync + 'static) -> ApiError {
        self.source = Some(Box::new(source));
        self
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.status {
            Some(status) => write!(formatter, "{}", status.as_u16())?,
            None => write!(formatter, "{}", self.kind)?,
        }
        if let Some(code) = &self.error_code {
            write!(formatter, " {code}")?;
        }
        write!(formatter, ": {}", self.message)
    }
}

/// Joins an error and its sources into one line, because reqwest's own message ("error sending
/// request") hides the cause.
fn describe_chain(error: &dyn StdError) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_with_status_and_code() {
        let headers = HeaderMap::new();
        let error = ApiError::from_response(
            StatusCode::FORBIDDEN,
            &headers,
            br#"{"error_code": 403, "message": "Invalid access token."}"#,
        );
        assert_eq!(error.to_string(), "403 403: Invalid access token.");
    }

    #[test]
    fn display_without_code() {
        let headers = HeaderMap::new();
        let error = ApiError::from_response(StatusCode::BAD_GATEWAY, &headers, b"upstream down");
        assert_eq!(error.to_string(), "502: upstream down");
    }

    #[test]
    fn display_without_status_names_kind() {
        let error = ApiError::without_response(ErrorKind::Timeout, "GET /x timed out");
        assert_eq!(error.to_string(), "timeout: GET /x timed out");
    }

    #[test]
    fn from_response_reads_retry_after() {
        let mut headers = HeaderMap::new();
        headers.insert(
            http::header::RETRY_AFTER,
            http::HeaderValue::from_static("7"),
        );
        let error = ApiError::from_response(StatusCode::TOO_MANY_REQUESTS, &headers, b"");
        assert_eq!(error.retry_after, Some(Duration::from_secs(7)));
        assert_eq!(error.kind, ErrorKind::Http);
    }
}
