//! Error responses that the request layers can send on every route.

use utoipa::IntoResponses;

use crate::error::ErrorBody;

/// Errors from the layers in front of every handler.
#[derive(Debug, IntoResponses)]
pub enum LayerErrors {
    /// `URI_TOO_LONG`: the request target exceeds the app's URI limit.
    #[response(status = 414)]
    UriTooLong(ErrorBody),
    /// `HEADERS_TOO_LARGE`: a header, or all headers together, exceed the app's limits.
    #[response(status = 431)]
    HeadersTooLarge(ErrorBody),
    /// `INTERNAL_ERROR`: a bug; the cause is in the app's log under the correlation ID.
    #[response(status = 500)]
    Internal(ErrorBody),
}

/// Errors of a request line that the route cannot take: a query parameter the operation does not
/// declare, or a path parameter that is not UTF-8 once percent-decoded.
#[derive(Debug, IntoResponses)]
pub enum RequestLineErrors {
    /// `VALIDATION_ERROR`: an unknown query parameter or an undecodable path parameter.
    #[response(status = 400)]
    BadRequest(ErrorBody),
}

/// Errors from the layers in front of a handler that reads a JSON body.
#[derive(Debug, IntoResponses)]
pub enum JsonBodyErrors {
    /// `CSRF_REJECTED`: the request failed the cross-site request forgery check.
    #[response(status = 403)]
    CsrfRejected(ErrorBody),
    /// `REQUEST_TIMEOUT`: the body did not arrive in time.
    #[response(status = 408)]
    Timeout(ErrorBody),
    /// `PAYLOAD_TOO_LARGE`: the body exceeds the route's size limit.
    #[response(status = 413)]
    TooLarge(ErrorBody),
    /// `VALIDATION_ERROR`: the body is not `application/json`.
    #[response(status = 415)]
    UnsupportedMediaType(ErrorBody),
}

/// Errors of a route that calls the workspace with the caller's token, or as the app's service
/// principal when the request has none.
#[derive(Debug, IntoResponses)]
pub enum WorkspaceErrors {
    /// `AUTH_MISSING` (no token and no service principal), `AUTH_MALFORMED`, `AUTH_EXPIRED`,
    /// `AUTH_INVALID` or `AUTH_USER_IDENTITY_FAILED`.
    #[response(status = 401)]
    Unauthorized(ErrorBody),
    /// `PERMISSION_DENIED`: the caller lacks the permission, or the token lacks the OAuth scope.
    #[response(status = 403)]
    Forbidden(ErrorBody),
    /// `NOT_FOUND`: the workspace has no such object, or the caller may not see it.
    #[response(status = 404)]
    NotFound(ErrorBody),
    /// `RATE_LIMITED` or `AUTH_RATE_LIMITED`: wait `retry_after` seconds.
    #[response(status = 429)]
    TooManyRequests(ErrorBody),
    /// `UPSTREAM_UNAVAILABLE`: the workspace returned an unexpected error status.
    #[response(status = 502)]
    BadGateway(ErrorBody),
    /// `UPSTREAM_UNAVAILABLE`: the workspace is unavailable.
    #[response(status = 503)]
    Unavailable(ErrorBody),
    /// `UPSTREAM_TIMEOUT`: the workspace call timed out.
    #[response(status = 504)]
    Timeout(ErrorBody),
}

/// Errors of a route that needs a signed-in user: the token is checked before the handler runs.
#[derive(Debug, IntoResponses)]
pub enum SignedInUserErrors {
    /// `AUTH_MISSING`, `AUTH_MALFORMED`, `AUTH_EXPIRED`, `AUTH_INVALID` or
    /// `AUTH_USER_IDENTITY_FAILED`.
    #[response(status = 401)]
    Unauthorized(ErrorBody),
    /// `AUTH_RATE_LIMITED`: the workspace rate-limited the token check; wait `retry_after`
    /// seconds.
    #[response(status = 429)]
    TooManyRequests(ErrorBody),
    /// `UPSTREAM_UNAVAILABLE`: the workspace returned an unexpected status for the token check.
    #[response(status = 502)]
    BadGateway(ErrorBody),
    /// `UPSTREAM_TIMEOUT`: the token check timed out.
    #[response(status = 504)]
    Timeout(ErrorBody),
}

/// Errors of a route that reads or writes the app's database, after the token check.
#[derive(Debug, IntoResponses)]
pub enum DatabaseErrors {
    /// `LAKEBASE_NOT_CONFIGURED` or `DATABASE_UNAVAILABLE`; or `UPSTREAM_UNAVAILABLE` when the
    /// workspace could not check the token.
    #[response(status = 503)]
    Unavailable(ErrorBody),
}

/// Errors of a route that looks up the caller in the workspace, as the service principal when
/// the request has no token.
#[derive(Debug, IntoResponses)]
pub enum IdentityLookupErrors {
    /// `AUTH_MISSING` (no token and no service principal), `AUTH_MALFORMED`, `AUTH_EXPIRED`,
    /// `AUTH_INVALID` or `AUTH_USER_IDENTITY_FAILED`.
    #[response(status = 401)]
    Unauthorized(ErrorBody),
    /// `AUTH_RATE_LIMITED` or `RATE_LIMITED`: wait `retry_after` seconds.
    #[response(status = 429)]
    TooManyRequests(ErrorBody),
    /// `UPSTREAM_UNAVAILABLE`: the workspace returned an error status.
    #[response(status = 502)]
    BadGateway(ErrorBody),
    /// `UPSTREAM_UNAVAILABLE`: the workspace is unavailable.
    #[response(status = 503)]
    Unavailable(ErrorBody),
    /// `UPSTREAM_TIMEOUT`: the workspace call timed out.
    #[response(status = 504)]
    Timeout(ErrorBody),
}
