//! The classification of failed attempts (retried or not) and of finished calls (for the
//! circuit breaker).

use http::StatusCode;

use super::breaker::CallOutcome;
use crate::error::{ApiError, ErrorKind};
use crate::request::{ApiRequest, Idempotency};

/// The reason a failed attempt is retried, logged as `reason`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RetryReason {
    /// No connection could be made: refused, DNS or TLS failure, or connect timeout.
    ConnectFailed,
    /// The connection closed or was reset before the whole response arrived.
    ConnectionLost,
    /// No complete response within the request timeout.
    Timeout,
    /// 503 Service Unavailable.
    ServiceUnavailable,
    /// 401 or 403 on an identity lookup made with a user token.
    IdentityRejected,
}

impl RetryReason {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            RetryReason::ConnectFailed => "connect_failed",
            RetryReason::ConnectionLost => "connection_lost",
            RetryReason::Timeout => "timeout",
            RetryReason::ServiceUnavailable => "service_unavailable",
            RetryReason::IdentityRejected => "identity_rejected",
        }
    }
}

/// The retry and circuit-breaker classification of one call's errors.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CallPolicy {
    idempotency: Idempotency,
    retry_auth_rejections: bool,
}

impl CallPolicy {
    /// Builds the policy of `request` sent with a user token (`user_token`) or other credentials.
    pub(crate) fn new(request: &ApiRequest, user_token: bool) -> CallPolicy {
        CallPolicy {
            idempotency: request.idempotency,
            retry_auth_rejections: request.identity_lookup && user_token,
        }
    }

    /// Returns why an attempt that failed with `error` may be retried, or `None` when it may not.
    ///
    /// A safe call is retried after a transient error (see [`CallPolicy::transient_reason`]). A
    /// non-idempotent call is retried only when no connection could be made, because after a
    /// timeout, a 5xx or a lost connection it may already have run upstream.
    pub(crate) fn retry_reason(self, error: &ApiError) -> Option<RetryReason> {
        let reason = self.transient_reason(error)?;
        match self.idempotency {
            Idempotency::Safe => Some(reason),
            Idempotency::NotIdempotent => (reason == RetryReason::ConnectFailed).then_some(reason),
        }
    }

    /// Classifies a finished call for the circuit breaker. A failure is an error the policy
    /// classes as transient, or any 5xx. Other errors (400, 404, 429 and the rest) are neutral.
    pub(crate) fn outcome<T>(self, result: &Result<T, ApiError>) -> CallOutcome {
        match result {
            Ok(_) => CallOutcome::Success,
            Err(error)
                if self.transient_reason(error).is_some()
                    || error.status.is_some_and(|status| status.is_server_error()) =>
            {
                CallOutcome::Failure
            }
            Err(_) => CallOutcome::Neutral,
        }
    }

    /// Returns the reason `error` may be transient: no connection, a lost connection, a timeout,
    /// a 503, or 401/403 on an identity lookup with a user token. 429 is not transient here,
    /// because the server asked the caller to wait, which it reports in `retry_after`.
    fn transient_reason(self, error: &ApiError) -> Option<RetryReason> {
        if error.connect_failed() {
            return Some(RetryReason::ConnectFailed);
        }
        match error.status {
            Some(StatusCode::SERVICE_UNAVAILABLE) => Some(RetryReason::ServiceUnavailable),
            Some(StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN)
                if self.retry_auth_rejections =>
            {
                Some(RetryReason::IdentityRejected)
            }
            Some(_) => None,
            None => match error.kind {
                ErrorKind::Connect => Some(RetryReason::ConnectFailed),
                ErrorKind::Timeout => Some(RetryReason::Timeout),
                ErrorKind::Transport => Some(RetryReason::ConnectionLost),
                _ => None,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use http::HeaderMap;

    use super::*;

    const ME: &str = "/api/2.0/preview/scim/v2/Me";
    const CATALOGS: &str = "/api/2.1/unity-catalog/catalogs";

    fn status(code: u16) -> ApiError {
        let status = StatusCode::from_u16(code).expect("valid status");
        ApiError::from_response(status, &HeaderMap::new(), b"{}")
    }

    fn transport(kind: ErrorKind) -> ApiError {
        ApiError::without_response(kind, "GET /x failed")
    }

    fn refused() -> ApiError {
        transport(ErrorKind::Connect).into_connect_failure()
    }

    fn connect_timeout() -> ApiError {
        transport(ErrorKind::Timeout).into_connect_failure()
    }

    fn safe_policy() -> CallPolicy {
        CallPolicy::new(&ApiRequest::get(CATALOGS), true)
    }

    fn not_idempotent_policy() -> CallPolicy {
        let mut request = ApiRequest::get("/serving-endpoints/{name}/invocations");
        request.method = http::Method::POST;
        request.idempotency = Idempotency::NotIdempotent;
        CallPolicy::new(&request, true)
    }

    #[test]
    fn safe_call_retries_transient_errors() {
        let policy = safe_policy();
        let cases = [
            (status(503), RetryReason::ServiceUnavailable),
            (refused(), RetryReason::ConnectFailed),
            (connect_timeout(), RetryReason::ConnectFailed),
            (transport(ErrorKind::Timeout), RetryReason::Timeout),
            (transport(ErrorKind::Transport), RetryReason::ConnectionLost),
        ];
        for (error, expected) in cases {
            assert_eq!(policy.retry_reason(&error), Some(expected), "{error}");
        }
    }

    #[test]
    fn safe_call_does_not_retry_client_errors() {
        let policy = safe_policy();
        for code in [400, 401, 403, 404, 409, 429, 500, 502, 504] {
            assert_eq!(policy.retry_reason(&status(code)), None, "status {code}");
        }
        for kind in [ErrorKind::Decode, ErrorKind::InvalidCredentials] {
            assert_eq!(policy.retry_reason(&transport(kind)), None, "kind {kind}");
        }
    }

    #[test]
    fn identity_lookup_retries_auth_rejections() {
        let policy = CallPolicy::new(&ApiRequest::get(ME).identity_lookup(), true);
        for code in [401, 403] {
            assert_eq!(
                policy.retry_reason(&status(code)),
                Some(RetryReason::IdentityRejected),
                "status {code}"
            );
        }
        assert_eq!(policy.retry_reason(&status(404)), None);
        assert_eq!(policy.retry_reason(&status(429)), None);
    }

    #[test]
    fn service_principal_lookup_keeps_rejections() {
        let policy = CallPolicy::new(&ApiRequest::get(ME).identity_lookup(), false);
        for code in [401, 403] {
            assert_eq!(policy.retry_reason(&status(code)), None, "status {code}");
        }
    }

    #[test]
    fn other_get_keeps_auth_rejections() {
        let policy = safe_policy();
        for code in [401, 403] {
            assert_eq!(policy.retry_reason(&status(code)), None, "status {code}");
        }
    }

    #[test]
    fn not_idempotent_call_retries_only_refused_connections() {
        let policy = not_idempotent_policy();
        assert_eq!(
            policy.retry_reason(&refused()),
            Some(RetryReason::ConnectFailed)
        );
        assert_eq!(
            policy.retry_reason(&connect_timeout()),
            Some(RetryReason::ConnectFailed)
        );
        for error in [
            status(503),
            status(500),
            transport(ErrorKind::Timeout),
            transport(ErrorKind::Transport),
            status(429),
        ] {
            assert_eq!(policy.retry_reason(&error), None, "{error}");
        }
    }

    #[test]
    fn outcome_counts_transient_errors_and_5xx_as_failures() {
        let policy = CallPolicy::new(&ApiRequest::get(ME).identity_lookup(), true);
        for error in [
            status(500),
            status(502),
            status(503),
            status(504),
            status(401),
            status(403),
            refused(),
            transport(ErrorKind::Timeout),
            transport(ErrorKind::Transport),
        ] {
            let result: Result<(), ApiError> = Err(error);
            assert_eq!(policy.outcome(&result), CallOutcome::Failure, "{result:?}");
        }
    }

    #[test]
    fn outcome_of_client_errors_is_neutral() {
        let policy = safe_policy();
        for code in [400, 401, 403, 404, 429] {
            let result: Result<(), ApiError> = Err(status(code));
            assert_eq!(
                policy.outcome(&result),
                CallOutcome::Neutral,
                "status {code}"
            );
        }
        assert_eq!(policy.outcome(&Ok(())), CallOutcome::Success);
    }
}
